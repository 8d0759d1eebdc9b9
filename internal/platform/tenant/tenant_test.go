package tenant

import (
	"context"
	"testing"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

func TestRequire(t *testing.T) {
	if _, err := Require(context.Background()); !apperr.Is(err, apperr.Unauthenticated) {
		t.Errorf("no tenant: err = %v, want unauthenticated", err)
	}
	if _, err := Require(With(context.Background(), "")); err == nil {
		t.Error("an empty merchant id counts as a tenant")
	}
	got, err := Require(With(context.Background(), "m-1"))
	if err != nil || got != "m-1" {
		t.Errorf("got %q, %v; want m-1", got, err)
	}
}

package apperr

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindSurvivesWrapping(t *testing.T) {
	base := E(Conflict, "order %s changed", "o-1")
	wrapped := fmt.Errorf("add line: %w", base)
	if got := KindOf(wrapped); got != Conflict {
		t.Errorf("KindOf = %v, want conflict", got)
	}
	if got := Message(wrapped); got != "order o-1 changed" {
		t.Errorf("Message = %q", got)
	}
	if KindOf(errors.New("plain")) != Unknown {
		t.Error("a plain error has a kind")
	}
	if Is(nil, Unknown) {
		t.Error("nil is an error of kind unknown")
	}
}

func TestWrapKeepsCause(t *testing.T) {
	cause := errors.New("driver said no")
	err := Wrap(cause, Unavailable, "database unavailable")
	if !errors.Is(err, cause) {
		t.Error("cause lost")
	}
	if err.Error() != "database unavailable: driver said no" {
		t.Errorf("Error() = %q", err.Error())
	}
	f := Fields(WithField("quantity", "must be at least 1"))
	if len(f) != 1 || f[0].Field != "quantity" {
		t.Errorf("Fields = %v", f)
	}
}

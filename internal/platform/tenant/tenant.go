// Package tenant carries the merchant a request acts for. Every store method takes the tenant explicitly;
// this package only moves it through a context from the HTTP layer to the service that reads it.
package tenant

import (
	"context"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

// ID identifies a merchant, the unit of tenancy.
type ID string

type ctxKey struct{}

// With returns a context that carries merchant id.
func With(ctx context.Context, id ID) context.Context { return context.WithValue(ctx, ctxKey{}, id) }

// From returns the merchant carried by ctx, if any.
func From(ctx context.Context) (ID, bool) {
	id, ok := ctx.Value(ctxKey{}).(ID)
	return id, ok && id != ""
}

// Require returns the merchant carried by ctx, or an Unauthenticated error when there is none.
func Require(ctx context.Context) (ID, error) {
	id, ok := From(ctx)
	if !ok {
		return "", apperr.E(apperr.Unauthenticated, "no merchant in request")
	}
	return id, nil
}

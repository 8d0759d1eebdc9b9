// Package apperr defines the few kinds of error the application distinguishes. Business code wraps errors
// with context and a kind; the HTTP layer maps each kind to a status code once (see httpapi).
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error by what the caller can do about it.
type Kind int

// The kinds of error. Unknown is the zero value: an unexpected failure (a bug or an outage).
const (
	Unknown         Kind = iota
	Invalid              // the request is well-formed but breaks a rule (422)
	NotFound             // the resource does not exist or belongs to another tenant (404)
	Conflict             // the resource changed or is in the wrong state (409)
	Forbidden            // the caller may not do this (403)
	Unauthenticated      // the caller is not known (401)
	Unavailable          // a dependency is down; retrying later may work (503)
	TooLarge             // the request body is over the limit (413)
	RateLimited          // the caller is over a rate limit (429)
)

// String names the kind in plain words, for logs.
func (k Kind) String() string {
	switch k {
	case Invalid:
		return "invalid"
	case NotFound:
		return "not found"
	case Conflict:
		return "conflict"
	case Forbidden:
		return "forbidden"
	case Unauthenticated:
		return "unauthenticated"
	case Unavailable:
		return "unavailable"
	case TooLarge:
		return "too large"
	case RateLimited:
		return "rate limited"
	}
	return "unknown"
}

// FieldError names one field of a request that is wrong and why.
type FieldError struct {
	Field   string `json:"location"`
	Message string `json:"message"`
}

// Error is an error with a kind, a message safe to show to the caller, optional field problems, and the
// underlying cause (never shown to the caller).
type Error struct {
	Kind    Kind
	Message string
	Fields  []FieldError
	Err     error
	// Current is, for a Conflict on a versioned resource, the resource as it is now: the caller merges its
	// change into it instead of fetching it again. Nil otherwise.
	Current any
}

// Error returns the message followed by the cause's text; it is for logs, not for callers (use Message).
func (e *Error) Error() string {
	switch {
	case e.Err != nil && e.Message != "":
		return e.Message + ": " + e.Err.Error()
	case e.Err != nil:
		return e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause, so errors.Is and errors.As see through the kind.
func (e *Error) Unwrap() error { return e.Err }

// E builds an error of kind k with a caller-facing message; args are formatted into the message.
func E(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Wrap gives err the kind k and a caller-facing message while keeping err as the cause.
func Wrap(err error, k Kind, message string) *Error {
	return &Error{Kind: k, Message: message, Err: err}
}

// WithField returns an Invalid error about one field.
func WithField(field, message string) *Error {
	return &Error{Kind: Invalid, Message: "validation failed", Fields: []FieldError{{Field: field, Message: message}}}
}

// KindOf reports the kind of the first *Error in err's chain, or Unknown.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Unknown
}

// Is reports whether err has kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// Message returns the caller-facing message of err, or "" when it has none.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}

// Fields returns the field problems carried by err.
func Fields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Stale is the Conflict of a write made against an old version of a resource; current is the resource as
// it is now, sent back with the error.
func Stale(message string, current any) *Error {
	return &Error{Kind: Conflict, Message: message, Current: current}
}

// CurrentOf returns the current resource a Conflict carries, or nil.
func CurrentOf(err error) any {
	var e *Error
	if errors.As(err, &e) {
		return e.Current
	}
	return nil
}

// Located names the field errors of err after where the caller sent them ("body", "query"), as the HTTP
// layer's own validation errors name them; fields already located ("body.…", "query.…", "path.…",
// "header.…") keep their names. Other errors pass unchanged.
func Located(err error, where string) error {
	var e *Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	fields := make([]FieldError, len(e.Fields))
	for i, f := range e.Fields {
		fields[i] = f
		if !located(f.Field) {
			fields[i].Field = where + "." + f.Field
		}
	}
	return &Error{Kind: e.Kind, Message: e.Message, Fields: fields, Err: err, Current: e.Current}
}

func located(field string) bool {
	for _, p := range []string{"body.", "query.", "path.", "header."} {
		if strings.HasPrefix(field, p) {
			return true
		}
	}
	return false
}

// Relocated renames the field errors of err whose names start with from to start with to instead (another
// module's names, e.g. "lines[0].product_id", as the caller sent them, "body.product_id").
func Relocated(err error, from, to string) error {
	var e *Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	fields := make([]FieldError, len(e.Fields))
	for i, f := range e.Fields {
		fields[i] = FieldError{Field: to + strings.TrimPrefix(f.Field, from), Message: f.Message}
	}
	return &Error{Kind: e.Kind, Message: e.Message, Fields: fields, Err: err, Current: e.Current}
}

package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

// ProblemContentType is the media type of every error response (RFC 9457).
const ProblemContentType = "application/problem+json"

// statusClientClosedRequest is recorded (never seen by anyone) when the client went away mid-request, so
// that a disconnect does not count as a server error.
const statusClientClosedRequest = 499

// Problem is an RFC 9457 problem document, the body of every error response. Huma is configured to build its
// errors as Problems too, so the OpenAPI document describes this one shape.
type Problem struct {
	Type     string         `json:"type,omitempty" doc:"A URI reference identifying the problem type; about:blank means the status code says it all."`
	Title    string         `json:"title,omitempty" doc:"A short summary of the problem type (the HTTP status text)."`
	Status   int            `json:"status,omitempty" doc:"The HTTP status code."`
	Detail   string         `json:"detail,omitempty" doc:"What went wrong with this request."`
	Instance string         `json:"instance,omitempty" doc:"A URI reference identifying this occurrence."`
	Errors   []ProblemField `json:"errors,omitempty" doc:"The fields of the request that are wrong, if any."`
	Current  any            `json:"current,omitempty" doc:"On a 409 for a stale version: the resource as it is now."`

	// headers are sent with the problem (Retry-After, WWW-Authenticate); never part of the body.
	headers http.Header
}

// ProblemField names one wrong part of the request, e.g. location "body.items[2].quantity".
type ProblemField struct {
	Location string `json:"location,omitempty" doc:"Where the problem is: body.<path>, query.<name>, path.<name> or header.<name>."`
	Message  string `json:"message" doc:"What is wrong there."`
}

// Error returns the detail, so a Problem can travel as an error.
func (p *Problem) Error() string {
	if p.Detail != "" {
		return p.Detail
	}
	return http.StatusText(p.Status)
}

// GetStatus is the HTTP status of the problem (huma.StatusError).
func (p *Problem) GetStatus() int { return p.Status }

// GetHeaders returns the headers sent with the problem (huma.HeadersError).
func (p *Problem) GetHeaders() http.Header { return p.headers }

// ContentType makes huma send problems as application/problem+json (huma.ContentTypeFilter).
func (p *Problem) ContentType(ct string) string {
	if ct == "application/json" || ct == "" {
		return ProblemContentType
	}
	return ct
}

// normalize fills the fields RFC 9457 expects from the status code.
func (p *Problem) normalize() {
	if p.Status == 0 {
		p.Status = http.StatusInternalServerError
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
		if p.Status == statusClientClosedRequest {
			p.Title = "Client Closed Request"
		}
	}
}

// statusOf maps each apperr kind to its HTTP status: this table is the only place the mapping lives.
var statusOf = map[apperr.Kind]int{
	apperr.Invalid:         http.StatusUnprocessableEntity,
	apperr.NotFound:        http.StatusNotFound,
	apperr.Conflict:        http.StatusConflict,
	apperr.Forbidden:       http.StatusForbidden,
	apperr.Unauthenticated: http.StatusUnauthorized,
	apperr.Unavailable:     http.StatusServiceUnavailable,
	apperr.TooLarge:        http.StatusRequestEntityTooLarge,
	apperr.RateLimited:     http.StatusTooManyRequests,
}

// headerCarrier is an error that carries response headers (huma.HeadersError has the same method).
type headerCarrier interface {
	GetHeaders() http.Header
}

// problemFor turns any error into the problem sent to the caller. An apperr kind gives the status and its
// message the detail; a huma error keeps its status; a body over the limit is 413; anything else is a 500
// whose cause is logged with the request id and never shown.
func problemFor(ctx context.Context, err error) *Problem {
	if ctx == nil {
		ctx = context.Background()
	}
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	if kind := apperr.KindOf(err); kind != apperr.Unknown {
		p = &Problem{Status: statusOf[kind], Detail: apperr.Message(err)}
		for _, f := range apperr.Fields(err) {
			p.Errors = append(p.Errors, ProblemField{Location: f.Field, Message: f.Message})
		}
		p.Current = apperr.CurrentOf(err)
		if kind == apperr.Unavailable {
			logFrom(ctx).LogAttrs(ctx, slog.LevelWarn, "dependency unavailable",
				slog.String("request_id", RequestID(ctx)), slog.String("error", err.Error()))
		}
	} else if se := huma.StatusError(nil); errors.As(err, &se) && se.GetStatus() < 500 {
		p = &Problem{Status: se.GetStatus(), Detail: se.Error()}
	} else if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		p = tooLarge(mbe.Limit)
	} else if errors.Is(err, context.Canceled) && ctx != nil && ctx.Err() != nil {
		p = &Problem{Status: statusClientClosedRequest, Detail: "the client closed the request"}
	} else if errors.Is(err, context.DeadlineExceeded) {
		p = &Problem{Status: http.StatusServiceUnavailable, Detail: "the request took too long; retry later"}
	} else {
		logFrom(ctx).LogAttrs(ctx, slog.LevelError, "request failed",
			slog.String("request_id", RequestID(ctx)), slog.String("error", err.Error()))
		p = internalProblem()
	}
	var hc headerCarrier
	if errors.As(err, &hc) {
		p.headers = hc.GetHeaders()
	}
	p.normalize()
	return p
}

func internalProblem() *Problem {
	p := &Problem{Status: http.StatusInternalServerError,
		Detail: "an unexpected error occurred; the X-Request-Id response header identifies it in the server log"}
	p.normalize()
	return p
}

func tooLarge(limit int64) *Problem {
	p := &Problem{Status: http.StatusRequestEntityTooLarge,
		Detail: "the request body is larger than " + strconv.FormatInt(limit, 10) + " bytes"}
	p.normalize()
	return p
}

// WriteProblem answers a chi handler's request with the problem err maps to (see problemFor), with the
// headers it carries such as Retry-After. Handlers on Server.Router use it so their errors look like the API's.
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) {
	if err == nil {
		err = errors.New("httpapi: WriteProblem called without an error")
	}
	p := problemFor(r.Context(), err)
	p.normalize()
	h := w.Header()
	for k, vs := range p.headers {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range requiredHeaders(p) {
		if h.Get(k) == "" {
			h.Set(k, v)
		}
	}
	h.Set("Content-Type", ProblemContentType)
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(p.Status)
	if r.Method == http.MethodHead {
		return
	}
	_ = json.NewEncoder(w).Encode(p)
}

var installOnce sync.Once

// installProblems makes huma build every error it reports as a Problem. huma exposes this hook only as a
// package variable, so it is set once per process; per-request state (the logger, the request id) comes
// from the request context, which keeps several Servers in one process independent.
func installProblems() {
	installOnce.Do(func() {
		huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
			return newHumaProblem(nil, status, msg, errs)
		}
		huma.NewErrorWithContext = func(hctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
			if hctx == nil {
				return newHumaProblem(nil, status, msg, errs)
			}
			se := newHumaProblem(hctx.Context(), status, msg, errs)
			if p, ok := se.(*Problem); ok {
				// Headers the error carried were already set by huma; add the ones HTTP requires.
				for k, v := range requiredHeaders(p) {
					hctx.SetHeader(k, v)
				}
			}
			return se
		}
	})
}

// requiredHeaders are the headers HTTP requires with some statuses, for problems whose error did not carry
// them: a 401 names the scheme to authenticate with, a 429 or 503 says when to retry.
func requiredHeaders(p *Problem) map[string]string {
	switch {
	case p.Status == http.StatusUnauthorized && p.headers.Get("WWW-Authenticate") == "":
		return map[string]string{"WWW-Authenticate": "Bearer"}
	case (p.Status == http.StatusTooManyRequests || p.Status == http.StatusServiceUnavailable) && p.headers.Get("Retry-After") == "":
		return map[string]string{"Retry-After": "1"}
	}
	return nil
}

// humaBodyReadFailure is the message huma uses when reading the request body fails.
const humaBodyReadFailure = "cannot read request body"

// newHumaProblem builds the Problem for an error huma reports. Huma reports a handler's error as a 500 with
// the error attached, which is where apperr kinds are mapped; a failed body read is the client's fault (a body
// over the limit, a broken connection), never a 500. Detail values huma echoes are dropped: a rejected
// field may hold a password.
func newHumaProblem(ctx context.Context, status int, msg string, errs []error) huma.StatusError {
	for _, e := range errs {
		if mbe := (*http.MaxBytesError)(nil); errors.As(e, &mbe) {
			return tooLarge(mbe.Limit)
		}
	}
	if status == http.StatusInternalServerError {
		if msg == humaBodyReadFailure {
			p := &Problem{Status: http.StatusBadRequest, Detail: "the request body could not be read"}
			p.normalize()
			return p
		}
		for _, e := range errs {
			if e != nil {
				return problemFor(ctx, e)
			}
		}
		if ctx != nil {
			logFrom(ctx).LogAttrs(ctx, slog.LevelError, "request failed",
				slog.String("request_id", RequestID(ctx)), slog.String("error", msg))
		}
		return internalProblem()
	}
	p := &Problem{Status: status, Detail: msg}
	if status < 500 {
		for _, e := range errs {
			if e == nil {
				continue
			}
			if d, ok := e.(huma.ErrorDetailer); ok {
				dd := d.ErrorDetail()
				p.Errors = append(p.Errors, ProblemField{Location: dd.Location, Message: dd.Message})
			} else {
				p.Errors = append(p.Errors, ProblemField{Message: e.Error()})
			}
		}
	}
	if status != 0 {
		p.normalize()
	}
	return p
}

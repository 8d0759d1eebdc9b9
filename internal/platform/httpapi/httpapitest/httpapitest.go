// Package httpapitest serves a module's operations on a real httpapi.Server in the module's HTTP tests and
// sends them requests in process as named principals, so that every module tests its routes through the
// same middleware, problem mapping and rbac.Guard as production. Only tests import it.
package httpapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/rbac"
)

// errUnknownToken is the error of a Bearer token no principal is registered under.
var errUnknownToken = errors.New("httpapitest: unknown token")

// Tokens is a test Authenticator: "Authorization: Bearer <name>" authenticates as the principal registered
// under name, an unknown name is invalid credentials (401), and a request without a Bearer token is
// anonymous, as the httpapi.Authenticator contract says.
type Tokens map[string]*httpapi.Principal

// Authenticate implements httpapi.Authenticator.
func (ts Tokens) Authenticate(_ context.Context, r *http.Request) (*httpapi.Principal, error) {
	name, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil, nil
	}
	p, ok := ts[name]
	if !ok {
		return nil, errUnknownToken
	}
	return p, nil
}

// NewServer returns a real httpapi.Server with cfg over d (migrated with httpapi.Migrations) for a module's
// tests: tokens authenticate, rbac.Guard authorizes, clk tells the time (nil: the system clock) and the logs
// are discarded. Register the module's operations on its API, then send requests to its Handler. It fails
// t when the server cannot be built.
func NewServer(t testing.TB, cfg httpapi.Config, d *db.DB, clk clock.Clock, tokens Tokens) *httpapi.Server {
	t.Helper()
	srv, err := httpapi.New(cfg, httpapi.Deps{Logger: slog.New(slog.DiscardHandler), DB: d, Authenticator: tokens,
		Authorizer: rbac.Guard{}, Clock: clk})
	if err != nil {
		t.Fatalf("httpapi.New: %v", err)
	}
	return srv
}

// Do sends a request to h as the principal named token ("" for none) and returns the recorded answer. A
// body goes as application/json: a []byte or a string as it is (raw JSON), anything else encoded; nil
// sends none. header are further name, value pairs, set last. Do may be called from any goroutine: a body
// that does not encode fails the test with t.Errorf and answers status 0.
func Do(t testing.TB, h http.Handler, token, method, path string, body any, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case string:
		r = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Errorf("%s %s: encode the body: %v", method, path, err)
			rec := httptest.NewRecorder()
			rec.Code = 0
			return rec
		}
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// Call is Do with the answer's body decoded as a JSON object (nil when empty). A body that is not a JSON
// object fails the test with t.Errorf (Call may run in any goroutine); the status is still returned.
func Call(t testing.TB, h http.Handler, token, method, path string, body any, header ...string) (int, map[string]any) {
	t.Helper()
	rec := Do(t, h, token, method, path, body, header...)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Errorf("%s %s: %d, body not JSON: %q", method, path, rec.Code, rec.Body.String())
		}
	}
	return rec.Code, out
}

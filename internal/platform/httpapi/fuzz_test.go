package httpapi

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzDecodeBody posts arbitrary bytes to a registered operation: whatever the body, the answer is never a
// server error (API.md: a 5xx is a bug, and bad input is never one).
func FuzzDecodeBody(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Cà phê","quantity":2}`,
		`{"name":"x","quantity":1,"tags":["a","b"],"note":{"text":"ít đá"}}`,
		`{"name":`,
		`{"name":"x","quantity":"2"}`,
		`{"name":"x","quantity":1e400}`,
		`{"name":"x","quantity":9223372036854775808}`,
		`{"name":"x","quantity":1.5}`,
		`{"name":"x","quantity":-0}`,
		`{"name":null,"quantity":null}`,
		`{"name":"x","quantity":1,"note":null}`,
		`{"name":"x","quantity":1,"note":[]}`,
		`{"name":"\ud800","quantity":1}`,
		`{"name":"x","quantity":1,"name":"y"}`,
		`[{"name":"x"}]`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		"\xef\xbb\xbf{\"name\":\"x\",\"quantity\":1}",
		"\x00",
		"",
		`null`,
		`"just a string"`,
		`{"name":"x","quantity":1}{"trailing":true}`,
	} {
		f.Add([]byte(seed))
	}
	env := newTestEnv(f, nil, Config{Limits: map[Class]Limit{ClassPublic: {}}},
		Deps{Logger: slog.New(slog.DiscardHandler)})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/things", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		env.srv.Handler().ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("body %q: status %d %s", body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && rec.Header().Get("Content-Type") != ProblemContentType {
			t.Fatalf("body %q: %d without a problem document", body, rec.Code)
		}
	})
}

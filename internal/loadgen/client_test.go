package loadgen

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// statusServer answers /status/<code> with that code and a problem body, /slow after the request is gone,
// and /echo with the request's headers of interest.
func statusServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/slow":
			<-r.Context().Done()
		case r.URL.Path == "/echo":
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"authorization":"`+r.Header.Get("Authorization")+`","key":"`+r.Header.Get("Idempotency-Key")+`"}`)
		case strings.HasPrefix(r.URL.Path, "/status/"):
			w.Header().Set("Content-Type", "application/problem+json")
			code := r.URL.Path[len("/status/"):]
			var status int
			for _, c := range code {
				status = status*10 + int(c-'0')
			}
			w.WriteHeader(status)
			_, _ = io.WriteString(w, `{"status":`+code+`,"detail":"said the server"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRequestsAreErrorsUnlessTheWorkflowExpectsTheirStatus(t *testing.T) {
	srv := statusServer(t)
	rec := NewRecorder()
	cl := newClient(srv.URL, 4, 200*time.Millisecond, rec, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	tests := []struct {
		name    string
		c       call
		failed  bool
		message string
		cause   string
	}{
		{"the wanted status", call{path: "/status/201", want: 201}, false, "", ""},
		{"a 409 the workflow resolves", call{path: "/status/409", want: 201, resolves: []int{409}}, false, "", ""},
		{"an unexpected 409", call{path: "/status/409", want: 201}, true, "409 said the server", "409"},
		{"an unexpected 422", call{path: "/status/422", want: 200}, true, "422 said the server", "422"},
		{"a 5xx", call{path: "/status/503", want: 200, resolves: []int{409}}, true, "503 said the server", "503"},
		{"a timeout", call{path: "/slow", want: 200}, true, "no answer within 200ms", "timeout"},
		{"an answer failing its check", call{path: "/status/200", want: 200, check: func() error { return errors.New("wrong change") }},
			true, "wrong change", "unexpected answer"},
		{"an answer that is not JSON", call{path: "/status/200", want: 200, out: new([]int)}, true, "not the expected JSON",
			"unexpected answer"},
	}
	for i, tt := range tests {
		tt.c.op, tt.c.method = "op"+string(rune('a'+i)), http.MethodGet
		_, err := cl.do(ctx, tt.c)
		if (err != nil) != tt.failed || (err != nil && !strings.Contains(err.Error(), tt.message)) {
			t.Errorf("%s: err %v, want failed=%v with %q", tt.name, err, tt.failed, tt.message)
		}
		o := rec.Report(time.Second, 1).Operations[tt.c.op]
		want := int64(0)
		if tt.failed {
			want = 1
		}
		if o.Count != 1 || o.Errors != want {
			t.Errorf("%s: recorded %+v, want 1 request with %d errors", tt.name, o, want)
		}
		if tt.failed && rec.Causes()[tt.c.op][tt.cause] != 1 {
			t.Errorf("%s: causes %v, want %q", tt.name, rec.Causes()[tt.c.op], tt.cause)
		}
	}
	if _, err := cl.do(ctx, call{op: "empty", method: http.MethodGet, path: "/", want: 200, out: new(map[string]any)}); err != nil {
		t.Errorf("empty 200: %v", err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	down := newClient(closed.URL, 1, time.Second, rec, slog.New(slog.DiscardHandler))
	if _, err := down.do(ctx, call{op: "down", method: http.MethodGet, path: "/", want: 200}); err == nil || rec.Causes()["down"]["transport"] != 1 {
		t.Errorf("server gone: %v, causes %v", err, rec.Causes()["down"])
	}
}

func TestAnInterruptedRequestIsNotRecorded(t *testing.T) {
	srv := statusServer(t)
	rec := NewRecorder()
	cl := newClient(srv.URL, 4, time.Minute, rec, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := cl.do(ctx, call{op: "slow", method: http.MethodGet, path: "/slow", want: 200})
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, errAborted) {
		t.Errorf("err %v, want errAborted", err)
	}
	if n := len(rec.Report(time.Second, 1).Operations); n != 0 {
		t.Errorf("%d operations recorded", n)
	}
}

func TestRequestsCarryTheSessionAnIdempotencyKeyAndHeaders(t *testing.T) {
	srv := statusServer(t)
	cl := newClient(srv.URL, 4, time.Minute, NewRecorder(), slog.New(slog.DiscardHandler))
	var out struct {
		Authorization string `json:"authorization"`
		Key           string `json:"key"`
	}
	var etag string
	sess := &session{access: "tok", expires: time.Now().Add(time.Hour)}
	if _, err := cl.do(context.Background(), call{op: "echo", method: http.MethodPost, path: "/echo", sess: sess, idem: true,
		body: map[string]int{"a": 1}, want: 200, out: &out, etag: &etag}); err != nil {
		t.Fatal(err)
	}
	if out.Authorization != "Bearer tok" || !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(out.Key) {
		t.Errorf("server saw %+v", out)
	}
	if etag != `"v1"` {
		t.Errorf("etag %q", etag)
	}
	if _, err := cl.do(context.Background(), call{op: "echo", method: http.MethodGet, path: "/echo",
		header: [][2]string{{"Authorization", "Apikey k"}}, want: 200, out: &out}); err != nil || out.Authorization != "Apikey k" || out.Key != "" {
		t.Errorf("with a header: %+v, %v", out, err)
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		header string
		want   time.Duration
	}{{"7", 7 * time.Second}, {"", 5 * time.Second}, {"0", 5 * time.Second}, {"3600", time.Minute}, {"soon", 5 * time.Second}}
	for _, tt := range tests {
		if got := retryAfter(&statusError{status: 429, retryAfter: tt.header}); got != tt.want {
			t.Errorf("Retry-After %q: %v, want %v", tt.header, got, tt.want)
		}
	}
}

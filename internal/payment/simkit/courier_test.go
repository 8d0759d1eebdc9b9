package simkit

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// attempt is the tests' record of one attempt.
type attempt struct {
	n      int
	status int
	err    string
}

// merchant answers each notification with the next status of its script (the last one repeats) and keeps
// what it received.
type merchant struct {
	mu     sync.Mutex
	script []int
	got    []*http.Request
	bodies []string
}

func (m *merchant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.got = append(m.got, r)
	m.bodies = append(m.bodies, string(b))
	status := m.script[0]
	if len(m.script) > 1 {
		m.script = m.script[1:]
	}
	w.WriteHeader(status)
}

// immediate is an After that fires at once and reports the interval asked for.
func immediate(waits chan<- time.Duration) func(time.Duration) <-chan time.Time {
	return func(d time.Duration) <-chan time.Time {
		waits <- d
		c := make(chan time.Time, 1)
		c <- time.Time{}
		return c
	}
}

// post is the SendFunc of the tests: a POST to url, acknowledged by 204.
func post(c *Courier[attempt], url string) SendFunc[attempt] {
	return func(n int) (attempt, bool) {
		status, _, err := c.Do(Request{Method: http.MethodPost, URL: url, Body: []byte(`{"n":1}`)})
		a := attempt{n: n, status: status}
		if err != nil {
			a.err = err.Error()
		}
		return a, status == http.StatusNoContent
	}
}

func wait(t *testing.T, d *Delivery[attempt]) []attempt {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := d.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return got
}

func TestCourierRetriesUntilAcknowledged(t *testing.T) {
	m := &merchant{script: []int{500, 200, 204, 500}}
	srv := httptest.NewServer(m)
	defer srv.Close()
	waits := make(chan time.Duration, 10)
	c := NewCourier[attempt](Config{Interval: 7 * time.Millisecond, DefaultInterval: time.Hour, MaxAttempts: 5,
		DefaultMaxAttempts: 1, After: immediate(waits)})
	defer c.Close()

	d := c.Start("GG-1", post(c, srv.URL))
	got := wait(t, d)
	want := []attempt{{1, 500, ""}, {2, 200, ""}, {3, 204, ""}}
	if len(got) != len(want) {
		t.Fatalf("attempts %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("attempt %d: %+v, want %+v", i+1, got[i], want[i])
		}
	}
	if n := len(waits); n != 2 {
		t.Fatalf("waited %d times between 3 attempts, want 2", n)
	}
	if w := <-waits; w != 7*time.Millisecond {
		t.Fatalf("waited %v, want the configured 7ms", w)
	}
	if c.Delivery("GG-1") != d {
		t.Fatal("Delivery does not find the started delivery")
	}
	if m.bodies[0] != `{"n":1}` || m.bodies[2] != m.bodies[0] || m.got[0].Header.Get("Content-Type") != "application/json" {
		t.Fatalf("sent %q with Content-Type %q", m.bodies, m.got[0].Header.Get("Content-Type"))
	}
}

func TestCourierGivesUpAfterMaxAttemptsWithDefaults(t *testing.T) {
	srv := httptest.NewServer(&merchant{script: []int{503}})
	defer srv.Close()
	waits := make(chan time.Duration, 10)
	c := NewCourier[attempt](Config{DefaultInterval: 3 * time.Minute, DefaultMaxAttempts: 3, After: immediate(waits)})
	defer c.Close()

	if got := wait(t, c.Start("GG-2", post(c, srv.URL))); len(got) != 3 || got[2].status != 503 {
		t.Fatalf("attempts %+v, want the default 3", got)
	}
	if w := <-waits; w != 3*time.Minute {
		t.Fatalf("waited %v, want the default 3m", w)
	}
}

func TestCloseStopsRetriesAndLaterDeliveries(t *testing.T) {
	srv := httptest.NewServer(&merchant{script: []int{500}})
	defer srv.Close()
	waiting := make(chan struct{}, 1)
	never := func(time.Duration) <-chan time.Time {
		waiting <- struct{}{}
		return make(chan time.Time) // never fires: only Close ends the wait
	}
	c := NewCourier[attempt](Config{DefaultInterval: time.Minute, DefaultMaxAttempts: 5, After: never})
	d := c.Start("GG-3", post(c, srv.URL))
	<-waiting // the first attempt is recorded and the loop waits to retry
	if c.Closed() {
		t.Fatal("Closed before Close")
	}
	c.Close()
	c.Close() // a second Close does nothing
	if !c.Closed() {
		t.Fatal("not Closed after Close")
	}
	if got := wait(t, d); len(got) != 1 {
		t.Fatalf("attempts after Close %+v, want the first only", got)
	}
	late := c.Start("GG-4", post(c, srv.URL))
	if got := wait(t, late); got != nil {
		t.Fatalf("a delivery started after Close made attempts: %+v", got)
	}
	if c.Delivery("GG-4") != late {
		t.Fatal("the late delivery is not found")
	}
}

func TestCloseAbortsAnAttemptInFlight(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		close(started)
		<-release // never answers while the courier waits
	}))
	defer srv.Close()
	defer close(release)
	c := NewCourier[attempt](Config{DefaultInterval: time.Minute, DefaultMaxAttempts: 5})
	d := c.Start("GG-5", post(c, srv.URL))
	<-started
	c.Close()
	got := d.Attempts()
	if len(got) != 1 || got[0].status != 0 || !strings.Contains(got[0].err, "context canceled") {
		t.Fatalf("attempts %+v, want one aborted by Close", got)
	}
}

func TestWaitEndsWithItsContext(t *testing.T) {
	srv := httptest.NewServer(&merchant{script: []int{500}})
	defer srv.Close()
	waiting := make(chan struct{}, 1)
	c := NewCourier[attempt](Config{DefaultInterval: time.Minute, DefaultMaxAttempts: 5, After: func(time.Duration) <-chan time.Time {
		waiting <- struct{}{}
		return make(chan time.Time)
	}})
	defer c.Close()
	d := c.Start("GG-6", post(c, srv.URL))
	<-waiting
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := d.Wait(ctx)
	if !errors.Is(err, context.Canceled) || len(got) != 1 {
		t.Fatalf("Wait with an ended context: %+v, %v", got, err)
	}
}

func TestNoDeliveryHasNoAttempts(t *testing.T) {
	c := NewCourier[attempt](Config{DefaultInterval: time.Minute, DefaultMaxAttempts: 1})
	defer c.Close()
	if d := c.Delivery("nope"); d != nil || d.Attempts() != nil {
		t.Fatalf("unknown key: %v", d)
	}
}

func TestDo(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		switch r.URL.Path {
		case "/big":
			_, _ = w.Write([]byte(strings.Repeat("x", 100<<10)))
		default:
			w.WriteHeader(http.StatusAccepted)
			_, _ = w.Write([]byte(`{"ok":true}`))
		}
	}))
	defer srv.Close()
	c := NewCourier[attempt](Config{DefaultInterval: time.Minute, DefaultMaxAttempts: 1, Timeout: 5 * time.Second})
	defer c.Close()

	status, body, err := c.Do(Request{Method: http.MethodPost, URL: srv.URL + "/ipn", Body: []byte(`{}`),
		Header: http.Header{"Authorization": {"Apikey k"}}})
	if err != nil || status != http.StatusAccepted || string(body) != `{"ok":true}` {
		t.Fatalf("POST: %d %q %v", status, body, err)
	}
	if got.Method != http.MethodPost || got.Header.Get("Authorization") != "Apikey k" || got.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request %s %v", got.Method, got.Header)
	}

	status, body, err = c.Do(Request{Method: http.MethodGet, URL: srv.URL + "/big"})
	if err != nil || status != http.StatusOK || len(body) != 64<<10 {
		t.Fatalf("GET of a large answer: %d, %d bytes, %v; want 64 KiB read", status, len(body), err)
	}
	if got.Header.Get("Content-Type") != "" {
		t.Fatalf("a request without a body has Content-Type %q", got.Header.Get("Content-Type"))
	}

	for name, url := range map[string]string{"bad URL": "://nope", "nobody listening": "http://127.0.0.1:1/ipn"} {
		if status, _, err := c.Do(Request{Method: http.MethodGet, URL: url}); status != 0 || err == nil {
			t.Errorf("%s: %d %v, want status 0 and an error", name, status, err)
		}
	}
}

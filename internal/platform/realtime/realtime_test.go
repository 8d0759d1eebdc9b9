package realtime_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/events/bustest"
	"github.com/goodgo/goodgo/internal/platform/events/natsbus"
	"github.com/goodgo/goodgo/internal/platform/realtime"
)

// sseEvent is one parsed SSE message.
type sseEvent struct{ event, id, data string }

// sseClient reads one stream.
type sseClient struct {
	events   chan sseEvent // closed at the end of the stream
	comments chan string
	cancel   context.CancelFunc
}

// connect opens a stream and waits until the hub has registered it (its ": connected" comment).
func connect(t testing.TB, url string, header http.Header) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("connect %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		t.Fatalf("connect %s: %s %q", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	c := &sseClient{events: make(chan sseEvent, 4096), comments: make(chan string, 64), cancel: cancel}
	connected := make(chan struct{})
	go func() {
		defer resp.Body.Close()
		defer close(c.events)
		parse(resp.Body, func(ev sseEvent) { c.events <- ev }, func(comment string) {
			if comment == "connected" {
				close(connected)
			}
			select {
			case c.comments <- comment:
			default:
			}
		})
	}()
	t.Cleanup(cancel)
	select {
	case <-connected:
	case <-time.After(bustest.Timeout):
		t.Fatalf("stream %s not registered", url)
	}
	return c
}

// parse reads SSE messages and comments from r until it ends.
func parse(r interface{ Read([]byte) (int, error) }, onEvent func(sseEvent), onComment func(string)) {
	sc := bufio.NewScanner(r)
	var cur sseEvent
	var has bool
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if has {
				onEvent(cur)
			}
			cur, has = sseEvent{}, false
		case strings.HasPrefix(line, ":"):
			onComment(strings.TrimSpace(line[1:]))
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				cur.event, has = value, true
			case "id":
				cur.id, has = value, true
			case "data":
				cur.data, has = value, true
			}
		}
	}
}

func (c *sseClient) next(t testing.TB) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-c.events:
		if !ok {
			t.Fatalf("stream ended")
		}
		return ev
	case <-time.After(bustest.Timeout):
		t.Fatalf("no event")
	}
	return sseEvent{}
}

// ids reads n events and returns their ids.
func (c *sseClient) ids(t testing.TB, n int) []string {
	t.Helper()
	var out []string
	for range n {
		out = append(out, c.next(t).id)
	}
	return out
}

func (c *sseClient) waitEnd(t testing.TB) {
	t.Helper()
	deadline := time.After(bustest.Timeout)
	for {
		select {
		case _, ok := <-c.events:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("stream did not end")
		}
	}
}

// testHub starts a hub on bus and an HTTP server for it; it returns the stream URL of shop s1.
func testHub(t testing.TB, bus realtime.Listener, opts realtime.Options) (*realtime.Hub, string) {
	t.Helper()
	hub := realtime.NewHub(bus, nil, opts)
	if err := hub.Start(context.Background()); err != nil {
		t.Fatalf("start hub: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /shops/{shop}/events", func(w http.ResponseWriter, r *http.Request) {
		hub.ServeShop(w, r, r.PathValue("shop"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		_ = hub.Close()
		srv.Close()
	})
	return hub, srv.URL + "/shops/s1/events"
}

func memoryBus(t testing.TB) *events.Memory {
	m := events.NewMemory()
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func shopEvent(seq int64, subject string) events.Event {
	return events.Event{
		ID:         db.NewID(),
		Seq:        seq,
		Type:       "order.updated",
		Subject:    subject,
		MerchantID: "m1",
		OccurredAt: time.Now().UTC(),
		Data:       json.RawMessage(fmt.Sprintf("{\n  \"seq\": %d\n}", seq)),
	}
}

func publish(t testing.TB, bus events.Bus, evs ...events.Event) {
	t.Helper()
	for _, ev := range evs {
		if err := bus.Publish(context.Background(), ev); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
}

func TestStreamFormat(t *testing.T) {
	bus := memoryBus(t)
	_, url := testHub(t, bus, realtime.Options{})
	c := connect(t, url, nil)
	ev := shopEvent(41, "shop.s1.orders")
	ev.Type = "ticket.status_changed"
	publish(t, bus, ev)
	got := c.next(t)
	want := sseEvent{event: "ticket.status_changed", id: "41", data: `{"seq":41}`}
	if got != want {
		t.Errorf("got %+v, want %+v (data compacted to one line)", got, want)
	}
}

func TestTopicsFilter(t *testing.T) {
	bus := memoryBus(t)
	_, url := testHub(t, bus, realtime.Options{})
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"1", "2", "3", "4"}},
		{"?topics=orders", []string{"1"}},
		{"?topics=orders,kitchen.bar", []string{"1", "2"}},
		{"?topics=kitchen", []string{"2", "3"}},
		{"?topics=tables,%20chat", []string{"4"}},
	}
	clients := make([]*sseClient, len(tests))
	for i, tt := range tests {
		clients[i] = connect(t, url+tt.query, nil)
	}
	publish(t, bus,
		shopEvent(1, "shop.s1.orders"),
		shopEvent(2, "shop.s1.kitchen.bar"),
		shopEvent(3, "shop.s1.kitchen.grill"),
		shopEvent(4, "shop.s1.tables"),
		shopEvent(5, "shop.s2.orders"), // another shop's
		shopEvent(6, "shop.s2.tables"),
		shopEvent(7, "order.events"), // not a shop channel
	)
	// Sentinels every filter takes one of: once a client gets one, everything before it has arrived.
	publish(t, bus, shopEvent(100, "shop.s1.orders"), shopEvent(101, "shop.s1.kitchen.bar"), shopEvent(102, "shop.s1.tables"))
	for i, tt := range tests {
		var got []string
		for {
			ev := clients[i].next(t)
			if len(ev.id) == 3 {
				break
			}
			got = append(got, ev.id)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("topics %q: got ids %v, want %v", tt.query, got, tt.want)
		}
	}
}

func TestBadRequests(t *testing.T) {
	bus := memoryBus(t)
	_, url := testHub(t, bus, realtime.Options{})
	base := strings.TrimSuffix(url, "/shops/s1/events")
	for _, path := range []string{"/shops/s1/events?topics=a..b", "/shops/s.1/events", "/shops/s1/events?topics=*"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %s, want 400", path, resp.Status)
		}
	}
}

func TestLastEventIDResume(t *testing.T) {
	bus := memoryBus(t)
	_, url := testHub(t, bus, realtime.Options{BufferSize: 4})
	observer := connect(t, url, nil)
	for i := int64(1); i <= 10; i++ {
		subject := "shop.s1.orders"
		if i%2 == 0 {
			subject = "shop.s1.kitchen.bar"
		}
		publish(t, bus, shopEvent(i, subject))
	}
	observer.ids(t, 10) // the hub has them all; its ring holds 7, 8, 9, 10

	tests := []struct {
		name   string
		url    string
		header string
		want   []string // ids before the live event 11
		reset  bool
	}{
		{"header within the ring", url, "8", []string{"9", "10"}, false},
		{"query parameter", url + "?last_event_id=7", "", []string{"8", "9", "10"}, false},
		{"newest: nothing missed", url, "10", nil, false},
		{"with topics", url + "?topics=kitchen", "7", []string{"8", "10"}, false},
		{"older than the ring", url, "3", []string{"10"}, true},
		{"unknown id", url, "bogus", []string{"10"}, true},
	}
	clients := make([]*sseClient, len(tests))
	for i, tt := range tests {
		var h http.Header
		if tt.header != "" {
			h = http.Header{"Last-Event-Id": {tt.header}}
		}
		clients[i] = connect(t, tt.url, h)
	}
	publish(t, bus, shopEvent(11, "shop.s1.kitchen.bar"))
	for i, tt := range tests {
		var got []string
		sawReset := false
		for {
			ev := clients[i].next(t)
			if ev.event == "reset" {
				sawReset = true
			}
			if ev.id == "11" {
				break
			}
			got = append(got, ev.id)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") || sawReset != tt.reset {
			t.Errorf("%s: got %v (reset %v), want %v (reset %v)", tt.name, got, sawReset, tt.want, tt.reset)
		}
	}
}

func TestResetWithEmptyRingClearsTheID(t *testing.T) {
	bus := memoryBus(t)
	_, url := testHub(t, bus, realtime.Options{})
	c := connect(t, url, http.Header{"Last-Event-Id": {"99"}})
	if got := c.next(t); got.event != "reset" || got.id != "" {
		t.Errorf("got %+v, want a reset with an empty id", got)
	}
}

func TestHeartbeat(t *testing.T) {
	bus := memoryBus(t)
	_, url := testHub(t, bus, realtime.Options{Heartbeat: 20 * time.Millisecond})
	c := connect(t, url, nil)
	pings := 0
	deadline := time.After(bustest.Timeout)
	for pings < 3 {
		select {
		case comment := <-c.comments:
			if comment == "ping" {
				pings++
			}
		case <-deadline:
			t.Fatalf("got %d pings, want 3", pings)
		}
	}
}

// stuckWriter is a client whose connection does not take data until released.
type stuckWriter struct {
	header  http.Header
	started chan struct{}
	release chan struct{}
	once    sync.Once
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (w *stuckWriter) Header() http.Header { return w.header }
func (w *stuckWriter) WriteHeader(int)     {}
func (w *stuckWriter) Flush()              {}
func (w *stuckWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.started) })
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func TestSlowClientDoesNotBlockOthers(t *testing.T) {
	bus := memoryBus(t)
	hub, url := testHub(t, bus, realtime.Options{ClientQueue: 4})

	slow := &stuckWriter{header: http.Header{}, started: make(chan struct{}), release: make(chan struct{})}
	slowDone := make(chan struct{})
	go func() {
		defer close(slowDone)
		hub.ServeShop(slow, httptest.NewRequest(http.MethodGet, "/shops/s1/events", nil), "s1")
	}()
	<-slow.started // registered, stuck in its first write
	fast := connect(t, url, nil)

	// One event at a time, each taken by the fast client before the next: only the stuck one falls behind.
	const n = 50
	for i := int64(1); i <= n; i++ {
		publish(t, bus, shopEvent(i, "shop.s1.orders"))
		if got := fast.next(t).id; got != fmt.Sprint(i) {
			t.Fatalf("fast client got event %s, want %d", got, i)
		}
	}
	if got := hub.Stats().SlowDisconnects; got != 1 {
		t.Errorf("slow disconnects = %d, want 1", got)
	}
	close(slow.release)
	select {
	case <-slowDone:
	case <-time.After(bustest.Timeout):
		t.Fatalf("slow client's stream was not ended")
	}
	slow.mu.Lock()
	defer slow.mu.Unlock()
	if got := strings.Count(slow.buf.String(), "event: "); got >= n {
		t.Errorf("slow client got all %d events; it should have been cut off", got)
	}
}

func TestDisconnectAndCloseCleanUp(t *testing.T) {
	bus := memoryBus(t)
	hub, url := testHub(t, bus, realtime.Options{})
	a := connect(t, url, nil)
	b := connect(t, url, nil)
	if got := hub.Stats().Clients; got != 2 {
		t.Fatalf("clients = %d, want 2", got)
	}
	a.cancel()
	deadline := time.NewTimer(bustest.Timeout)
	defer deadline.Stop()
	tick := time.NewTicker(2 * time.Millisecond) // the gauge has no notification: poll it
	defer tick.Stop()
	for hub.Stats().Clients != 1 {
		select {
		case <-deadline.C:
			t.Fatalf("clients = %d after a disconnect, want 1", hub.Stats().Clients)
		case <-tick.C:
		}
	}
	if err := hub.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	b.waitEnd(t)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("stream after Close: %s, want 503", resp.Status)
	}
}

func TestDuplicateDeliveryIsSentOnce(t *testing.T) {
	m := memoryBus(t)
	// A bus that hands every event to the hub twice, as a republish seen by a core subscription would.
	_, url := testHub(t, doubling{m}, realtime.Options{})
	c := connect(t, url, nil)
	publish(t, m, shopEvent(1, "shop.s1.orders"), shopEvent(2, "shop.s1.orders"))
	if got := c.ids(t, 2); strings.Join(got, ",") != "1,2" {
		t.Errorf("got %v, want [1 2]", got)
	}
}

type doubling struct{ *events.Memory }

func (d doubling) Listen(ctx context.Context, subjects []string, h func(events.Event)) (events.Subscription, error) {
	return d.Memory.Listen(ctx, subjects, func(ev events.Event) { h(ev); h(ev) })
}

// TestTwoHubsOnOneBusBothDeliver runs two replicas' hubs on one NATS server: an event published by one
// replica reaches the clients of both.
func TestTwoHubsOnOneBusBothDeliver(t *testing.T) {
	srv, err := natsbus.StartEmbedded(t.TempDir(), nil)
	if err != nil {
		t.Fatalf("start nats: %v", err)
	}
	t.Cleanup(srv.Stop)
	var urls []string
	var buses []*natsbus.Bus
	for range 2 {
		bus, err := srv.Connect(context.Background(), nil, natsbus.Options{})
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		t.Cleanup(func() { _ = bus.Close() })
		_, url := testHub(t, bus, realtime.Options{})
		urls = append(urls, url)
		buses = append(buses, bus)
	}
	a, b := connect(t, urls[0], nil), connect(t, urls[1], nil)
	publish(t, buses[0], shopEvent(1, "shop.s1.orders"))
	publish(t, buses[1], shopEvent(2, "shop.s1.tables"))
	for name, c := range map[string]*sseClient{"replica 1": a, "replica 2": b} {
		if got := c.ids(t, 2); strings.Join(got, ",") != "1,2" {
			t.Errorf("%s's client got %v, want [1 2]", name, got)
		}
	}
}

package loadgen

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMatcherPairsTicketsWhicheverSideComesFirst(t *testing.T) {
	rec := NewRecorder()
	m := newMatcher(rec)
	t0 := time.Now()
	// The usual order: the submit's answer, then the event.
	m.submitted("a", t0)
	m.arrived("a", t0.Add(40*time.Millisecond))
	// The event read before the submit's answer was.
	m.arrived("b", t0.Add(90*time.Millisecond))
	m.submitted("b", t0.Add(10*time.Millisecond))
	// A replayed event after a reconnect changes nothing.
	m.arrived("a", t0.Add(time.Second))
	if w := m.waiting(); w != 0 {
		t.Errorf("%d tickets waiting", w)
	}
	rep := rec.Report(time.Second, 1)
	if ev := rep.Operations[OpTicketEvent]; ev.Count != 2 || ev.Errors != 0 {
		t.Errorf("ticket events %+v, want 2 matched", ev)
	}
	if k := rep.KitchenEventLatencyMS; k.P50 < 39.6 || k.P50 > 40.4 || k.P99 < 79.4 || k.P99 > 80.6 {
		t.Errorf("latency %+v, want p50 40 ms and p99 80 ms", k)
	}

	// The replay of "a" waits as an unclaimed event; a ticket whose event never comes is missed.
	m.submitted("c", t0)
	if w := m.waiting(); w != 1 {
		t.Errorf("%d tickets waiting, want c", w)
	}
	m.sweep(t0.Add(ticketEventWait-time.Millisecond), ticketEventWait)
	if w := m.waiting(); w != 1 {
		t.Errorf("swept before its time: %d waiting", w)
	}
	m.sweep(t0.Add(2*ticketEventWait), ticketEventWait)
	if len(m.pending) != 0 {
		t.Errorf("left after the sweep: %v", m.pending)
	}
	if ev := rec.Report(time.Second, 1).Operations[OpTicketEvent]; ev.Count != 3 || ev.Errors != 1 {
		t.Errorf("ticket events %+v, want 3 of which 1 missed", ev)
	}
}

func TestDisplayReadsTicketEventsFromTheStream(t *testing.T) {
	rec := NewRecorder()
	e := &env{kitchen: newMatcher(rec)}
	e.kitchen.submitted("t1", time.Now())
	long := strings.Repeat("x", 100<<10)
	stream := ": connected\n\nretry: 2000\n\n" +
		"event: ticket.created\nid: 7\ndata: {\"id\":\"t1\",\"order_id\":\"o1\",\"station\":\"kitchen\"}\n\n" +
		"event: ticket.status_changed\nid: 8\ndata: {\"id\":\"t1\",\"status\":\"preparing\"}\n\n" +
		": ping\n\n" +
		"event: ticket.created\r\nid: 9\r\ndata: {\"id\":\"t2\",\"note\":\"" + long + "\"}\r\n\r\n" +
		"event: ticket.created\nid: 10\ndata: not json\n\n"
	queue := make(chan queuedTicket, 10)
	var lastID string
	err := (&display{}).read(bufio.NewReaderSize(strings.NewReader(stream), 4096), e, queue, &lastID)
	if !errors.Is(err, io.EOF) {
		t.Errorf("read ended with %v, want EOF", err)
	}
	close(queue)
	var got []string
	for q := range queue {
		got = append(got, q.id)
	}
	if strings.Join(got, ",") != "t1,t2" {
		t.Errorf("the cook got %v, want the two new tickets", got)
	}
	if lastID != "10" {
		t.Errorf("last event id %q", lastID)
	}
	if ev := rec.Report(time.Second, 1).Operations[OpTicketEvent]; ev.Count != 1 {
		t.Errorf("matched %+v, want t1", ev)
	}
	if e.kitchen.waiting() != 0 || len(e.kitchen.pending) != 1 {
		t.Errorf("pending %v, want only t2's unclaimed event", e.kitchen.pending)
	}
}

func TestDisplayCountsTicketsItsCookHasNoRoomFor(t *testing.T) {
	e := &env{kitchen: newMatcher(NewRecorder())}
	stream := "event: ticket.created\ndata: {\"id\":\"a\"}\n\nevent: ticket.created\ndata: {\"id\":\"b\"}\n\n"
	queue := make(chan queuedTicket, 1)
	var lastID string
	_ = (&display{}).read(bufio.NewReader(strings.NewReader(stream)), e, queue, &lastID)
	if n := e.unbumped.Load(); n != 1 || len(queue) != 1 {
		t.Errorf("unbumped %d, queued %d; want 1 and 1", n, len(queue))
	}
}

func TestDisplayReconnectsWhereItLeftOffWhenItsStreamEnds(t *testing.T) {
	var mu sync.Mutex
	var seen []string // Authorization and Last-Event-ID of each connection
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.RawQuery+" "+r.Header.Get("Authorization")+" last="+r.Header.Get("Last-Event-ID"))
		n := len(seen)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		if n == 1 {
			_, _ = io.WriteString(w, "event: ticket.created\nid: 5\ndata: {\"id\":\"a\"}\n\n")
			return // the stream drops
		}
		_, _ = io.WriteString(w, "event: ticket.created\nid: 6\ndata: {\"id\":\"b\"}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	rec := NewRecorder()
	e := &env{cl: newClient(srv.URL, 2, 5*time.Second, rec, slog.New(slog.DiscardHandler)), kitchen: newMatcher(rec)}
	d := &display{shop: &shop{id: "s1"}, station: "bar", sess: &session{access: "cook", expires: time.Now().Add(time.Hour)}}
	ctx, cancel := context.WithCancel(context.Background())
	queue := make(chan queuedTicket, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.watch(ctx, e, queue, func() {})
	}()
	var got []string
	for len(got) < 2 {
		select {
		case q := <-queue:
			got = append(got, q.id)
		case <-time.After(10 * time.Second):
			t.Fatalf("the display got %v", got)
		}
	}
	cancel()
	<-done
	want := []string{"topics=kitchen.bar Bearer cook last=", "topics=kitchen.bar Bearer cook last=5"}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, ",") != "a,b" || !slices.Equal(seen, want) {
		t.Errorf("tickets %v, connections %q", got, seen)
	}
	c := rec.Report(time.Second, 1).Operations[OpKDSConnect]
	if c.Count != 2 || c.Errors != 1 || rec.Causes()[OpKDSConnect]["stream ended"] != 1 {
		t.Errorf("%s: %+v, causes %v; want 2 connections and the drop as an error", OpKDSConnect, c, rec.Causes())
	}
}

func TestDisplayThatMayNotWatchTheShopRecordsTheRefusal(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"status":403,"detail":"not your shop"}`)
	}))
	t.Cleanup(srv.Close)
	rec := NewRecorder()
	e := &env{cl: newClient(srv.URL, 2, 5*time.Second, rec, slog.New(slog.DiscardHandler)), kitchen: newMatcher(rec)}
	d := &display{shop: &shop{id: "s1"}, station: "kitchen", sess: &session{access: "x", expires: time.Now().Add(time.Hour)}}
	_, err := d.connect(context.Background(), e, "")
	if statusOf(err) != http.StatusForbidden || !strings.Contains(err.Error(), "not your shop") {
		t.Errorf("err %v", err)
	}
	if c := rec.Report(time.Second, 1).Operations[OpKDSConnect]; c.Count != 1 || c.Errors != 1 {
		t.Errorf("%+v", c)
	}
}

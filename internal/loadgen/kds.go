package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// matcher pairs the tickets that submits created with their ticket.created events on the kitchen displays.
// Whichever of the two is seen second completes the pair and records the latency: the event can be read
// before the submit's answer is.
type matcher struct {
	mu      sync.Mutex
	pending map[string]pendingTicket
	rec     *Recorder
}

type pendingTicket struct {
	submitted time.Time // start of the submit request; zero until its answer was read
	arrived   time.Time // when a display read the event; zero until then
}

func newMatcher(rec *Recorder) *matcher {
	return &matcher{pending: map[string]pendingTicket{}, rec: rec}
}

// submitted notes that the submit which started at start created ticket id.
func (m *matcher) submitted(id string, start time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.pending[id]
	switch {
	case ok && !p.arrived.IsZero():
		delete(m.pending, id)
		m.rec.KitchenEvent(p.arrived.Sub(start))
	case !ok:
		m.pending[id] = pendingTicket{submitted: start}
	}
}

// arrived notes that a display read the event of ticket id at at. A replayed event is ignored.
func (m *matcher) arrived(id string, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.pending[id]
	switch {
	case ok && !p.submitted.IsZero():
		delete(m.pending, id)
		m.rec.KitchenEvent(at.Sub(p.submitted))
	case !ok:
		m.pending[id] = pendingTicket{arrived: at}
	}
}

// sweep ends the waits older than maxWait at now: a submitted ticket whose event has not come is missed
// (an error); an event nobody submitted (a replay after a reconnect, a ticket of an abandoned workflow) is
// forgotten. It keeps the matcher's memory bounded.
func (m *matcher) sweep(now time.Time, maxWait time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, p := range m.pending {
		switch {
		case p.arrived.IsZero() && now.Sub(p.submitted) >= maxWait:
			delete(m.pending, id)
			m.rec.KitchenEventMissed()
		case p.submitted.IsZero() && now.Sub(p.arrived) >= maxWait:
			delete(m.pending, id)
		}
	}
}

// waiting returns how many submitted tickets still wait for their event.
func (m *matcher) waiting() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, p := range m.pending {
		if p.arrived.IsZero() {
			n++
		}
	}
	return n
}

// ticketEventWait is how long a submitted ticket's event may take before it counts as missed.
const ticketEventWait = 30 * time.Second

// bumpQueue is how many tickets may wait for a display's cook; more are left unbumped (and counted).
const bumpQueue = 1024

// queuedTicket is a ticket waiting for the cook.
type queuedTicket struct {
	id string
	at time.Time
}

// watch keeps d's SSE stream of its station open until ctx ends, reconnecting (with Last-Event-ID) when it
// drops, and hands every new ticket to the matcher and to the cook's queue. connected is called once, after
// the first attempt to connect.
func (d *display) watch(ctx context.Context, e *env, queue chan<- queuedTicket, connected func()) {
	var lastID string
	first := true
	for ctx.Err() == nil {
		body, err := d.connect(ctx, e, lastID)
		if first {
			connected()
			first = false
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		err = d.read(body.Reader, e, queue, &lastID)
		body.Close()
		if ctx.Err() != nil {
			return
		}
		// The stream ended while the run needed it: the display was blind until it reconnects.
		e.cl.rec.Failed(OpKDSConnect, "stream ended")
		e.cl.logError(OpKDSConnect, fmt.Errorf("the %s stream of shop %s ended: %v", d.station, d.shop.id, err))
	}
}

// connect opens the stream (operation kds.connect, timed to the answer's headers).
func (d *display) connect(ctx context.Context, e *env, lastID string) (*stream, error) {
	if err := e.cl.authorize(ctx, d.sess); err != nil {
		return nil, err
	}
	path := "/api/v1/shops/" + d.shop.id + "/events?topics=" + url.QueryEscape("kitchen."+d.station)
	// The stream has no deadline, its headers do.
	sctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, e.cl.base+path, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+d.sess.bearer())
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	headers := time.AfterFunc(e.cl.timeout, cancel)
	start := time.Now()
	res, err := e.cl.hc.Do(req)
	elapsed := time.Since(start)
	if !headers.Stop() { // the headers took too long
		if err == nil {
			res.Body.Close()
		}
		err = fmt.Errorf("%w within %s", errTimeout, e.cl.timeout)
	}
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			return nil, errAborted
		}
		err = fmt.Errorf("GET %s: %w", path, err)
		e.cl.rec.Request(OpKDSConnect, elapsed, causeOf(err))
		e.cl.logError(OpKDSConnect, err)
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		res.Body.Close()
		cancel()
		err = &statusError{method: http.MethodGet, path: path, status: res.StatusCode, detail: problemDetail(raw)}
		e.cl.rec.Request(OpKDSConnect, elapsed, causeOf(err))
		e.cl.logError(OpKDSConnect, err)
		return nil, err
	}
	e.cl.rec.Request(OpKDSConnect, elapsed, "")
	return &stream{Reader: bufio.NewReaderSize(res.Body, 64<<10), close: func() { res.Body.Close(); cancel() }}, nil
}

// stream is an open SSE stream, buffered.
type stream struct {
	*bufio.Reader
	close func()
}

// Close ends the stream.
func (s *stream) Close() { s.close() }

// read reads events until the stream ends: each ticket.created goes to the matcher, then to the cook.
func (d *display) read(r *bufio.Reader, e *env, queue chan<- queuedTicket, lastID *string) error {
	var event string
	var data []byte
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: gather it whole.
			long := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = r.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0: // end of one event
			if event == "ticket.created" && len(data) > 0 {
				at := time.Now()
				var t struct {
					ID string `json:"id"`
				}
				if json.Unmarshal(data, &t) == nil && t.ID != "" {
					e.kitchen.arrived(t.ID, at)
					select {
					case queue <- queuedTicket{id: t.ID, at: at}:
					default:
						e.unbumped.Add(1)
					}
				}
			}
			event, data = "", data[:0]
		case bytes.HasPrefix(line, []byte("event:")):
			event = string(bytes.TrimSpace(line[len("event:"):]))
		case bytes.HasPrefix(line, []byte("data:")):
			data = append(data, bytes.TrimSpace(line[len("data:"):])...)
		case bytes.HasPrefix(line, []byte("id:")):
			*lastID = string(bytes.TrimSpace(line[len("id:"):]))
		}
	}
}

// cook moves the display's tickets along as a cook would: after a preparation time drawn like a terminal's
// pause, start it (new → preparing), and after another, mark it ready. It stops when ctx ends.
func (d *display) cook(ctx context.Context, e *env, rng *rand.Rand, queue <-chan queuedTicket) {
	timer := time.NewTimer(0)
	<-timer.C
	wait := func(until time.Time) bool {
		d := time.Until(until)
		if d <= 0 {
			return ctx.Err() == nil
		}
		timer.Reset(d)
		select {
		case <-ctx.Done():
			timer.Stop()
			return false
		case <-timer.C:
			return true
		}
	}
	for {
		var q queuedTicket
		select {
		case <-ctx.Done():
			return
		case q = <-queue:
		}
		next := q.at
		for range 2 {
			next = next.Add(e.think.Pick(rng))
			if !wait(next) {
				return
			}
			if _, err := e.cl.do(e.hard, call{op: OpKDSBump, method: http.MethodPost, sess: d.sess, idem: true,
				path: "/api/v1/kitchen/tickets/" + q.id + "/bump", want: http.StatusOK}); err != nil {
				break
			}
			next = time.Now()
		}
	}
}

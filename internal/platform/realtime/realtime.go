// Package realtime pushes a shop's events to its screens (POS, kitchen display, floor plan) as
// Server-Sent Events.
//
// Every replica runs one Hub. The hub listens on the bus for "shop.>" events, so each replica sees every
// shop event whichever replica's relay published it, and pushes them to the clients connected to it. Per
// shop it keeps a bounded ring of recent events: a client that reconnects with Last-Event-ID gets what it
// missed, or an "event: reset" telling it to fetch the state again when that is no longer in the ring.
// Clients have bounded queues; one that falls behind is disconnected (it reconnects and resumes) so it can
// never hold up the bus or the other clients.
//
// Stream format, per event: "event: <type>", "id: <outbox seq>", "data: <event data as one-line JSON>".
// Comments (": ping") keep idle connections open through proxies.
package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goodgo/goodgo/internal/platform/events"
)

// Listener is what the hub needs of an events.Bus.
type Listener interface {
	Listen(ctx context.Context, subjects []string, h func(events.Event)) (events.Subscription, error)
}

// Options tunes a Hub. Zero fields take the defaults shown.
type Options struct {
	// Heartbeat is the interval of keep-alive comments on an idle stream (15 s).
	Heartbeat time.Duration
	// BufferSize is how many recent events are kept per shop for Last-Event-ID resume (512).
	BufferSize int
	// ClientQueue is how many events may wait for a slow client before it is disconnected (128).
	ClientQueue int
	// WriteTimeout bounds one write to a client (10 s); it also overrides the server's WriteTimeout for
	// the stream.
	WriteTimeout time.Duration
	// Retry is the reconnection delay suggested to browsers (2 s).
	Retry time.Duration
	// IdleShopTTL is how long the ring of a shop with no clients and no events is kept (15 min).
	IdleShopTTL time.Duration
}

func (o Options) withDefaults() Options {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Heartbeat, 15*time.Second)
	def(&o.WriteTimeout, 10*time.Second)
	def(&o.Retry, 2*time.Second)
	def(&o.IdleShopTTL, 15*time.Minute)
	if o.BufferSize <= 0 {
		o.BufferSize = 512
	}
	if o.ClientQueue <= 0 {
		o.ClientQueue = 128
	}
	return o
}

// Hub fans shop events out to SSE clients.
type Hub struct {
	bus  Listener
	log  *slog.Logger
	opts Options

	mu     sync.Mutex
	shops  map[string]*shop
	sub    events.Subscription
	closed bool
	done   chan struct{} // closed by Close: every stream ends

	clients         atomic.Int64
	delivered       atomic.Uint64
	slowDisconnects atomic.Uint64
}

// NewHub returns a hub fed by bus (an events.Bus). Call Start to begin listening.
func NewHub(bus Listener, log *slog.Logger, opts Options) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Hub{
		bus:   bus,
		log:   log.With("component", "realtime"),
		opts:  opts.withDefaults(),
		shops: map[string]*shop{},
		done:  make(chan struct{}),
	}
}

// Start listens on the bus for every shop event. The hub runs until Close, or until ctx ends.
func (h *Hub) Start(ctx context.Context) error {
	sub, err := h.bus.Listen(ctx, []string{"shop.>"}, h.dispatch)
	if err != nil {
		return err
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		_ = sub.Close()
		return errors.New("realtime hub closed")
	}
	h.sub = sub
	h.mu.Unlock()
	context.AfterFunc(ctx, func() { _ = h.Close() })
	go h.evictIdleShops()
	return nil
}

// Close ends every stream and stops listening.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	sub := h.sub
	close(h.done)
	h.mu.Unlock()
	if sub != nil {
		return sub.Close()
	}
	return nil
}

// Stats are the hub's gauges and counters, for metrics.
type Stats struct {
	// Clients is the number of open streams.
	Clients int64
	// Shops is the number of shops with a ring of recent events.
	Shops int
	// Events counts events taken from the bus.
	Events uint64
	// SlowDisconnects counts clients disconnected for falling behind.
	SlowDisconnects uint64
}

// Stats returns the hub's gauges and counters.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	shops := len(h.shops)
	h.mu.Unlock()
	return Stats{
		Clients:         h.clients.Load(),
		Shops:           shops,
		Events:          h.delivered.Load(),
		SlowDisconnects: h.slowDisconnects.Load(),
	}
}

// frame is one event, encoded once for every client.
type frame struct {
	id    string // event id, for dropping duplicates
	seq   int64
	topic string // subject after "shop.<id>."
	sse   []byte
}

// shop is the state of one shop's streams.
type shop struct {
	mu         sync.Mutex
	ring       []*frame // oldest first, at most BufferSize
	ids        map[string]bool
	clients    map[*client]bool
	lastActive time.Time
}

// client is one open stream.
type client struct {
	topics []string // empty: every topic
	queue  chan *frame
	kicked chan struct{} // closed when the client fell behind
	once   sync.Once
}

func (c *client) kick() bool {
	kicked := false
	c.once.Do(func() {
		close(c.kicked)
		kicked = true
	})
	return kicked
}

func (c *client) wants(topic string) bool {
	if len(c.topics) == 0 {
		return true
	}
	for _, t := range c.topics {
		if topic == t || strings.HasPrefix(topic, t) && topic[len(t)] == '.' {
			return true
		}
	}
	return false
}

// lockShop returns the state of shop id, created if needed, locked: while it is held the shop cannot be
// evicted.
func (h *Hub) lockShop(id string) *shop {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.shops[id]
	if s == nil {
		s = &shop{ids: map[string]bool{}, clients: map[*client]bool{}}
		h.shops[id] = s
	}
	s.mu.Lock()
	s.lastActive = time.Now()
	return s
}

// splitSubject returns the shop and topic of "shop.<id>.<topic…>".
func splitSubject(subject string) (shopID, topic string, ok bool) {
	rest, ok := strings.CutPrefix(subject, "shop.")
	if !ok {
		return "", "", false
	}
	shopID, topic, ok = strings.Cut(rest, ".")
	return shopID, topic, ok && shopID != "" && topic != ""
}

// dispatch takes one event from the bus: it never blocks on a client.
func (h *Hub) dispatch(ev events.Event) {
	shopID, topic, ok := splitSubject(ev.Subject)
	if !ok {
		return
	}
	f := &frame{id: ev.ID, seq: ev.Seq, topic: topic, sse: encode(ev)}
	s := h.lockShop(shopID)
	defer s.mu.Unlock()
	if s.ids[f.id] {
		return // republished: already sent
	}
	h.delivered.Add(1)
	if len(s.ring) == h.opts.BufferSize {
		delete(s.ids, s.ring[0].id)
		s.ring[0] = nil
		s.ring = s.ring[1:]
	}
	s.ring = append(s.ring, f)
	s.ids[f.id] = true
	for c := range s.clients {
		if !c.wants(topic) {
			continue
		}
		select {
		case c.queue <- f:
		default:
			if c.kick() {
				h.slowDisconnects.Add(1)
			}
		}
	}
}

// encode renders ev as an SSE message. Data is compacted to one line; the type cannot break the framing.
func encode(ev events.Event) []byte {
	var data bytes.Buffer
	if len(ev.Data) == 0 || json.Compact(&data, ev.Data) != nil {
		data.Reset()
		data.WriteString("null")
	}
	typ := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, ev.Type)
	var b bytes.Buffer
	b.Grow(len(typ) + data.Len() + 40)
	b.WriteString("event: ")
	b.WriteString(typ)
	b.WriteString("\nid: ")
	b.WriteString(strconv.FormatInt(ev.Seq, 10))
	b.WriteString("\ndata: ")
	b.Write(data.Bytes())
	b.WriteString("\n\n")
	return b.Bytes()
}

// resetFrame tells a client that what it missed is gone: fetch the state again. Its id is the newest
// event's, so the client resumes from there next time; with no events, an empty id clears the client's.
func resetFrame(newest int64, has bool) []byte {
	id := ""
	if has {
		id = strconv.FormatInt(newest, 10)
	}
	return []byte("event: reset\nid: " + id + "\ndata: {\"reason\":\"missed events are no longer available\"}\n\n")
}

// register adds a client to shop shopID and returns the shop and the frames the client must get first:
// what it missed since lastID, or a reset.
func (h *Hub) register(shopID string, c *client, lastID string) (*shop, [][]byte) {
	s := h.lockShop(shopID)
	defer s.mu.Unlock()
	s.clients[c] = true
	return s, h.backlog(s, c, lastID)
}

// backlog returns what c missed since lastID, or a reset; s is locked.
func (h *Hub) backlog(s *shop, c *client, lastID string) [][]byte {
	if lastID == "" {
		return nil
	}
	seq, err := strconv.ParseInt(lastID, 10, 64)
	if err == nil {
		for i := len(s.ring) - 1; i >= 0; i-- {
			if s.ring[i].seq != seq {
				continue
			}
			var backlog [][]byte
			for _, f := range s.ring[i+1:] {
				if c.wants(f.topic) {
					backlog = append(backlog, f.sse)
				}
			}
			return backlog
		}
	}
	if len(s.ring) == 0 {
		return [][]byte{resetFrame(0, false)}
	}
	return [][]byte{resetFrame(s.ring[len(s.ring)-1].seq, true)}
}

func (h *Hub) unregister(s *shop, c *client) {
	s.mu.Lock()
	delete(s.clients, c)
	s.lastActive = time.Now()
	s.mu.Unlock()
}

// parseTopics reads ?topics=orders,kitchen.bar: a topic matches itself and the topics below it ("kitchen"
// matches "kitchen.bar").
func parseTopics(q string) ([]string, bool) {
	if q == "" {
		return nil, true
	}
	var topics []string
	for t := range strings.SplitSeq(q, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if events.ValidateSubject(t) != nil {
			return nil, false
		}
		topics = append(topics, t)
	}
	return topics, true
}

// ServeShop streams shop shopID's events to the client of r until it goes away, falls behind, or the hub
// closes. Query: topics=orders,kitchen.bar,tables (default: all of the shop); resume with the
// Last-Event-ID header or ?last_event_id=. The caller has already checked that the principal may watch
// this shop.
func (h *Hub) ServeShop(w http.ResponseWriter, r *http.Request, shopID string) {
	topics, ok := parseTopics(r.URL.Query().Get("topics"))
	if !ok || shopID == "" || strings.ContainsAny(shopID, ".*> ") {
		http.Error(w, "bad shop or topics", http.StatusBadRequest)
		return
	}
	select {
	case <-h.done:
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	default:
	}
	lastID := r.Header.Get("Last-Event-ID")
	if lastID == "" {
		lastID = r.URL.Query().Get("last_event_id")
	}

	rc := http.NewResponseController(w)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	c := &client{topics: topics, queue: make(chan *frame, h.opts.ClientQueue), kicked: make(chan struct{})}
	s, backlog := h.register(shopID, c, lastID)
	h.clients.Add(1)
	defer func() {
		h.unregister(s, c)
		h.clients.Add(-1)
	}()

	write := func(chunks ...[]byte) bool {
		if err := rc.SetWriteDeadline(time.Now().Add(h.opts.WriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return false
		}
		for _, b := range chunks {
			if _, err := w.Write(b); err != nil {
				return false
			}
		}
		if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return false
		}
		return true
	}
	hello := []byte("retry: " + strconv.FormatInt(h.opts.Retry.Milliseconds(), 10) + "\n: connected\n\n")
	if !write(append([][]byte{hello}, backlog...)...) {
		return
	}
	heartbeat := time.NewTicker(h.opts.Heartbeat)
	defer heartbeat.Stop()
	ping := []byte(": ping\n\n")
	for {
		select {
		case <-c.kicked:
			return
		default:
		}
		select {
		case f := <-c.queue:
			if !write(f.sse) {
				return
			}
		case <-heartbeat.C:
			if !write(ping) {
				return
			}
		case <-c.kicked:
			return // fell behind: the client reconnects and resumes from the ring
		case <-r.Context().Done():
			return
		case <-h.done:
			return
		}
	}
}

// evictIdleShops drops the rings of shops without clients or events for IdleShopTTL, until Close.
func (h *Hub) evictIdleShops() {
	t := time.NewTicker(max(h.opts.IdleShopTTL/4, time.Second))
	defer t.Stop()
	for {
		select {
		case <-h.done:
			return
		case <-t.C:
		}
		h.mu.Lock()
		for id, s := range h.shops {
			s.mu.Lock()
			idle := len(s.clients) == 0 && time.Since(s.lastActive) > h.opts.IdleShopTTL
			s.mu.Unlock()
			if idle {
				delete(h.shops, id)
			}
		}
		h.mu.Unlock()
	}
}

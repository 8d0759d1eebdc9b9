// Package simkit is the machinery the in-process payment gateway simulators (vnpaysim, momosim, zalopaysim,
// banksim) share, so that each of them holds only what its gateway does differently:
//
//   - a Courier, which delivers each notification (IPN, callback, webhook) in the background: the first
//     attempt at once, then retries a fixed interval apart until the merchant acknowledges it, the attempts
//     run out or the simulator closes, recording every attempt for the tests that wait on it;
//   - the plumbing of the simulated pay pages (page frame, form reading, tokens, redirect URLs).
//
// What counts as an acknowledgement and what an attempt records stay with each simulator. Only simulators
// import this package.
package simkit

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// maxAnswer bounds how much of a merchant's answer is read.
const maxAnswer = 64 << 10

// Config sets up a Courier.
type Config struct {
	// Interval separates the attempts of one notification; 0 or less means DefaultInterval.
	Interval, DefaultInterval time.Duration
	// MaxAttempts bounds the attempts of one notification, the first included; 0 or less means
	// DefaultMaxAttempts.
	MaxAttempts, DefaultMaxAttempts int
	// After waits between attempts; nil means time.After. Tests inject a channel they control.
	After func(time.Duration) <-chan time.Time
	// Client sends the notifications; nil means a client with Timeout.
	Client  *http.Client
	Timeout time.Duration
}

// SendFunc makes attempt n (counted from 1) of one notification, usually with Courier.Do. It returns the
// simulator's record of the attempt and whether the merchant acknowledged the notification, which ends
// the retries.
type SendFunc[A any] func(n int) (record A, acknowledged bool)

// Courier delivers a simulator's notifications and keeps their attempts by key (the payment's reference).
// A is the simulator's record of one attempt. It is safe for concurrent use.
type Courier[A any] struct {
	interval time.Duration
	max      int
	after    func(time.Duration) <-chan time.Time
	client   *http.Client

	ctx    context.Context // cancelled by Close: aborts attempts in flight
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	closed     bool
	deliveries map[string]*Delivery[A]
}

// NewCourier returns a courier set up by cfg.
func NewCourier[A any](cfg Config) *Courier[A] {
	c := &Courier[A]{interval: cfg.Interval, max: cfg.MaxAttempts, after: cfg.After, client: cfg.Client,
		deliveries: map[string]*Delivery[A]{}}
	if c.interval <= 0 {
		c.interval = cfg.DefaultInterval
	}
	if c.max <= 0 {
		c.max = cfg.DefaultMaxAttempts
	}
	if c.after == nil {
		c.after = time.After
	}
	if c.client == nil {
		c.client = &http.Client{Timeout: cfg.Timeout}
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// Start delivers the notification named key in the background with send, and returns its delivery (also
// found with Delivery(key) from now on; a key used again names the newer delivery). Once the courier is
// closed, Start sends nothing and returns a delivery that is already over, with no attempts: a simulator
// checks Closed first to refuse the payment, and this covers a Close that comes in between.
func (c *Courier[A]) Start(key string, send SendFunc[A]) *Delivery[A] {
	d := &Delivery[A]{done: make(chan struct{})}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deliveries[key] = d
	if c.closed {
		close(d.done)
		return d
	}
	c.wg.Add(1)
	go c.run(d, send)
	return d
}

// run makes the attempts of d until one is acknowledged, they run out or the courier closes.
func (c *Courier[A]) run(d *Delivery[A], send SendFunc[A]) {
	defer c.wg.Done()
	defer close(d.done)
	for n := 1; n <= c.max; n++ {
		if n > 1 {
			select {
			case <-c.ctx.Done():
				return
			case <-c.after(c.interval):
			}
		}
		record, acknowledged := send(n)
		d.add(record)
		if acknowledged || c.ctx.Err() != nil {
			return
		}
	}
}

// Delivery returns the delivery of the notification named key, nil when none was started.
func (c *Courier[A]) Delivery(key string) *Delivery[A] {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deliveries[key]
}

// Closed reports whether Close has been called.
func (c *Courier[A]) Closed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// Close stops every retry loop, aborts the attempts in flight and waits for the loops to end. Calling it
// again does nothing.
func (c *Courier[A]) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
}

// Request is one notification as sent over HTTP.
type Request struct {
	Method, URL string
	// Body, when not nil, is sent as application/json.
	Body []byte
	// Header holds further headers (Authorization, a signature …).
	Header http.Header
}

// Do sends r with the courier's client, aborted by Close, and reads at most 64 KiB of the answer. status
// is 0 when no answer came, and err then says why; with a status, err reports a failure to read the body
// (body holds what was read).
func (c *Courier[A]) Do(r Request) (status int, body []byte, err error) {
	var rd io.Reader
	if r.Body != nil {
		rd = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(c.ctx, r.Method, r.URL, rd)
	if err != nil {
		return 0, nil, err
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	return resp.StatusCode, body, err
}

// Delivery is one notification's delivery: its attempts so far and whether it is over.
type Delivery[A any] struct {
	mu       sync.Mutex
	attempts []A
	done     chan struct{}
}

func (d *Delivery[A]) add(a A) {
	d.mu.Lock()
	d.attempts = append(d.attempts, a)
	d.mu.Unlock()
}

// Attempts returns the attempts made so far (nil for none, or for a nil delivery).
func (d *Delivery[A]) Attempts() []A {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]A(nil), d.attempts...)
}

// Wait blocks until the delivery is over (acknowledged, out of attempts, or stopped by Close) or ctx ends,
// and returns its attempts, with ctx's error in the second case.
func (d *Delivery[A]) Wait(ctx context.Context) ([]A, error) {
	select {
	case <-d.done:
		return d.Attempts(), nil
	case <-ctx.Done():
		return d.Attempts(), ctx.Err()
	}
}

// Package escpostest provides a fake network thermal printer for tests: a TCP server on 127.0.0.1 that
// decodes the ESC/POS it receives with the escpos decoder and records what it would have printed.
//
// Like a real printer on port 9100 it reads a connection to its end, prints raster bands as they come,
// cuts on GS V, answers a DLE EOT status request with one status byte once it has read everything before
// it, and closes the connection when the sender does. It can be told to refuse connections (nothing listens),
// to reset the next few, or to stall (accept and never read), so retries and timeouts can be tested without
// sleeps: WaitPrinted and WaitConnections block until something happened.
package escpostest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/goodgo/goodgo/internal/platform/escpos"
)

// StatusOnline is what the fake answers to DLE EOT 1 (printer online, no error).
const StatusOnline = 0x12

// Printed is one piece of paper the printer cut.
type Printed struct {
	// Image is everything printed on the piece.
	Image *escpos.Raster
	// Conn is the number of the connection that printed it, from 1.
	Conn int
}

// Printer is a fake network printer. Its methods are safe for concurrent use.
type Printer struct {
	addr string

	mu       sync.Mutex
	ln       net.Listener
	stall    bool
	dropNext int
	conns    int
	open     map[net.Conn]bool
	stalled  []net.Conn
	printed  []Printed
	cuts     int
	errs     []error
	changed  chan struct{} // closed and replaced whenever something is recorded
	closed   bool
	wg       sync.WaitGroup
}

// New starts a printer on 127.0.0.1 at a free port.
func New() (*Printer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fake printer: %w", err)
	}
	p := &Printer{addr: ln.Addr().String(), open: map[net.Conn]bool{}, changed: make(chan struct{})}
	p.serve(ln)
	return p, nil
}

// Start is New for a test: it fails the test if the printer cannot start, and closes it when the test ends.
func Start(t testing.TB) *Printer {
	t.Helper()
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// Addr is the printer's "host:port".
func (p *Printer) Addr() string { return p.addr }

func (p *Printer) serve(ln net.Listener) {
	p.ln = ln
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // the listener was closed: Refuse or Close
			}
			p.accepted(c)
		}
	}()
}

// accepted handles a new connection according to the printer's mode.
func (p *Printer) accepted(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns++
	n := p.conns
	defer p.notify()
	switch {
	case p.closed:
		_ = c.Close()
	case p.dropNext > 0:
		p.dropNext--
		reset(c)
	case p.stall:
		p.stalled = append(p.stalled, c)
	default:
		p.open[c] = true
		p.wg.Add(1)
		go p.read(c, n)
	}
}

// reset closes c so that the peer sees a connection reset rather than an orderly end.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// read decodes one connection to its end.
func (p *Printer) read(c net.Conn, n int) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.open, c)
		p.mu.Unlock()
		_ = c.Close()
	}()
	dec := escpos.NewDecoder(c)
	var paper escpos.Paper
	for {
		cmd, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err == nil {
			err = paper.Apply(cmd)
		}
		if err != nil {
			p.record(func() { p.errs = append(p.errs, fmt.Errorf("connection %d: %w", n, err)) })
			return
		}
		switch cmd.Op {
		case escpos.OpCut:
			p.record(func() {
				p.cuts++
				if len(paper.Pieces) > 0 {
					p.printed = append(p.printed, Printed{Image: paper.Pieces[len(paper.Pieces)-1], Conn: n})
					paper.Pieces = paper.Pieces[:0]
				}
			})
		case escpos.OpStatus:
			if _, err := c.Write([]byte{StatusOnline}); err != nil {
				return
			}
		}
	}
}

func (p *Printer) record(fn func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn()
	p.notify()
}

// notify wakes the waiters; p.mu is held.
func (p *Printer) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Refuse closes the listening socket: connections are refused until Accept.
func (p *Printer) Refuse() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
}

// Accept listens again at the same address after Refuse.
func (p *Printer) Accept() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil || p.closed {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("fake printer: listen again: %w", err)
	}
	p.serve(ln)
	return nil
}

// DropNext makes the printer reset the next n connections as soon as it accepts them, unread.
func (p *Printer) DropNext(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropNext = n
}

// Stall makes the printer accept connections and never read them, like a jammed printer, until Resume.
func (p *Printer) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stall = true
}

// Resume ends Stall: the stalled connections are reset (what they carried is lost) and new ones are read.
func (p *Printer) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stall = false
	for _, c := range p.stalled {
		reset(c)
	}
	p.stalled = nil
}

// Printed returns the pieces printed so far, in order.
func (p *Printer) Printed() []Printed {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Printed(nil), p.printed...)
}

// Cuts counts the cuts received (a cut with nothing printed before it counts too).
func (p *Printer) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

// Connections counts the connections accepted, whatever became of them.
func (p *Printer) Connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conns
}

// Errors returns what the decoder refused, one error per connection that sent something it does not know.
func (p *Printer) Errors() []error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]error(nil), p.errs...)
}

// WaitPrinted waits until at least n pieces have been printed and returns them all, or returns ctx's error.
func (p *Printer) WaitPrinted(ctx context.Context, n int) ([]Printed, error) {
	err := p.wait(ctx, func() bool { return len(p.printed) >= n })
	return p.Printed(), err
}

// WaitConnections waits until at least n connections have been accepted, or returns ctx's error.
func (p *Printer) WaitConnections(ctx context.Context, n int) error {
	return p.wait(ctx, func() bool { return p.conns >= n })
}

// wait waits until cond, evaluated with p.mu held, is true.
func (p *Printer) wait(ctx context.Context, cond func() bool) error {
	for {
		p.mu.Lock()
		ok, ch := cond(), p.changed
		p.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("fake printer: %w", ctx.Err())
		case <-ch:
		}
	}
}

// Close stops the printer: it stops listening, resets every connection and waits for its goroutines.
func (p *Printer) Close() error {
	p.mu.Lock()
	p.closed = true
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.open {
		_ = c.Close()
	}
	for _, c := range p.stalled {
		reset(c)
	}
	p.stalled = nil
	p.mu.Unlock()
	p.wg.Wait()
	return nil
}

package faults

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy is a TCP proxy on loopback that injects faults between a client (GoodGo) and a server (PostgreSQL,
// RabbitMQ): latency on every chunk in both directions, a stall (bytes stop flowing but connections stay
// open, like a black-holed route), resets of the open connections, refusal of new ones, and a hold on the
// first client chunk that contains a given byte pattern (to freeze a process exactly before a statement
// reaches the database). It counts the connections it has open, so a test can see a pool that leaks.
type Proxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	pairs    map[*pair]bool
	latency  time.Duration
	stalled  chan struct{} // non-nil while stalled; closed when the stall ends
	refusing bool
	hold     *hold
	accepted int
	held     int // chunks waiting for a stall to end
	closed   bool
	done     chan struct{} // closed by Close
	wg       sync.WaitGroup
}

// hold is a pending HoldFirst: the first client chunk containing pattern is kept and its connection frozen.
type hold struct {
	pattern []byte
	hit     chan struct{}
	once    sync.Once
}

type pair struct {
	client, server net.Conn
	frozen         chan struct{} // closed when a hold froze this pair
	freezeOnce     sync.Once
}

// NewProxy listens on a free loopback port and forwards every connection to target (host:port).
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, pairs: map[*pair]bool{}, done: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's host:port; point the client there.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Port is the proxy's port.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// SetLatency delays every chunk, in each direction, by d (0: none).
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
}

// Stall stops every byte in both directions, on open and new connections alike, until Flow; the
// connections stay open, as behind a route that silently drops packets.
func (p *Proxy) Stall() {
	p.mu.Lock()
	if p.stalled == nil {
		p.stalled = make(chan struct{})
	}
	p.mu.Unlock()
}

// Flow ends a Stall: the bytes held back go on.
func (p *Proxy) Flow() {
	p.mu.Lock()
	if p.stalled != nil {
		close(p.stalled)
		p.stalled = nil
	}
	p.mu.Unlock()
}

// ResetAll resets (TCP RST) every open connection on both sides and returns how many pairs it reset; new
// connections are still accepted.
func (p *Proxy) ResetAll() int {
	p.mu.Lock()
	pairs := make([]*pair, 0, len(p.pairs))
	for pr := range p.pairs {
		pairs = append(pairs, pr)
	}
	p.mu.Unlock()
	for _, pr := range pairs {
		reset(pr.client)
		reset(pr.server)
	}
	return len(pairs)
}

// Cut makes the far side unreachable: every open connection is reset and new ones are reset as soon as
// they are accepted, until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	p.refusing = true
	p.mu.Unlock()
	p.ResetAll()
}

// Restore accepts and forwards new connections again after Cut.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.refusing = false
	p.mu.Unlock()
}

// HoldFirst arranges that the first chunk a client sends containing pattern is not forwarded: its
// connection freezes (nothing more is forwarded either way) and the returned channel is closed. The test
// then does what it wants with the frozen client (kill it) and the server never sees the statement.
func (p *Proxy) HoldFirst(pattern []byte) <-chan struct{} {
	h := &hold{pattern: append([]byte(nil), pattern...), hit: make(chan struct{})}
	p.mu.Lock()
	p.hold = h
	p.mu.Unlock()
	return h.hit
}

// Open is the number of connection pairs open now.
func (p *Proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pairs)
}

// Held is the number of chunks waiting for a stall to end: requests whose statements are stuck on the link.
func (p *Proxy) Held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held
}

// Accepted is the number of connections accepted since the proxy started.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Close stops listening, closes every connection and waits for the proxy's goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if !p.closed {
		close(p.done)
	}
	p.closed = true
	if p.stalled != nil {
		close(p.stalled)
		p.stalled = nil
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.ResetAll()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.accepted++
		refusing, closed := p.refusing, p.closed
		p.mu.Unlock()
		if refusing || closed {
			reset(c)
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		reset(client)
		return
	}
	pr := &pair{client: client, server: server, frozen: make(chan struct{})}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		reset(client)
		reset(server)
		return
	}
	p.pairs[pr] = true
	p.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(pr, client, server, true) }()
	go func() { defer wg.Done(); p.pipe(pr, server, client, false) }()
	wg.Wait()
	p.mu.Lock()
	delete(p.pairs, pr)
	p.mu.Unlock()
}

// pipe copies src to dst chunk by chunk, applying the faults in force; when either side ends it closes
// both, so the pair never outlives one of its connections.
func (p *Proxy) pipe(pr *pair, src, dst net.Conn, fromClient bool) {
	defer func() {
		_ = src.Close()
		_ = dst.Close()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if fromClient && p.matchHold(chunk) {
				pr.freezeOnce.Do(func() { close(pr.frozen) })
			}
			if !p.wait(pr) {
				return
			}
			if _, werr := dst.Write(chunk); werr != nil {
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				if tcp, ok := dst.(*net.TCPConn); ok {
					_ = tcp.CloseWrite()
				}
			}
			return
		}
	}
}

// matchHold reports whether chunk is the one a HoldFirst waits for (and consumes the hold).
func (p *Proxy) matchHold(chunk []byte) bool {
	p.mu.Lock()
	h := p.hold
	if h == nil || !bytes.Contains(chunk, h.pattern) {
		p.mu.Unlock()
		return false
	}
	p.hold = nil
	p.mu.Unlock()
	h.once.Do(func() { close(h.hit) })
	return true
}

// wait holds a chunk for the latency in force and while the proxy is stalled or the pair frozen; false
// means the pair or the proxy ended meanwhile.
func (p *Proxy) wait(pr *pair) bool {
	select {
	case <-pr.frozen:
		// Frozen for good: only the end of a connection (the client killed, the proxy closed) ends this.
		buf := make([]byte, 1)
		_, _ = pr.client.Read(buf)
		return false
	default:
	}
	for {
		p.mu.Lock()
		latency, stalled, closed := p.latency, p.stalled, p.closed
		p.mu.Unlock()
		if closed {
			return false
		}
		if stalled != nil {
			p.mu.Lock()
			p.held++
			p.mu.Unlock()
			<-stalled
			p.mu.Lock()
			p.held--
			p.mu.Unlock()
			continue
		}
		if latency > 0 {
			// The fault being injected, not a wait for another goroutine.
			t := time.NewTimer(latency)
			select {
			case <-t.C:
			case <-p.done:
				t.Stop()
				return false
			}
		}
		return true
	}
}

// reset closes c with an RST instead of a FIN, as a crashed peer or a middlebox would.
func reset(c net.Conn) {
	if tcp, ok := c.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = c.Close()
}

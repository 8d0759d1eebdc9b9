package amqpbus_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/events/amqpbus"
	"github.com/goodgo/goodgo/internal/platform/events/bustest"
)

func serverURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("GOODGO_TEST_AMQP_URL")
	if u == "" {
		t.Skip("GOODGO_TEST_AMQP_URL not set")
	}
	return u
}

// testOptions gives a test its own exchange and queues, with quick retries.
func testOptions() amqpbus.Options {
	name := bustest.Unique("t")
	return amqpbus.Options{
		Exchange:          name + ".events",
		QueuePrefix:       name + ".",
		RetryDelay:        10 * time.Millisecond,
		MaxRetryDelay:     50 * time.Millisecond,
		ReconnectDelay:    20 * time.Millisecond,
		MaxReconnectDelay: 200 * time.Millisecond,
		StopGrace:         50 * time.Millisecond,
	}
}

func dial(t *testing.T, url string, opts amqpbus.Options) *amqpbus.Bus {
	t.Helper()
	return dialLogged(t, url, nil, opts)
}

func dialLogged(t *testing.T, url string, log *slog.Logger, opts amqpbus.Options) *amqpbus.Bus {
	t.Helper()
	b, err := amqpbus.Dial(context.Background(), url, log, opts)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return b
}

// pair dials two buses on one exchange; when t ends it deletes what they declared and closes them.
func pair(t *testing.T, urlA, urlB string) (*amqpbus.Bus, *amqpbus.Bus) {
	opts := testOptions()
	a, b := dial(t, urlA, opts), dial(t, urlB, opts)
	cleanup(t, a, b)
	return a, b
}

// cleanup deletes what buses declared and closes them when t ends.
func cleanup(t *testing.T, buses ...*amqpbus.Bus) {
	t.Cleanup(func() {
		for _, bus := range buses {
			ctx, cancel := context.WithTimeout(context.Background(), bustest.Timeout)
			if err := bus.DeleteDeclared(ctx); err != nil {
				t.Errorf("cleanup: %v", err)
			}
			cancel()
			_ = bus.Close()
		}
	})
}

func TestBusKeepsTheBusContract(t *testing.T) {
	url := serverURL(t)
	bustest.Run(t, bustest.Features{}, func(t *testing.T) (events.Bus, events.Bus) {
		return pair(t, url, url)
	})
}

func TestBusRecoversFromConnectionLoss(t *testing.T) {
	url := serverURL(t)
	proxy := startProxy(t, url)
	a, b := pair(t, proxy.url, url) // a goes through the proxy, b does not
	ctx := context.Background()

	durable, listened := bustest.NewRecorder(), bustest.NewRecorder()
	name := bustest.Unique("survivor")
	first, err := a.Subscribe(ctx, name, []string{"shop.>"}, durable.Handle)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	lsub, err := a.Listen(ctx, []string{"shop.>"}, listened.Add)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer lsub.Close()

	e1 := bustest.NewEvent("shop.s1.orders", 1)
	if err := a.Publish(ctx, e1); err != nil {
		t.Fatalf("publish before the loss: %v", err)
	}
	durable.WaitN(t, 1)
	listened.WaitN(t, 1)
	// The handler has returned, but its ack may still be on the wire, and a cut would lose it (the broker
	// then rightly delivers e1 again). Closing the channel is a round trip the broker answers after the
	// ack: e1 is settled. The subscription that must survive the cut is the next one.
	if err := first.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	sub, err := a.Subscribe(ctx, name, []string{"shop.>"}, durable.Handle)
	if err != nil {
		t.Fatalf("subscribe again: %v", err)
	}
	defer sub.Close()

	proxy.cut()
	// While a is down, b publishes: the durable queue keeps it for a.
	e2 := bustest.NewEvent("shop.s1.orders", 2)
	if err := b.Publish(ctx, e2); err != nil {
		t.Fatalf("publish through the other connection: %v", err)
	}
	// a may not have noticed the cut yet: its Ready would still say yes, on a dead channel. Wait until it
	// has (Ready fails, or it has already dialled again through the proxy), then until it is back.
	bustest.WaitUntil(t, "the bus noticed the cut", func() bool {
		return a.Ready(ctx) != nil || proxy.accepted() >= 2
	})
	waitReady(t, a)
	e3 := bustest.NewEvent("shop.s1.orders", 3)
	if err := a.Publish(ctx, e3); err != nil {
		t.Fatalf("publish after reconnecting: %v", err)
	}
	got := durable.WaitFor(t, "events after the loss", func(got []events.Event) bool {
		return bustest.HasID(got, e2.ID) && bustest.HasID(got, e3.ID)
	})
	if bustest.Count(got, e1.ID) != 1 {
		t.Errorf("acknowledged event redelivered after reconnecting")
	}
	// The listener's exclusive queue is declared again after the reconnection; what was published before
	// that is not for it. Publish until it hears again.
	deadline := time.Now().Add(bustest.Timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for len(listened.Got()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the listener got nothing after reconnecting")
		}
		if err := a.Publish(ctx, bustest.NewEvent("shop.s1.orders", 4)); err != nil {
			t.Fatalf("publish: %v", err)
		}
		<-tick.C
	}
	if proxy.accepted() < 2 {
		t.Errorf("proxy accepted %d connections, want a reconnection", proxy.accepted())
	}
}

func waitReady(t *testing.T, b *amqpbus.Bus) {
	t.Helper()
	bustest.WaitUntil(t, "the bus is ready again", func() bool { return b.Ready(context.Background()) == nil })
}

// tcpProxy forwards connections to the broker and can cut them all, as a network failure would.
type tcpProxy struct {
	url string
	ln  net.Listener

	mu    sync.Mutex
	conns []net.Conn
	count int
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln}
	pu := *u
	pu.Host = ln.Addr().String()
	p.url = pu.String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", u.Host)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.count++
			p.mu.Unlock()
			go func() { _, _ = io.Copy(s, c); s.Close() }()
			go func() { _, _ = io.Copy(c, s); c.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close(); p.cut() })
	return p
}

func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *tcpProxy) accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}

package faults

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// echoServer answers every line it reads with the same line, until the test ends.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func newTestProxy(t *testing.T) *Proxy {
	t.Helper()
	p, err := NewProxy(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// roundTrip writes a line through c and reads the echo, failing after d.
func roundTrip(c net.Conn, line string, d time.Duration) (string, error) {
	_ = c.SetDeadline(time.Now().Add(d))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	return got, err
}

func TestProxyForwardsAndCountsConnections(t *testing.T) {
	p := newTestProxy(t)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := roundTrip(c, "xin chào", 5*time.Second); err != nil || got != "xin chào\n" {
		t.Fatalf("echo through the proxy: %q %v", got, err)
	}
	if p.Open() != 1 || p.Accepted() != 1 {
		t.Fatalf("open %d accepted %d, want 1 and 1", p.Open(), p.Accepted())
	}
	c.Close()
	if err := Poll(context.Background(), 5*time.Second, 5*time.Millisecond, func(context.Context) (bool, string) {
		return p.Open() == 0, "pairs still open"
	}); err != nil {
		t.Fatalf("a closed client's pair stays open: %v", err)
	}
}

func TestProxyStallHoldsBytesUntilFlow(t *testing.T) {
	p := newTestProxy(t)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p.Stall()
	var ne net.Error
	if _, err := roundTrip(c, "một", 200*time.Millisecond); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("a stalled link answered: %v", err)
	}
	p.Flow()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != "một\n" {
		t.Fatalf("after Flow: %q %v", got, err)
	}
}

func TestProxyCutResetsAndRefusesUntilRestore(t *testing.T) {
	p := newTestProxy(t)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := roundTrip(c, "a", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	p.Cut()
	if _, err := roundTrip(c, "b", 5*time.Second); err == nil {
		t.Fatal("an open connection survived Cut")
	}
	fresh, err := net.Dial("tcp", p.Addr())
	if err == nil {
		_, err = roundTrip(fresh, "c", 5*time.Second)
		fresh.Close()
	}
	if err == nil {
		t.Fatal("a new connection went through while cut")
	}
	p.Restore()
	again, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got, err := roundTrip(again, "d", 5*time.Second); err != nil || got != "d\n" {
		t.Fatalf("after Restore: %q %v", got, err)
	}
}

func TestProxyHoldFirstFreezesTheMatchingConnection(t *testing.T) {
	p := newTestProxy(t)
	hit := p.HoldFirst([]byte("SET state = 'done'"))
	other, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := roundTrip(c, "UPDATE idempotency_keys SET state = 'done'", 300*time.Millisecond); err == nil {
		t.Fatal("the held statement was forwarded")
	}
	select {
	case <-hit:
	default:
		t.Fatal("the hold did not report its match")
	}
	if got, err := roundTrip(other, "SELECT 1", 5*time.Second); err != nil || got != "SELECT 1\n" {
		t.Fatalf("another connection froze too: %q %v", got, err)
	}
	// Only the first match is held.
	if got, err := roundTrip(other, "SET state = 'done'", 5*time.Second); err != nil || got != "SET state = 'done'\n" {
		t.Fatalf("a second match was held: %q %v", got, err)
	}
}

func TestProxyLatencyDelaysEveryChunk(t *testing.T) {
	p := newTestProxy(t)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p.SetLatency(time.Hour)
	// With an hour of latency in force the echo cannot come back within a short deadline; the chunk
	// waiting in the proxy is released when the test closes it.
	var ne net.Error
	if _, err := roundTrip(c, "chậm", 200*time.Millisecond); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("latency was not applied: %v", err)
	}
}

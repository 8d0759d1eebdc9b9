package realtime_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/events/bustest"
	"github.com/goodgo/goodgo/internal/platform/realtime"
)

// BenchmarkSSEFanout1000 measures the time from publishing one event (on the in-process Memory bus) until
// each of 1,000 SSE clients has read it: real HTTP/1.1 connections over loopback to an httptest server,
// every client reading and parsing its stream in its own goroutine. One op = one event to all clients.
func BenchmarkSSEFanout1000(b *testing.B) {
	const clients = 1000
	bus := memoryBus(b)
	hub, url := testHub(b, bus, realtime.Options{})
	transport := &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: clients, DisableCompression: true}
	b.Cleanup(transport.CloseIdleConnections)
	httpClient := &http.Client{Transport: transport}

	got := make(chan struct{}, clients)
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	ready := make(chan struct{}, clients)
	for range clients {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := httpClient.Do(req)
		if err != nil {
			b.Fatalf("connect: %v", err)
		}
		go func() {
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				line := sc.Text()
				switch {
				case line == ": connected":
					ready <- struct{}{}
				case strings.HasPrefix(line, "id: "):
					got <- struct{}{}
				}
			}
		}()
	}
	for range clients {
		select {
		case <-ready:
		case <-time.After(bustest.Timeout):
			b.Fatalf("clients did not connect")
		}
	}
	if n := hub.Stats().Clients; n != clients {
		b.Fatalf("hub has %d clients, want %d", n, clients)
	}

	b.ResetTimer()
	for i := range b.N {
		publish(b, bus, shopEvent(int64(i+1), "shop.s1.orders"))
		for range clients {
			select {
			case <-got:
			case <-time.After(bustest.Timeout):
				b.Fatalf("event %d did not reach every client", i+1)
			}
		}
	}
	b.StopTimer()
	if n := hub.Stats().SlowDisconnects; n != 0 {
		b.Errorf("%d clients were disconnected as slow", n)
	}
}

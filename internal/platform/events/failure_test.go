package events_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/events/bustest"
	"github.com/goodgo/goodgo/internal/platform/events/natsbus"
	"github.com/goodgo/goodgo/internal/platform/migrate"
)

func TestOutboxDrainsAfterBrokerOutage(t *testing.T) {
	dbtest.Each(t, sources(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		srv, bus := embeddedBus(t, t.TempDir())
		relay := fastRelay(d, bus)
		runRelay(t, relay)
		sub, err := bus.Subscribe(ctx, "projector", []string{"shop.>"}, events.Consume(d, "projector", writeEffect("projector")))
		if err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		t.Cleanup(func() { _ = sub.Close() })

		before := newEvents(merchantA, 5)
		commit(t, d, merchantA, before...)
		relay.Nudge()
		waitUntil(t, "the first events took effect", func() bool { return len(effectCounts(t, d)) == len(before) })

		srv.Stop()
		var during []events.Event
		for range 4 {
			evs := newEvents(merchantB, 5)
			commit(t, d, merchantB, evs...)
			relay.Nudge()
			during = append(during, evs...)
		}
		waitUntil(t, "the relay saw the broker down", func() bool { return relay.Stats().ConsecutiveFailures >= 2 })
		if n := pending(t, relay); n != int64(len(during)) {
			t.Errorf("pending while the broker is down = %d, want %d", n, len(during))
		}
		if err := bus.Ready(ctx); err == nil {
			t.Errorf("Ready with the broker down = nil, want an error")
		}

		if err := srv.Start(); err != nil {
			t.Fatalf("restart broker: %v", err)
		}
		all := append(append([]events.Event{}, before...), during...)
		waitUntil(t, "the outbox drained into the consumer", func() bool { return len(effectCounts(t, d)) == len(all) })
		checkOnce(t, d, all)
		waitUntil(t, "nothing pending", func() bool { return pending(t, relay) == 0 })
		if err := bus.Ready(ctx); err != nil {
			t.Errorf("Ready after the broker is back: %v", err)
		}
	})
}

// TestReplicasRelayEachEventOnce runs three relays on one PostgreSQL outbox at once: FOR UPDATE SKIP LOCKED
// gives every event to exactly one of them.
func TestReplicasRelayEachEventOnce(t *testing.T) {
	d := dbtest.New(t, db.Postgres)
	ctx := context.Background()
	if err := migrate.Up(ctx, d, slog.New(slog.DiscardHandler), sources()...); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	var all []events.Event
	for range 30 {
		evs := newEvents(merchantA, 10)
		commit(t, d, merchantA, evs...)
		all = append(all, evs...)
	}
	pub := &countingPublisher{counts: map[string]int{}}
	var wg sync.WaitGroup
	for range 3 {
		r := events.NewRelay(d, pub, nil, events.RelayOptions{BatchSize: 7})
		wg.Go(func() {
			if err := r.Flush(ctx); err != nil {
				t.Errorf("flush: %v", err)
			}
		})
	}
	wg.Wait()
	for _, ev := range all {
		if n := pub.count(ev.ID); n != 1 {
			t.Errorf("event %s published %d times, want 1", ev.ID, n)
		}
	}
	if n := pending(t, events.NewRelay(d, pub, nil, events.RelayOptions{})); n != 0 {
		t.Errorf("pending = %d, want 0", n)
	}
}

type countingPublisher struct {
	mu     sync.Mutex
	counts map[string]int
}

func (p *countingPublisher) Publish(_ context.Context, ev events.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[ev.ID]++
	return nil
}

func (p *countingPublisher) count(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[id]
}

// The crash test re-runs this test binary as a child process (TestCrashChild) that commits events to a
// SQLite file and is killed with SIGKILL; the parent then relays the same file.
const (
	crashDirEnv  = "GOODGO_EVENTS_CRASH_DIR"
	crashModeEnv = "GOODGO_EVENTS_CRASH_MODE"
	crashTxs     = 10
	crashPerTx   = 5
	crashBatch   = 5 // the child's relay batch: one batch is marked published before it hangs
	crashHangAt  = 8 // the child's publish that hangs: 7 reach the broker, 5 of them are marked
)

func TestCrashBetweenCommitAndPublish(t *testing.T) {
	tests := []struct {
		mode string
		// wantPublished is what the parent's relay publishes: the rows the child had not marked.
		wantPublished uint64
	}{
		{"killed-before-relaying", crashTxs * crashPerTx},
		{"killed-while-relaying", crashTxs*crashPerTx - crashBatch},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			dir := t.TempDir()
			ids := runCrashChild(t, dir, tt.mode)
			if len(ids) != crashTxs*crashPerTx {
				t.Fatalf("child committed %d events, want %d", len(ids), crashTxs*crashPerTx)
			}

			ctx := context.Background()
			d, err := db.Open(ctx, db.Config{SQLitePath: filepath.Join(dir, "app.db")})
			if err != nil {
				t.Fatalf("open the child's database: %v", err)
			}
			t.Cleanup(func() { d.Close() })
			// The broker's store is the child's too: what it published before dying is there.
			_, bus := embeddedBus(t, dir)
			sub, err := bus.Subscribe(ctx, "projector", []string{"shop.>"}, events.Consume(d, "projector", writeEffect("projector")))
			if err != nil {
				t.Fatalf("subscribe: %v", err)
			}
			t.Cleanup(func() { _ = sub.Close() })
			relay := fastRelay(d, bus)
			runRelay(t, relay)

			waitUntil(t, "every committed event took effect", func() bool { return len(effectCounts(t, d)) == len(ids) })
			var evs []events.Event
			for _, id := range ids {
				evs = append(evs, events.Event{ID: id})
			}
			checkOnce(t, d, evs)
			waitUntil(t, "nothing pending", func() bool { return pending(t, relay) == 0 })
			if got := relay.Stats().Published; got != tt.wantPublished {
				t.Errorf("parent relay published %d, want %d", got, tt.wantPublished)
			}
		})
	}
}

// runCrashChild starts the child, collects the ids it committed, waits for its signal and kills it.
func runCrashChild(t *testing.T, dir, mode string) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashModeEnv+"="+mode)
	cmd.Stderr = os.Stderr
	// The child waits for input that never comes; if this process dies, the pipe closes and so does it.
	if _, err := cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	signal := "crashchild: committed"
	if mode == "killed-while-relaying" {
		signal = "crashchild: relaying"
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var ids []string
	deadline := time.After(bustest.Timeout * 2)
wait:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				_ = cmd.Wait()
				t.Fatalf("child exited before %q", signal)
			}
			if id, ok := strings.CutPrefix(line, "crashchild: event "); ok {
				ids = append(ids, id)
			}
			if line == signal {
				break wait
			}
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatalf("child did not say %q", signal)
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred code, no flush, no goodbye
		t.Fatalf("kill child: %v", err)
	}
	go func() {
		for range lines {
		}
	}()
	_ = cmd.Wait()
	return ids
}

// TestCrashChild is the child process of TestCrashBetweenCommitAndPublish; it does nothing on its own.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("child process of TestCrashBetweenCommitAndPublish")
	}
	ctx := context.Background()
	d, err := db.Open(ctx, db.Config{SQLitePath: filepath.Join(dir, "app.db")})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if err := migrate.Up(ctx, d, slog.New(slog.DiscardHandler), sources()...); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	for range crashTxs {
		evs := newEvents(merchantA, crashPerTx)
		commit(t, d, merchantA, evs...)
		for _, ev := range evs {
			fmt.Printf("crashchild: event %s\n", ev.ID)
		}
	}
	fmt.Println("crashchild: committed")
	if os.Getenv(crashModeEnv) == "killed-while-relaying" {
		srv, err := natsbus.StartEmbedded(dir, nil)
		if err != nil {
			t.Fatalf("start nats: %v", err)
		}
		bus, err := srv.Connect(ctx, nil, natsbus.Options{})
		if err != nil {
			t.Fatalf("connect nats: %v", err)
		}
		hang := &hangingPublisher{bus: bus, hangAt: crashHangAt}
		relay := events.NewRelay(d, hang, nil, events.RelayOptions{BatchSize: crashBatch})
		go func() { _ = relay.Flush(ctx) }()
	}
	_, _ = io.Copy(io.Discard, os.Stdin) // wait for SIGKILL; the parent never writes
	t.Fatalf("parent went away")
}

// hangingPublisher publishes through bus until its hangAt-th publish, where it announces itself and hangs
// (the parent kills the process there).
type hangingPublisher struct {
	bus    events.Publisher
	n      int
	hangAt int
}

func (p *hangingPublisher) Publish(ctx context.Context, ev events.Event) error {
	p.n++
	if p.n == p.hangAt {
		fmt.Println("crashchild: relaying")
		select {}
	}
	return p.bus.Publish(ctx, ev)
}

package events_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/events/bustest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

func TestRolledBackEventsAreNeverPublished(t *testing.T) {
	dbtest.Each(t, sources(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		bus := events.NewMemory()
		relay := events.NewRelay(d, bus, nil, events.RelayOptions{BatchSize: 3})

		before := newEvents(merchantA, 4)
		commit(t, d, merchantA, before...)
		rolledBack := newEvents(merchantA, 3)
		errAbort := errors.New("business rule failed")
		err := d.WithTx(ctx, merchantA, func(tx *sql.Tx) error {
			if err := events.Add(ctx, tx, rolledBack...); err != nil {
				return err
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatalf("rolled back tx: got %v, want %v", err, errAbort)
		}
		after := newEvents(merchantB, 2)
		commit(t, d, merchantB, after...)

		if err := relay.Flush(ctx); err != nil {
			t.Fatalf("flush: %v", err)
		}
		want := append(append([]events.Event{}, before...), after...)
		got := bus.Published()
		if len(got) != len(want) {
			t.Fatalf("published %d events, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i].ID != want[i].ID || got[i].MerchantID != want[i].MerchantID || string(got[i].Data) != string(want[i].Data) ||
				got[i].Subject != want[i].Subject || !got[i].OccurredAt.Equal(want[i].OccurredAt) {
				t.Errorf("published[%d] = %+v, want %+v", i, got[i], want[i])
			}
			if i > 0 && got[i].Seq <= got[i-1].Seq {
				t.Errorf("published[%d].Seq = %d after %d: not increasing", i, got[i].Seq, got[i-1].Seq)
			}
		}
		if n := pending(t, relay); n != 0 {
			t.Errorf("pending after flush = %d, want 0", n)
		}
		if s := relay.Stats(); s.Published != uint64(len(want)) || s.ConsecutiveFailures != 0 {
			t.Errorf("stats = %+v, want %d published and no failures", s, len(want))
		}
	})
}

func TestCommittedEventsReachEveryConsumerOnce(t *testing.T) {
	dbtest.Each(t, sources(), func(t *testing.T, d *db.DB) {
		_, bus := embeddedBus(t, t.TempDir())
		relay := fastRelay(d, bus)
		runRelay(t, relay)

		// Two consumers with their own effects; kitchen listens to one subject only.
		reports := events.Consume(d, "reports", writeEffect("reports"))
		kitchenRec := bustest.NewRecorder()
		kitchen := events.Consume(d, "kitchen", func(ctx context.Context, tx *sql.Tx, ev events.Event) error {
			kitchenRec.Add(ev)
			return nil
		})
		for _, c := range []struct {
			name     string
			subjects []string
			h        events.Handler
		}{{"reports", []string{"shop.>", "order.events"}, reports}, {"kitchen", []string{"shop.*.kitchen.>"}, kitchen}} {
			sub, err := bus.Subscribe(context.Background(), c.name, c.subjects, c.h)
			if err != nil {
				t.Fatalf("subscribe %s: %v", c.name, err)
			}
			t.Cleanup(func() { _ = sub.Close() })
		}

		var all []events.Event
		for i := range 30 {
			m := merchantA
			if i%2 == 1 {
				m = merchantB
			}
			evs := []events.Event{newEvent(m, "shop.s1.orders", i), newEvent(m, "shop.s1.kitchen.bar", i), newEvent(m, "order.events", i)}
			commit(t, d, m, evs...)
			relay.Nudge()
			all = append(all, evs...)
		}
		waitUntil(t, "every event took effect in reports", func() bool { return len(effectCounts(t, d)) == len(all) })
		checkOnce(t, d, all)
		got := kitchenRec.WaitN(t, 30)
		for _, ev := range got {
			if !strings.Contains(ev.Subject, ".kitchen.") {
				t.Errorf("kitchen got %s", ev.Subject)
			}
		}
	})
}

func TestConsumerEffectHappensOnceUnderRedelivery(t *testing.T) {
	dbtest.Each(t, sources(), func(t *testing.T, d *db.DB) {
		_, bus := embeddedBus(t, t.TempDir())
		relay := fastRelay(d, bus)
		runRelay(t, relay)

		inner := events.Consume(d, "projector", writeEffect("projector"))
		var mu sync.Mutex
		deliveries := map[string]int{}
		// The effect commits, then the acknowledgement is "lost" on the first delivery: the bus redelivers.
		lostAck := func(ctx context.Context, ev events.Event) error {
			if err := inner(ctx, ev); err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			deliveries[ev.ID]++
			if deliveries[ev.ID] == 1 {
				return errors.New("connection lost before ack")
			}
			return nil
		}
		sub, err := bus.Subscribe(context.Background(), "projector", []string{"shop.>"}, lostAck)
		if err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		t.Cleanup(func() { _ = sub.Close() })

		evs := newEvents(merchantA, 10)
		commit(t, d, merchantA, evs...)
		relay.Nudge()
		waitUntil(t, "every event was delivered twice", func() bool {
			mu.Lock()
			defer mu.Unlock()
			for _, ev := range evs {
				if deliveries[ev.ID] < 2 {
					return false
				}
			}
			return true
		})
		checkOnce(t, d, evs)
	})
}

func TestConsumeRunsTheHandlerOncePerEvent(t *testing.T) {
	dbtest.Each(t, sources(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ev := newEvent(merchantA, "shop.s1.orders", 1)
		failFirst := true
		h := events.Consume(d, "billing", func(ctx context.Context, tx *sql.Tx, ev events.Event) error {
			if err := writeEffect("billing")(ctx, tx, ev); err != nil {
				return err
			}
			if failFirst {
				failFirst = false
				return errors.New("fails after writing: everything rolls back")
			}
			return nil
		})
		other := events.Consume(d, "other", writeEffect("other"))

		steps := []struct {
			name    string
			h       events.Handler
			wantErr bool
			want    int // effect rows of ev after the step
		}{
			{"handler error rolls back the effect and the inbox row", h, true, 0},
			{"redelivery runs it", h, false, 1},
			{"duplicate is acknowledged without effect", h, false, 1},
			{"duplicate publish again", h, false, 1},
			{"another consumer has its own inbox", other, false, 2},
			{"and its own duplicates", other, false, 2},
		}
		for _, s := range steps {
			err := s.h(ctx, ev)
			if (err != nil) != s.wantErr {
				t.Fatalf("%s: err = %v, want error %v", s.name, err, s.wantErr)
			}
			if got := effectCounts(t, d)[ev.ID]; got != s.want {
				t.Fatalf("%s: %d effects, want %d", s.name, got, s.want)
			}
		}
		if err := h(ctx, events.Event{ID: "x", Subject: "a.b"}); apperr.KindOf(err) != apperr.Invalid || !events.IsPermanent(err) {
			t.Errorf("event without merchant: got %v, want a permanent invalid error", err)
		}
	})
}

func TestAddRejectsMalformedEvents(t *testing.T) {
	dbtest.Each(t, sources(), func(t *testing.T, d *db.DB) {
		ok := newEvent(merchantA, "shop.s1.orders", 1)
		with := func(f func(*events.Event)) events.Event {
			ev := ok
			ev.ID = db.NewID()
			f(&ev)
			return ev
		}
		tests := []struct {
			name string
			ev   events.Event
			want apperr.Kind
		}{
			{"valid", ok, apperr.Unknown},
			{"no id or time is filled in", with(func(e *events.Event) { e.ID = ""; e.OccurredAt = time.Time{} }), apperr.Unknown},
			{"no data is null", with(func(e *events.Event) { e.Data = nil }), apperr.Unknown},
			{"no type", with(func(e *events.Event) { e.Type = "" }), apperr.Invalid},
			{"newline in type", with(func(e *events.Event) { e.Type = "a\nb" }), apperr.Invalid},
			{"wildcard subject", with(func(e *events.Event) { e.Subject = "shop.*.orders" }), apperr.Invalid},
			{"empty subject token", with(func(e *events.Event) { e.Subject = "shop..orders" }), apperr.Invalid},
			{"space in subject", with(func(e *events.Event) { e.Subject = "shop.s 1.orders" }), apperr.Invalid},
			{"no merchant", with(func(e *events.Event) { e.MerchantID = "" }), apperr.Invalid},
			{"bad JSON", with(func(e *events.Event) { e.Data = json.RawMessage(`{"a":`) }), apperr.Invalid},
			{"too large", with(func(e *events.Event) {
				e.Data = json.RawMessage(`"` + strings.Repeat("x", events.MaxDataSize) + `"`)
			}), apperr.TooLarge},
			{"same id twice", ok, apperr.Conflict},
		}
		for _, tt := range tests {
			err := d.WithTx(context.Background(), merchantA, func(tx *sql.Tx) error {
				return events.Add(context.Background(), tx, tt.ev)
			})
			if got := apperr.KindOf(err); got != tt.want || (tt.want == apperr.Unknown) != (err == nil) {
				t.Errorf("%s: got %v (kind %v), want kind %v", tt.name, err, got, tt.want)
			}
		}
	})
}

func TestAddAtStampsEventsWithTheGivenTime(t *testing.T) {
	dbtest.Each(t, sources(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2021, 3, 4, 5, 6, 7, 891234567, time.UTC)
		own := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		unstamped := newEvent(merchantA, "shop.s1.orders", 1)
		unstamped.OccurredAt = time.Time{}
		stamped := newEvent(merchantA, "shop.s1.orders", 2)
		stamped.OccurredAt = own
		err := d.WithTx(ctx, merchantA, func(tx *sql.Tx) error { return events.AddAt(ctx, tx, now, unstamped, stamped) })
		if err != nil {
			t.Fatalf("commit: %v", err)
		}
		bus := events.NewMemory()
		if err := events.NewRelay(d, bus, nil, events.RelayOptions{}).Flush(ctx); err != nil {
			t.Fatalf("flush: %v", err)
		}
		got := bus.Published()
		want := []time.Time{now.Truncate(time.Microsecond), own}
		if len(got) != len(want) {
			t.Fatalf("published %d events, want %d", len(got), len(want))
		}
		for i := range want {
			if !got[i].OccurredAt.Equal(want[i]) {
				t.Errorf("event %d occurred at %v, want %v", i, got[i].OccurredAt, want[i])
			}
		}
	})
}

func TestRelayPurgesOldRows(t *testing.T) {
	dbtest.Each(t, sources(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		// Years away from the real time: a row stamped with time.Now instead of clk would not be purged on
		// schedule.
		start := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
		clk := clock.NewFake(start)
		bus := events.NewMemory()
		relay := events.NewRelay(d, bus, nil, events.RelayOptions{Clock: clk, Retention: time.Hour, InboxRetention: 48 * time.Hour})

		published := newEvents(merchantA, 3)
		commit(t, d, merchantA, published...)
		if err := relay.Flush(ctx); err != nil {
			t.Fatalf("flush: %v", err)
		}
		consume := events.ConsumeWithClock(d, clk, "c", writeEffect("c"))
		for _, ev := range published {
			if err := consume(ctx, ev); err != nil {
				t.Fatalf("consume: %v", err)
			}
		}
		stillPending := newEvents(merchantA, 2)
		commit(t, d, merchantA, stillPending...)

		count := func(table string) int {
			var n int
			err := d.WithSystemTx(ctx, "test", func(tx *sql.Tx) error {
				return tx.QueryRow("SELECT count(*) FROM " + table).Scan(&n)
			})
			if err != nil {
				t.Fatalf("count %s: %v", table, err)
			}
			return n
		}
		steps := []struct {
			at                string
			now               time.Time
			wantPurged        int64
			wantOutbox, inbox int
		}{
			{"within retention", start.Add(59 * time.Minute), 0, 5, 3},
			{"after outbox retention", start.Add(61 * time.Minute), 3, 2, 3},
			{"after inbox retention", start.Add(49 * time.Hour), 3, 2, 0},
		}
		for _, s := range steps {
			n, err := relay.Purge(ctx, s.now)
			if err != nil {
				t.Fatalf("%s: purge: %v", s.at, err)
			}
			if n != s.wantPurged || count("outbox") != s.wantOutbox || count("inbox") != s.inbox {
				t.Errorf("%s: purged %d, outbox %d, inbox %d; want %d, %d, %d", s.at, n, count("outbox"),
					count("inbox"), s.wantPurged, s.wantOutbox, s.inbox)
			}
		}
		if got := pending(t, relay); got != 2 {
			t.Errorf("pending = %d, want 2 (purge never deletes unpublished rows)", got)
		}
	})
}

// TestTenantCannotReadAnotherTenantsOutbox shows row-level security on PostgreSQL: a tenant transaction
// sees only its own outbox and inbox rows and cannot write another tenant's; the relay's system path sees
// all. (SQLite has no RLS: there every query filters by merchant.)
func TestTenantCannotReadAnotherTenantsOutbox(t *testing.T) {
	d := dbtest.New(t, db.Postgres)
	ctx := context.Background()
	if err := migrate.Up(ctx, d, slog.New(slog.DiscardHandler), sources()...); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	commit(t, d, merchantA, newEvents(merchantA, 3)...)
	commit(t, d, merchantB, newEvents(merchantB, 2)...)
	for _, ev := range []events.Event{newEvent(merchantA, "shop.s1.orders", 1), newEvent(merchantB, "shop.s1.orders", 2)} {
		if err := events.Consume(d, "c", writeEffect("c"))(ctx, ev); err != nil {
			t.Fatalf("consume: %v", err)
		}
	}

	count := func(run func(func(*sql.Tx) error) error, table string) int {
		var n int
		if err := run(func(tx *sql.Tx) error { return tx.QueryRow("SELECT count(*) FROM " + table).Scan(&n) }); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		return n
	}
	asTenant := func(m tenant.ID) func(func(*sql.Tx) error) error {
		return func(fn func(*sql.Tx) error) error { return d.WithTx(ctx, m, fn) }
	}
	asSystem := func(fn func(*sql.Tx) error) error { return d.WithSystemTx(ctx, "test", fn) }
	tests := []struct {
		who         string
		run         func(func(*sql.Tx) error) error
		outbox, inb int
	}{
		{"merchant A", asTenant(merchantA), 3, 1},
		{"merchant B", asTenant(merchantB), 2, 1},
		{"a merchant with no rows", asTenant("merchant-c"), 0, 0},
		{"the system path", asSystem, 5, 2},
	}
	for _, tt := range tests {
		if got := count(tt.run, "outbox"); got != tt.outbox {
			t.Errorf("%s sees %d outbox rows, want %d", tt.who, got, tt.outbox)
		}
		if got := count(tt.run, "inbox"); got != tt.inb {
			t.Errorf("%s sees %d inbox rows, want %d", tt.who, got, tt.inb)
		}
	}

	// A tenant transaction cannot write an event of another tenant, nor touch its rows.
	err := d.WithTx(ctx, merchantB, func(tx *sql.Tx) error {
		return events.Add(ctx, tx, newEvent(merchantA, "shop.s1.orders", 9))
	})
	if err == nil {
		t.Errorf("merchant B wrote an outbox row of merchant A")
	}
	var updated int64
	err = d.WithTx(ctx, merchantB, func(tx *sql.Tx) error {
		res, err := tx.Exec("UPDATE outbox SET published_at = $1", time.Now().UTC())
		if err != nil {
			return err
		}
		updated, err = res.RowsAffected()
		return err
	})
	if err != nil || updated != 2 {
		t.Errorf("merchant B's update touched %d rows (err %v), want only its own 2", updated, err)
	}
}

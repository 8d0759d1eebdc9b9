package kitchen_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/kitchen"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

var sources = []migrate.Source{events.Migrations, kitchen.Migrations}

const merchantA, merchantB = tenant.ID("merchant-a"), tenant.ID("merchant-b")

func create(t *testing.T, d *db.DB, svc *kitchen.Service, m tenant.ID, b kitchen.Batch) []kitchen.Ticket {
	t.Helper()
	var out []kitchen.Ticket
	err := d.WithTx(context.Background(), m, func(tx *sql.Tx) error {
		var err error
		out, err = svc.CreateTickets(context.Background(), tx, m, b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func line(id, name string, qty int) kitchen.TicketLine {
	return kitchen.TicketLine{OrderLineID: id, Name: name, Quantity: qty, Modifiers: []string{"Ít đá"}}
}

func TestTicketsGoToTheirStationsAndMoveForwardOnly(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		clk := clock.NewFake(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
		svc := kitchen.New(d, clk, kitchen.Options{})
		ctx := context.Background()
		tickets := create(t, d, svc, merchantA, kitchen.Batch{ShopID: "shop-1", OrderID: "order-1", Label: "Bàn 5",
			Lines: []kitchen.BatchLine{
				{TicketLine: line("l1", "Cà phê sữa đá", 2), Station: "bar"},
				{TicketLine: line("l2", "Phở bò", 1), Station: "kitchen"},
				{TicketLine: line("l3", "Trà đào", 1), Station: "bar"},
				{TicketLine: line("l4", "Bánh mì", 1), Station: "BAD station!"},
			}})
		if len(tickets) != 2 || tickets[0].Station != "bar" || len(tickets[0].Lines) != 2 || tickets[1].Station != "kitchen" ||
			len(tickets[1].Lines) != 2 {
			t.Fatalf("tickets = %+v; want bar (2 lines) and kitchen (2 lines, the bad station falls back to it)", tickets)
		}
		bar, err := svc.Board(ctx, merchantA, "shop-1", "bar", "")
		if err != nil || len(bar) != 1 || bar[0].Lines[0].Name != "Cà phê sữa đá" || bar[0].Lines[0].Modifiers[0] != "Ít đá" {
			t.Fatalf("bar board = %+v, %v", bar, err)
		}
		if other, _ := svc.Board(ctx, merchantB, "shop-1", "", ""); len(other) != 0 {
			t.Errorf("merchant B sees %d of A's tickets", len(other))
		}
		id := tickets[0].ID
		clk.Advance(3 * time.Minute)
		tk, err := svc.Bump(ctx, merchantA, id, nil)
		if err != nil || tk.Status != kitchen.StatusPreparing || tk.StartedAt == nil {
			t.Fatalf("bump: %+v, %v", tk, err)
		}
		clk.Advance(4 * time.Minute)
		if tk, err = svc.SetStatus(ctx, merchantA, id, kitchen.StatusReady, nil); err != nil || tk.PrepSeconds == nil || *tk.PrepSeconds != 420 {
			t.Fatalf("ready: %+v, %v; want prep 420 s", tk, err)
		}
		// Backwards is refused with the ticket as it is; recall is the way back.
		_, err = svc.SetStatus(ctx, merchantA, id, kitchen.StatusPreparing, nil)
		if apperr.KindOf(err) != apperr.Conflict || apperr.CurrentOf(err) == nil {
			t.Fatalf("backwards: %v, want a conflict carrying the ticket", err)
		}
		_, err = svc.SetStatus(ctx, merchantA, id, kitchen.StatusNew, nil)
		if apperr.KindOf(err) != apperr.Invalid {
			t.Fatalf("to new: %v, want invalid", err)
		}
		if tk, err = svc.Recall(ctx, merchantA, id, nil); err != nil || tk.Status != kitchen.StatusPreparing || tk.ReadyAt != nil {
			t.Fatalf("recall: %+v, %v", tk, err)
		}
		if _, err = svc.Recall(ctx, merchantA, id, nil); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("recall of a preparing ticket: %v", err)
		}
		for _, s := range []kitchen.Status{kitchen.StatusReady, kitchen.StatusServed} {
			if _, err := svc.SetStatus(ctx, merchantA, id, s, nil); err != nil {
				t.Fatal(err)
			}
		}
		if _, err = svc.Bump(ctx, merchantA, id, nil); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("bump past served: %v", err)
		}
		if live, _ := svc.Board(ctx, merchantA, "shop-1", "bar", ""); len(live) != 0 {
			t.Errorf("a served ticket is still on the live board: %+v", live)
		}
		if served, _ := svc.Board(ctx, merchantA, "shop-1", "bar", kitchen.StatusServed); len(served) != 1 {
			t.Errorf("served board: %+v", served)
		}
		_, err = svc.Bump(ctx, merchantB, id, nil)
		if apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("merchant B bumps A's ticket: %v", err)
		}
		denied := errors.New("no")
		if _, err := svc.Bump(ctx, merchantA, tickets[1].ID, func(string) error { return denied }); !errors.Is(err, denied) {
			t.Errorf("the caller's shop check is not applied: %v", err)
		}
		types := outbox(t, d, merchantA)
		want := []string{"ticket.created@shop.shop-1.kitchen.bar", "ticket.created@kitchen.events",
			"ticket.created@shop.shop-1.kitchen.kitchen", "ticket.created@kitchen.events"}
		if !slices.Equal(types[:4], want) || len(types) != 4+2*5 {
			t.Errorf("outbox = %v", types)
		}
	})
}

func TestConcurrentDisplaysMoveATicketOnce(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		svc := kitchen.New(d, clock.System{}, kitchen.Options{})
		tickets := create(t, d, svc, merchantA, kitchen.Batch{ShopID: "shop-1", OrderID: "o", Lines: []kitchen.BatchLine{
			{TicketLine: line("l1", "Phở", 1)}}})
		var wg sync.WaitGroup
		var mu sync.Mutex
		moved, stale := 0, 0
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := svc.SetStatus(context.Background(), merchantA, tickets[0].ID, kitchen.StatusPreparing, nil)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					moved++
				case apperr.KindOf(err) == apperr.Conflict || apperr.KindOf(err) == apperr.Unavailable:
					stale++
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n := len(outbox(t, d, merchantA)); n != 2+2 {
			t.Errorf("%d events for one status change (moved %d, stale %d); want one change recorded", n, moved, stale)
		}
	})
}

func outbox(t *testing.T, d *db.DB, m tenant.ID) []string {
	t.Helper()
	var out []string
	err := d.ReadTx(context.Background(), m, func(tx *sql.Tx) error {
		rows, err := tx.Query("SELECT type, subject FROM outbox WHERE merchant_id = $1 ORDER BY seq", string(m))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var typ, subject string
			if err := rows.Scan(&typ, &subject); err != nil {
				return err
			}
			out = append(out, typ+"@"+subject)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

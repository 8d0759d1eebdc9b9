package order_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/order"
	"github.com/goodgo/goodgo/internal/order/timebill"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

type anyShop struct{}

func (anyShop) CheckShop(context.Context, tenant.ID, string) error { return nil }

// A karaoke evening through the order module with the real rate engine: the small room from 19:00, a pause,
// a move to the VIP room, a manager's start-time correction (audited), the bill.
func TestKaraokeRoomTimeIsBilledOnTheOrder(t *testing.T) {
	dbtest.Each(t, []migrate.Source{events.Migrations, order.Migrations, timebill.Migrations}, func(t *testing.T, d *db.DB) {
		ictZone := time.FixedZone("ICT", 7*3600)
		clk := clock.NewFake(time.Date(2026, 11, 23, 19, 0, 0, 0, ictZone)) // a Monday
		rates := timebill.New(d, clk, anyShop{})
		ctx := context.Background()
		for roomType, price := range map[string]money.VND{"small": 120000, "vip": 300000} {
			if _, err := rates.PutPlan(ctx, merchantA, shop1, roomType, timebill.RatePlan{BlockMinutes: 15, MinimumMinutes: 60,
				Bands: []timebill.Band{{DayType: timebill.DayWeekday, Start: "00:00", End: "24:00", PricePerHour: price}}}); err != nil {
				t.Fatal(err)
			}
		}
		var audited []map[string]any
		svc := order.New(d, clk, order.Options{Catalog: fakeCatalog{}, Shops: fakeShops{}, Kitchen: &fakeKitchen{}, Rates: rates,
			Audit: func(_ context.Context, tx *sql.Tx, _ tenant.ID, event, actor string, detail map[string]any) error {
				if tx == nil || event != "order.timer_corrected" || actor != "manager" {
					t.Errorf("audit %s by %s outside a transaction", event, actor)
				}
				audited = append(audited, detail)
				return nil
			}})
		c := order.Change{Actor: "cashier"}
		o, err := svc.Open(ctx, merchantA, shop1, order.OpenInput{Type: order.Room, RoomID: "room-1", Guests: 6}, "cashier")
		if err != nil || o.TimeCharge == nil || !o.TimeCharge.Running {
			t.Fatalf("open room: %+v, %v", o.TimeCharge, err)
		}
		// 20 minutes in: the minimum hour is what is due so far.
		clk.Advance(20 * time.Minute)
		if o, err = svc.Get(ctx, merchantA, o.ID); err != nil || o.TimeCharge.Minutes != 20 || o.TimeCharge.BilledMinutes != 60 ||
			o.TimeCharge.Amount != 120000 || o.Totals.Total != 120000 {
			t.Fatalf("after 20 min: %+v totals %+v, %v", o.TimeCharge, o.Totals, err)
		}
		if o, err = svc.PauseTimer(ctx, merchantA, o.ID, c); err != nil || o.TimeCharge.Running {
			t.Fatalf("pause: %v", err)
		}
		if _, err = svc.PauseTimer(ctx, merchantA, o.ID, c); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("pause twice: %v", err)
		}
		clk.Advance(30 * time.Minute) // the break is not billed
		if _, err = svc.ResumeTimer(ctx, merchantA, o.ID, c); err != nil {
			t.Fatal(err)
		}
		clk.Advance(40 * time.Minute) // 60 min in the small room
		if _, err = svc.ChangeRoom(ctx, merchantA, o.ID, "room-vip", c); err != nil {
			t.Fatal(err)
		}
		clk.Advance(30 * time.Minute) // 30 min in the VIP room
		// The staff opened the room 10 minutes late: the manager moves the start back.
		if _, err := svc.CorrectTimerStart(ctx, merchantA, o.ID, o.OpenedAt.Add(-10*time.Minute), order.Change{Actor: "manager"}); err != nil {
			t.Fatal(err)
		}
		if len(audited) != 1 || audited[0]["order_id"] != o.ID {
			t.Errorf("audited %v", audited)
		}
		if o, err = svc.RequestBill(ctx, merchantA, o.ID, c); err != nil || o.Status != order.StatusBilling || o.TimeCharge.Running {
			t.Fatalf("bill: %+v, %v", o, err)
		}
		// 70 min small (120,000/h) + 30 min VIP (300,000/h) = 100 min, rounded to 105 at the VIP rate at the end.
		tc := o.TimeCharge
		wantAmount := money.VND(140000 + 150000 + 25000)
		if tc.Minutes != 100 || tc.BilledMinutes != 105 || tc.Amount != wantAmount || o.Totals.Total != wantAmount {
			t.Fatalf("billed time: %d min, %d billed, %d đ (total %d); want 100, 105, %d", tc.Minutes, tc.BilledMinutes,
				tc.Amount, o.Totals.Total, wantAmount)
		}
		var sum money.VND
		for _, s := range tc.Segments {
			sum += s.Amount
		}
		if sum != tc.Amount || len(tc.Stints) != 3 {
			t.Errorf("segments sum to %d (amount %d), stints %d", sum, tc.Amount, len(tc.Stints))
		}
		// Time does not run while billing.
		clk.Advance(time.Hour)
		if again, _ := svc.Get(ctx, merchantA, o.ID); again.TimeCharge.Amount != wantAmount {
			t.Errorf("the bill grew while billing: %d", again.TimeCharge.Amount)
		}
		if _, err := svc.ResumeTimer(ctx, merchantA, o.ID, c); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("resume after the bill: %v", err)
		}
		// The small room was freed by the move; a table order has no timer.
		if _, err := svc.Open(ctx, merchantA, shop1, order.OpenInput{Type: order.Room, RoomID: "room-1"}, "cashier"); err != nil {
			t.Errorf("the old room is not free: %v", err)
		}
		tableOrder, _ := svc.Open(ctx, merchantA, shop1, order.OpenInput{Type: order.DineIn, TableID: "table-5"}, "cashier")
		if _, err := svc.PauseTimer(ctx, merchantA, tableOrder.ID, c); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("pausing a table order: %v", err)
		}
	})
}

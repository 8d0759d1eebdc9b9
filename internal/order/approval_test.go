package order_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/order"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// fakeApprover knows one manager, "mgr", whose PIN is 2468, and a cashier "cash" (PIN 1357) who cannot approve.
type fakeApprover struct {
	mu    sync.Mutex
	calls int
}

func (a *fakeApprover) ApproveVoid(_ context.Context, m tenant.ID, shopID, staffID, pin string) (string, error) {
	a.mu.Lock()
	a.calls++
	a.mu.Unlock()
	switch {
	case m != merchantA || shopID != shop1:
		return "", apperr.E(apperr.Unauthenticated, "the staff member or PIN is wrong")
	case staffID == "mgr" && pin == "2468":
		return "mgr", nil
	case staffID == "cash" && pin == "1357":
		return "", apperr.E(apperr.Forbidden, "this staff member cannot approve voids in this shop")
	}
	return "", apperr.E(apperr.Unauthenticated, "the staff member or PIN is wrong")
}

type auditRecord struct {
	event, actor string
	detail       map[string]any
}

// settingsService is the order service over a shop whose table-sharing and void-approval settings are *terms.
func settingsService(d *db.DB, terms *order.Terms) (*order.Service, *fakeApprover, *[]auditRecord) {
	approver := &fakeApprover{}
	var audited []auditRecord
	svc := order.New(d, clock.NewFake(time.Date(2026, 11, 23, 5, 0, 0, 0, time.UTC)), order.Options{Catalog: fakeCatalog{},
		Shops: fakeShops{settings: terms}, Kitchen: &fakeKitchen{}, Approver: approver,
		Audit: func(_ context.Context, tx *sql.Tx, _ tenant.ID, event, actor string, detail map[string]any) error {
			if tx == nil {
				panic("audit outside the order's transaction")
			}
			audited = append(audited, auditRecord{event, actor, detail})
			return nil
		}})
	return svc, approver, &audited
}

func TestVoidsAboveTheThresholdNeedAManager(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		terms := &order.Terms{VoidApprovalThreshold: 100000}
		svc, approver, audited := settingsService(d, terms)
		ctx := context.Background()
		cashier := order.Change{Actor: "cashier", Manager: func(string) bool { return false }}
		o, err := svc.Open(ctx, merchantA, shop1, order.OpenInput{Type: order.DineIn, TableID: "table-5"}, "cashier")
		if err != nil {
			t.Fatal(err)
		}
		// Two phở (110,000 đ) and a coffee (29,000 đ) sent; three more phở not sent.
		for _, in := range []order.LineInput{{ProductID: "pho", Quantity: 2}, {ProductID: "cafe", Quantity: 1}} {
			if o, err = svc.AddLine(ctx, merchantA, o.ID, in, cashier); err != nil {
				t.Fatal(err)
			}
		}
		if o, _, err = svc.Submit(ctx, merchantA, o.ID, cashier); err != nil {
			t.Fatal(err)
		}
		if o, err = svc.AddLine(ctx, merchantA, o.ID, order.LineInput{ProductID: "pho", Quantity: 3}, cashier); err != nil {
			t.Fatal(err)
		}
		pho, cafe, unsent := o.Lines[0].ID, o.Lines[1].ID, o.Lines[2].ID

		// Under the threshold, and lines never sent (165,000 đ but nothing cooked), need nobody.
		if o, err = svc.VoidLine(ctx, merchantA, o.ID, cafe, "khách đổi ý", cashier); err != nil || o.Lines[1].VoidApprovedBy != "" {
			t.Fatalf("void under the threshold: %v", err)
		}
		if o, err = svc.VoidLine(ctx, merchantA, o.ID, unsent, "nhầm món", cashier); err != nil {
			t.Fatalf("void of an unsent line: %v", err)
		}
		if len(*audited) != 0 {
			t.Fatalf("voids under the threshold were audited as approvals: %+v", *audited)
		}
		version := o.Version

		// Above it: refused without approval, with a cashier's PIN, or a wrong PIN; nothing changes.
		refusals := map[string]struct {
			approval *order.Approval
			kind     apperr.Kind
		}{
			"no approval":    {nil, apperr.Forbidden},
			"cashier's PIN":  {&order.Approval{StaffID: "cash", PIN: "1357"}, apperr.Forbidden},
			"wrong PIN":      {&order.Approval{StaffID: "mgr", PIN: "1111"}, apperr.Unauthenticated},
			"unknown person": {&order.Approval{StaffID: "nobody", PIN: "2468"}, apperr.Unauthenticated},
		}
		for name, r := range refusals {
			c := cashier
			c.Approval = r.approval
			if _, err := svc.VoidLine(ctx, merchantA, o.ID, pho, "khách không ăn", c); apperr.KindOf(err) != r.kind {
				t.Errorf("%s: got %v, want %s", name, err, r.kind)
			}
		}
		if o, _ = svc.Get(ctx, merchantA, o.ID); o.Version != version || o.Lines[0].Status != "sent" {
			t.Fatalf("a refused void changed the order: version %d → %d, line %s", version, o.Version, o.Lines[0].Status)
		}

		// A manager's PIN approves it: the line records the manager, the audit log both people.
		c := cashier
		c.Approval = &order.Approval{StaffID: "mgr", PIN: "2468"}
		if o, err = svc.VoidLine(ctx, merchantA, o.ID, pho, "khách không ăn", c); err != nil {
			t.Fatal(err)
		}
		if l := o.Lines[0]; l.Status != "voided" || l.VoidApprovedBy != "mgr" {
			t.Fatalf("approved void: %+v", l)
		}
		if len(*audited) != 1 || (*audited)[0].event != order.EventVoidApproved || (*audited)[0].actor != "cashier" ||
			(*audited)[0].detail["approved_by"] != "mgr" || (*audited)[0].detail["order_line_id"] != pho {
			t.Fatalf("audit: %+v", *audited)
		}
		if approver.calls != 4 {
			t.Errorf("PIN checks: %d, want 4 (one per approval given)", approver.calls)
		}
	})
}

func TestCancellingAboveTheThresholdNeedsAManager(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		svc, _, audited := settingsService(d, &order.Terms{VoidApprovalThreshold: 50000})
		ctx := context.Background()
		cashier := order.Change{Actor: "cashier", Manager: func(string) bool { return false }}
		manager := order.Change{Actor: "owner", Manager: func(shopID string) bool { return shopID == shop1 }}
		for _, who := range []order.Change{cashier, manager} {
			o, err := svc.Open(ctx, merchantA, shop1, order.OpenInput{Type: order.Takeaway}, who.Actor)
			if err != nil {
				t.Fatal(err)
			}
			if _, err = svc.AddLine(ctx, merchantA, o.ID, order.LineInput{ProductID: "pho", Quantity: 1}, who); err != nil {
				t.Fatal(err)
			}
			if _, _, err = svc.Submit(ctx, merchantA, o.ID, who); err != nil {
				t.Fatal(err)
			}
			_, err = svc.Cancel(ctx, merchantA, o.ID, "khách bỏ về", who)
			switch {
			case who.Actor == "cashier" && apperr.KindOf(err) != apperr.Forbidden:
				t.Errorf("a cashier cancelled 55,000 đ of cooked food alone: %v", err)
			case who.Actor == "owner" && err != nil:
				t.Errorf("the owner's own role approves: %v", err)
			}
		}
		if len(*audited) != 1 || (*audited)[0].detail["approved_by"] != "owner" || (*audited)[0].detail["cancelled"] != true {
			t.Errorf("audit: %+v", *audited)
		}
	})
}

func TestSeveralOrdersPerTableWhenTheShopAllows(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		terms := &order.Terms{}
		svc, _, _ := settingsService(d, terms)
		ctx := context.Background()
		open := func(table string) (order.Order, error) {
			return svc.Open(ctx, merchantA, shop1, order.OpenInput{Type: order.DineIn, TableID: table}, "waiter")
		}
		first, err := open("table-5")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := open("table-5"); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("second order on a table by default: %v", err)
		}
		terms.SeveralOrdersPerTable = true
		second, err := open("table-5")
		if err != nil {
			t.Fatalf("second order on a shared table: %v", err)
		}
		third, err := open("table-6")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.MoveTable(ctx, merchantA, third.ID, "table-5", order.Change{Actor: "waiter"}); err != nil {
			t.Fatalf("moving onto a shared table: %v", err)
		}
		// The shop goes back to one order per table: the table is taken while any of them is live, and an
		// order cannot move onto it.
		terms.SeveralOrdersPerTable = false
		if _, err := open("table-5"); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("a new order next to shared ones: %v", err)
		}
		fourth, err := open("table-7")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.MoveTable(ctx, merchantA, fourth.ID, "table-5", order.Change{Actor: "waiter"}); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("moving onto a taken table: %v", err)
		}
		for _, o := range []order.Order{first, second, third} {
			if _, err := svc.Cancel(ctx, merchantA, o.ID, "test", order.Change{Actor: "waiter"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := open("table-5"); err != nil {
			t.Fatalf("the table is free again: %v", err)
		}
	})
}

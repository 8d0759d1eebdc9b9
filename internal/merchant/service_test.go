package merchant_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/merchant"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/rbac"
	"github.com/goodgo/goodgo/internal/platform/secretbox"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// sources are the migrations the module's tests need: the module's own, the outbox it writes events to, and
// the idempotency keys of the HTTP layer.
var sources = []migrate.Source{events.Migrations, httpapi.Migrations, merchant.Migrations}

var t0 = time.Date(2026, 3, 2, 1, 30, 0, 123456789, time.UTC)

// env is a service over a fresh database with a fake clock.
type env struct {
	d   *db.DB
	clk *clock.Fake
	svc *merchant.Service

	mu     sync.Mutex
	audits []audited // what the service asked the audit log to record, in transactions that may have rolled back
}

type audited struct {
	merchant tenant.ID
	merchant.AuditRecord
}

func newEnv(t *testing.T, d *db.DB) *env { return newEnvWith(t, d, nil) }

// newEnvWith is newEnv with options changed by tune: the service seals provider secrets with a fresh key and
// records its audit entries in env.audits.
func newEnvWith(t *testing.T, d *db.DB, tune func(*merchant.Options)) *env {
	t.Helper()
	clk := clock.NewFake(t0)
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{d: d, clk: clk}
	opts := merchant.Options{Secrets: box, Audit: func(_ context.Context, _ *sql.Tx, m tenant.ID, r merchant.AuditRecord) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.audits = append(e.audits, audited{m, r})
		return nil
	}}
	if tune != nil {
		tune(&opts)
	}
	e.svc = merchant.New(d, clk, opts)
	return e
}

// auditEvents lists the events audited for merchant m, in order.
func (e *env) auditEvents(m tenant.ID) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, a := range e.audits {
		if a.merchant == m {
			out = append(out, a.Event)
		}
	}
	return out
}

func (e *env) merchant(t *testing.T, name string) merchant.Merchant {
	t.Helper()
	m, err := e.svc.CreateMerchant(context.Background(), merchant.MerchantInput{Name: name, OwnerUserID: "owner-of-" + name})
	if err != nil {
		t.Fatalf("create merchant %s: %v", name, err)
	}
	return m
}

func (e *env) shop(t *testing.T, m tenant.ID, name string) merchant.Shop {
	t.Helper()
	s, err := e.svc.CreateShop(context.Background(), m, merchant.ShopInput{Name: name, BusinessType: merchant.Cafe, VATRatePercent: 8})
	if err != nil {
		t.Fatalf("create shop %s: %v", name, err)
	}
	return s
}

func wantKind(t *testing.T, err error, want apperr.Kind) {
	t.Helper()
	if got := apperr.KindOf(err); got != want {
		t.Fatalf("error kind = %v (%v), want %v", got, err, want)
	}
}

func defaults(t *testing.T, e *env, m tenant.ID) []string {
	t.Helper()
	page, err := e.svc.ListShops(context.Background(), m, merchant.ShopQuery{Limit: merchant.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range page.Items {
		if s.IsDefault {
			out = append(out, s.ID)
		}
	}
	return out
}

// outboxTypes returns the types of merchant m's events in the outbox, oldest first.
func outboxTypes(t *testing.T, d *db.DB, m tenant.ID) []string {
	t.Helper()
	var types []string
	err := d.ReadTx(context.Background(), m, func(tx *sql.Tx) error {
		rows, err := tx.Query("SELECT type FROM outbox WHERE merchant_id = $1 ORDER BY seq", string(m))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var typ string
			if err := rows.Scan(&typ); err != nil {
				return err
			}
			types = append(types, typ)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return types
}

func TestCreateMerchantStartsAProTrialThenFallsBackToFree(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		m := e.merchant(t, "Cà phê Sữa")
		if m.PlanID != merchant.PlanFree || m.TrialPlanID != merchant.PlanPro {
			t.Fatalf("plan %q trial %q, want free with a pro trial", m.PlanID, m.TrialPlanID)
		}
		if m.TrialEndsAt == nil || !m.TrialEndsAt.Equal(m.CreatedAt.Add(30*24*time.Hour)) {
			t.Fatalf("trial ends %v, want created %v + 30 days", m.TrialEndsAt, m.CreatedAt)
		}
		tests := []struct {
			name      string
			advance   time.Duration
			wantPlan  string
			wantTrial bool
			wantShops int
		}{
			{"during the trial", 29 * 24 * time.Hour, merchant.PlanPro, true, 10},
			{"when the trial ends", 24 * time.Hour, merchant.PlanFree, false, 1},
		}
		for _, tt := range tests {
			e.clk.Advance(tt.advance)
			p, err := e.svc.Profile(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if p.Plan.ID != tt.wantPlan || p.OnTrial != tt.wantTrial || p.Plan.MaxShops != tt.wantShops {
				t.Errorf("%s: plan %+v on_trial %v, want %s (%d shops) on_trial %v", tt.name, p.Plan, p.OnTrial,
					tt.wantPlan, tt.wantShops, tt.wantTrial)
			}
		}
		ms, err := e.svc.MembershipsOf(ctx, m.OwnerUserID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 1 || ms[0].Role != rbac.Owner || ms[0].ShopID != "" || ms[0].MerchantID != m.ID {
			t.Fatalf("owner memberships = %+v, want one merchant-wide owner", ms)
		}
		_, err = e.svc.CreateMerchant(ctx, merchant.MerchantInput{Name: "  ", OwnerUserID: "u"})
		wantKind(t, err, apperr.Invalid)
	})
}

func TestShopLimitFollowsThePlanEvenUnderConcurrentCreation(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		m := e.merchant(t, "Phở Hà")
		e.clk.Advance(merchant.TrialLength) // the trial is over: Free allows one shop

		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = e.svc.CreateShop(ctx, m.ID, merchant.ShopInput{Name: fmt.Sprintf("Chi nhánh %d", i),
					BusinessType: merchant.Restaurant, VATRatePercent: 10})
			})
		}
		wg.Wait()
		created := 0
		for _, err := range errs {
			switch {
			case err == nil:
				created++
			case apperr.Is(err, apperr.Conflict):
				if !strings.Contains(apperr.Message(err), "plan limit") {
					t.Errorf("conflict message %q does not name the plan limit", apperr.Message(err))
				}
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if created != 1 {
			t.Fatalf("%d shops created concurrently on the Free plan, want 1", created)
		}
		p, err := e.svc.Profile(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Usage.Shops != 1 {
			t.Fatalf("usage shops = %d, want 1", p.Usage.Shops)
		}
	})
}

func TestExactlyOneDefaultShop(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		m := e.merchant(t, "Bia Hơi").ID
		first := e.shop(t, m, "Một")
		second := e.shop(t, m, "Hai")
		third := e.shop(t, m, "Ba")
		if !first.IsDefault || second.IsDefault || third.IsDefault {
			t.Fatalf("defaults after creation: %v %v %v, want only the first", first.IsDefault, second.IsDefault, third.IsDefault)
		}

		_, err := e.svc.ArchiveShop(ctx, m, first.ID)
		wantKind(t, err, apperr.Conflict)

		got, err := e.svc.SetDefaultShop(ctx, m, third.ID)
		if err != nil || !got.IsDefault {
			t.Fatalf("set default: %+v, %v", got, err)
		}
		if got := defaults(t, e, m); !slices.Equal(got, []string{third.ID}) {
			t.Fatalf("defaults = %v, want [%s]", got, third.ID)
		}

		// Many concurrent switches between every shop: each succeeds and one default remains.
		shops := []string{first.ID, second.ID, third.ID}
		const calls = 12
		var wg sync.WaitGroup
		errs := make([]error, calls)
		for i := range calls {
			wg.Go(func() {
				_, errs[i] = e.svc.SetDefaultShop(ctx, m, shops[i%len(shops)])
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("concurrent set-default %d: %v", i, err)
			}
		}
		if got := defaults(t, e, m); len(got) != 1 {
			t.Fatalf("defaults after concurrent switches = %v, want exactly one", got)
		}

		// Archiving a non-default shop is fine; the last shop may be archived even though it is the default,
		// and the next shop created becomes the default.
		def := defaults(t, e, m)[0]
		for _, id := range shops {
			if id != def {
				if _, err := e.svc.ArchiveShop(ctx, m, id); err != nil {
					t.Fatalf("archive %s: %v", id, err)
				}
			}
		}
		if _, err := e.svc.ArchiveShop(ctx, m, def); err != nil {
			t.Fatalf("archive the last shop: %v", err)
		}
		_, err = e.svc.SetDefaultShop(ctx, m, def)
		wantKind(t, err, apperr.Conflict)
		if next := e.shop(t, m, "Bốn"); !next.IsDefault {
			t.Fatal("a shop created while the merchant has no default did not become the default")
		}

		types := outboxTypes(t, d, m)
		for _, want := range []string{merchant.EventShopCreated, merchant.EventShopSetAsDefault, merchant.EventShopArchived} {
			if !slices.Contains(types, want) {
				t.Errorf("outbox %v lacks %s", types, want)
			}
		}
	})
}

func TestListShopsPagesWithAnOpaqueCursor(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		m := e.merchant(t, "Chuỗi").ID
		other := e.merchant(t, "Khác").ID
		e.shop(t, other, "Không phải của tôi")
		var want []string
		for i := range 7 {
			if i%3 == 0 {
				e.clk.Advance(time.Second) // some shops share a creation time: the id breaks the tie
			}
			want = append(want, e.shop(t, m, fmt.Sprintf("Shop %d", i)).ID)
		}
		archived := want[1]
		if _, err := e.svc.ArchiveShop(ctx, m, archived); err != nil {
			t.Fatal(err)
		}
		collect := func(q merchant.ShopQuery) []string {
			var got []string
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatal("pagination does not end")
				}
				page, err := e.svc.ListShops(ctx, m, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Items) > q.Limit {
					t.Fatalf("page of %d items, limit %d", len(page.Items), q.Limit)
				}
				for _, s := range page.Items {
					got = append(got, s.ID)
				}
				if page.NextCursor == "" {
					return got
				}
				q.Cursor = page.NextCursor
			}
		}
		live := slices.DeleteFunc(slices.Clone(want), func(id string) bool { return id == archived })
		tests := []struct {
			name string
			q    merchant.ShopQuery
			want []string
		}{
			{"live shops", merchant.ShopQuery{Limit: 3}, live},
			{"with archived", merchant.ShopQuery{Limit: 2, IncludeArchived: true}, want},
			{"one page", merchant.ShopQuery{Limit: 50}, live},
			{"staff reach", merchant.ShopQuery{Limit: 1, Restricted: true, Only: []string{want[4], want[0], want[1], "nope"}},
				[]string{want[0], want[4]}},
			{"staff reach none", merchant.ShopQuery{Limit: 5, Restricted: true}, nil},
		}
		for _, tt := range tests {
			if got := collect(tt.q); !slices.Equal(got, tt.want) {
				t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
			}
		}
		for _, bad := range []string{"%%%", "bm9wZQ", "MTIzOg"} {
			_, err := e.svc.ListShops(ctx, m, merchant.ShopQuery{Cursor: bad})
			wantKind(t, err, apperr.Invalid)
		}
	})
}

func TestShopSettingsValidation(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		m := e.merchant(t, "Cài đặt").ID
		s := e.shop(t, m, "Gốc")
		ptr := func(v int) *int { return &v }
		str := func(v string) *string { return &v }
		tests := []struct {
			name      string
			patch     merchant.ShopPatch
			wantField string
		}{
			{"negative service charge", merchant.ShopPatch{ServiceChargePercent: ptr(-1)}, "service_charge_percent"},
			{"service charge over 100", merchant.ShopPatch{ServiceChargePercent: ptr(101)}, "service_charge_percent"},
			{"vat 7", merchant.ShopPatch{VATRatePercent: ptr(7)}, "vat_rate_percent"},
			{"blank name", merchant.ShopPatch{Name: str("   ")}, "name"},
			{"short BIN", merchant.ShopPatch{BankBIN: str("97041"), BankAccountNumber: str("123")}, "bank_bin"},
			{"BIN without account", merchant.ShopPatch{BankBIN: str("970415")}, "bank_account_number"},
		}
		for _, tt := range tests {
			_, err := e.svc.UpdateShop(ctx, m, s.ID, tt.patch)
			wantKind(t, err, apperr.Invalid)
			if f := apperr.Fields(err); len(f) == 0 || f[0].Field != tt.wantField {
				t.Errorf("%s: fields %+v, want %s", tt.name, f, tt.wantField)
			}
		}
		got, err := e.svc.Shop(ctx, m, s.ID)
		if err != nil || got != s {
			t.Fatalf("shop changed by refused patches: %+v, %v (was %+v)", got, err, s)
		}
		ok := merchant.ShopPatch{ServiceChargePercent: ptr(5), BankBIN: str("970415"), BankAccountNumber: str("0123456789"),
			BankAccountName: str("NGUYEN VAN A"), PricesIncludeVAT: new(bool)}
		got, err = e.svc.UpdateShop(ctx, m, s.ID, ok)
		if err != nil {
			t.Fatal(err)
		}
		if got.ServiceChargePercent != 5 || got.BankBIN != "970415" || got.PricesIncludeVAT || got.Name != "Gốc" {
			t.Fatalf("after patch: %+v", got)
		}
		if reread, _ := e.svc.Shop(ctx, m, s.ID); reread != got {
			t.Fatalf("stored %+v, returned %+v", reread, got)
		}
	})
}

func TestFloorAndQRTokens(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		m := e.merchant(t, "Karaoke Vui").ID
		s := e.shop(t, m, "Q1")
		area, err := e.svc.CreateArea(ctx, m, s.ID, merchant.AreaInput{Name: "Tầng 1"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.CreateArea(ctx, m, s.ID, merchant.AreaInput{Name: "Tầng 1"})
		wantKind(t, err, apperr.Conflict)

		table, err := e.svc.CreateTable(ctx, m, s.ID, merchant.TableInput{AreaID: area.ID, Name: "B1", Seats: 4})
		if err != nil {
			t.Fatal(err)
		}
		if table.Shape != merchant.Square || len(table.QRToken) < 22 {
			t.Fatalf("table %+v: want square with a QR token of >= 128 bits", table)
		}
		room, err := e.svc.CreateRoom(ctx, m, s.ID, merchant.RoomInput{Name: "VIP 1", RoomType: merchant.RoomVIP})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.CreateTable(ctx, m, s.ID, merchant.TableInput{AreaID: "no-such-area", Name: "B2", Seats: 2})
		wantKind(t, err, apperr.Invalid)
		_, err = e.svc.CreateTable(ctx, m, s.ID, merchant.TableInput{AreaID: area.ID, Name: "B2", Seats: -1})
		wantKind(t, err, apperr.Invalid)
		_, err = e.svc.CreateRoom(ctx, m, s.ID, merchant.RoomInput{Name: "X", RoomType: "Not A Slug"})
		wantKind(t, err, apperr.Invalid)

		ref, err := e.svc.ResolveQRToken(ctx, table.QRToken)
		if err != nil || ref != (merchant.TableRef{MerchantID: m, ShopID: s.ID, TableID: table.ID}) {
			t.Fatalf("resolve table token: %+v, %v", ref, err)
		}
		ref, err = e.svc.ResolveQRToken(ctx, room.QRToken)
		if err != nil || ref != (merchant.TableRef{MerchantID: m, ShopID: s.ID, RoomID: room.ID}) {
			t.Fatalf("resolve room token: %+v, %v", ref, err)
		}

		rotated, err := e.svc.RotateTableQR(ctx, m, s.ID, table.ID)
		if err != nil || rotated.QRToken == table.QRToken {
			t.Fatalf("rotate: %+v, %v", rotated, err)
		}
		_, err = e.svc.ResolveQRToken(ctx, table.QRToken)
		wantKind(t, err, apperr.NotFound)
		if ref, err := e.svc.ResolveQRToken(ctx, rotated.QRToken); err != nil || ref.TableID != table.ID {
			t.Fatalf("resolve rotated token: %+v, %v", ref, err)
		}

		floor, err := e.svc.Floor(ctx, m, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(floor.Areas) != 1 || len(floor.Areas[0].Tables) != 1 || floor.Areas[0].Tables[0].QRToken != rotated.QRToken ||
			len(floor.Rooms) != 1 || floor.Rooms[0].QRToken != room.QRToken {
			t.Fatalf("floor = %+v", floor)
		}

		err = e.svc.DeleteArea(ctx, m, s.ID, area.ID)
		wantKind(t, err, apperr.Conflict)
		if err := e.svc.DeleteTable(ctx, m, s.ID, table.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.ResolveQRToken(ctx, rotated.QRToken)
		wantKind(t, err, apperr.NotFound)
		if err := e.svc.DeleteArea(ctx, m, s.ID, area.ID); err != nil {
			t.Fatal(err)
		}
		// The name of a deleted area is free again.
		if _, err := e.svc.CreateArea(ctx, m, s.ID, merchant.AreaInput{Name: "Tầng 1"}); err != nil {
			t.Fatal(err)
		}

		// Archiving the shop stops its QR codes and freezes its floor.
		if _, err := e.svc.ArchiveShop(ctx, m, s.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.ResolveQRToken(ctx, room.QRToken)
		wantKind(t, err, apperr.NotFound)
		_, err = e.svc.CreateRoom(ctx, m, s.ID, merchant.RoomInput{Name: "VIP 2", RoomType: merchant.RoomVIP})
		wantKind(t, err, apperr.Conflict)

		for _, junk := range []string{"", "short", strings.Repeat("A", 24) + "=", "../../etc/passwd......."} {
			_, err := e.svc.ResolveQRToken(ctx, junk)
			wantKind(t, err, apperr.NotFound)
		}
	})
}

// TestTenantsAreIsolated checks that every read and change of one merchant's shop, area, table or room by
// another merchant is NotFound, and — on PostgreSQL — that a tenant transaction cannot read another tenant's
// floor, QR tokens or memberships even with SQL that forgets the merchant filter (the system path that
// ResolveQRToken and MembershipsOf use is unreachable from it).
func TestTenantsAreIsolated(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		a := e.merchant(t, "A").ID
		b := e.merchant(t, "B").ID
		s := e.shop(t, a, "A1")
		e.shop(t, b, "B1")
		area, err := e.svc.CreateArea(ctx, a, s.ID, merchant.AreaInput{Name: "Sân vườn"})
		if err != nil {
			t.Fatal(err)
		}
		table, err := e.svc.CreateTable(ctx, a, s.ID, merchant.TableInput{AreaID: area.ID, Name: "T1", Seats: 2})
		if err != nil {
			t.Fatal(err)
		}
		room, err := e.svc.CreateRoom(ctx, a, s.ID, merchant.RoomInput{Name: "R1", RoomType: merchant.RoomSmall})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AddStaff(ctx, a, merchant.StaffInput{ShopID: s.ID, UserID: "cashier-a", Role: "cashier"}); err != nil {
			t.Fatal(err)
		}
		name := "x"
		calls := map[string]func() error{
			"shop":        func() error { _, err := e.svc.Shop(ctx, b, s.ID); return err },
			"update shop": func() error { _, err := e.svc.UpdateShop(ctx, b, s.ID, merchant.ShopPatch{Name: &name}); return err },
			"archive":     func() error { _, err := e.svc.ArchiveShop(ctx, b, s.ID); return err },
			"set default": func() error { _, err := e.svc.SetDefaultShop(ctx, b, s.ID); return err },
			"floor":       func() error { _, err := e.svc.Floor(ctx, b, s.ID); return err },
			"area":        func() error { _, err := e.svc.CreateArea(ctx, b, s.ID, merchant.AreaInput{Name: "x"}); return err },
			"update area": func() error {
				_, err := e.svc.UpdateArea(ctx, b, s.ID, area.ID, merchant.AreaPatch{Name: &name})
				return err
			},
			"delete area": func() error { return e.svc.DeleteArea(ctx, b, s.ID, area.ID) },
			"table": func() error {
				_, err := e.svc.CreateTable(ctx, b, s.ID, merchant.TableInput{AreaID: area.ID, Name: "x", Seats: 1})
				return err
			},
			"update table": func() error {
				_, err := e.svc.UpdateTable(ctx, b, s.ID, table.ID, merchant.TablePatch{Name: &name})
				return err
			},
			"delete table": func() error { return e.svc.DeleteTable(ctx, b, s.ID, table.ID) },
			"rotate table": func() error { _, err := e.svc.RotateTableQR(ctx, b, s.ID, table.ID); return err },
			"room": func() error {
				_, err := e.svc.CreateRoom(ctx, b, s.ID, merchant.RoomInput{Name: "x", RoomType: "vip"})
				return err
			},
			"update room": func() error {
				_, err := e.svc.UpdateRoom(ctx, b, s.ID, room.ID, merchant.RoomPatch{Name: &name})
				return err
			},
			"delete room": func() error { return e.svc.DeleteRoom(ctx, b, s.ID, room.ID) },
			"rotate room": func() error { _, err := e.svc.RotateRoomQR(ctx, b, s.ID, room.ID); return err },
			"add staff": func() error {
				_, err := e.svc.AddStaff(ctx, b, merchant.StaffInput{ShopID: s.ID, UserID: "u", Role: "waiter"})
				return err
			},
			"remove staff": func() error { return e.svc.RemoveStaff(ctx, b, s.ID, "cashier-a") },
		}
		for name, call := range calls {
			if err := call(); apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("%s of merchant A's shop by merchant B: %v, want not found", name, err)
			}
		}
		if f, err := e.svc.Floor(ctx, a, s.ID); err != nil || len(f.Areas[0].Tables) != 1 || len(f.Rooms) != 1 {
			t.Fatalf("merchant A's floor after B's attempts: %+v, %v", f, err)
		}

		if d.Dialect() != db.Postgres {
			return // SQLite has no row-level security: the queries' merchant filters, tested above, are the isolation
		}
		unfiltered := map[string]string{
			"QR token":    "SELECT COUNT(*) FROM floor_qr_tokens WHERE token = $1",
			"tables":      "SELECT COUNT(*) FROM floor_tables WHERE $1 <> ''",
			"rooms":       "SELECT COUNT(*) FROM floor_rooms WHERE $1 <> ''",
			"areas":       "SELECT COUNT(*) FROM floor_areas WHERE $1 <> ''",
			"memberships": "SELECT COUNT(*) FROM shop_staff WHERE user_id = $1 OR $1 <> ''",
			"shops":       "SELECT COUNT(*) FROM shops WHERE merchant_id <> $1",
			"merchants":   "SELECT COUNT(*) FROM merchants WHERE merchant_id <> $1",
		}
		for what, q := range unfiltered {
			arg := table.QRToken
			if what == "shops" || what == "merchants" {
				arg = string(b)
			}
			var n int
			err := d.ReadTx(ctx, b, func(tx *sql.Tx) error { return tx.QueryRow(q, arg).Scan(&n) })
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if what == "memberships" {
				n -= 1 // B's own owner membership
			}
			if n != 0 {
				t.Errorf("merchant B's transaction sees %d of merchant A's %s", n, what)
			}
		}
		// Writing a token into another tenant is refused by the policy's WITH CHECK.
		err = d.WithTx(ctx, b, func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO floor_qr_tokens (target_id, token, merchant_id, shop_id, target_kind, created_at)
				VALUES ('t', 'tok', $1, 's', 'table', $2)`, string(a), t0)
			return err
		})
		if err == nil {
			t.Error("merchant B's transaction wrote a QR token into merchant A")
		}
	})
}

func TestStaffMemberships(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		mer := e.merchant(t, "Nhân sự")
		m := mer.ID
		s1 := e.shop(t, m, "S1")
		e.clk.Advance(merchant.TrialLength) // Free: 1 shop, 5 staff

		tests := []struct {
			in   merchant.StaffInput
			want apperr.Kind
		}{
			{merchant.StaffInput{ShopID: s1.ID, UserID: "u1", Role: "cashier"}, apperr.Unknown},
			{merchant.StaffInput{ShopID: s1.ID, UserID: "u1", Role: "waiter"}, apperr.Conflict}, // one role per shop
			{merchant.StaffInput{ShopID: "", UserID: "u2", Role: "manager"}, apperr.Unknown},
			{merchant.StaffInput{ShopID: "", UserID: "u3", Role: "cashier"}, apperr.Invalid}, // shop roles need a shop
			{merchant.StaffInput{ShopID: s1.ID, UserID: "u3", Role: "owner"}, apperr.Invalid},
			{merchant.StaffInput{ShopID: s1.ID, UserID: "u3", Role: "chef"}, apperr.Invalid},
			{merchant.StaffInput{ShopID: s1.ID, UserID: "", Role: "kitchen"}, apperr.Invalid},
			{merchant.StaffInput{ShopID: "nope", UserID: "u3", Role: "kitchen"}, apperr.NotFound},
			{merchant.StaffInput{ShopID: s1.ID, UserID: "u3", Role: "kitchen"}, apperr.Unknown},
			{merchant.StaffInput{ShopID: s1.ID, UserID: "u4", Role: "waiter"}, apperr.Unknown},
			{merchant.StaffInput{ShopID: s1.ID, UserID: "u5", Role: "waiter"}, apperr.Unknown},
			{merchant.StaffInput{ShopID: s1.ID, UserID: "u6", Role: "waiter"}, apperr.Conflict}, // the sixth person
			{merchant.StaffInput{ShopID: s1.ID, UserID: mer.OwnerUserID, Role: "cashier"}, apperr.Unknown},
		}
		for i, tt := range tests {
			_, err := e.svc.AddStaff(ctx, m, tt.in)
			if got := apperr.KindOf(err); got != tt.want || (tt.want == apperr.Unknown) != (err == nil) {
				t.Errorf("%d: add %+v: %v (kind %v), want kind %v", i, tt.in, err, got, tt.want)
			}
		}
		p, err := e.svc.Profile(ctx, m)
		if err != nil || p.Usage.Staff != 5 {
			t.Fatalf("usage %+v, %v: want 5 staff", p.Usage, err)
		}
		ms, err := e.svc.MembershipsOf(ctx, "u1")
		if err != nil || len(ms) != 1 || ms[0].Role != rbac.Cashier || ms[0].ShopID != s1.ID {
			t.Fatalf("memberships of u1 = %+v, %v", ms, err)
		}
		if err := e.svc.RemoveStaff(ctx, m, s1.ID, "u1"); err != nil {
			t.Fatal(err)
		}
		wantKind(t, e.svc.RemoveStaff(ctx, m, s1.ID, "u1"), apperr.NotFound)
		wantKind(t, e.svc.RemoveStaff(ctx, m, "", mer.OwnerUserID), apperr.NotFound) // the owner stays
		if _, err := e.svc.AddStaff(ctx, m, merchant.StaffInput{ShopID: s1.ID, UserID: "u6", Role: "waiter"}); err != nil {
			t.Fatalf("a freed place is usable: %v", err)
		}
		if ms, _ := e.svc.MembershipsOf(ctx, "u1"); len(ms) != 0 {
			t.Fatalf("memberships of a removed person = %+v", ms)
		}
		staff, err := e.svc.ShopStaff(ctx, m, s1.ID)
		if err != nil || len(staff) != 5 {
			t.Fatalf("shop staff = %d, %v; want 5 (u3 u4 u5 u6 and the owner's cashier role)", len(staff), err)
		}
	})
}

func TestArchiveMerchant(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		mer := e.merchant(t, "Tạm biệt")
		m := mer.ID
		s1, s2 := e.shop(t, m, "S1"), e.shop(t, m, "S2")
		area, _ := e.svc.CreateArea(ctx, m, s2.ID, merchant.AreaInput{Name: "A"})
		table, err := e.svc.CreateTable(ctx, m, s2.ID, merchant.TableInput{AreaID: area.ID, Name: "T", Seats: 2})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AddStaff(ctx, m, merchant.StaffInput{ShopID: s1.ID, UserID: "w", Role: "waiter"}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ArchiveMerchant(ctx, m); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ArchiveMerchant(ctx, m); err != nil {
			t.Fatalf("archiving twice: %v", err)
		}
		p, err := e.svc.Profile(ctx, m)
		if err != nil || p.ArchivedAt == nil || p.Usage.Shops != 0 || p.Usage.Staff != 0 {
			t.Fatalf("profile after archive: %+v, %v", p, err)
		}
		for _, id := range []string{s1.ID, s2.ID} {
			if s, _ := e.svc.Shop(ctx, m, id); s.ArchivedAt == nil || s.IsDefault {
				t.Errorf("shop %s after archiving the merchant: %+v", id, s)
			}
		}
		_, err = e.svc.ResolveQRToken(ctx, table.QRToken)
		wantKind(t, err, apperr.NotFound)
		for _, user := range []string{"w", mer.OwnerUserID} {
			if ms, _ := e.svc.MembershipsOf(ctx, user); len(ms) != 0 {
				t.Errorf("memberships of %s after archive: %+v", user, ms)
			}
		}
		_, err = e.svc.CreateShop(ctx, m, merchant.ShopInput{Name: "Again", BusinessType: merchant.Bar})
		wantKind(t, err, apperr.Conflict)
		name := "Mới"
		_, err = e.svc.UpdateProfile(ctx, m, merchant.ProfileInput{Name: &name})
		wantKind(t, err, apperr.Conflict)
		if types := outboxTypes(t, d, m); !slices.Contains(types, merchant.EventMerchantArchived) {
			t.Errorf("outbox %v lacks %s", types, merchant.EventMerchantArchived)
		}
		wantKind(t, e.svc.ArchiveMerchant(ctx, "no-such-merchant"), apperr.NotFound)
	})
}

func TestProfileUpdate(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		m := e.merchant(t, "Hồ sơ").ID
		s := func(v string) *string { return &v }
		tests := []struct {
			name      string
			in        merchant.ProfileInput
			wantField string
		}{
			{"bad email", merchant.ProfileInput{Email: s("not-an-email")}, "email"},
			{"bad phone", merchant.ProfileInput{Phone: s("call me")}, "phone"},
			{"empty name", merchant.ProfileInput{Name: s("")}, "name"},
			{"good", merchant.ProfileInput{Name: s(" Hồ sơ mới "), Phone: s("+84 90 123 4567"), Email: s("chu@quan.vn"),
				Address: s("1 Lê Lợi, Q1")}, ""},
		}
		for _, tt := range tests {
			p, err := e.svc.UpdateProfile(ctx, m, tt.in)
			if tt.wantField == "" {
				if err != nil || p.Name != "Hồ sơ mới" || p.Email != "chu@quan.vn" {
					t.Errorf("%s: %+v, %v", tt.name, p, err)
				}
				continue
			}
			if f := apperr.Fields(err); len(f) != 1 || f[0].Field != tt.wantField {
				t.Errorf("%s: %v fields %+v, want %s", tt.name, err, f, tt.wantField)
			}
		}
	})
}

// TestSchemaIsolatesEveryTenantTable checks the migrations: the same tables and columns on both engines, and
// on PostgreSQL row-level security enabled, forced and with a policy on every table with a merchant_id.
func TestSchemaIsolatesEveryTenantTable(t *testing.T) {
	schemas := map[db.Dialect]map[string]migrate.Table{}
	dbtest.Each(t, []migrate.Source{merchant.Migrations}, func(t *testing.T, d *db.DB) {
		s, err := migrate.Schema(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		schemas[d.Dialect()] = s
		for name, table := range s {
			if d.Dialect() == db.Postgres && slices.Contains(table.Columns, "merchant_id") &&
				(!table.RLS || !table.ForceRLS || table.Policies == 0) {
				t.Errorf("tenant table %s: rls %v force %v policies %d", name, table.RLS, table.ForceRLS, table.Policies)
			}
		}
		if _, ok := s["merchant_plans"]; !ok {
			t.Fatal("no merchant_plans table")
		}
	})
	lite, pg := schemas[db.SQLite], schemas[db.Postgres]
	if pg == nil {
		return
	}
	for name, table := range lite {
		if !slices.Equal(table.Columns, pg[name].Columns) {
			t.Errorf("table %s: sqlite columns %v, postgres %v", name, table.Columns, pg[name].Columns)
		}
	}
	if len(lite) != len(pg) {
		t.Errorf("sqlite has %d tables, postgres %d", len(lite), len(pg))
	}
}

func TestCreateMerchantInTxCommitsOrRollsBackWithTheCaller(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		failed := tenant.ID(db.NewID())
		signUpFailed := errors.New("the user's insert failed")
		err := d.WithTx(ctx, failed, func(tx *sql.Tx) error {
			if _, err := e.svc.CreateMerchantInTx(ctx, tx, failed, merchant.MerchantInput{Name: "Hủy", OwnerUserID: "u1"}); err != nil {
				return err
			}
			return signUpFailed
		})
		if !errors.Is(err, signUpFailed) {
			t.Fatalf("sign-up: %v", err)
		}
		_, err = e.svc.Merchant(ctx, failed)
		wantKind(t, err, apperr.NotFound)
		if ms, _ := e.svc.MembershipsOf(ctx, "u1"); len(ms) != 0 {
			t.Fatalf("memberships survived the rollback: %+v", ms)
		}

		id := tenant.ID(db.NewID())
		err = d.WithTx(ctx, id, func(tx *sql.Tx) error {
			_, err := e.svc.CreateMerchantInTx(ctx, tx, id, merchant.MerchantInput{Name: "", OwnerUserID: "u2"})
			return err
		})
		if f := apperr.Fields(err); len(f) != 1 || f[0].Field != "body.merchant_name" {
			t.Fatalf("empty name: %v, fields %+v", err, f)
		}
		err = d.WithTx(ctx, id, func(tx *sql.Tx) error {
			_, err := e.svc.CreateMerchantInTx(ctx, tx, id, merchant.MerchantInput{Name: "Giữ", OwnerUserID: "u2"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if m, err := e.svc.Merchant(ctx, id); err != nil || m.Name != "Giữ" || m.OwnerUserID != "u2" {
			t.Fatalf("committed merchant: %+v, %v", m, err)
		}
	})
}

func TestRolesByMerchant(t *testing.T) {
	ms := []merchant.Membership{
		{MerchantID: "m1", ShopID: "", Role: rbac.Manager},
		{MerchantID: "m1", ShopID: "s1", Role: rbac.Cashier},
		{MerchantID: "m1", ShopID: "s2", Role: rbac.Kitchen},
		{MerchantID: "m2", ShopID: "s9", Role: rbac.Waiter},
	}
	got := merchant.RolesByMerchant(ms)
	want := []merchant.Roles{
		{MerchantID: "m1", Roles: []string{"manager"}, ShopRoles: map[string][]string{"s1": {"cashier"}, "s2": {"kitchen"}}},
		{MerchantID: "m2", ShopRoles: map[string][]string{"s9": {"waiter"}}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if got := merchant.RolesByMerchant(nil); len(got) != 0 {
		t.Fatalf("no memberships: %+v", got)
	}
}

package catalog_test

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/catalog"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// sources are the migrations the module's tests need: its own, the outbox and the idempotency keys.
var sources = []migrate.Source{events.Migrations, httpapi.Migrations, catalog.Migrations}

var t0 = time.Date(2026, 3, 2, 1, 30, 0, 123456789, time.UTC)

// fakeShops is the merchant module as the catalog sees it: shops by id, some archived.
type fakeShops struct {
	mu       sync.Mutex
	shops    map[string]catalog.ShopRef
	archived map[string]bool
	publicN  int // PublicShop calls, to see the cache at work
}

func newFakeShops() *fakeShops {
	return &fakeShops{shops: map[string]catalog.ShopRef{}, archived: map[string]bool{}}
}

func (f *fakeShops) add(m tenant.ID, name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := db.NewID()
	f.shops[id] = catalog.ShopRef{ID: id, MerchantID: m, Name: name}
	return id
}

func (f *fakeShops) archive(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.archived[id] = true
}

func (f *fakeShops) Shop(_ context.Context, m tenant.ID, id string) (catalog.ShopRef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.shops[id]
	if !ok || s.MerchantID != m || f.archived[id] {
		return catalog.ShopRef{}, apperr.E(apperr.NotFound, "shop not found")
	}
	return s, nil
}

func (f *fakeShops) PublicShop(_ context.Context, id string) (catalog.ShopRef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.publicN++
	s, ok := f.shops[id]
	if !ok || f.archived[id] {
		return catalog.ShopRef{}, apperr.E(apperr.NotFound, "shop not found")
	}
	return s, nil
}

func (f *fakeShops) ShopIDs(_ context.Context, m tenant.ID) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for id, s := range f.shops {
		if s.MerchantID == m && !f.archived[id] {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}

// fakeImages knows which files are images of which merchant.
type fakeImages map[string]tenant.ID

func (f fakeImages) ImageURL(_ context.Context, m tenant.ID, fileID string, ttl time.Duration) (string, error) {
	if f[fileID] != m {
		return "", apperr.E(apperr.NotFound, "file not found")
	}
	return "https://files.example/" + fileID + "?ttl=" + ttl.String(), nil
}

// env is a service over a fresh database with a fake clock, fake shops and images.
type env struct {
	d      *db.DB
	clk    *clock.Fake
	shops  *fakeShops
	images fakeImages
	svc    *catalog.Service
	nudges int
}

func newEnv(t testing.TB, d *db.DB) *env {
	e := &env{d: d, clk: clock.NewFake(t0), shops: newFakeShops(), images: fakeImages{}}
	e.svc = catalog.New(d, e.clk, catalog.Options{Shops: e.shops, Images: e.images, Nudge: func() { e.nudges++ }})
	return e
}

// merchant returns a new merchant id with one shop.
func (e *env) merchant(name string) (tenant.ID, string) {
	m := tenant.ID(db.NewID())
	return m, e.shops.add(m, name+" 1")
}

func wantKind(t *testing.T, err error, want apperr.Kind) {
	t.Helper()
	if got := apperr.KindOf(err); got != want {
		t.Fatalf("error kind = %v (%v), want %v", got, err, want)
	}
}

func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	wantKind(t, err, apperr.Invalid)
	var got []string
	for _, f := range apperr.Fields(err) {
		got = append(got, f.Field)
	}
	for _, f := range fields {
		if !slices.Contains(got, f) {
			t.Fatalf("field errors %v (%v), want %s among them", got, err, f)
		}
	}
}

// outboxEvent is one row of the outbox.
type outboxEvent struct {
	Subject, Type, ShopID, Data string
}

// outbox returns merchant m's events, oldest first.
func outbox(t testing.TB, d *db.DB, m tenant.ID) []outboxEvent {
	t.Helper()
	var out []outboxEvent
	err := d.ReadTx(context.Background(), m, func(tx *sql.Tx) error {
		rows, err := tx.Query("SELECT subject, type, shop_id, data FROM outbox WHERE merchant_id = $1 ORDER BY seq", string(m))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ev outboxEvent
			var data []byte
			if err := rows.Scan(&ev.Subject, &ev.Type, &ev.ShopID, &data); err != nil {
				return err
			}
			ev.Data = string(data)
			out = append(out, ev)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

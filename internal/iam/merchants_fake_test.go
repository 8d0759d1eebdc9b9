package iam

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// fakeMerchants stands in for the merchant module: it remembers merchants and who may do what in memory.
// CreateMerchant checks that it runs inside the sign-up transaction of the merchant it creates (on
// PostgreSQL the transaction carries app.merchant_id), as the real one relies on.
type fakeMerchants struct {
	d     *db.DB
	clock clock.Clock

	mu        sync.Mutex
	merchants map[tenant.ID]MerchantInfo
	access    map[string]Access
	failNext  error
	// devices[shop] lists the registered terminals' secrets of a shop that requires them.
	devices map[string][]string
}

func newFakeMerchants(d *db.DB, c clock.Clock) *fakeMerchants {
	return &fakeMerchants{d: d, clock: c, merchants: map[tenant.ID]MerchantInfo{}, access: map[string]Access{}}
}

func (f *fakeMerchants) CreateMerchant(ctx context.Context, tx *sql.Tx, id tenant.ID, name, owner string) (MerchantInfo, error) {
	if f.d.Dialect() == db.Postgres {
		var inTx string
		if err := tx.QueryRowContext(ctx, "SELECT current_setting('app.merchant_id', true)").Scan(&inTx); err != nil {
			return MerchantInfo{}, err
		}
		if inTx != string(id) {
			return MerchantInfo{}, fmt.Errorf("fake merchants: transaction is for merchant %q, not %q", inTx, id)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failNext; err != nil {
		f.failNext = nil
		return MerchantInfo{}, err
	}
	m := MerchantInfo{ID: id, Name: name, Plan: "pro", TrialEndsAt: f.clock.Now().Add(30 * 24 * time.Hour)}
	f.merchants[id] = m
	f.access[owner] = Access{MerchantID: id, Roles: []string{"owner"}}
	return m, nil
}

func (f *fakeMerchants) Access(_ context.Context, userID string) (Access, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.access[userID]
	if !ok {
		return Access{}, apperr.E(apperr.NotFound, "no merchant")
	}
	out := Access{MerchantID: a.MerchantID, Roles: slices.Clone(a.Roles), ShopRoles: map[string][]string{}}
	for shop, roles := range a.ShopRoles {
		out.ShopRoles[shop] = slices.Clone(roles)
	}
	if m, ok := f.merchants[a.MerchantID]; ok {
		out.Merchant = &m
	}
	return out, nil
}

// grant sets what userID may do in merchant: merchant-wide roles and per-shop roles.
func (f *fakeMerchants) grant(userID string, merchant tenant.ID, roles []string, shopRoles map[string][]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.access[userID] = Access{MerchantID: merchant, Roles: roles, ShopRoles: maps.Clone(shopRoles)}
}

// CheckDevice refuses a shop with registered devices (requireDevices) unless secret is one of them.
func (f *fakeMerchants) CheckDevice(_ context.Context, shopID, secret string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	secrets, required := f.devices[shopID]
	if i := slices.Index(secrets, secret); secret != "" && i >= 0 {
		return fmt.Sprintf("device-%d", i), nil
	}
	if required {
		return "", apperr.E(apperr.Forbidden, "this shop accepts PIN sign-in from its registered terminals only")
	}
	return "", nil
}

// requireDevices makes shop accept PIN sign-in only from terminals holding one of secrets.
func (f *fakeMerchants) requireDevices(shop string, secrets ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.devices == nil {
		f.devices = map[string][]string{}
	}
	f.devices[shop] = secrets
}

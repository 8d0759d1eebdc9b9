package merchant_test

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/goodgo/goodgo/internal/merchant"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

func TestTransferMovesTheShopWithItsFloorAndEndsItsMemberships(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		var moves []merchant.ShopMove
		e := newEnvWith(t, d, func(o *merchant.Options) {
			o.Transfer = []merchant.TransferStep{
				{Module: "first", Move: func(_ context.Context, _ *sql.Tx, mv *merchant.ShopMove) error {
					mv.IDs["product-old"] = "product-new"
					moves = append(moves, *mv)
					return nil
				}},
				{Module: "second", Move: func(_ context.Context, _ *sql.Tx, mv *merchant.ShopMove) error {
					if mv.IDs["product-old"] != "product-new" {
						t.Errorf("the second step does not see the first step's ids: %v", mv.IDs)
					}
					return nil
				}},
			}
		})
		ctx := context.Background()
		a, b := e.merchant(t, "A").ID, e.merchant(t, "B").ID
		a1, a2 := e.shop(t, a, "A1"), e.shop(t, a, "A2")
		b1 := e.shop(t, b, "B1")
		area, err := e.svc.CreateArea(ctx, a, a1.ID, merchant.AreaInput{Name: "Tầng 1"})
		if err != nil {
			t.Fatal(err)
		}
		table, err := e.svc.CreateTable(ctx, a, a1.ID, merchant.TableInput{AreaID: area.ID, Name: "B1", Seats: 4})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AddStaff(ctx, a, merchant.StaffInput{ShopID: a1.ID, UserID: "cashier", Role: "cashier"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetProviderCredentials(ctx, a, a1.ID, "vnpay", "TMN00001", map[string]string{"hash_secret": "s"}, "owner"); err != nil {
			t.Fatal(err)
		}

		moved, err := e.svc.TransferShop(ctx, a, a1.ID, b, "owner-of-A")
		if err != nil {
			t.Fatal(err)
		}
		if moved.ID != a1.ID || moved.IsDefault {
			t.Errorf("moved shop = %+v; B already has a default, so A1 must not become it", moved)
		}
		if _, err := e.svc.Shop(ctx, a, a1.ID); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("A still sees A1: %v", err)
		}
		got, err := e.svc.Shop(ctx, b, a1.ID)
		if err != nil || got.Name != "A1" {
			t.Fatalf("B's view of A1: %+v, %v", got, err)
		}
		if ds := defaults(t, e, a); !slices.Equal(ds, []string{a2.ID}) {
			t.Errorf("A's defaults after its default left: %v, want A2", ds)
		}
		if ds := defaults(t, e, b); !slices.Equal(ds, []string{b1.ID}) {
			t.Errorf("B's defaults: %v, want B1 only", ds)
		}
		f, err := e.svc.Floor(ctx, b, a1.ID)
		if err != nil || len(f.Areas) != 1 || len(f.Areas[0].Tables) != 1 {
			t.Fatalf("B's floor of A1: %+v, %v", f, err)
		}
		ref, err := e.svc.ResolveQRToken(ctx, table.QRToken)
		if err != nil || ref.MerchantID != b || ref.TableID != table.ID {
			t.Errorf("QR token after transfer resolves to %+v, %v; want B's table", ref, err)
		}
		if staff, err := e.svc.ShopStaff(ctx, b, a1.ID); err != nil || len(staff) != 0 {
			t.Errorf("memberships in the moved shop: %v, %v; want none", staff, err)
		}
		if ms, _ := e.svc.MembershipsOf(ctx, "cashier"); len(ms) != 0 {
			t.Errorf("the cashier still holds %v", ms)
		}
		if c, err := e.svc.Credentials(ctx, b, a1.ID, "vnpay"); err != nil || c.Secrets["hash_secret"] != "s" {
			t.Errorf("provider account after transfer: %+v, %v", c, err)
		}
		if len(moves) != 1 || moves[0].From != a || moves[0].To != b || moves[0].ShopID != a1.ID {
			t.Errorf("steps saw %+v", moves)
		}
		for _, m := range []tenant.ID{a, b} {
			if types := outboxTypes(t, d, m); !slices.Contains(types, merchant.EventShopTransferred) {
				t.Errorf("merchant %s's events: %v, want %s", m, types, merchant.EventShopTransferred)
			}
		}
		if got := e.auditEvents(a); !slices.Contains(got, merchant.AuditShopTransferOut) {
			t.Errorf("A's audit: %v", got)
		}
		if got := e.auditEvents(b); !slices.Contains(got, merchant.AuditShopTransferIn) {
			t.Errorf("B's audit: %v", got)
		}
	})
}

func TestTransferIsRefusedWholeWhenAStepRefuses(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		moved := false
		e := newEnvWith(t, d, func(o *merchant.Options) {
			o.Transfer = []merchant.TransferStep{
				{Module: "catalog", Move: func(context.Context, *sql.Tx, *merchant.ShopMove) error { moved = true; return nil }},
				{Module: "order", Check: func(context.Context, *sql.Tx, merchant.ShopMove) error {
					return apperr.E(apperr.Conflict, "the shop has 2 open orders")
				}},
			}
		})
		ctx := context.Background()
		a, b := e.merchant(t, "A").ID, e.merchant(t, "B").ID
		a1 := e.shop(t, a, "A1")
		_, err := e.svc.TransferShop(ctx, a, a1.ID, b, "owner-of-A")
		wantKind(t, err, apperr.Conflict)
		if !strings.Contains(err.Error(), "open orders") {
			t.Errorf("refusal = %v", err)
		}
		if moved {
			t.Error("a step moved data although the transfer was refused")
		}
		if sh, err := e.svc.Shop(ctx, a, a1.ID); err != nil || !sh.IsDefault {
			t.Errorf("A1 after the refused transfer: %+v, %v", sh, err)
		}
	})
}

func TestTransferRefusals(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		a, b := e.merchant(t, "A").ID, e.merchant(t, "B").ID
		a1, b1 := e.shop(t, a, "A1"), e.shop(t, b, "B1")
		for name, c := range map[string]struct {
			from     tenant.ID
			shop     string
			to       tenant.ID
			want     apperr.Kind
			wantText string
		}{
			"to itself":               {a, a1.ID, a, apperr.Invalid, "another merchant"},
			"to nobody":               {a, a1.ID, "no-such-merchant", apperr.Invalid, "no active merchant"},
			"another merchant's shop": {a, b1.ID, b, apperr.NotFound, "shop"},
		} {
			_, err := e.svc.TransferShop(ctx, c.from, c.shop, c.to, "x")
			text := err.Error()
			if fs := apperr.Fields(err); len(fs) > 0 {
				text = fs[0].Message
			}
			if apperr.KindOf(err) != c.want || !strings.Contains(text, c.wantText) {
				t.Errorf("%s: %v, want %v mentioning %q", name, err, c.want, c.wantText)
			}
		}
		// The receiving merchant's plan limits shops: archive B, then A1 has nowhere to go.
		if err := e.svc.ArchiveMerchant(ctx, b); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.TransferShop(ctx, a, a1.ID, b, "x")
		wantKind(t, err, apperr.Invalid)
	})
}

func TestStaffRoleChangesAreAuditedAndManagersStayTheOwners(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		a := e.merchant(t, "A").ID
		a1 := e.shop(t, a, "A1")
		for user, role := range map[string]string{"cashier": "cashier", "boss": "manager"} {
			if _, err := e.svc.AddStaff(ctx, a, merchant.StaffInput{ShopID: a1.ID, UserID: user, Role: role}); err != nil {
				t.Fatal(err)
			}
		}
		// A manager may not promote to manager nor touch a manager.
		_, err := e.svc.ChangeStaffRole(ctx, a, a1.ID, "cashier", "manager", "boss", false)
		wantKind(t, err, apperr.Forbidden)
		wantKind(t, e.svc.RemoveShopStaff(ctx, a, a1.ID, "boss", "boss", false), apperr.Forbidden)
		// A manager may move a cashier to waiter; the owner may promote.
		ms, err := e.svc.ChangeStaffRole(ctx, a, a1.ID, "cashier", "waiter", "boss", false)
		if err != nil || ms.Role != "waiter" {
			t.Fatalf("change to waiter: %+v, %v", ms, err)
		}
		_, err = e.svc.ChangeStaffRole(ctx, a, a1.ID, "cashier", "owner", "owner-of-A", true)
		wantKind(t, err, apperr.Invalid)
		_, err = e.svc.ChangeStaffRole(ctx, a, a1.ID, "nobody", "waiter", "owner-of-A", true)
		wantKind(t, err, apperr.NotFound)
		if err := e.svc.RemoveShopStaff(ctx, a, a1.ID, "cashier", "owner-of-A", true); err != nil {
			t.Fatal(err)
		}
		wantKind(t, e.svc.RemoveShopStaff(ctx, a, a1.ID, "cashier", "owner-of-A", true), apperr.NotFound)
		staff, err := e.svc.ListStaff(ctx, a, a1.ID)
		if err != nil || len(staff) != 1 || staff[0].UserID != "boss" {
			t.Errorf("staff left: %+v, %v", staff, err)
		}
		got := e.auditEvents(a)
		want := []string{merchant.AuditStaffRoleChanged, merchant.AuditStaffRemoved}
		if !slices.Equal(got, want) {
			t.Errorf("audited %v, want %v", got, want)
		}
	})
}

func TestRegisteredDevicesGatePINSignIn(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		a := e.merchant(t, "A").ID
		a1, a2 := e.shop(t, a, "A1"), e.shop(t, a, "A2")
		dev, err := e.svc.RegisterDevice(ctx, a, a1.ID, "Quầy 1", "owner-of-A")
		if err != nil {
			t.Fatal(err)
		}
		// Not required yet: any terminal passes; a registered one is recognised.
		if id, err := e.svc.CheckDevice(ctx, a1.ID, ""); err != nil || id != "" {
			t.Errorf("unregistered terminal, not required: %q, %v", id, err)
		}
		if id, err := e.svc.CheckDevice(ctx, a1.ID, dev.Secret); err != nil || id != dev.ID {
			t.Errorf("registered terminal: %q, %v", id, err)
		}
		on := true
		if _, err := e.svc.UpdateShop(ctx, a, a1.ID, merchant.ShopPatch{RequireRegisteredDevice: &on}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.CheckDevice(ctx, a1.ID, "")
		wantKind(t, err, apperr.Forbidden)
		_, err = e.svc.CheckDevice(ctx, a1.ID, dev.Secret+"x")
		wantKind(t, err, apperr.Forbidden)
		if _, err := e.svc.CheckDevice(ctx, a1.ID, dev.Secret); err != nil {
			t.Errorf("registered terminal refused: %v", err)
		}
		// A device belongs to its shop only.
		if _, err := e.svc.UpdateShop(ctx, a, a2.ID, merchant.ShopPatch{RequireRegisteredDevice: &on}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.CheckDevice(ctx, a2.ID, dev.Secret)
		wantKind(t, err, apperr.Forbidden)
		devs, err := e.svc.Devices(ctx, a, a1.ID)
		if err != nil || len(devs) != 1 || devs[0].LastUsedAt == nil {
			t.Errorf("devices: %+v, %v; want one, used", devs, err)
		}
		if err := e.svc.RevokeDevice(ctx, a, a1.ID, dev.ID, "owner-of-A"); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.CheckDevice(ctx, a1.ID, dev.Secret)
		wantKind(t, err, apperr.Forbidden)
		wantKind(t, e.svc.RevokeDevice(ctx, a, a1.ID, dev.ID, "owner-of-A"), apperr.NotFound)
		if got := e.auditEvents(a); !slices.Equal(got, []string{merchant.AuditDeviceRegistered, merchant.AuditDeviceRevoked}) {
			t.Errorf("audited %v", got)
		}
	})
}

func TestProviderSecretsAreSealedAndNeverShown(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		a, b := e.merchant(t, "A").ID, e.merchant(t, "B").ID
		a1, a2, b1 := e.shop(t, a, "A1"), e.shop(t, a, "A2"), e.shop(t, b, "B1")
		const secret = "VERY-SECRET-HASH-KEY"
		acct, err := e.svc.SetProviderCredentials(ctx, a, a1.ID, "vnpay", "TMN00001", map[string]string{"hash_secret": secret}, "owner")
		if err != nil {
			t.Fatal(err)
		}
		if acct.AccountRef != "TMN00001" || !slices.Equal(acct.SecretsSet, []string{"hash_secret"}) {
			t.Errorf("account = %+v", acct)
		}
		var sealed string
		if err := d.ReadTx(ctx, a, func(tx *sql.Tx) error {
			return tx.QueryRow("SELECT sealed FROM shop_provider_credentials WHERE merchant_id = $1", string(a)).Scan(&sealed)
		}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(sealed, secret) || strings.Contains(sealed, "hash_secret") {
			t.Fatalf("the secret is stored in clear: %q", sealed)
		}
		c, err := e.svc.Credentials(ctx, a, a1.ID, "vnpay")
		if err != nil || c.Secrets["hash_secret"] != secret {
			t.Fatalf("credentials = %+v, %v", c, err)
		}
		// Callbacks find the shop by reference alone, in any merchant.
		found, err := e.svc.FindCredentials(ctx, "vnpay", "TMN00001")
		if err != nil || len(found) != 1 || found[0].MerchantID != a || found[0].ShopID != a1.ID {
			t.Errorf("find by reference: %+v, %v", found, err)
		}
		// A sealed value copied to another shop's row does not open there.
		if err := d.WithTx(ctx, a, func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO shop_provider_credentials (shop_id, provider, merchant_id, account_ref, sealed, updated_by, updated_at)
				SELECT $1, provider, merchant_id, account_ref, sealed, updated_by, updated_at FROM shop_provider_credentials WHERE shop_id = $2`, a2.ID, a1.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Credentials(ctx, a, a2.ID, "vnpay"); err == nil {
			t.Error("a sealed secret opened under another shop")
		}
		// Bad input changes nothing; another merchant's shop is not found.
		for name, secrets := range map[string]map[string]string{
			"missing secret": {},
			"unknown secret": {"hash_secret": "x", "extra": "y"},
		} {
			_, err := e.svc.SetProviderCredentials(ctx, a, a1.ID, "vnpay", "TMN00001", secrets, "owner")
			if apperr.KindOf(err) != apperr.Invalid {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
		_, err = e.svc.SetProviderCredentials(ctx, a, a1.ID, "paypal", "x", map[string]string{}, "owner")
		wantKind(t, err, apperr.Invalid)
		_, err = e.svc.SetProviderCredentials(ctx, a, b1.ID, "vnpay", "TMN00002", map[string]string{"hash_secret": "x"}, "owner")
		wantKind(t, err, apperr.NotFound)
		_, err = e.svc.Credentials(ctx, b, a1.ID, "vnpay")
		wantKind(t, err, apperr.NotFound)
		if list, err := e.svc.ProviderAccounts(ctx, a, a1.ID); err != nil || len(list) != 1 {
			t.Errorf("list: %+v, %v", list, err)
		}
		if err := e.svc.RemoveProviderCredentials(ctx, a, a1.ID, "vnpay", "owner"); err != nil {
			t.Fatal(err)
		}
		// What is left under that reference is the copied row, which does not open: the lookup says so.
		if found, err := e.svc.FindCredentials(ctx, "vnpay", "TMN00001"); err == nil {
			t.Errorf("after removal, find by reference: %+v; the copied row must not open", found)
		}
	})
}

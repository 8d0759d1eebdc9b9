package merchant

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/merchant/merchantdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// ShopMove describes a shop transfer to the modules whose data moves with the shop.
type ShopMove struct {
	ShopID   string
	From, To tenant.ID
	At       time.Time
	// IDs maps the ids of From's merchant-level records the shop uses (categories, products, variants,
	// modifier options, stock items) to the ids of their copies in To. Steps fill it as they run, so a later
	// step (stock, orders) can point its moved rows at the copies an earlier one (catalog) made.
	IDs map[string]string
}

// TransferStep is one module's part of a shop transfer. Both functions run inside the transfer's system
// transaction (app.system = 'on'), and must touch only rows of the shop or of the two merchants.
type TransferStep struct {
	Module string
	// Check refuses the transfer with an apperr.Conflict error while the module's state forbids it (open
	// orders). Nil when the module never refuses.
	Check func(ctx context.Context, tx *sql.Tx, mv ShopMove) error
	// Move moves the module's rows of the shop to To and copies the merchant-level records they use.
	Move func(ctx context.Context, tx *sql.Tx, mv *ShopMove) error
}

// ShopTransferred is the data of the shop.transferred event.
type ShopTransferred struct {
	ShopID         string    `json:"shop_id"`
	FromMerchantID tenant.ID `json:"from_merchant_id"`
	ToMerchantID   tenant.ID `json:"to_merchant_id"`
	Shop           Shop      `json:"shop"`
}

// TransferShop gives shop shopID of merchant from to merchant to, with its floor, registered devices,
// provider accounts, and everything the other modules' steps move (stock levels, orders, payments, report
// history; the products and stock items it uses are copied into to's catalog). Its staff memberships end.
// If it was from's default shop, from's oldest remaining shop becomes the default; it becomes to's default
// if to has none. Both merchants' audit logs and outboxes record it.
//
// It returns an apperr.Invalid error for an unknown, archived or identical receiving merchant, NotFound for
// a shop that is not from's, Conflict for an archived shop, a receiving merchant at its plan's shop limit,
// or a step's refusal (open orders).
func (s *Service) TransferShop(ctx context.Context, from tenant.ID, shopID string, to tenant.ID, actor string) (Shop, error) {
	to = tenant.ID(strings.TrimSpace(string(to)))
	if to == "" {
		return Shop{}, apperr.WithField("body.to_merchant_id", "must be another merchant's id")
	}
	var out Shop
	err := s.db.WithSystemTx(ctx, "transfer a shop to another merchant", func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		// Another merchant's shop is not found, whatever else is wrong with the request.
		if _, err := loadShop(ctx, q, from, shopID); err != nil {
			return err
		}
		// Lock both merchants in id order, so two opposite transfers cannot deadlock.
		first, second := from, to
		if second < first {
			first, second = second, first
		}
		for _, m := range []tenant.ID{first, second} {
			if err := lockMerchant(ctx, q, m); err != nil {
				if m == to {
					return apperr.WithField("body.to_merchant_id", "no active merchant has this id")
				}
				return err
			}
		}
		sh, err := liveShop(ctx, q, from, shopID)
		if err != nil {
			return err
		}
		if to == from {
			return apperr.WithField("body.to_merchant_id", "must be another merchant's id")
		}
		now := s.now()
		receiver, err := loadMerchant(ctx, q, to)
		if err != nil {
			return err
		}
		plan, err := planOf(ctx, q, receiver, now)
		if err != nil {
			return err
		}
		live, err := q.CountLiveShops(ctx, string(to))
		if err != nil {
			return fmt.Errorf("count shops: %w", err)
		}
		if live >= int64(plan.MaxShops) {
			return apperr.E(apperr.Conflict, "the receiving merchant's %s plan allows %d shop(s) and it has them all", plan.Name, plan.MaxShops)
		}
		mv := ShopMove{ShopID: shopID, From: from, To: to, At: now, IDs: map[string]string{}}
		for _, st := range s.transfer {
			if st.Check == nil {
				continue
			}
			if err := st.Check(ctx, tx, mv); err != nil {
				return fmt.Errorf("%s: %w", st.Module, err)
			}
		}
		defaults, err := q.CountDefaultShops(ctx, string(to))
		if err != nil {
			return fmt.Errorf("count default shops: %w", err)
		}
		ended, err := moveShopRows(ctx, q, sh, from, to, defaults == 0, now)
		if err != nil {
			return err
		}
		for _, st := range s.transfer {
			if st.Move == nil {
				continue
			}
			if err := st.Move(ctx, tx, &mv); err != nil {
				return fmt.Errorf("%s: %w", st.Module, err)
			}
		}
		out = sh
		out.IsDefault, out.UpdatedAt = defaults == 0, now
		data := ShopTransferred{ShopID: shopID, FromMerchantID: from, ToMerchantID: to, Shop: out}
		for _, m := range []tenant.ID{from, to} {
			if err := addEvent(ctx, tx, m, shopID, EventShopTransferred, now, data); err != nil {
				return err
			}
		}
		detail := map[string]any{"shop_id": shopID, "from_merchant_id": string(from), "to_merchant_id": string(to),
			"memberships_ended": ended}
		if err := s.audit(ctx, tx, from, AuditRecord{Event: AuditShopTransferOut, Actor: actor, Detail: detail}); err != nil {
			return err
		}
		return s.audit(ctx, tx, to, AuditRecord{Event: AuditShopTransferIn, Actor: actor, Detail: detail})
	})
	if err != nil {
		return Shop{}, fmt.Errorf("transfer shop %s: %w", shopID, err)
	}
	s.nudge()
	s.changed(ctx, shopID, from, to)
	return out, nil
}

// moveShopRows moves the module's own rows of shop sh from merchant from to merchant to.
// It returns how many memberships ended.
func moveShopRows(ctx context.Context, q *merchantdb.Queries, sh Shop, from, to tenant.ID, makeDefault bool, now time.Time) (int, error) {
	n, err := q.MoveShop(ctx, merchantdb.MoveShopParams{ToMerchantID: string(to), IsDefault: makeDefault, Now: now,
		ID: sh.ID, FromMerchantID: string(from)})
	if err != nil {
		return 0, fmt.Errorf("move shop: %w", err)
	}
	if n != 1 {
		return 0, fmt.Errorf("move shop: %d rows changed", n)
	}
	f, t := string(from), string(to)
	steps := []struct {
		what string
		run  func() error
	}{
		{"areas", func() error {
			return q.MoveFloorAreas(ctx, merchantdb.MoveFloorAreasParams{ToMerchantID: t, ShopID: sh.ID, FromMerchantID: f})
		}},
		{"tables", func() error {
			return q.MoveFloorTables(ctx, merchantdb.MoveFloorTablesParams{ToMerchantID: t, ShopID: sh.ID, FromMerchantID: f})
		}},
		{"rooms", func() error {
			return q.MoveFloorRooms(ctx, merchantdb.MoveFloorRoomsParams{ToMerchantID: t, ShopID: sh.ID, FromMerchantID: f})
		}},
		{"QR tokens", func() error {
			return q.MoveQRTokens(ctx, merchantdb.MoveQRTokensParams{ToMerchantID: t, ShopID: sh.ID, FromMerchantID: f})
		}},
		{"devices", func() error {
			return q.MoveDevices(ctx, merchantdb.MoveDevicesParams{ToMerchantID: t, ShopID: sh.ID, FromMerchantID: f})
		}},
		{"provider accounts", func() error {
			return q.MoveProviderCredentials(ctx, merchantdb.MoveProviderCredentialsParams{ToMerchantID: t, ShopID: sh.ID, FromMerchantID: f})
		}},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			return 0, fmt.Errorf("move %s: %w", st.what, err)
		}
	}
	ended, err := q.EndShopMembershipsForTransfer(ctx, merchantdb.EndShopMembershipsForTransferParams{
		Now: sql.NullTime{Time: now, Valid: true}, MerchantID: f, ShopID: sh.ID})
	if err != nil {
		return 0, fmt.Errorf("end memberships: %w", err)
	}
	if sh.IsDefault {
		if err := q.PromoteOldestShop(ctx, merchantdb.PromoteOldestShopParams{Now: now, MerchantID: f}); err != nil {
			return 0, fmt.Errorf("choose a new default shop: %w", err)
		}
	}
	return len(ended), nil
}

package merchant

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/merchant/merchantdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/rbac"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Options tune a Service.
type Options struct {
	// Nudge, if set, is called after a transaction that wrote events has committed, so they are published
	// without waiting for the relay's next poll (the composition root passes events.Relay.Nudge).
	Nudge func()
	// Accounts creates sign-in accounts for new staff (the iam module, wired by the composition root).
	// Without it the staff route is not offered.
	Accounts StaffAccounts
	// Audit writes an entry in the merchant's security audit log inside tx (the iam module's log, wired by
	// the composition root). Without it nothing is audited.
	Audit func(ctx context.Context, tx *sql.Tx, m tenant.ID, r AuditRecord) error
	// Secrets seals payment-provider secrets at rest. Without it the provider routes are not offered.
	Secrets Sealer
	// Transfer lists the other modules' steps of a shop transfer, in the order they run.
	Transfer []TransferStep
	// ShopChanged, if set, is called after a commit that renamed, archived or transferred a shop, with the
	// merchants concerned (caches of other modules keyed by shop drop it).
	ShopChanged func(ctx context.Context, shopID string, merchants ...tenant.ID)
}

// Service runs the module's use cases, each in one transaction of the merchant it concerns.
type Service struct {
	db       *db.DB
	clk      clock.Clock
	nudge    func()
	accounts StaffAccounts
	auditLog func(ctx context.Context, tx *sql.Tx, m tenant.ID, r AuditRecord) error
	secrets  Sealer
	transfer []TransferStep
	changed  func(ctx context.Context, shopID string, merchants ...tenant.ID)
}

// New returns the service over d (migrated with Migrations and events.Migrations), telling time with clk.
func New(d *db.DB, clk clock.Clock, opts Options) *Service {
	nudge := opts.Nudge
	if nudge == nil {
		nudge = func() {}
	}
	s := &Service{db: d, clk: clk, nudge: nudge, accounts: opts.Accounts, auditLog: opts.Audit,
		secrets: opts.Secrets, transfer: opts.Transfer, changed: opts.ShopChanged}
	if s.changed == nil {
		s.changed = func(context.Context, string, ...tenant.ID) {}
	}
	return s
}

// now is the current time as stored: UTC, to the microsecond (PostgreSQL's precision), so values read back
// compare equal to what was written (keyset cursors depend on it).
func (s *Service) now() time.Time { return s.clk.Now().UTC().Truncate(time.Microsecond) }

// event builds an outbox event of merchant m about data.
func event(m tenant.ID, shopID, typ string, at time.Time, data any) (events.Event, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return events.Event{}, fmt.Errorf("encode %s event: %w", typ, err)
	}
	return events.Event{ID: db.NewID(), Type: typ, Subject: Subject, MerchantID: m, ShopID: shopID,
		OccurredAt: at, Data: b}, nil
}

func addEvent(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID, typ string, at time.Time, data any) error {
	ev, err := event(m, shopID, typ, at, data)
	if err != nil {
		return err
	}
	return events.Add(ctx, tx, ev)
}

// conflictAs gives a unique-constraint violation a message the caller understands; other errors pass.
func conflictAs(err error, message string) error {
	if err == nil {
		return nil
	}
	if mapped := db.MapError(err); apperr.Is(mapped, apperr.Conflict) {
		return apperr.Wrap(err, apperr.Conflict, message)
	}
	return err
}

// ---- merchants ----

// CreateMerchant creates a merchant on a 30-day Pro trial (Free afterwards unless a plan is set) with the
// owner recorded as a merchant-wide owner membership, in a transaction of its own. It creates no shop: the
// merchant's first shop becomes its default. It returns an apperr.Invalid error for an empty name (field
// "body.merchant_name", as the sign-up request names it) or owner.
func (s *Service) CreateMerchant(ctx context.Context, in MerchantInput) (Merchant, error) {
	m := tenant.ID(db.NewID())
	var out Merchant
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		out, err = s.CreateMerchantInTx(ctx, tx, m, in)
		return err
	})
	if err != nil {
		return Merchant{}, err
	}
	return out, nil
}

// CreateMerchantInTx is CreateMerchant inside the caller's transaction tx, which must be a tenant
// transaction of merchant id (db.WithTx(ctx, id, …)): iam's sign-up creates the user and the merchant
// atomically this way. id is a new UUID chosen by the caller.
func (s *Service) CreateMerchantInTx(ctx context.Context, tx *sql.Tx, id tenant.ID, in MerchantInput) (Merchant, error) {
	var f fieldErrors
	name := f.text("body.merchant_name", in.Name, true, maxNameLen)
	if strings.TrimSpace(in.OwnerUserID) == "" || id == "" {
		return Merchant{}, apperr.E(apperr.Invalid, "a merchant needs an id and an owner")
	}
	if err := f.err(); err != nil {
		return Merchant{}, err
	}
	now := s.now()
	q := merchantdb.New(tx)
	err := q.InsertMerchant(ctx, merchantdb.InsertMerchantParams{
		MerchantID: string(id), Name: name, OwnerUserID: in.OwnerUserID, PlanID: PlanFree,
		TrialPlanID: sql.NullString{String: PlanPro, Valid: true},
		TrialEndsAt: sql.NullTime{Time: now.Add(TrialLength), Valid: true}, CreatedAt: now,
	})
	if err != nil {
		return Merchant{}, fmt.Errorf("create merchant: insert: %w", err)
	}
	err = q.InsertMembership(ctx, merchantdb.InsertMembershipParams{ID: db.NewID(), MerchantID: string(id),
		ShopID: "", UserID: in.OwnerUserID, Role: string(rbac.Owner), CreatedAt: now})
	if err != nil {
		return Merchant{}, fmt.Errorf("create merchant: record owner membership: %w", err)
	}
	return loadMerchant(ctx, q, id)
}

// Merchant returns merchant m (archived or not).
func (s *Service) Merchant(ctx context.Context, m tenant.ID) (Merchant, error) {
	var out Merchant
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		out, err = loadMerchant(ctx, merchantdb.New(tx), m)
		return err
	})
	return out, err
}

// Profile returns merchant m with the plan that applies now and its usage.
func (s *Service) Profile(ctx context.Context, m tenant.ID) (MerchantProfile, error) {
	var out MerchantProfile
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		out, err = loadProfile(ctx, merchantdb.New(tx), m, s.now())
		return err
	})
	return out, err
}

func loadProfile(ctx context.Context, q *merchantdb.Queries, m tenant.ID, now time.Time) (MerchantProfile, error) {
	mer, err := loadMerchant(ctx, q, m)
	if err != nil {
		return MerchantProfile{}, err
	}
	plan, err := planOf(ctx, q, mer, now)
	if err != nil {
		return MerchantProfile{}, err
	}
	usage, err := usageOf(ctx, q, mer)
	if err != nil {
		return MerchantProfile{}, err
	}
	return MerchantProfile{Merchant: mer, Plan: plan, OnTrial: mer.OnTrial(now), Usage: usage}, nil
}

// UpdateProfile changes merchant m's name and contact details. It returns an apperr.Invalid error listing
// bad fields, and an apperr.Conflict error when the merchant is archived.
func (s *Service) UpdateProfile(ctx context.Context, m tenant.ID, in ProfileInput) (MerchantProfile, error) {
	var out MerchantProfile
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		mer, err := loadMerchant(ctx, q, m)
		if err != nil {
			return err
		}
		if mer.ArchivedAt != nil {
			return apperr.E(apperr.Conflict, "the merchant is archived")
		}
		setIf(&mer.Name, in.Name)
		setIf(&mer.Phone, in.Phone)
		setIf(&mer.Email, in.Email)
		setIf(&mer.Address, in.Address)
		if mer, err = validateProfile(mer); err != nil {
			return err
		}
		now := s.now()
		if _, err := q.UpdateMerchantProfile(ctx, merchantdb.UpdateMerchantProfileParams{Name: mer.Name,
			Phone: mer.Phone, Email: mer.Email, Address: mer.Address, UpdatedAt: now, MerchantID: string(m)}); err != nil {
			return fmt.Errorf("update merchant: %w", err)
		}
		out, err = loadProfile(ctx, q, m, now)
		return err
	})
	return out, err
}

// ArchiveMerchant archives merchant m: its shops are archived, their QR tokens stop resolving and every
// membership (the owner's too) ends, so nobody gets roles in it at the next login. Archiving an archived
// merchant does nothing.
func (s *Service) ArchiveMerchant(ctx context.Context, m tenant.ID) error {
	wrote := false
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		now := s.now()
		n, err := q.ArchiveMerchant(ctx, merchantdb.ArchiveMerchantParams{Now: now, MerchantID: string(m)})
		if err != nil {
			return fmt.Errorf("archive merchant: %w", err)
		}
		if n == 0 {
			_, err := loadMerchant(ctx, q, m) // NotFound, or already archived: nothing to do
			return err
		}
		if _, err := q.ArchiveMerchantShops(ctx, merchantdb.ArchiveMerchantShopsParams{Now: now, MerchantID: string(m)}); err != nil {
			return fmt.Errorf("archive shops: %w", err)
		}
		if err := q.DeleteMerchantQRTokens(ctx, string(m)); err != nil {
			return fmt.Errorf("delete QR tokens: %w", err)
		}
		if err := q.EndMerchantMemberships(ctx, merchantdb.EndMerchantMembershipsParams{
			Now: sql.NullTime{Time: now, Valid: true}, MerchantID: string(m)}); err != nil {
			return fmt.Errorf("end memberships: %w", err)
		}
		wrote = true
		return addEvent(ctx, tx, m, "", EventMerchantArchived, now, map[string]any{"merchant_id": m, "archived_at": now})
	})
	if err != nil {
		return fmt.Errorf("archive merchant %s: %w", m, err)
	}
	if wrote {
		s.nudge()
	}
	return nil
}

// Plans lists the subscription plans.
func (s *Service) Plans(ctx context.Context) ([]Plan, error) {
	rows, err := merchantdb.New(s.db.Reader()).ListPlans(ctx)
	if err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	out := make([]Plan, len(rows))
	for i, r := range rows {
		out[i] = planFromRow(r)
	}
	return out, nil
}

// ---- shops ----

// CreateShop creates a shop of merchant m with default settings (prices include VAT, no service charge).
// The merchant's first shop, or any shop created while it has no default, becomes the default. It returns
// an apperr.Invalid error listing bad fields, and an apperr.Conflict error when the plan's shop limit is
// reached or the merchant is archived. The shop.created event is written with it.
func (s *Service) CreateShop(ctx context.Context, m tenant.ID, in ShopInput) (Shop, error) {
	shop, err := validateShop(Shop{Name: in.Name, BusinessType: in.BusinessType, Address: in.Address,
		ShopSettings: ShopSettings{VATRatePercent: in.VATRatePercent, PricesIncludeVAT: true, QROrdersNeedConfirmation: true}})
	if err != nil {
		return Shop{}, err
	}
	err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		if err := lockMerchant(ctx, q, m); err != nil {
			return err
		}
		now := s.now()
		mer, err := loadMerchant(ctx, q, m)
		if err != nil {
			return err
		}
		plan, err := planOf(ctx, q, mer, now)
		if err != nil {
			return err
		}
		live, err := q.CountLiveShops(ctx, string(m))
		if err != nil {
			return fmt.Errorf("count shops: %w", err)
		}
		if live >= int64(plan.MaxShops) {
			return apperr.E(apperr.Conflict, "plan limit reached: the %s plan allows %d shop(s); archive a shop or change plan",
				plan.Name, plan.MaxShops)
		}
		defaults, err := q.CountDefaultShops(ctx, string(m))
		if err != nil {
			return fmt.Errorf("count default shops: %w", err)
		}
		shop.ID, shop.IsDefault, shop.CreatedAt, shop.UpdatedAt = db.NewID(), defaults == 0, now, now
		err = q.InsertShop(ctx, merchantdb.InsertShopParams{
			ID: shop.ID, MerchantID: string(m), Name: shop.Name, IsDefault: shop.IsDefault,
			BusinessType: string(shop.BusinessType), Address: shop.Address, VatRatePercent: int32(shop.VATRatePercent),
			PricesIncludeVat: shop.PricesIncludeVAT, ServiceChargePercent: int32(shop.ServiceChargePercent),
			OpeningHours: shop.OpeningHours, ReceiptHeader: shop.ReceiptHeader, ReceiptFooter: shop.ReceiptFooter,
			BankBin: shop.BankBIN, BankAccountNumber: shop.BankAccountNumber, BankAccountName: shop.BankAccountName,
			CreatedAt: now,
		})
		if err != nil {
			return fmt.Errorf("insert shop: %w", err)
		}
		return addEvent(ctx, tx, m, shop.ID, EventShopCreated, now, shop)
	})
	if err != nil {
		return Shop{}, fmt.Errorf("create shop: %w", err)
	}
	s.nudge()
	return shop, nil
}

// Shop returns shop id of merchant m (archived or not); another merchant's shop is apperr.NotFound.
func (s *Service) Shop(ctx context.Context, m tenant.ID, id string) (Shop, error) {
	return s.ShopIn(ctx, nil, m, id)
}

// ShopIn is Shop inside the caller's transaction tx of merchant m (nil: a read transaction of its own). A
// module already holding a transaction reads through it rather than taking a second connection, which a
// busy pool may not have.
func (s *Service) ShopIn(ctx context.Context, tx *sql.Tx, m tenant.ID, id string) (Shop, error) {
	var out Shop
	err := s.readIn(ctx, tx, m, func(tx *sql.Tx) error {
		var err error
		out, err = loadShop(ctx, merchantdb.New(tx), m, id)
		return err
	})
	return out, err
}

// Page sizes of ListShops.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// ShopQuery selects a page of shops.
type ShopQuery struct {
	// Limit is the page size (0: DefaultPageSize; at most MaxPageSize).
	Limit int
	// Cursor is the NextCursor of the previous page, "" for the first.
	Cursor string
	// IncludeArchived lists archived shops too.
	IncludeArchived bool
	// Restricted limits the list to the shops in Only (a staff member's shops); false lists them all.
	Restricted bool
	Only       []string
}

// ListShops returns a page of merchant m's shops in creation order (keyset pagination on created_at, id).
// It returns an apperr.Invalid error for a cursor it did not make.
func (s *Service) ListShops(ctx context.Context, m tenant.ID, in ShopQuery) (ShopPage, error) {
	limit := in.Limit
	if limit == 0 {
		limit = DefaultPageSize
	}
	if limit < 1 || limit > MaxPageSize {
		return ShopPage{}, apperr.WithField("limit", "must be between 1 and "+strconv.Itoa(MaxPageSize))
	}
	after, err := decodeCursor(in.Cursor)
	if err != nil {
		return ShopPage{}, err
	}
	var shops []Shop
	err = s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		if in.Restricted {
			shops, err = reachableShopsAfter(ctx, q, m, in, after, limit+1)
			return err
		}
		p := merchantdb.ListLiveShopsAfterParams{MerchantID: string(m), AfterCreatedAt: after.createdAt,
			AfterID: after.id, PageSize: int32(limit + 1)}
		var rows []merchantdb.Shop
		if in.IncludeArchived {
			rows, err = q.ListAllShopsAfter(ctx, merchantdb.ListAllShopsAfterParams(p))
		} else {
			rows, err = q.ListLiveShopsAfter(ctx, p)
		}
		if err != nil {
			return fmt.Errorf("list shops: %w", err)
		}
		shops = shopsFromRows(rows)
		return nil
	})
	if err != nil {
		return ShopPage{}, err
	}
	page := ShopPage{Items: shops}
	if len(shops) > limit {
		page.Items = shops[:limit]
		last := page.Items[limit-1]
		page.NextCursor = encodeCursor(shopCursor{createdAt: last.CreatedAt, id: last.ID})
	}
	return page, nil
}

// reachableShopsAfter is a page of the few shops a staff member belongs to, read one by one (they are a
// handful; the common subset of SQL has no array parameters) and paged in memory in the same order.
func reachableShopsAfter(ctx context.Context, q *merchantdb.Queries, m tenant.ID, in ShopQuery, after shopCursor, n int) ([]Shop, error) {
	var out []Shop
	for _, id := range in.Only {
		sh, err := loadShop(ctx, q, m, id)
		if apperr.Is(err, apperr.NotFound) {
			continue // a stale token may name a shop that is gone or another merchant's
		}
		if err != nil {
			return nil, err
		}
		if sh.ArchivedAt != nil && !in.IncludeArchived {
			continue
		}
		if c := sh.CreatedAt.Compare(after.createdAt); c < 0 || c == 0 && sh.ID <= after.id {
			continue
		}
		out = append(out, sh)
	}
	slices.SortFunc(out, func(a, b Shop) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	if len(out) > n {
		out = out[:n]
	}
	return out, nil
}

// shopCursor is a position in the (created_at, id) order of shops.
type shopCursor struct {
	createdAt time.Time
	id        string
}

// encodeCursor makes the opaque cursor clients pass back: base64url of "<unix microseconds>:<id>".
func encodeCursor(c shopCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.createdAt.UnixMicro(), 10) + ":" + c.id))
}

func decodeCursor(s string) (shopCursor, error) {
	if s == "" {
		return shopCursor{}, nil
	}
	bad := apperr.WithField("cursor", "is not a cursor this API returned")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return shopCursor{}, bad
	}
	micros, id, ok := strings.Cut(string(raw), ":")
	n, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || id == "" || len(id) > 64 {
		return shopCursor{}, bad
	}
	return shopCursor{createdAt: time.UnixMicro(n).UTC(), id: id}, nil
}

// UpdateShop changes shop id's settings. It returns an apperr.Invalid error listing bad fields, NotFound
// for another merchant's shop, and Conflict for an archived one.
func (s *Service) UpdateShop(ctx context.Context, m tenant.ID, id string, p ShopPatch) (Shop, error) {
	var out Shop
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		sh, err := liveShop(ctx, q, m, id)
		if err != nil {
			return err
		}
		setIf(&sh.Name, p.Name)
		setIf(&sh.BusinessType, p.BusinessType)
		setIf(&sh.Address, p.Address)
		setIf(&sh.VATRatePercent, p.VATRatePercent)
		setIf(&sh.PricesIncludeVAT, p.PricesIncludeVAT)
		setIf(&sh.ServiceChargePercent, p.ServiceChargePercent)
		setIf(&sh.OpeningHours, p.OpeningHours)
		setIf(&sh.ReceiptHeader, p.ReceiptHeader)
		setIf(&sh.ReceiptFooter, p.ReceiptFooter)
		setIf(&sh.BankBIN, p.BankBIN)
		setIf(&sh.BankAccountNumber, p.BankAccountNumber)
		setIf(&sh.BankAccountName, p.BankAccountName)
		setIf(&sh.RequireRegisteredDevice, p.RequireRegisteredDevice)
		setIf(&sh.QROrdersNeedConfirmation, p.QROrdersNeedConfirmation)
		setIf(&sh.SeveralOrdersPerTable, p.SeveralOrdersPerTable)
		setIf(&sh.VoidApprovalThreshold, p.VoidApprovalThreshold)
		if sh, err = validateShop(sh); err != nil {
			return err
		}
		sh.UpdatedAt = s.now()
		_, err = q.UpdateShopSettings(ctx, merchantdb.UpdateShopSettingsParams{
			Name: sh.Name, BusinessType: string(sh.BusinessType), Address: sh.Address,
			VatRatePercent: int32(sh.VATRatePercent), PricesIncludeVat: sh.PricesIncludeVAT,
			ServiceChargePercent: int32(sh.ServiceChargePercent), OpeningHours: sh.OpeningHours,
			ReceiptHeader: sh.ReceiptHeader, ReceiptFooter: sh.ReceiptFooter, BankBin: sh.BankBIN,
			BankAccountNumber: sh.BankAccountNumber, BankAccountName: sh.BankAccountName,
			RequireRegisteredDevice:  sh.RequireRegisteredDevice,
			QrOrdersNeedConfirmation: sh.QROrdersNeedConfirmation,
			SeveralOrdersPerTable:    sh.SeveralOrdersPerTable,
			VoidApprovalThreshold:    int64(sh.VoidApprovalThreshold),
			UpdatedAt:                sh.UpdatedAt, MerchantID: string(m), ID: id,
		})
		if err != nil {
			return fmt.Errorf("update shop: %w", err)
		}
		out = sh
		return nil
	})
	if err != nil {
		return Shop{}, err
	}
	s.changed(ctx, id, m)
	return out, nil
}

// ArchiveShop archives shop id: its QR tokens stop resolving and its staff memberships end. The default shop
// cannot be archived while the merchant has other live shops (apperr.Conflict: set another default first);
// archiving an archived shop returns it unchanged. The shop.archived event is written with it.
func (s *Service) ArchiveShop(ctx context.Context, m tenant.ID, id string) (Shop, error) {
	var out Shop
	wrote := false
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		sh, err := loadShop(ctx, q, m, id)
		if err != nil || sh.ArchivedAt != nil {
			out = sh
			return err
		}
		if err := lockMerchant(ctx, q, m); err != nil {
			return err
		}
		if sh.IsDefault {
			live, err := q.CountLiveShops(ctx, string(m))
			if err != nil {
				return fmt.Errorf("count shops: %w", err)
			}
			if live > 1 {
				return apperr.E(apperr.Conflict, "this is the default shop: set another shop as the default before archiving it")
			}
		}
		now := s.now()
		if _, err := q.ArchiveShop(ctx, merchantdb.ArchiveShopParams{Now: now, MerchantID: string(m), ID: id}); err != nil {
			return fmt.Errorf("archive shop: %w", err)
		}
		if err := q.DeleteShopQRTokens(ctx, merchantdb.DeleteShopQRTokensParams{MerchantID: string(m), ShopID: id}); err != nil {
			return fmt.Errorf("delete QR tokens: %w", err)
		}
		if err := q.EndShopMemberships(ctx, merchantdb.EndShopMembershipsParams{
			Now: sql.NullTime{Time: now, Valid: true}, MerchantID: string(m), ShopID: id}); err != nil {
			return fmt.Errorf("end memberships: %w", err)
		}
		sh.IsDefault, sh.ArchivedAt, sh.UpdatedAt = false, &now, now
		out, wrote = sh, true
		return addEvent(ctx, tx, m, id, EventShopArchived, now, sh)
	})
	if err != nil {
		return Shop{}, fmt.Errorf("archive shop %s: %w", id, err)
	}
	if wrote {
		s.nudge()
		s.changed(ctx, id, m)
	}
	return out, nil
}

// SetDefaultShop makes shop id the merchant's default, in one transaction that clears the previous default
// and serialises with every other writer of the merchant's default, so exactly one default remains however
// many calls race. The shop.set_as_default event is written when the default changes. It returns NotFound
// for another merchant's shop and Conflict for an archived one.
func (s *Service) SetDefaultShop(ctx context.Context, m tenant.ID, id string) (Shop, error) {
	var out Shop
	changed := false
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		if err := lockMerchant(ctx, q, m); err != nil {
			return err
		}
		sh, err := liveShop(ctx, q, m, id)
		if err != nil {
			return err
		}
		if sh.IsDefault {
			out = sh
			return nil
		}
		now := s.now()
		if err := q.ClearDefaultShop(ctx, merchantdb.ClearDefaultShopParams{Now: now, MerchantID: string(m)}); err != nil {
			return fmt.Errorf("clear default shop: %w", err)
		}
		n, err := q.MakeDefaultShop(ctx, merchantdb.MakeDefaultShopParams{Now: now, MerchantID: string(m), ID: id})
		if err != nil {
			return fmt.Errorf("set default shop: %w", err)
		}
		if n != 1 {
			return fmt.Errorf("set default shop: %d rows changed", n)
		}
		sh.IsDefault, sh.UpdatedAt = true, now
		out, changed = sh, true
		return addEvent(ctx, tx, m, id, EventShopSetAsDefault, now, sh)
	})
	if err != nil {
		return Shop{}, fmt.Errorf("set default shop %s: %w", id, err)
	}
	if changed {
		s.nudge()
	}
	return out, nil
}

// setIf copies *v into *dst when v is set (a PATCH field that was sent).
func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// readIn runs fn in tx, or in a read transaction of merchant m when tx is nil.
func (s *Service) readIn(ctx context.Context, tx *sql.Tx, m tenant.ID, fn func(tx *sql.Tx) error) error {
	if tx != nil {
		return fn(tx)
	}
	return s.db.ReadTx(ctx, m, fn)
}

// LiveShop returns shop id of merchant m if it is live; another merchant's or an archived shop is
// apperr.NotFound (what the other modules' shop checks want).
func (s *Service) LiveShop(ctx context.Context, m tenant.ID, id string) (Shop, error) {
	return s.LiveShopIn(ctx, nil, m, id)
}

// LiveShopIn is LiveShop inside the caller's transaction tx (nil: its own).
func (s *Service) LiveShopIn(ctx context.Context, tx *sql.Tx, m tenant.ID, id string) (Shop, error) {
	sh, err := s.ShopIn(ctx, tx, m, id)
	if err != nil {
		return Shop{}, err
	}
	if sh.ArchivedAt != nil {
		return Shop{}, apperr.E(apperr.NotFound, "shop not found")
	}
	return sh, nil
}

// LiveShopIDs lists merchant m's live shops, oldest first.
func (s *Service) LiveShopIDs(ctx context.Context, m tenant.ID) ([]string, error) {
	var out []string
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		out, err = merchantdb.New(tx).ListLiveShopIDs(ctx, string(m))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list shops of %s: %w", m, err)
	}
	return out, nil
}

// PublicShop resolves a live shop by id alone, with its merchant, for what customers reach without an
// account (the public menu). It is a cross-tenant read: db.WithSystemTx on shops.
func (s *Service) PublicShop(ctx context.Context, id string) (tenant.ID, Shop, error) {
	var row merchantdb.Shop
	err := s.db.WithSystemTx(ctx, "resolve a shop for its public menu", func(tx *sql.Tx) error {
		var err error
		row, err = merchantdb.New(tx).GetShopAnyMerchant(ctx, id)
		return err
	})
	if err != nil {
		return "", Shop{}, notFound(err, "shop")
	}
	if row.ArchivedAt.Valid {
		return "", Shop{}, apperr.E(apperr.NotFound, "shop not found")
	}
	return tenant.ID(row.MerchantID), shopFromRow(row), nil
}

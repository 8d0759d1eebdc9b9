package merchant

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/goodgo/goodgo/internal/merchant/merchantdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/rbac"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// This file holds the module's data access on top of the sqlc queries (queries/*.sql → merchantdb): the
// reads and checks several use cases share, and the mapping from rows to domain types. Every function takes
// the merchant explicitly and runs inside the caller's transaction.

// notFound turns "no row" into a NotFound error naming what was looked for; other errors are wrapped.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.Wrap(err, apperr.NotFound, what+" not found")
	}
	return fmt.Errorf("read %s: %w", what, err)
}

// loadMerchant reads merchant m.
func loadMerchant(ctx context.Context, q *merchantdb.Queries, m tenant.ID) (Merchant, error) {
	row, err := q.GetMerchant(ctx, string(m))
	if err != nil {
		return Merchant{}, notFound(err, "merchant")
	}
	return Merchant{
		ID:          tenant.ID(row.MerchantID),
		Name:        row.Name,
		Phone:       row.Phone,
		Email:       row.Email,
		Address:     row.Address,
		OwnerUserID: row.OwnerUserID,
		CreatedAt:   row.CreatedAt.UTC(),
		UpdatedAt:   row.UpdatedAt.UTC(),
		ArchivedAt:  timePtr(row.ArchivedAt),
		PlanID:      row.PlanID,
		TrialPlanID: row.TrialPlanID.String,
		TrialEndsAt: timePtr(row.TrialEndsAt),
	}, nil
}

// lockMerchant serialises this transaction with the merchant's other writers that check a rule spanning
// rows (plan limits, the default shop). It refuses an archived merchant with a Conflict.
func lockMerchant(ctx context.Context, q *merchantdb.Queries, m tenant.ID) error {
	archived, err := q.LockMerchant(ctx, string(m))
	if err != nil {
		return notFound(err, "merchant")
	}
	if archived.Valid {
		return apperr.E(apperr.Conflict, "the merchant is archived")
	}
	return nil
}

// planOf returns the plan whose limits apply to merchant m at now.
func planOf(ctx context.Context, q *merchantdb.Queries, mer Merchant, now time.Time) (Plan, error) {
	row, err := q.GetPlan(ctx, mer.EffectivePlanID(now))
	if err != nil {
		return Plan{}, fmt.Errorf("read plan of merchant %s: %w", mer.ID, err)
	}
	return planFromRow(row), nil
}

func planFromRow(row merchantdb.MerchantPlan) Plan {
	return Plan{ID: row.ID, Name: row.Name, MaxShops: int(row.MaxShops), MaxStaff: int(row.MaxStaff)}
}

// usageOf counts what merchant mer uses of its plan.
func usageOf(ctx context.Context, q *merchantdb.Queries, mer Merchant) (PlanUsage, error) {
	shops, err := q.CountLiveShops(ctx, string(mer.ID))
	if err != nil {
		return PlanUsage{}, fmt.Errorf("count shops: %w", err)
	}
	staff, err := q.CountStaff(ctx, merchantdb.CountStaffParams{MerchantID: string(mer.ID), OwnerUserID: mer.OwnerUserID})
	if err != nil {
		return PlanUsage{}, fmt.Errorf("count staff: %w", err)
	}
	return PlanUsage{Shops: int(shops), Staff: int(staff)}, nil
}

// loadShop reads shop id of merchant m, archived or not; another merchant's shop is NotFound.
func loadShop(ctx context.Context, q *merchantdb.Queries, m tenant.ID, id string) (Shop, error) {
	row, err := q.GetShop(ctx, merchantdb.GetShopParams{MerchantID: string(m), ID: id})
	if err != nil {
		return Shop{}, notFound(err, "shop")
	}
	return shopFromRow(row), nil
}

// liveShop reads a shop that may still change: NotFound for another merchant's, Conflict once archived.
func liveShop(ctx context.Context, q *merchantdb.Queries, m tenant.ID, id string) (Shop, error) {
	s, err := loadShop(ctx, q, m, id)
	if err != nil {
		return Shop{}, err
	}
	if s.ArchivedAt != nil {
		return Shop{}, apperr.E(apperr.Conflict, "the shop is archived")
	}
	return s, nil
}

func shopFromRow(r merchantdb.Shop) Shop {
	return Shop{
		ID:           r.ID,
		Name:         r.Name,
		IsDefault:    r.IsDefault,
		BusinessType: BusinessType(r.BusinessType),
		Address:      r.Address,
		ShopSettings: ShopSettings{
			VATRatePercent:           int(r.VatRatePercent),
			PricesIncludeVAT:         r.PricesIncludeVat,
			ServiceChargePercent:     int(r.ServiceChargePercent),
			OpeningHours:             r.OpeningHours,
			ReceiptHeader:            r.ReceiptHeader,
			ReceiptFooter:            r.ReceiptFooter,
			BankBIN:                  r.BankBin,
			BankAccountNumber:        r.BankAccountNumber,
			BankAccountName:          r.BankAccountName,
			RequireRegisteredDevice:  r.RequireRegisteredDevice,
			QROrdersNeedConfirmation: r.QrOrdersNeedConfirmation,
			SeveralOrdersPerTable:    r.SeveralOrdersPerTable,
			VoidApprovalThreshold:    money.VND(r.VoidApprovalThreshold),
		},
		CreatedAt:  r.CreatedAt.UTC(),
		UpdatedAt:  r.UpdatedAt.UTC(),
		ArchivedAt: timePtr(r.ArchivedAt),
	}
}

func shopsFromRows(rows []merchantdb.Shop) []Shop {
	out := make([]Shop, len(rows))
	for i, r := range rows {
		out[i] = shopFromRow(r)
	}
	return out
}

// loadArea reads a live area of a shop of merchant m.
func loadArea(ctx context.Context, q *merchantdb.Queries, m tenant.ID, shopID, id string) (Area, error) {
	row, err := q.GetArea(ctx, merchantdb.GetAreaParams{MerchantID: string(m), ShopID: shopID, ID: id})
	if err != nil {
		return Area{}, notFound(err, "area")
	}
	return Area{ID: row.ID, ShopID: row.ShopID, Name: row.Name, SortOrder: int(row.SortOrder),
		CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC()}, nil
}

// loadTable reads a live table of a shop of merchant m with its QR token.
func loadTable(ctx context.Context, q *merchantdb.Queries, m tenant.ID, shopID, id string) (Table, error) {
	row, err := q.GetTable(ctx, merchantdb.GetTableParams{MerchantID: string(m), ShopID: shopID, ID: id})
	if err != nil {
		return Table{}, notFound(err, "table")
	}
	return Table{ID: row.ID, ShopID: row.ShopID, AreaID: row.AreaID, Name: row.Name, Seats: int(row.Seats),
		Shape: TableShape(row.Shape), X: int(row.X), Y: int(row.Y), QRToken: row.QrToken,
		CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC()}, nil
}

// loadRoom reads a live room of a shop of merchant m with its QR token.
func loadRoom(ctx context.Context, q *merchantdb.Queries, m tenant.ID, shopID, id string) (Room, error) {
	row, err := q.GetRoom(ctx, merchantdb.GetRoomParams{MerchantID: string(m), ShopID: shopID, ID: id})
	if err != nil {
		return Room{}, notFound(err, "room")
	}
	return Room{ID: row.ID, ShopID: row.ShopID, Name: row.Name, RoomType: row.RoomType, Capacity: int(row.Capacity),
		QRToken: row.QrToken, CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC()}, nil
}

// loadFloor reads a shop's live areas (with their tables) and rooms.
func loadFloor(ctx context.Context, q *merchantdb.Queries, m tenant.ID, shopID string) (Floor, error) {
	areas, err := q.ListAreas(ctx, merchantdb.ListAreasParams{MerchantID: string(m), ShopID: shopID})
	if err != nil {
		return Floor{}, fmt.Errorf("list areas: %w", err)
	}
	tables, err := q.ListTables(ctx, merchantdb.ListTablesParams{MerchantID: string(m), ShopID: shopID})
	if err != nil {
		return Floor{}, fmt.Errorf("list tables: %w", err)
	}
	rooms, err := q.ListRooms(ctx, merchantdb.ListRoomsParams{MerchantID: string(m), ShopID: shopID})
	if err != nil {
		return Floor{}, fmt.Errorf("list rooms: %w", err)
	}
	f := Floor{Areas: make([]AreaWithTables, len(areas)), Rooms: make([]Room, len(rooms))}
	index := make(map[string]int, len(areas))
	for i, a := range areas {
		f.Areas[i] = AreaWithTables{Area: Area{ID: a.ID, ShopID: a.ShopID, Name: a.Name, SortOrder: int(a.SortOrder),
			CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC()}, Tables: []Table{}}
		index[a.ID] = i
	}
	for _, t := range tables {
		i, ok := index[t.AreaID]
		if !ok {
			continue // a table always sits in a live area: an area with tables cannot be deleted
		}
		f.Areas[i].Tables = append(f.Areas[i].Tables, Table{ID: t.ID, ShopID: t.ShopID, AreaID: t.AreaID,
			Name: t.Name, Seats: int(t.Seats), Shape: TableShape(t.Shape), X: int(t.X), Y: int(t.Y),
			QRToken: t.QrToken, CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC()})
	}
	for i, r := range rooms {
		f.Rooms[i] = Room{ID: r.ID, ShopID: r.ShopID, Name: r.Name, RoomType: r.RoomType, Capacity: int(r.Capacity),
			QRToken: r.QrToken, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	}
	return f, nil
}

// insertQRToken gives a new table or room its token.
func insertQRToken(ctx context.Context, q *merchantdb.Queries, m tenant.ID, shopID, kind, targetID string, now time.Time) (string, error) {
	token := newQRToken()
	err := q.InsertQRToken(ctx, merchantdb.InsertQRTokenParams{TargetID: targetID, Token: token,
		MerchantID: string(m), ShopID: shopID, TargetKind: kind, CreatedAt: now})
	if err != nil {
		return "", fmt.Errorf("insert QR token of %s %s: %w", kind, targetID, err)
	}
	return token, nil
}

func membershipFromRow(id, merchantID, shopID, userID, role string, createdAt time.Time) Membership {
	return Membership{ID: id, MerchantID: tenant.ID(merchantID), ShopID: shopID, UserID: userID,
		Role: rbac.Role(role), CreatedAt: createdAt.UTC()}
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

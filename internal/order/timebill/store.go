package timebill

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/goodgo/goodgo/internal/order/timebill/timebilldb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// This file holds the module's data access on top of the sqlc queries (queries/*.sql → timebilldb): the
// reads several use cases share and the mapping from rows to domain types. Every function takes the
// merchant explicitly and runs inside the caller's transaction.

var cmpText = cmp.Compare[string]

func errRoomType() error {
	return apperr.WithField("path.room_type", "must be a lower-case slug (a-z, 0-9, - and _, up to 32 characters)")
}

func errNoPlan(roomType string, k apperr.Kind) error {
	return apperr.E(k, "no rate plan for room type %q", roomType)
}

// lockShop takes the shop's write lock (see LockShop) for merchant m.
func lockShop(ctx context.Context, q *timebilldb.Queries, m tenant.ID, shopID string, now time.Time) error {
	n, err := q.LockShop(ctx, timebilldb.LockShopParams{ShopID: shopID, MerchantID: string(m), Now: now})
	if err != nil {
		return fmt.Errorf("lock shop: %w", err)
	}
	if n == 0 { // the row is another merchant's: only possible if the shop check was bypassed
		return apperr.E(apperr.NotFound, "shop not found")
	}
	return nil
}

// loadPlan reads shop shopID's plan for roomType: apperr.NotFound when there is none.
func loadPlan(ctx context.Context, q *timebilldb.Queries, m tenant.ID, shopID, roomType string) (ShopPlan, error) {
	row, err := q.GetPlan(ctx, timebilldb.GetPlanParams{MerchantID: string(m), ShopID: shopID, RoomType: roomType})
	if errors.Is(err, sql.ErrNoRows) {
		return ShopPlan{}, errNoPlan(roomType, apperr.NotFound)
	}
	if err != nil {
		return ShopPlan{}, fmt.Errorf("read plan %s: %w", roomType, err)
	}
	rows, err := q.GetBands(ctx, timebilldb.GetBandsParams{MerchantID: string(m), ShopID: shopID, RoomType: roomType})
	if err != nil {
		return ShopPlan{}, fmt.Errorf("read bands of plan %s: %w", roomType, err)
	}
	bands := make([]Band, len(rows))
	for i, r := range rows {
		bands[i] = bandFromRow(r.DayType, r.StartMinute, r.EndMinute, r.PricePerHour)
	}
	return planFromRow(shopID, row, bands), nil
}

// listPlans reads a page of the shop's plans after cursor, with their bands in one more query.
func listPlans(ctx context.Context, q *timebilldb.Queries, m tenant.ID, shopID string, limit int, cursor string) (PlanPage, error) {
	rows, err := q.ListPlans(ctx, timebilldb.ListPlansParams{MerchantID: string(m), ShopID: shopID, After: cursor,
		PageSize: int32(limit + 1)})
	if err != nil {
		return PlanPage{}, fmt.Errorf("list plans: %w", err)
	}
	page := PlanPage{Items: []ShopPlan{}}
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextCursor = rows[limit-1].RoomType
	}
	if len(rows) == 0 {
		return page, nil
	}
	bandRows, err := q.ListBandsBetween(ctx, timebilldb.ListBandsBetweenParams{MerchantID: string(m), ShopID: shopID,
		After: cursor, Last: rows[len(rows)-1].RoomType})
	if err != nil {
		return PlanPage{}, fmt.Errorf("list bands: %w", err)
	}
	bands := map[string][]Band{}
	for _, r := range bandRows {
		bands[r.RoomType] = append(bands[r.RoomType], bandFromRow(r.DayType, r.StartMinute, r.EndMinute, r.PricePerHour))
	}
	for _, r := range rows {
		page.Items = append(page.Items, planFromRow(shopID, timebilldb.GetPlanRow(r), bands[r.RoomType]))
	}
	return page, nil
}

func bandFromRow(dayType string, start, end int32, price int64) Band {
	return Band{DayType: DayType(dayType), Start: formatClock(int(start)), End: formatClock(int(end)), PricePerHour: money.VND(price)}
}

func planFromRow(shopID string, r timebilldb.GetPlanRow, bands []Band) ShopPlan {
	if bands == nil {
		bands = []Band{}
	}
	return ShopPlan{ShopID: shopID, RoomType: r.RoomType,
		RatePlan:  normalise(RatePlan{BlockMinutes: int(r.BlockMinutes), MinimumMinutes: int(r.MinimumMinutes), Bands: bands}),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// loadCalendar reads the shop's holidays on the local dates from..to (GMT+7), all a session between the two
// instants can touch.
func loadCalendar(ctx context.Context, q *timebilldb.Queries, m tenant.ID, shopID string, from, to time.Time) (Calendar, error) {
	rows, err := q.ListHolidays(ctx, timebilldb.ListHolidaysParams{MerchantID: string(m), ShopID: shopID,
		FirstDay: from.In(Zone).Format(time.DateOnly), LastDay: to.In(Zone).Format(time.DateOnly)})
	if err != nil {
		return nil, fmt.Errorf("read holidays: %w", err)
	}
	cal := make(Calendar, len(rows))
	for _, r := range rows {
		cal[r.Day] = true
	}
	return cal, nil
}

// loadYear reads the shop's holidays of one civil year.
func loadYear(ctx context.Context, q *timebilldb.Queries, m tenant.ID, shopID string, year int) (YearHolidays, error) {
	first, last := yearRange(year)
	rows, err := q.ListHolidays(ctx, timebilldb.ListHolidaysParams{MerchantID: string(m), ShopID: shopID,
		FirstDay: first, LastDay: last})
	if err != nil {
		return YearHolidays{}, fmt.Errorf("read holidays: %w", err)
	}
	out := YearHolidays{Year: year, Dates: make([]Holiday, len(rows))}
	for i, r := range rows {
		out.Dates[i] = Holiday{Date: r.Day, Name: r.Name}
	}
	return out, nil
}

// yearRange returns the first and last dates of a civil year as stored.
func yearRange(year int) (string, string) {
	y := strconv.Itoa(year)
	return y + "-01-01", y + "-12-31"
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

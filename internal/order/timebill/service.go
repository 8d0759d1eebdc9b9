package timebill

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/goodgo/goodgo/internal/order/timebill/timebilldb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Shops is what the module needs of the merchant module.
type Shops interface {
	// CheckShop returns nil if shopID is a live shop of merchant m, an apperr.NotFound error otherwise
	// (another merchant's shop included).
	CheckShop(ctx context.Context, m tenant.ID, shopID string) error
}

// Service runs the module's use cases, each in one transaction of the merchant it concerns.
type Service struct {
	db    *db.DB
	clk   clock.Clock
	shops Shops
}

// New returns the service over d (migrated with Migrations), telling time with clk and checking shops with
// shops.
func New(d *db.DB, clk clock.Clock, shops Shops) *Service {
	return &Service{db: d, clk: clk, shops: shops}
}

// now is the current time as stored: UTC, to the microsecond (PostgreSQL's precision).
func (s *Service) now() time.Time { return s.clk.Now().UTC().Truncate(time.Microsecond) }

// ShopPlan is a shop's rate plan for one room type.
type ShopPlan struct {
	ShopID   string
	RoomType string
	RatePlan
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PlanPage is one page of a shop's plans, in room type order, and the cursor of the next ("" at the end).
type PlanPage struct {
	Items      []ShopPlan
	NextCursor string
}

// YearHolidays is a shop's holidays in one civil year, in date order.
type YearHolidays struct {
	Year  int
	Dates []Holiday
}

// StintRef is a stint of a room session as the order module knows it: the room's type names the plan.
type StintRef struct {
	RoomType string
	From, To time.Time
}

// Holiday years the module accepts (the lunar calendar is computed for 1900–2100).
const (
	minYear = 2000
	maxYear = 2100
)

// maxHolidays bounds one year's calendar: every day of a leap year.
const maxHolidays = 366

const maxHolidayName = 100

// ---- rate plans ----

// PutPlan creates or replaces shop shopID's plan for roomType. It returns an apperr.NotFound error when
// the shop is not merchant m's, and an apperr.Invalid error listing every problem of the room type
// ("path.room_type") and the plan (see Validate).
func (s *Service) PutPlan(ctx context.Context, m tenant.ID, shopID, roomType string, p RatePlan) (ShopPlan, error) {
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return ShopPlan{}, err
	}
	if !ValidRoomType(roomType) {
		return ShopPlan{}, errRoomType()
	}
	p, err := Validate(p)
	if err != nil {
		return ShopPlan{}, err
	}
	var out ShopPlan
	err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := timebilldb.New(tx)
		now := s.now()
		if err := lockShop(ctx, q, m, shopID, now); err != nil {
			return err
		}
		n, err := q.UpsertPlan(ctx, timebilldb.UpsertPlanParams{ShopID: shopID, RoomType: roomType, MerchantID: string(m),
			BlockMinutes: int32(p.BlockMinutes), MinimumMinutes: int32(p.MinimumMinutes), Now: now})
		if err != nil {
			return fmt.Errorf("upsert plan: %w", err)
		}
		if n != 1 {
			return apperr.E(apperr.NotFound, "shop not found")
		}
		if err := q.DeleteBands(ctx, timebilldb.DeleteBandsParams{MerchantID: string(m), ShopID: shopID, RoomType: roomType}); err != nil {
			return fmt.Errorf("delete bands: %w", err)
		}
		for _, b := range p.Bands {
			start, _ := parseClock(b.Start, false)
			end, _ := parseClock(b.End, true)
			err := q.InsertBand(ctx, timebilldb.InsertBandParams{ShopID: shopID, RoomType: roomType, DayType: string(b.DayType),
				StartMinute: int32(start), MerchantID: string(m), EndMinute: int32(end), PricePerHour: int64(b.PricePerHour)})
			if err != nil {
				return fmt.Errorf("insert band: %w", err)
			}
		}
		out, err = loadPlan(ctx, q, m, shopID, roomType)
		return err
	})
	if err != nil {
		return ShopPlan{}, fmt.Errorf("put rate plan %s of shop %s: %w", roomType, shopID, err)
	}
	return out, nil
}

// Plan returns shop shopID's plan for roomType: apperr.NotFound when the shop is not merchant m's or has
// no plan for that room type.
func (s *Service) Plan(ctx context.Context, m tenant.ID, shopID, roomType string) (ShopPlan, error) {
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return ShopPlan{}, err
	}
	var out ShopPlan
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		out, err = loadPlan(ctx, timebilldb.New(tx), m, shopID, roomType)
		return err
	})
	return out, err
}

// Plans returns a page of at most limit (1–200) of shop shopID's plans after cursor (a room type, "" for
// the first page). It returns apperr.NotFound when the shop is not merchant m's.
func (s *Service) Plans(ctx context.Context, m tenant.ID, shopID string, limit int, cursor string) (PlanPage, error) {
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return PlanPage{}, err
	}
	if limit < 1 || limit > 200 {
		return PlanPage{}, apperr.WithField("query.limit", "must be between 1 and 200")
	}
	if cursor != "" && !ValidRoomType(cursor) {
		return PlanPage{}, apperr.WithField("query.cursor", "must be the next_cursor of the previous page")
	}
	var out PlanPage
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		out, err = listPlans(ctx, timebilldb.New(tx), m, shopID, limit, cursor)
		return err
	})
	return out, err
}

// DeletePlan removes shop shopID's plan for roomType: apperr.NotFound when the shop is not merchant m's or
// has no such plan. Rooms of that type cannot be billed until a plan is put again.
func (s *Service) DeletePlan(ctx context.Context, m tenant.ID, shopID, roomType string) error {
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return err
	}
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := timebilldb.New(tx)
		if err := lockShop(ctx, q, m, shopID, s.now()); err != nil {
			return err
		}
		key := timebilldb.DeleteBandsParams{MerchantID: string(m), ShopID: shopID, RoomType: roomType}
		if err := q.DeleteBands(ctx, key); err != nil {
			return fmt.Errorf("delete bands: %w", err)
		}
		n, err := q.DeletePlan(ctx, timebilldb.DeletePlanParams(key))
		if err != nil {
			return fmt.Errorf("delete plan: %w", err)
		}
		if n == 0 {
			return errNoPlan(roomType, apperr.NotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete rate plan %s of shop %s: %w", roomType, shopID, err)
	}
	return nil
}

// QuoteRoom prices a session of a room of roomType in shop shopID from startsAt to endsAt with the shop's
// plan and calendar, exactly as the room's order would be billed (see Quote). It returns apperr.NotFound
// when the shop is not merchant m's or has no plan for roomType, apperr.Invalid for a bad interval.
func (s *Service) QuoteRoom(ctx context.Context, m tenant.ID, shopID, roomType string, startsAt, endsAt time.Time) (Bill, error) {
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return Bill{}, err
	}
	var out Bill
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := timebilldb.New(tx)
		p, err := loadPlan(ctx, q, m, shopID, roomType)
		if err != nil {
			return err
		}
		cal := Calendar(nil)
		if endsAt.After(startsAt) && endsAt.Sub(startsAt) <= MaxQuote {
			if cal, err = loadCalendar(ctx, q, m, shopID, startsAt, endsAt); err != nil {
				return err
			}
		}
		out, err = Quote(p.RatePlan, cal, startsAt, endsAt)
		return err
	})
	return out, err
}

// ---- billing for the order module ----

// BillSession prices a room session of shop shopID of merchant m: stints in time order (gaps are pauses,
// a new stint in another room is a room change), each priced with the plan of its room type, with the
// shop's holiday calendar. It reads in a transaction of its own; BillSessionTx reads in the caller's.
//
// It returns an apperr.Conflict error "no rate plan for room type …" when a stint's room type has no plan
// in the shop, and an apperr.Invalid error for no stints or stints out of order. It does not check the
// shop: the caller holds an order of it, and another merchant's shop simply has no plans.
func (s *Service) BillSession(ctx context.Context, m tenant.ID, shopID string, stints []StintRef) (Bill, error) {
	var out Bill
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		out, err = s.BillSessionTx(ctx, tx, m, shopID, stints)
		return err
	})
	return out, err
}

// BillSessionTx is BillSession inside the caller's transaction tx of merchant m (the order module's, so
// closing an order prices it without a second connection).
func (s *Service) BillSessionTx(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID string, stints []StintRef) (Bill, error) {
	if len(stints) == 0 {
		return Bill{}, apperr.WithField("stints", "a session needs at least one stint")
	}
	q := timebilldb.New(tx)
	plans := map[string]RatePlan{}
	first, last := stints[0].From, stints[0].To
	in := make([]Stint, len(stints))
	for i, st := range stints {
		p, ok := plans[st.RoomType]
		if !ok {
			sp, err := loadPlan(ctx, q, m, shopID, st.RoomType)
			if apperr.Is(err, apperr.NotFound) {
				return Bill{}, errNoPlan(st.RoomType, apperr.Conflict)
			}
			if err != nil {
				return Bill{}, err
			}
			p = sp.RatePlan
			plans[st.RoomType] = p // one value per room type, so the engine compiles it once
		}
		in[i] = Stint{Plan: p, From: st.From, To: st.To}
		first, last = minTime(first, st.From), maxTime(last, st.To)
	}
	cal, err := loadCalendar(ctx, q, m, shopID, first, last)
	if err != nil {
		return Bill{}, err
	}
	b, err := PriceSession(cal, in)
	if err != nil {
		return Bill{}, fmt.Errorf("bill room session in shop %s: %w", shopID, err)
	}
	return b, nil
}

// ---- holidays ----

// Holidays returns shop shopID's holidays in civil year year. It returns apperr.NotFound when the shop is
// not merchant m's, apperr.Invalid for a year outside 2000–2100.
func (s *Service) Holidays(ctx context.Context, m tenant.ID, shopID string, year int) (YearHolidays, error) {
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return YearHolidays{}, err
	}
	if err := checkYear(year); err != nil {
		return YearHolidays{}, err
	}
	var out YearHolidays
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		out, err = loadYear(ctx, timebilldb.New(tx), m, shopID, year)
		return err
	})
	return out, err
}

// SetHolidays replaces shop shopID's holidays of civil year year with dates. It returns apperr.NotFound
// when the shop is not merchant m's, and an apperr.Invalid error listing bad entries ("body.dates[i].date":
// not a date, not in year, or given twice; "body.dates[i].name": over 100 characters).
func (s *Service) SetHolidays(ctx context.Context, m tenant.ID, shopID string, year int, dates []Holiday) (YearHolidays, error) {
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return YearHolidays{}, err
	}
	if err := checkYear(year); err != nil {
		return YearHolidays{}, err
	}
	dates, err := validateHolidays(year, dates)
	if err != nil {
		return YearHolidays{}, err
	}
	return s.writeHolidays(ctx, m, shopID, year, func(q *timebilldb.Queries) error {
		first, last := yearRange(year)
		if err := q.DeleteHolidays(ctx, timebilldb.DeleteHolidaysParams{MerchantID: string(m), ShopID: shopID,
			FirstDay: first, LastDay: last}); err != nil {
			return fmt.Errorf("delete holidays: %w", err)
		}
		for _, h := range dates {
			if err := q.InsertHoliday(ctx, timebilldb.InsertHolidayParams{ShopID: shopID, Day: h.Date,
				MerchantID: string(m), Name: h.Name}); err != nil {
				return fmt.Errorf("insert holiday %s: %w", h.Date, err)
			}
		}
		return nil
	})
}

// ImportVietnamHolidays adds the Vietnamese public holidays of civil year year (VietnamHolidays) to shop
// shopID's calendar; dates the shop already has keep their name, and its other dates stay. Importing twice
// changes nothing. It returns apperr.NotFound when the shop is not merchant m's.
func (s *Service) ImportVietnamHolidays(ctx context.Context, m tenant.ID, shopID string, year int) (YearHolidays, error) {
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return YearHolidays{}, err
	}
	if err := checkYear(year); err != nil {
		return YearHolidays{}, err
	}
	return s.writeHolidays(ctx, m, shopID, year, func(q *timebilldb.Queries) error {
		for _, h := range VietnamHolidays(year) {
			if err := q.AddHoliday(ctx, timebilldb.AddHolidayParams{ShopID: shopID, Day: h.Date, MerchantID: string(m),
				Name: h.Name}); err != nil {
				return fmt.Errorf("add holiday %s: %w", h.Date, err)
			}
		}
		return nil
	})
}

// writeHolidays runs write in a transaction holding the shop's lock and returns the year's calendar after it.
func (s *Service) writeHolidays(ctx context.Context, m tenant.ID, shopID string, year int, write func(q *timebilldb.Queries) error) (YearHolidays, error) {
	var out YearHolidays
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := timebilldb.New(tx)
		if err := lockShop(ctx, q, m, shopID, s.now()); err != nil {
			return err
		}
		if err := write(q); err != nil {
			return err
		}
		var err error
		out, err = loadYear(ctx, q, m, shopID, year)
		return err
	})
	if err != nil {
		return YearHolidays{}, fmt.Errorf("holidays %d of shop %s: %w", year, shopID, err)
	}
	return out, nil
}

func checkYear(year int) error {
	if year < minYear || year > maxYear {
		return apperr.WithField("query.year", "must be a year from "+strconv.Itoa(minYear)+" to "+strconv.Itoa(maxYear))
	}
	return nil
}

// validateHolidays checks one year's dates and returns them trimmed and in date order.
func validateHolidays(year int, dates []Holiday) ([]Holiday, error) {
	var f fieldErrors
	if len(dates) > maxHolidays {
		f.add("body.dates", "must have at most "+strconv.Itoa(maxHolidays)+" dates")
		return nil, f.err()
	}
	out := make([]Holiday, 0, len(dates))
	seen := make(map[string]int, len(dates))
	for i, h := range dates {
		at := "body.dates[" + strconv.Itoa(i) + "]."
		name := f.text(at+"name", h.Name, maxHolidayName)
		d, ok := dateOnly(h.Date)
		switch {
		case !ok:
			f.add(at+"date", "must be a date YYYY-MM-DD")
			continue
		case d.Year() != year:
			f.add(at+"date", "must be in "+strconv.Itoa(year))
			continue
		}
		if j, dup := seen[h.Date]; dup {
			f.add(at+"date", "repeats dates["+strconv.Itoa(j)+"]")
			continue
		}
		seen[h.Date] = i
		out = append(out, Holiday{Date: h.Date, Name: name})
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Holiday) int { return cmpText(a.Date, b.Date) })
	return out, nil
}

// ---- shop transfer ----

// MoveShop moves shop shopID's plans, bands and holidays from merchant from to merchant to, inside tx, the
// shop transfer's transaction opened with db.WithSystemTx (the tables' system_transfer policies admit it
// on PostgreSQL). Plans and holidays are shop-level, so nothing is copied.
func (s *Service) MoveShop(ctx context.Context, tx *sql.Tx, shopID string, from, to tenant.ID) error {
	if shopID == "" || from == "" || to == "" || from == to {
		return fmt.Errorf("move time billing of shop %q: bad arguments (from %q, to %q)", shopID, from, to)
	}
	q := timebilldb.New(tx)
	f, t := string(from), string(to)
	steps := []struct {
		what string
		run  func() error
	}{
		{"lock row", func() error {
			return q.MoveShopLock(ctx, timebilldb.MoveShopLockParams{ToMerchantID: t, ShopID: shopID, FromMerchantID: f})
		}},
		{"rate plans", func() error {
			return q.MovePlans(ctx, timebilldb.MovePlansParams{ToMerchantID: t, ShopID: shopID, FromMerchantID: f})
		}},
		{"rate bands", func() error {
			return q.MoveBands(ctx, timebilldb.MoveBandsParams{ToMerchantID: t, ShopID: shopID, FromMerchantID: f})
		}},
		{"holidays", func() error {
			return q.MoveHolidays(ctx, timebilldb.MoveHolidaysParams{ToMerchantID: t, ShopID: shopID, FromMerchantID: f})
		}},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			return fmt.Errorf("move time billing of shop %s: %s: %w", shopID, st.what, err)
		}
	}
	return nil
}

package timebill

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/rbac"
)

// Routes registers the module's operations on api: a shop's rate plans, the quote, and its holidays. Every
// operation declares its permission; rbac.Guard checks it (and that a {shop_id} is reachable), and the
// service checks through Shops that the shop is the caller's merchant's (404 otherwise).
//
// The bodies have their own types, named Timebill…, because huma names schemas by Go type name across the
// whole API and names such as Bill or Segment would clash with other modules'.
func (s *Service) Routes(api huma.API) {
	s.planRoutes(api)
	s.holidayRoutes(api)
}

// TimebillBand is a price band of a rate plan.
type TimebillBand struct {
	DayType      DayType   `json:"day_type" enum:"weekday,weekend,holiday" doc:"Saturday and Sunday are weekend; holiday is a date of the shop's calendar. A day type without bands uses the weekday bands."`
	Start        string    `json:"start" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$" patternDescription:"HH:MM from 00:00 to 23:59" doc:"Local time (GMT+7)."`
	End          string    `json:"end" pattern:"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$" patternDescription:"HH:MM up to 24:00" doc:"Local time (GMT+7); 24:00 is the end of the day."`
	PricePerHour money.VND `json:"price_per_hour" minimum:"0" maximum:"1000000000" doc:"Đồng per hour."`
}

// TimebillPlanInput is the body of putting a rate plan.
type TimebillPlanInput struct {
	BlockMinutes   int            `json:"block_minutes" minimum:"1" maximum:"1440" doc:"Billed minutes are rounded up to a multiple of this (1 = per minute)."`
	MinimumMinutes int            `json:"minimum_minutes" minimum:"0" maximum:"1440" doc:"A session is billed at least this many minutes."`
	Bands          []TimebillBand `json:"bands" maxItems:"48" doc:"Weekday bands are required; the bands of each day type present cover 00:00–24:00 without gap or overlap."`
}

// TimebillPlan is a shop's rate plan for a room type.
type TimebillPlan struct {
	ShopID         string         `json:"shop_id"`
	RoomType       string         `json:"room_type"`
	BlockMinutes   int            `json:"block_minutes"`
	MinimumMinutes int            `json:"minimum_minutes"`
	Bands          []TimebillBand `json:"bands" doc:"By day type (weekday, weekend, holiday), then start."`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

// TimebillPlanPage is a page of a shop's rate plans, in room type order.
type TimebillPlanPage struct {
	Items      []TimebillPlan `json:"items"`
	NextCursor string         `json:"next_cursor" doc:"Empty at the end."`
}

// TimebillQuoteInput is the session to quote.
type TimebillQuoteInput struct {
	StartsAt time.Time `json:"starts_at" doc:"RFC 3339, any offset."`
	EndsAt   time.Time `json:"ends_at" doc:"RFC 3339, after starts_at, at most 48 hours later."`
}

// TimebillBill is the price of a session, as the room's order would bill it.
type TimebillBill struct {
	Minutes       int               `json:"minutes" doc:"Actual minutes: seconds rounded up to whole minutes."`
	BilledMinutes int               `json:"billed_minutes" doc:"max(minimum_minutes, minutes rounded up to block_minutes)."`
	Amount        money.VND         `json:"amount" doc:"Σ segments' amounts, in đồng."`
	Segments      []TimebillSegment `json:"segments"`
}

// TimebillSegment is a stretch of a bill at one price.
type TimebillSegment struct {
	StartsAt     time.Time `json:"starts_at"`
	EndsAt       time.Time `json:"ends_at"`
	Minutes      int       `json:"minutes"`
	PricePerHour money.VND `json:"price_per_hour"`
	Amount       money.VND `json:"amount" doc:"minutes × price_per_hour ÷ 60, rounded half-up."`
	DayType      DayType   `json:"day_type" enum:"weekday,weekend,holiday" doc:"The bands that priced it."`
	Rounding     bool      `json:"rounding" doc:"The minutes added by rounding to the block or to the minimum, at the rate in force at the end."`
}

// TimebillHoliday is a date of a shop's holiday calendar.
type TimebillHoliday struct {
	Date string `json:"date" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" patternDescription:"YYYY-MM-DD" doc:"Local date."`
	Name string `json:"name" required:"false" maxLength:"100" doc:"Optional."`
}

// TimebillHolidays is a shop's holidays in one year.
type TimebillHolidays struct {
	Year  int               `json:"year"`
	Dates []TimebillHoliday `json:"dates"`
}

// TimebillHolidaysInput replaces a year's holidays.
type TimebillHolidaysInput struct {
	Dates []TimebillHoliday `json:"dates" maxItems:"366"`
}

type planPath struct {
	ShopID   string `path:"shop_id" maxLength:"64"`
	RoomType string `path:"room_type" pattern:"^[a-z0-9][a-z0-9_-]{0,31}$" patternDescription:"a lower-case slug of up to 32 characters"`
}

// Inputs repeat their parameters: huma reads parameters from the input struct's own fields only.
type putPlanInput struct {
	ShopID   string `path:"shop_id" maxLength:"64"`
	RoomType string `path:"room_type" pattern:"^[a-z0-9][a-z0-9_-]{0,31}$" patternDescription:"a lower-case slug of up to 32 characters"`
	Body     TimebillPlanInput
}

type quoteInput struct {
	ShopID   string `path:"shop_id" maxLength:"64"`
	RoomType string `path:"room_type" pattern:"^[a-z0-9][a-z0-9_-]{0,31}$" patternDescription:"a lower-case slug of up to 32 characters"`
	Body     TimebillQuoteInput
}

type listPlansInput struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size."`
	Cursor string `query:"cursor" maxLength:"32" doc:"next_cursor of the previous page."`
}

type planOutput struct{ Body TimebillPlan }
type planPageOutput struct{ Body TimebillPlanPage }
type billOutput struct{ Body TimebillBill }
type holidaysOutput struct{ Body TimebillHolidays }

type getHolidaysInput struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	Year   int    `query:"year" doc:"Civil year, 2000–2100; the current year (GMT+7) when absent."`
}

type yearInput struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	Year   int    `query:"year" required:"true" minimum:"2000" maximum:"2100" doc:"Civil year."`
}

type putHolidaysInput struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	Year   int    `query:"year" required:"true" minimum:"2000" maximum:"2100" doc:"Civil year."`
	Body   TimebillHolidaysInput
}

func (s *Service) planRoutes(api huma.API) {
	const path = "/api/v1/shops/{shop_id}/rate-plans/{room_type}"
	huma.Register(api, op("put-rate-plan", http.MethodPut, path,
		"Create or replace the shop's rate plan for a room type", rbac.FloorManage, 0),
		func(ctx context.Context, in *putPlanInput) (*planOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			p, err := s.PutPlan(ctx, m, in.ShopID, in.RoomType, planFromBody(in.Body))
			return &planOutput{Body: planBody(p)}, err
		})
	huma.Register(api, op("get-rate-plan", http.MethodGet, path,
		"The shop's rate plan for a room type", rbac.FloorRead, 0),
		func(ctx context.Context, in *planPath) (*planOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			p, err := s.Plan(ctx, m, in.ShopID, in.RoomType)
			return &planOutput{Body: planBody(p)}, err
		})
	huma.Register(api, op("delete-rate-plan", http.MethodDelete, path,
		"Delete the shop's rate plan for a room type (its rooms cannot be billed until a plan is put)",
		rbac.FloorManage, http.StatusNoContent),
		func(ctx context.Context, in *planPath) (*struct{}, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.DeletePlan(ctx, m, in.ShopID, in.RoomType)
		})
	huma.Register(api, op("list-rate-plans", http.MethodGet, "/api/v1/shops/{shop_id}/rate-plans",
		"The shop's rate plans, in room type order", rbac.FloorRead, 0),
		func(ctx context.Context, in *listPlansInput) (*planPageOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			page, err := s.Plans(ctx, m, in.ShopID, in.Limit, in.Cursor)
			out := &planPageOutput{Body: TimebillPlanPage{Items: make([]TimebillPlan, len(page.Items)), NextCursor: page.NextCursor}}
			for i, p := range page.Items {
				out.Body.Items[i] = planBody(p)
			}
			return out, err
		})
	huma.Register(api, op("quote-rate-plan", http.MethodPost, path+"/quote",
		"Price a session of a room of this type, as its order would be billed", rbac.FloorRead, 0),
		func(ctx context.Context, in *quoteInput) (*billOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b, err := s.QuoteRoom(ctx, m, in.ShopID, in.RoomType, in.Body.StartsAt, in.Body.EndsAt)
			return &billOutput{Body: billBody(b)}, err
		})
}

func (s *Service) holidayRoutes(api huma.API) {
	const path = "/api/v1/shops/{shop_id}/holidays"
	huma.Register(api, op("get-holidays", http.MethodGet, path,
		"The shop's holidays in a year (billed with holiday bands)", rbac.FloorRead, 0),
		func(ctx context.Context, in *getHolidaysInput) (*holidaysOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			year := in.Year
			if year == 0 {
				year = s.clk.Now().In(Zone).Year()
			}
			h, err := s.Holidays(ctx, m, in.ShopID, year)
			return &holidaysOutput{Body: holidaysBody(h)}, err
		})
	huma.Register(api, op("put-holidays", http.MethodPut, path,
		"Replace the shop's holidays of a year", rbac.FloorManage, 0),
		func(ctx context.Context, in *putHolidaysInput) (*holidaysOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			dates := make([]Holiday, len(in.Body.Dates))
			for i, d := range in.Body.Dates {
				dates[i] = Holiday(d)
			}
			h, err := s.SetHolidays(ctx, m, in.ShopID, in.Year, dates)
			return &holidaysOutput{Body: holidaysBody(h)}, err
		})
	huma.Register(api, op("import-vietnam-holidays", http.MethodPost, path+"/import-vietnam",
		"Add Vietnam's public holidays of a year (Labour Code art. 112) to the shop's calendar", rbac.FloorManage, 0),
		func(ctx context.Context, in *yearInput) (*holidaysOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			h, err := s.ImportVietnamHolidays(ctx, m, in.ShopID, in.Year)
			return &holidaysOutput{Body: holidaysBody(h)}, err
		})
}

func op(id, method, path, summary string, perm rbac.Permission, status int) huma.Operation {
	return rbac.Operation(id, method, path, summary, []string{"Karaoke billing"}, perm, status)
}

func planFromBody(b TimebillPlanInput) RatePlan {
	p := RatePlan{BlockMinutes: b.BlockMinutes, MinimumMinutes: b.MinimumMinutes, Bands: make([]Band, len(b.Bands))}
	for i, x := range b.Bands {
		p.Bands[i] = Band(x)
	}
	return p
}

func planBody(p ShopPlan) TimebillPlan {
	out := TimebillPlan{ShopID: p.ShopID, RoomType: p.RoomType, BlockMinutes: p.BlockMinutes, MinimumMinutes: p.MinimumMinutes,
		Bands: make([]TimebillBand, len(p.Bands)), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	for i, b := range p.Bands {
		out.Bands[i] = TimebillBand(b)
	}
	return out
}

func billBody(b Bill) TimebillBill {
	out := TimebillBill{Minutes: b.Minutes, BilledMinutes: b.BilledMinutes, Amount: b.Amount,
		Segments: make([]TimebillSegment, len(b.Segments))}
	for i, s := range b.Segments {
		out.Segments[i] = TimebillSegment(s)
	}
	return out
}

func holidaysBody(h YearHolidays) TimebillHolidays {
	out := TimebillHolidays{Year: h.Year, Dates: make([]TimebillHoliday, len(h.Dates))}
	for i, d := range h.Dates {
		out.Dates[i] = TimebillHoliday(d)
	}
	return out
}

package report

import (
	"context"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/rbac"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Routes registers the reports. Reports over a date range take the shop in the query (empty: every shop
// the caller may read reports of); a caller limited to some shops sees only theirs.
func (s *Service) Routes(api huma.API) {
	tags := []string{"Reports"}
	eod := func(ctx context.Context, shopID, date, format string) (*fileOutput, error) {
		_, m, err := httpapi.Caller(ctx)
		if err != nil {
			return nil, err
		}
		r, err := s.EndOfDay(ctx, m, shopID, date)
		if err != nil {
			return nil, err
		}
		switch format {
		case "csv":
			b, err := EndOfDayCSV(r)
			return csvFile(b, "z-report-"+r.Date+".csv"), err
		case "html":
			b, err := EndOfDayHTML(r)
			return &fileOutput{ContentType: "text/html; charset=utf-8", Body: b}, err
		}
		return &fileOutput{ContentType: "application/json", Body: r}, nil
	}
	op := rbac.Operation("get-end-of-day-report", http.MethodGet, "/api/v1/shops/{shop_id}/reports/end-of-day",
		"A shop's end-of-day (Z) report of a local day: sales, payments, categories, staff, voids, cash drawers; JSON, CSV or printable HTML",
		tags, rbac.ReportRead, 0)
	alternatives(api, &op, reflect.TypeFor[EndOfDay](), "text/csv", "text/html")
	huma.Register(api, op, func(ctx context.Context, in *eodInput) (*fileOutput, error) {
		return eod(ctx, in.ShopID, in.Date, in.Format)
	})
	op = rbac.Operation("get-end-of-day-report-of-shop", http.MethodGet, "/api/v1/reports/end-of-day",
		"The end-of-day (Z) report, with the shop in the query (the same report as /shops/{shop_id}/reports/end-of-day)",
		tags, rbac.ReportRead, 0)
	alternatives(api, &op, reflect.TypeFor[EndOfDay](), "text/csv", "text/html")
	huma.Register(api, op, func(ctx context.Context, in *eodQueryInput) (*fileOutput, error) {
		if err := rbac.ShopAccess(ctx, rbac.ReportRead)(in.ShopID); err != nil {
			return nil, err
		}
		return eod(ctx, in.ShopID, in.Date, in.Format)
	})

	huma.Register(api, rbac.Operation("get-revenue-report", http.MethodGet, "/api/v1/reports/revenue",
		"The revenue dashboard of a date range (GMT+7): KPIs, revenue over time, by category, payment method and hour, top products, and the previous period",
		tags, rbac.ReportRead, 0),
		func(ctx context.Context, in *revenueInput) (*revenueOutput, error) {
			m, sc, err := scopeOf(ctx, in.ShopID)
			if err != nil {
				return nil, err
			}
			r, err := s.Revenue(ctx, m, sc, in.From, in.To, in.Top)
			return &revenueOutput{Body: r}, err
		})

	op = rbac.Operation("get-staff-performance-report", http.MethodGet, "/api/v1/reports/staff-performance",
		"Per person: orders, revenue, average ticket, kitchen tickets on time, voids; sortable; JSON or CSV",
		tags, rbac.ReportRead, 0)
	alternatives(api, &op, reflect.TypeFor[StaffPerformance](), "text/csv")
	huma.Register(api, op, func(ctx context.Context, in *staffInput) (*fileOutput, error) {
		m, sc, err := scopeOf(ctx, in.ShopID)
		if err != nil {
			return nil, err
		}
		desc := in.Direction != "asc"
		if in.Direction == "" && in.Sort == "name" {
			desc = false
		}
		r, err := s.StaffPerformance(ctx, m, sc, in.From, in.To, in.Sort, desc)
		if err != nil {
			return nil, err
		}
		if in.Format == "csv" {
			b, err := StaffCSV(r)
			return csvFile(b, "staff-performance-"+r.From+"_"+r.To+".csv"), err
		}
		return &fileOutput{ContentType: "application/json", Body: r}, nil
	})

	huma.Register(api, rbac.Operation("get-venue-report", http.MethodGet, "/api/v1/reports/venue",
		"Venue metrics of a date range: karaoke revenue per room-hour and occupancy, restaurant table turn time and guests per table",
		tags, rbac.ReportRead, 0),
		func(ctx context.Context, in *rangeInput) (*venueOutput, error) {
			m, sc, err := scopeOf(ctx, in.ShopID)
			if err != nil {
				return nil, err
			}
			r, err := s.Venue(ctx, m, sc, in.From, in.To)
			return &venueOutput{Body: r}, err
		})

	huma.Register(api, rbac.Operation("get-report-settings", http.MethodGet, "/api/v1/shops/{shop_id}/report-settings",
		"A shop's report settings: open minutes a day (occupancy) and kitchen targets per station (on-time tickets)",
		tags, rbac.ReportRead, 0),
		func(ctx context.Context, in *shopPath) (*settingsOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			st, err := s.Settings(ctx, m, in.ShopID)
			return &settingsOutput{Body: st}, err
		})
	huma.Register(api, rbac.Operation("set-report-settings", http.MethodPut, "/api/v1/shops/{shop_id}/report-settings",
		"Replace a shop's report settings", tags, rbac.ShopManage, 0),
		func(ctx context.Context, in *settingsInput) (*settingsOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			if b.StationTargets == nil {
				b.StationTargets = []StationTarget{}
			}
			st, err := s.SetSettings(ctx, m, in.ShopID, b)
			return &settingsOutput{Body: st}, err
		})

	huma.Register(api, rbac.Operation("rebuild-reports", http.MethodPost, "/api/v1/reports/rebuild",
		"Rebuild the merchant's reports from the events they were made of (owner)", tags, rbac.MerchantManage, 0),
		func(ctx context.Context, _ *struct{}) (*rebuildOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			out := &rebuildOutput{}
			out.Body.Replayed, out.Body.Skipped, err = s.Rebuild(ctx, m)
			return out, err
		})
}

// scopeOf is the part of the caller's merchant a range report covers: the shop asked for (404 when the
// caller cannot reach it, 403 when their role there reads no reports), or every shop they may read reports
// of.
func scopeOf(ctx context.Context, shopID string) (tenant.ID, Scope, error) {
	p, m, err := httpapi.Caller(ctx)
	if err != nil {
		return "", Scope{}, err
	}
	if shopID != "" {
		if err := rbac.CheckShop(p, shopID, rbac.ReportRead); err != nil {
			return "", Scope{}, err
		}
		return m, Scope{ShopID: shopID}, nil
	}
	shops, limited := p.ReachableShops()
	if !limited {
		return m, Scope{}, nil
	}
	sc := Scope{Shops: []string{}}
	for _, shop := range shops {
		if rbac.Allows(p.RolesIn(shop), rbac.ReportRead) {
			sc.Shops = append(sc.Shops, shop)
		}
	}
	return m, sc, nil
}

// alternatives documents that op answers JSON of type t, or one of the other content types as text
// (?format=…), in the OpenAPI description.
func alternatives(api huma.API, op *huma.Operation, t reflect.Type, others ...string) {
	schema := api.OpenAPI().Components.Schemas.Schema(t, true, t.Name())
	content := map[string]*huma.MediaType{"application/json": {Schema: schema}}
	for _, ct := range others {
		content[ct] = &huma.MediaType{Schema: &huma.Schema{Type: "string"}}
	}
	op.Responses = map[string]*huma.Response{"200": {Description: "OK", Content: content}}
}

func csvFile(b []byte, name string) *fileOutput {
	return &fileOutput{ContentType: "text/csv; charset=utf-8", Disposition: `attachment; filename="` + name + `"`, Body: b}
}

// fileOutput is a report as JSON (Body a value) or as a file (Body []byte, written as is).
type fileOutput struct {
	ContentType string `header:"Content-Type"`
	Disposition string `header:"Content-Disposition"`
	Body        any
}

type shopPath struct {
	ShopID string `path:"shop_id" maxLength:"64"`
}

type eodInput struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	Date   string `query:"date" required:"true" maxLength:"10" doc:"The local day (GMT+7), YYYY-MM-DD."`
	Format string `query:"format" enum:"json,csv,html" default:"json"`
}

type eodQueryInput struct {
	ShopID string `query:"shop_id" required:"true" minLength:"1" maxLength:"64"`
	Date   string `query:"date" required:"true" maxLength:"10" doc:"The local day (GMT+7), YYYY-MM-DD."`
	Format string `query:"format" enum:"json,csv,html" default:"json"`
}

type rangeInput struct {
	From   string `query:"from" required:"true" maxLength:"10" doc:"First local day (GMT+7), YYYY-MM-DD."`
	To     string `query:"to" required:"true" maxLength:"10" doc:"Last local day, included."`
	ShopID string `query:"shop_id" maxLength:"64" doc:"One shop; empty for every shop."`
}

type revenueInput struct {
	From   string `query:"from" required:"true" maxLength:"10" doc:"First local day (GMT+7), YYYY-MM-DD."`
	To     string `query:"to" required:"true" maxLength:"10" doc:"Last local day, included."`
	ShopID string `query:"shop_id" maxLength:"64" doc:"One shop; empty for every shop."`
	Top    int    `query:"top" minimum:"0" maximum:"100" doc:"How many top products (default 10)."`
}

type staffInput struct {
	From      string `query:"from" required:"true" maxLength:"10" doc:"First local day (GMT+7), YYYY-MM-DD."`
	To        string `query:"to" required:"true" maxLength:"10" doc:"Last local day, included."`
	ShopID    string `query:"shop_id" maxLength:"64" doc:"One shop; empty for every shop."`
	Sort      string `query:"sort" enum:"revenue,orders,average_ticket,tickets_completed_on_time_percent,voids,name," doc:"Default revenue."`
	Direction string `query:"direction" enum:"asc,desc," doc:"Default desc (asc for name)."`
	Format    string `query:"format" enum:"json,csv" default:"json"`
}

type settingsInput struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	Body   ReportSettings
}

type revenueOutput struct{ Body Revenue }

type venueOutput struct{ Body VenueMetrics }

type settingsOutput struct{ Body ReportSettings }

type rebuildOutput struct {
	Body struct {
		Replayed int `json:"replayed" doc:"Events replayed into the read models."`
		Skipped  int `json:"skipped" doc:"Kept events that could not be read."`
	}
}

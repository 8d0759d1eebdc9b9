package report

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/tenant"
	"github.com/goodgo/goodgo/internal/report/reportdb"
)

// Options wire a Service. Each dependency is optional: without Staff reports show people's ids, without
// Catalog category ids, without Shops the shop filter is not checked against the merchant's shops (another
// merchant's shop then simply has no sales) and room occupancy counts the rooms that were used.
type Options struct {
	Staff   Staff
	Catalog Catalog
	Shops   Shops
}

// Service builds the read models from events and answers the reports.
type Service struct {
	db      *db.DB
	clk     clock.Clock
	store   store
	staff   Staff
	catalog Catalog
	shops   Shops
}

// New returns the service over d (migrated with Migrations), telling time with clk.
func New(d *db.DB, clk clock.Clock, opts Options) *Service {
	return &Service{db: d, clk: clk, store: store{db: d}, staff: opts.Staff, catalog: opts.Catalog, shops: opts.Shops}
}

// MaxDays is the longest date range a report covers.
const MaxDays = 366

// rebuildPage is how many kept events a rebuild reads and writes at a time.
const rebuildPage = 2000

// Rebuild drops merchant m's read models and replays every kept event into them, in one transaction (live
// events of m wait for it; reports read the old figures until it commits). It returns how many events it
// replayed. Settings are kept. Events that cannot be read (they were kept before a reader bug was fixed,
// say) are skipped and counted in skipped.
func (s *Service) Rebuild(ctx context.Context, m tenant.ID) (replayed, skipped int, err error) {
	err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		replayed, skipped = 0, 0
		if err := s.store.lockExclusive(ctx, tx, m); err != nil {
			return err
		}
		q := reportdb.New(tx)
		mid := string(m)
		for _, del := range []func(context.Context, string) error{q.DeleteOrders, q.DeleteDaily, q.DeleteHourly, q.DeletePayments,
			q.DeleteCategories, q.DeleteProducts, q.DeleteVoids, q.DeleteTickets, q.DeleteShifts} {
			if err := del(ctx, mid); err != nil {
				return fmt.Errorf("drop read models: %w", err)
			}
		}
		seen := map[string]bool{}
		after := ""
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			evs, err := q.ListEvents(ctx, reportdb.ListEventsParams{MerchantID: mid, After: after, Lim: rebuildPage})
			if err != nil {
				return fmt.Errorf("read events: %w", err)
			}
			if len(evs) == 0 {
				return nil
			}
			b := newBatch(m, seen)
			for _, ev := range evs {
				if _, err := b.add(ev.Type, ev.OccurredAt, ev.ShopID, []byte(ev.Data)); err != nil {
					if apperr.Is(err, apperr.Invalid) {
						skipped++
						continue
					}
					return err
				}
				replayed++
			}
			if err := s.store.flush(ctx, tx, b); err != nil {
				return err
			}
			after = evs[len(evs)-1].ID
		}
	})
	if err != nil {
		return 0, 0, fmt.Errorf("rebuild reports of %s: %w", m, err)
	}
	return replayed, skipped, nil
}

// Merchants lists the merchants with kept events, for rebuilding every merchant's reports. It reads across
// tenants: one of the module's system paths (db.WithSystemTx, report_events' system_path policy).
func (s *Service) Merchants(ctx context.Context) ([]tenant.ID, error) {
	var out []tenant.ID
	err := s.db.WithSystemTx(ctx, "list the merchants whose reports can be rebuilt", func(tx *sql.Tx) error {
		ids, err := reportdb.New(tx).EventMerchants(ctx)
		for _, id := range ids {
			out = append(out, tenant.ID(id))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list merchants with reports: %w", err)
	}
	return out, nil
}

// MoveShop moves a shop's report rows (events, read models, settings) to merchant to, inside a shop
// transfer's system transaction tx: the shop's history goes with it, and both merchants' all-shops sums are
// summed again from their shops'.
func (s *Service) MoveShop(ctx context.Context, tx *sql.Tx, shopID string, from, to tenant.ID) error {
	q := reportdb.New(tx)
	t, f := string(to), string(from)
	steps := []struct {
		what string
		run  func() error
	}{
		{"events", func() error {
			return q.MoveShopEvents(ctx, reportdb.MoveShopEventsParams{ToMerchantID: t, FromMerchantID: f, ShopID: shopID})
		}},
		{"orders", func() error {
			return q.MoveShopOrders(ctx, reportdb.MoveShopOrdersParams{ToMerchantID: t, FromMerchantID: f, ShopID: shopID})
		}},
		{"day sums", func() error {
			return q.MoveShopDaily(ctx, reportdb.MoveShopDailyParams{ToMerchantID: t, FromMerchantID: f, ShopID: shopID})
		}},
		{"hourly sums", func() error {
			return q.MoveShopHourly(ctx, reportdb.MoveShopHourlyParams{ToMerchantID: t, FromMerchantID: f, ShopID: shopID})
		}},
		{"payment sums", func() error {
			return q.MoveShopPayments(ctx, reportdb.MoveShopPaymentsParams{ToMerchantID: t, FromMerchantID: f, ShopID: shopID})
		}},
		{"category sums", func() error {
			return q.MoveShopCategories(ctx, reportdb.MoveShopCategoriesParams{ToMerchantID: t, FromMerchantID: f, ShopID: shopID})
		}},
		{"product sums", func() error {
			return q.MoveShopProducts(ctx, reportdb.MoveShopProductsParams{ToMerchantID: t, FromMerchantID: f, ShopID: shopID})
		}},
		{"voids", func() error {
			return q.MoveShopVoids(ctx, reportdb.MoveShopVoidsParams{ToMerchantID: t, FromMerchantID: f, ShopID: shopID})
		}},
		{"tickets", func() error {
			return q.MoveShopTickets(ctx, reportdb.MoveShopTicketsParams{ToMerchantID: t, FromMerchantID: f, ShopID: shopID})
		}},
		{"shifts", func() error {
			return q.MoveShopShifts(ctx, reportdb.MoveShopShiftsParams{ToMerchantID: t, FromMerchantID: f, ShopID: shopID})
		}},
		{"settings", func() error {
			return q.MoveShopSettings(ctx, reportdb.MoveShopSettingsParams{ToMerchantID: t, FromMerchantID: f, ShopID: shopID})
		}},
		{"station targets", func() error {
			return q.MoveShopStationTargets(ctx, reportdb.MoveShopStationTargetsParams{ToMerchantID: t, FromMerchantID: f, ShopID: shopID})
		}},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			return fmt.Errorf("move report %s: %w", st.what, err)
		}
	}
	for _, m := range []string{f, t} { // both merchants' all-shops sums change
		for _, resum := range []func(context.Context, string) error{q.DeleteAllShopsDaily, q.SumAllShopsDaily,
			q.DeleteAllShopsHourly, q.SumAllShopsHourly, q.DeleteAllShopsPayments, q.SumAllShopsPayments,
			q.DeleteAllShopsCategories, q.SumAllShopsCategories, q.DeleteAllShopsProducts, q.SumAllShopsProducts} {
			if err := resum(ctx, m); err != nil {
				return fmt.Errorf("sum the reports of every shop again: %w", err)
			}
		}
	}
	return nil
}

// Settings returns shop shopID's report settings (the defaults until someone sets them).
func (s *Service) Settings(ctx context.Context, m tenant.ID, shopID string) (ReportSettings, error) {
	if err := s.checkShop(ctx, m, shopID); err != nil {
		return ReportSettings{}, err
	}
	var out ReportSettings
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		out, err = loadSettings(ctx, reportdb.New(tx), m, shopID)
		return err
	})
	return out, err
}

func loadSettings(ctx context.Context, q *reportdb.Queries, m tenant.ID, shopID string) (ReportSettings, error) {
	out := ReportSettings{OpenMinutesPerDay: DefaultOpenMinutesPerDay, DefaultTargetMinutes: DefaultTargetMinutes,
		StationTargets: []StationTarget{}}
	row, err := q.GetSettings(ctx, reportdb.GetSettingsParams{MerchantID: string(m), ShopID: shopID})
	switch {
	case err == nil:
		out.OpenMinutesPerDay, out.DefaultTargetMinutes = int(row.OpenMinutesPerDay), int(row.DefaultTargetMinutes)
	case err != sql.ErrNoRows:
		return ReportSettings{}, fmt.Errorf("read report settings: %w", err)
	}
	targets, err := q.ListStationTargets(ctx, reportdb.ListStationTargetsParams{MerchantID: string(m), ShopID: shopID})
	if err != nil {
		return ReportSettings{}, fmt.Errorf("read station targets: %w", err)
	}
	for _, t := range targets {
		out.StationTargets = append(out.StationTargets, StationTarget{Station: t.Station, TargetMinutes: int(t.TargetMinutes)})
	}
	return out, nil
}

// SetSettings replaces shop shopID's report settings. It returns apperr.Invalid for values out of range or
// a station named twice (fields "body.…").
func (s *Service) SetSettings(ctx context.Context, m tenant.ID, shopID string, in ReportSettings) (ReportSettings, error) {
	if in.OpenMinutesPerDay < 1 || in.OpenMinutesPerDay > 1440 {
		return ReportSettings{}, apperr.WithField("body.open_minutes_per_day", "1 to 1440 minutes")
	}
	if in.DefaultTargetMinutes < 1 || in.DefaultTargetMinutes > 240 {
		return ReportSettings{}, apperr.WithField("body.default_target_minutes", "1 to 240 minutes")
	}
	seen := map[string]bool{}
	for i, t := range in.StationTargets {
		station := strings.ToLower(strings.TrimSpace(t.Station))
		field := fmt.Sprintf("body.station_targets[%d]", i)
		switch {
		case station == "" || len(station) > 32:
			return ReportSettings{}, apperr.WithField(field+".station", "a station name of 1 to 32 characters")
		case seen[station]:
			return ReportSettings{}, apperr.WithField(field+".station", "this station is named twice")
		case t.TargetMinutes < 1 || t.TargetMinutes > 240:
			return ReportSettings{}, apperr.WithField(field+".target_minutes", "1 to 240 minutes")
		}
		seen[station] = true
		in.StationTargets[i].Station = station
	}
	if err := s.checkShop(ctx, m, shopID); err != nil {
		return ReportSettings{}, err
	}
	var out ReportSettings
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := reportdb.New(tx)
		now := s.clk.Now().UTC().Truncate(time.Microsecond)
		if err := q.UpsertSettings(ctx, reportdb.UpsertSettingsParams{MerchantID: string(m), ShopID: shopID,
			OpenMinutesPerDay: int32(in.OpenMinutesPerDay), DefaultTargetMinutes: int32(in.DefaultTargetMinutes), Now: now}); err != nil {
			return fmt.Errorf("save report settings: %w", err)
		}
		if err := q.DeleteStationTargets(ctx, reportdb.DeleteStationTargetsParams{MerchantID: string(m), ShopID: shopID}); err != nil {
			return fmt.Errorf("replace station targets: %w", err)
		}
		for _, t := range in.StationTargets {
			if err := q.InsertStationTarget(ctx, reportdb.InsertStationTargetParams{MerchantID: string(m), ShopID: shopID,
				Station: t.Station, TargetMinutes: int32(t.TargetMinutes), Now: now}); err != nil {
				return fmt.Errorf("save station target: %w", err)
			}
		}
		var err error
		out, err = loadSettings(ctx, q, m, shopID)
		return err
	})
	if err != nil {
		return ReportSettings{}, err
	}
	return out, nil
}

// checkShop returns apperr.NotFound when shopID is not a shop of m (when the service knows the shops).
func (s *Service) checkShop(ctx context.Context, m tenant.ID, shopID string) error {
	if s.shops == nil {
		return nil
	}
	_, err := s.shops.Shop(ctx, m, shopID)
	return err
}

// Scope is the part of a merchant a report covers: one shop, or every shop — all of them (Shops nil), or
// only those listed (a caller limited to some shops).
type Scope struct {
	ShopID string
	Shops  []string
}

// filters returns the shop filters to run a report's queries with: "" for every shop, or each shop.
func (sc Scope) filters() []string {
	switch {
	case sc.ShopID != "":
		return []string{sc.ShopID}
	case sc.Shops != nil:
		shops := slices.Clone(sc.Shops)
		slices.Sort(shops)
		return slices.Compact(shops)
	}
	return []string{""}
}

// period is an inclusive range of local days.
type period struct {
	from, to time.Time // local midnights
}

func (p period) fromDay() string { return p.from.Format(time.DateOnly) }
func (p period) toDay() string   { return p.to.Format(time.DateOnly) }

// days is how many days the period holds.
func (p period) days() int { return int(p.to.Sub(p.from).Hours()/24) + 1 }

// previous is the period of the same length just before p.
func (p period) previous() period {
	n := p.days()
	to := p.from.AddDate(0, 0, -1)
	return period{from: to.AddDate(0, 0, -(n - 1)), to: to}
}

// periodKeys are the rollup keys a sale of local day ('YYYY-MM-DD') adds to: the day, its third of the
// month ('DYYYY-MM-1' for days 1–10, -2 for 11–20, -3 for 21 to the end), its month ('MYYYY-MM').
func periodKeys(day string) [3]string {
	third := "3"
	switch {
	case day[8:] <= "10":
		third = "1"
	case day[8:] <= "20":
		third = "2"
	}
	return [3]string{day, "D" + day[:8] + third, "M" + day[:7]}
}

// span is a range of rollup keys of one grain, both included.
type span struct{ from, to string }

// spans covers the period with as few rollup rows as possible: whole months as months, whole thirds of a
// month as thirds, the days left as days; consecutive keys of a grain make one span (at most five: days,
// thirds, months, thirds, days).
func (p period) spans() []span {
	var out []span
	lastGrain := byte(0)
	for cur := p.from; !cur.After(p.to); {
		y, mo, d := cur.Date()
		monthEnd := time.Date(y, mo+1, 0, 0, 0, 0, 0, cur.Location())
		thirdEnd := monthEnd
		if d <= 10 {
			thirdEnd = time.Date(y, mo, 10, 0, 0, 0, 0, cur.Location())
		} else if d <= 20 {
			thirdEnd = time.Date(y, mo, 20, 0, 0, 0, 0, cur.Location())
		}
		keys := periodKeys(cur.Format(time.DateOnly))
		key, next := keys[0], cur.AddDate(0, 0, 1)
		switch {
		case d == 1 && !monthEnd.After(p.to):
			key, next = keys[2], monthEnd.AddDate(0, 0, 1)
		case (d == 1 || d == 11 || d == 21) && !thirdEnd.After(p.to):
			key, next = keys[1], thirdEnd.AddDate(0, 0, 1)
		}
		grain := key[0]
		if grain >= '0' && grain <= '9' {
			grain = 'd'
		}
		if grain == lastGrain {
			out[len(out)-1].to = key
		} else {
			out = append(out, span{from: key, to: key})
			lastGrain = grain
		}
		cur = next
	}
	return out
}

// parsePeriod reads an inclusive range of local dates (YYYY-MM-DD, GMT+7). It returns apperr.Invalid naming
// query.from / query.to for a bad date, an inverted range or one over MaxDays.
func parsePeriod(from, to string) (period, error) {
	f, err := time.ParseInLocation(time.DateOnly, from, clock.VietnamZone)
	if err != nil {
		return period{}, apperr.WithField("query.from", "a date as YYYY-MM-DD")
	}
	t, err := time.ParseInLocation(time.DateOnly, to, clock.VietnamZone)
	if err != nil {
		return period{}, apperr.WithField("query.to", "a date as YYYY-MM-DD")
	}
	p := period{from: f, to: t}
	switch {
	case t.Before(f):
		return period{}, apperr.WithField("query.to", "must not be before from")
	case p.days() > MaxDays:
		return period{}, apperr.WithField("query.to", fmt.Sprintf("a range of at most %d days", MaxDays))
	}
	return p, nil
}

// names returns the display names of people ids (an id itself when nobody knows it).
func (s *Service) names(ctx context.Context, m tenant.ID, ids []string) (map[string]string, error) {
	out := map[string]string{}
	var ask []string
	for _, id := range ids {
		if id != "" && !slices.Contains(ask, id) {
			ask = append(ask, id)
		}
	}
	if s.staff != nil && len(ask) > 0 {
		known, err := s.staff.Names(ctx, m, ask)
		if err != nil {
			return nil, fmt.Errorf("staff names: %w", err)
		}
		for id, n := range known {
			out[id] = n
		}
	}
	for _, id := range ask {
		if out[id] == "" {
			out[id] = id
		}
	}
	return out, nil
}

// categoryNames returns the names of category ids, the pseudo-categories included.
func (s *Service) categoryNames(ctx context.Context, m tenant.ID, ids []string) (map[string]string, error) {
	out := map[string]string{CategoryRoomTime: "Tiền giờ", CategoryUncategorized: "Chưa phân loại"}
	var ask []string
	for _, id := range ids {
		if _, fixed := out[id]; !fixed && id != "" {
			ask = append(ask, id)
		}
	}
	if s.catalog != nil && len(ask) > 0 {
		known, err := s.catalog.CategoryNames(ctx, m, ask)
		if err != nil {
			return nil, fmt.Errorf("category names: %w", err)
		}
		for id, n := range known {
			out[id] = n
		}
	}
	for _, id := range ask {
		if out[id] == "" {
			out[id] = id
		}
	}
	return out, nil
}

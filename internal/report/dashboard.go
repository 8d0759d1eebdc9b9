package report

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
	"github.com/goodgo/goodgo/internal/report/reportdb"
)

// DefaultTop and MaxTop bound the dashboard's top products list.
const (
	DefaultTop = 10
	MaxTop     = 100
)

// Revenue returns the revenue dashboard of merchant m over the local days from…to (YYYY-MM-DD, inclusive)
// for the shops of sc, with the top products (0: DefaultTop), and the same figures of the period of the
// same length just before. It reads the rollups only. It returns apperr.Invalid for a bad range and
// apperr.NotFound for a shop that is not m's.
func (s *Service) Revenue(ctx context.Context, m tenant.ID, sc Scope, from, to string, top int) (Revenue, error) {
	p, err := parsePeriod(from, to)
	if err != nil {
		return Revenue{}, err
	}
	if top <= 0 {
		top = DefaultTop
	}
	top = min(top, MaxTop)
	if sc.ShopID != "" {
		if err := s.checkShop(ctx, m, sc.ShopID); err != nil {
			return Revenue{}, err
		}
	}
	prevP := p.previous()
	var cur, prev, days []reportdb.DailyTotalsRow
	var hours []reportdb.HourlyTotalsRow
	pays := map[string]*MethodAmount{}
	cats := map[string]*CategorySales{}
	prods := map[string]*ProductSales{}
	err = s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := reportdb.New(tx)
		for _, shop := range sc.filters() {
			for _, sp := range p.spans() {
				rows, err := q.DailyTotals(ctx, reportdb.DailyTotalsParams{MerchantID: string(m), FromPeriod: sp.from, ToPeriod: sp.to, ShopID: shop})
				if err != nil {
					return fmt.Errorf("read day sums: %w", err)
				}
				cur = append(cur, rows...)
				h, err := q.HourlyTotals(ctx, reportdb.HourlyTotalsParams{MerchantID: string(m), FromPeriod: sp.from, ToPeriod: sp.to, ShopID: shop})
				if err != nil {
					return fmt.Errorf("read hour sums: %w", err)
				}
				hours = append(hours, h...)
				if err := addPayments(ctx, q, pays, reportdb.PaymentTotalsParams{MerchantID: string(m), FromPeriod: sp.from,
					ToPeriod: sp.to, ShopID: shop}); err != nil {
					return err
				}
				if err := addCategories(ctx, q, cats, reportdb.CategoryTotalsParams{MerchantID: string(m), FromPeriod: sp.from,
					ToPeriod: sp.to, ShopID: shop}); err != nil {
					return err
				}
				products, err := q.ProductTotals(ctx, reportdb.ProductTotalsParams{MerchantID: string(m), FromPeriod: sp.from,
					ToPeriod: sp.to, ShopID: shop})
				if err != nil {
					return fmt.Errorf("read product sums: %w", err)
				}
				for _, r := range products {
					ps := prods[r.ProductID]
					if ps == nil {
						ps = &ProductSales{ProductID: r.ProductID, Name: r.Name}
						prods[r.ProductID] = ps
					}
					ps.Quantity += r.Quantity
					ps.Revenue += money.VND(r.Revenue)
				}
			}
			for _, sp := range prevP.spans() {
				rows, err := q.DailyTotals(ctx, reportdb.DailyTotalsParams{MerchantID: string(m), FromPeriod: sp.from, ToPeriod: sp.to, ShopID: shop})
				if err != nil {
					return fmt.Errorf("read day sums: %w", err)
				}
				prev = append(prev, rows...)
			}
			if p.days() > 1 { // the series by day reads the day rows
				rows, err := q.DailyTotals(ctx, reportdb.DailyTotalsParams{MerchantID: string(m), FromPeriod: p.fromDay(), ToPeriod: p.toDay(), ShopID: shop})
				if err != nil {
					return fmt.Errorf("read day sums: %w", err)
				}
				days = append(days, rows...)
			}
		}
		return nil
	})
	if err != nil {
		return Revenue{}, err
	}
	out := Revenue{From: p.fromDay(), To: p.toDay(), ShopID: sc.ShopID, KPIs: kpisOf(cur),
		Previous: PreviousPeriod{From: prevP.fromDay(), To: prevP.toDay(), KPIs: kpisOf(prev)}}
	out.Change = change(out.KPIs, out.Previous.KPIs)
	out.ByHour = make([]HourRevenue, 24)
	for h := range out.ByHour {
		out.ByHour[h].Hour = h
	}
	for _, r := range hours {
		out.ByHour[r.Hour].Revenue += money.VND(r.Revenue)
		out.ByHour[r.Hour].Orders += r.Orders
	}
	out.Series, out.SeriesBy = series(p, days, out.ByHour)
	out.ByPaymentMethod = sortedMethods(pays)
	if out.ByCategory, err = s.sortedCategories(ctx, m, cats); err != nil {
		return Revenue{}, err
	}
	out.TopProducts = make([]ProductSales, 0, len(prods))
	for _, ps := range prods {
		out.TopProducts = append(out.TopProducts, *ps)
	}
	slices.SortFunc(out.TopProducts, func(a, b ProductSales) int {
		return cmp.Or(cmp.Compare(b.Revenue, a.Revenue), cmp.Compare(b.Quantity, a.Quantity), cmp.Compare(a.ProductID, b.ProductID))
	})
	out.TopProducts = out.TopProducts[:min(top, len(out.TopProducts))]
	return out, nil
}

func addPayments(ctx context.Context, q *reportdb.Queries, into map[string]*MethodAmount, arg reportdb.PaymentTotalsParams) error {
	rows, err := q.PaymentTotals(ctx, arg)
	if err != nil {
		return fmt.Errorf("read payment sums: %w", err)
	}
	for _, r := range rows {
		ma := into[r.Method]
		if ma == nil {
			ma = &MethodAmount{Method: r.Method}
			into[r.Method] = ma
		}
		ma.Amount += money.VND(r.Amount)
		ma.Count += r.Payments
		ma.Refunded += money.VND(r.Refunded)
	}
	return nil
}

func addCategories(ctx context.Context, q *reportdb.Queries, into map[string]*CategorySales, arg reportdb.CategoryTotalsParams) error {
	rows, err := q.CategoryTotals(ctx, arg)
	if err != nil {
		return fmt.Errorf("read category sums: %w", err)
	}
	for _, r := range rows {
		c := into[r.CategoryID]
		if c == nil {
			c = &CategorySales{CategoryID: r.CategoryID}
			into[r.CategoryID] = c
		}
		c.Quantity += r.Quantity
		c.Revenue += money.VND(r.Revenue)
	}
	return nil
}

// sortedMethods lists payment methods by amount, largest first.
func sortedMethods(pays map[string]*MethodAmount) []MethodAmount {
	out := make([]MethodAmount, 0, len(pays))
	for _, k := range slices.Sorted(maps.Keys(pays)) {
		out = append(out, *pays[k])
	}
	slices.SortStableFunc(out, func(a, b MethodAmount) int { return cmp.Compare(b.Amount, a.Amount) })
	return out
}

// sortedCategories names the categories and lists them by revenue, largest first.
func (s *Service) sortedCategories(ctx context.Context, m tenant.ID, cats map[string]*CategorySales) ([]CategorySales, error) {
	ids := slices.Sorted(maps.Keys(cats))
	names, err := s.categoryNames(ctx, m, ids)
	if err != nil {
		return nil, err
	}
	out := make([]CategorySales, 0, len(cats))
	for _, id := range ids {
		c := *cats[id]
		c.Name = names[id]
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b CategorySales) int { return cmp.Compare(b.Revenue, a.Revenue) })
	return out, nil
}

// kpisOf sums hourly rows into the KPIs.
func kpisOf(rows []reportdb.DailyTotalsRow) KPIs {
	var k KPIs
	for _, r := range rows {
		k.Revenue += money.VND(r.Revenue)
		k.Orders += r.Orders
		k.Customers += r.Customers
		k.GrossSales += money.VND(r.GrossSales)
		k.Discounts += money.VND(r.Discounts)
		k.Refunds += money.VND(r.Refunds)
		k.Cancelled += r.Cancelled
	}
	k.AverageTicket = averageTicket(k.Revenue, k.Orders)
	return k
}

// averageTicket is revenue ÷ orders, floored (0 without orders).
func averageTicket(revenue money.VND, orders int64) money.VND {
	if orders <= 0 {
		return 0
	}
	q := revenue / money.VND(orders)
	if revenue < 0 && revenue%money.VND(orders) != 0 { // Go truncates; the rule floors
		q--
	}
	return q
}

// change compares two periods' KPIs.
func change(cur, prev KPIs) KPIChange {
	return KPIChange{
		Revenue: cur.Revenue - prev.Revenue, Orders: cur.Orders - prev.Orders,
		AverageTicket: cur.AverageTicket - prev.AverageTicket, Customers: cur.Customers - prev.Customers,
		RevenuePercent:       percentChange(int64(cur.Revenue), int64(prev.Revenue)),
		OrdersPercent:        percentChange(cur.Orders, prev.Orders),
		AverageTicketPercent: percentChange(int64(cur.AverageTicket), int64(prev.AverageTicket)),
		CustomersPercent:     percentChange(cur.Customers, prev.Customers),
	}
}

// percentChange is (cur − prev) ÷ prev × 100 to one decimal; nil when prev is 0.
func percentChange(cur, prev int64) *float64 {
	if prev == 0 {
		return nil
	}
	v := oneDecimal(float64(cur-prev) * 100 / float64(prev))
	return &v
}

// oneDecimal rounds a ratio for display (percentages and averages, never money).
func oneDecimal(v float64) float64 { return math.Round(v*10) / 10 }

// series is the revenue over the period: per day, or per hour when it is one day (every day or hour
// present, zeros included, so a chart needs no gaps filled). days are the period's day rows; hours its
// hours (for a one-day period, that day's).
func series(p period, days []reportdb.DailyTotalsRow, hours []HourRevenue) ([]SeriesPoint, string) {
	if p.days() == 1 {
		out := make([]SeriesPoint, 24)
		for h := range out {
			out[h] = SeriesPoint{Date: p.fromDay(), Hour: &[]int{h}[0], Revenue: hours[h].Revenue, Orders: hours[h].Orders}
		}
		return out, "hour"
	}
	out := make([]SeriesPoint, p.days())
	index := map[string]int{}
	for i := range out {
		d := p.from.AddDate(0, 0, i).Format(time.DateOnly)
		out[i].Date = d
		index[d] = i
	}
	for _, r := range days {
		if i, ok := index[r.Period]; ok {
			out[i].Revenue += money.VND(r.Revenue)
			out[i].Orders += r.Orders
		}
	}
	return out, "day"
}

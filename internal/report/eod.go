package report

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
	"github.com/goodgo/goodgo/internal/report/reportdb"
)

// EndOfDay returns the Z report of shop shopID of merchant m for local day date (YYYY-MM-DD): the orders
// that closed that day and what they took, by payment method, category and person; the voids made that
// day; the cash drawers of the shifts that closed that day. It returns apperr.Invalid for a bad date and
// apperr.NotFound for a shop that is not m's.
func (s *Service) EndOfDay(ctx context.Context, m tenant.ID, shopID, date string) (EndOfDay, error) {
	out := EndOfDay{ShopID: shopID}
	if s.shops != nil {
		sh, err := s.shops.Shop(ctx, m, shopID)
		if err != nil {
			return EndOfDay{}, err
		}
		out.ShopName = sh.Name
	}
	day, err := time.ParseInLocation(time.DateOnly, date, clock.VietnamZone)
	if err != nil {
		return EndOfDay{}, apperr.WithField("query.date", "a date as YYYY-MM-DD")
	}
	out.Date = day.Format(time.DateOnly)
	d := out.Date
	pays := map[string]*MethodAmount{}
	cats := map[string]*CategorySales{}
	var staff []reportdb.StaffOrdersRow
	var voids []reportdb.ReportVoid
	var shifts []reportdb.ReportShift
	err = s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := reportdb.New(tx)
		hours, err := q.DailyTotals(ctx, reportdb.DailyTotalsParams{MerchantID: string(m), FromPeriod: d, ToPeriod: d, ShopID: shopID})
		if err != nil {
			return fmt.Errorf("read day sums: %w", err)
		}
		for _, h := range hours {
			out.Orders += h.Orders
			out.Guests += h.Customers
			out.CancelledOrders += h.Cancelled
			out.GrossSales += money.VND(h.GrossSales)
			out.Discounts += money.VND(h.Discounts)
			out.ServiceCharge += money.VND(h.ServiceCharge)
			out.VAT += money.VND(h.Vat)
			out.Total += money.VND(h.Total)
			out.Revenue += money.VND(h.Revenue)
			out.Refunds += money.VND(h.Refunds)
		}
		if err := addPayments(ctx, q, pays, reportdb.PaymentTotalsParams{MerchantID: string(m), FromPeriod: d, ToPeriod: d, ShopID: shopID}); err != nil {
			return err
		}
		if err := addCategories(ctx, q, cats, reportdb.CategoryTotalsParams{MerchantID: string(m), FromPeriod: d, ToPeriod: d, ShopID: shopID}); err != nil {
			return err
		}
		if staff, err = q.StaffOrders(ctx, reportdb.StaffOrdersParams{MerchantID: string(m), FromDay: d, ToDay: d, ShopID: shopID}); err != nil {
			return fmt.Errorf("read sales by person: %w", err)
		}
		if voids, err = q.ListVoids(ctx, reportdb.ListVoidsParams{MerchantID: string(m), ShopID: shopID, Day: d}); err != nil {
			return fmt.Errorf("read voids: %w", err)
		}
		if shifts, err = q.ListShifts(ctx, reportdb.ListShiftsParams{MerchantID: string(m), ShopID: shopID, Day: d}); err != nil {
			return fmt.Errorf("read shifts: %w", err)
		}
		return nil
	})
	if err != nil {
		return EndOfDay{}, err
	}
	out.NetSales = out.Total - out.VAT
	out.AverageTicket = averageTicket(out.Revenue, out.Orders)
	out.ByPaymentMethod = sortedMethods(pays)
	if out.ByCategory, err = s.sortedCategories(ctx, m, cats); err != nil {
		return EndOfDay{}, err
	}
	var people []string
	for _, r := range staff {
		people = append(people, r.OpenedBy)
	}
	for _, v := range voids {
		people = append(people, v.VoidedBy, v.ApprovedBy)
	}
	for _, sh := range shifts {
		people = append(people, sh.CashierID)
	}
	names, err := s.names(ctx, m, people)
	if err != nil {
		return EndOfDay{}, err
	}
	out.ByStaff = make([]StaffSales, 0, len(staff))
	for _, r := range staff {
		out.ByStaff = append(out.ByStaff, StaffSales{StaffID: r.OpenedBy, Name: names[r.OpenedBy], Orders: r.Orders,
			Revenue: money.VND(r.Revenue)})
	}
	slices.SortFunc(out.ByStaff, func(a, b StaffSales) int {
		return cmp.Or(cmp.Compare(b.Revenue, a.Revenue), cmp.Compare(a.StaffID, b.StaffID))
	})
	slices.SortFunc(voids, func(a, b reportdb.ReportVoid) int {
		return cmp.Or(a.VoidedAt.Compare(b.VoidedAt), cmp.Compare(a.OrderLineID, b.OrderLineID))
	})
	slices.SortFunc(shifts, func(a, b reportdb.ReportShift) int {
		return cmp.Or(a.ClosedAt.Compare(b.ClosedAt), cmp.Compare(a.ShiftID, b.ShiftID))
	})
	out.Voids = make([]VoidedLine, 0, len(voids))
	for _, v := range voids {
		out.Voids = append(out.Voids, VoidedLine{OrderID: v.OrderID, OrderLineID: v.OrderLineID, ProductID: v.ProductID,
			Name: v.Name, Quantity: int(v.Quantity), Amount: money.VND(v.Amount), Reason: v.Reason, VoidedBy: v.VoidedBy,
			VoidedByName: names[v.VoidedBy], ApprovedBy: v.ApprovedBy, ApprovedByName: names[v.ApprovedBy],
			VoidedAt: v.VoidedAt.UTC()})
		out.VoidsAmount += money.VND(v.Amount)
	}
	out.Cash = cashSummary(shifts, names)
	return out, nil
}

// cashSummary sums the closed shifts' drawers.
func cashSummary(shifts []reportdb.ReportShift, names map[string]string) CashSummary {
	c := CashSummary{Shifts: make([]ShiftCash, 0, len(shifts))}
	for _, sh := range shifts {
		one := ShiftCash{ShiftID: sh.ShiftID, CashierID: sh.CashierID, CashierName: names[sh.CashierID],
			OpenedAt: sh.OpenedAt.UTC(), ClosedAt: sh.ClosedAt.UTC(), OpeningCash: money.VND(sh.OpeningCash),
			CashSales: money.VND(sh.CashSales), CashRefunds: money.VND(sh.CashRefunds), CashIn: money.VND(sh.CashIn),
			CashOut: money.VND(sh.CashOut), ExpectedCash: money.VND(sh.ExpectedCash), CountedCash: money.VND(sh.CountedCash),
			Variance: money.VND(sh.Variance)}
		c.Shifts = append(c.Shifts, one)
		c.OpeningCash += one.OpeningCash
		c.CashSales += one.CashSales
		c.CashRefunds += one.CashRefunds
		c.CashIn += one.CashIn
		c.CashOut += one.CashOut
		c.ExpectedCash += one.ExpectedCash
		c.CountedCash += one.CountedCash
		c.Variance += one.Variance
	}
	return c
}

// staffSort names the columns the staff table sorts by.
var staffSort = map[string]func(a, b StaffRow) int{
	"revenue":        func(a, b StaffRow) int { return cmp.Compare(a.Revenue, b.Revenue) },
	"orders":         func(a, b StaffRow) int { return cmp.Compare(a.Orders, b.Orders) },
	"average_ticket": func(a, b StaffRow) int { return cmp.Compare(a.AverageTicket, b.AverageTicket) },
	"tickets_completed_on_time_percent": func(a, b StaffRow) int {
		return cmp.Compare(percentOrMinus(a.OnTimePercent), percentOrMinus(b.OnTimePercent))
	},
	"voids": func(a, b StaffRow) int { return cmp.Compare(a.Voids, b.Voids) },
	"name":  func(a, b StaffRow) int { return cmp.Compare(a.Name, b.Name) },
}

// StaffSorts lists the columns StaffPerformance sorts by.
func StaffSorts() []string { return slices.Sorted(maps.Keys(staffSort)) }

func percentOrMinus(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

// StaffPerformance returns, per person, the orders they opened that closed in local days from…to, their
// revenue and average ticket, how many of those orders' cooking tickets were ready on time (their station's
// target), and the voids they made. sort is a column of StaffSorts ("" = revenue); desc sorts largest first.
// It returns apperr.Invalid for a bad range or sort and apperr.NotFound for a shop that is not m's.
func (s *Service) StaffPerformance(ctx context.Context, m tenant.ID, sc Scope, from, to, sort string, desc bool) (StaffPerformance, error) {
	p, err := parsePeriod(from, to)
	if err != nil {
		return StaffPerformance{}, err
	}
	if sort == "" {
		sort = "revenue"
	}
	less, ok := staffSort[sort]
	if !ok {
		return StaffPerformance{}, apperr.WithField("query.sort", "one of "+fmt.Sprint(StaffSorts()))
	}
	if sc.ShopID != "" {
		if err := s.checkShop(ctx, m, sc.ShopID); err != nil {
			return StaffPerformance{}, err
		}
	}
	rows := map[string]*StaffRow{}
	row := func(id string) *StaffRow {
		r := rows[id]
		if r == nil {
			r = &StaffRow{StaffID: id}
			rows[id] = r
		}
		return r
	}
	err = s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := reportdb.New(tx)
		for _, shop := range sc.filters() {
			orders, err := q.StaffOrders(ctx, reportdb.StaffOrdersParams{MerchantID: string(m), FromDay: p.fromDay(), ToDay: p.toDay(), ShopID: shop})
			if err != nil {
				return fmt.Errorf("read sales by person: %w", err)
			}
			for _, o := range orders {
				r := row(o.OpenedBy)
				r.Orders += o.Orders
				r.Revenue += money.VND(o.Revenue)
			}
			tickets, err := q.StaffTickets(ctx, reportdb.StaffTicketsParams{DefaultTarget: DefaultTargetMinutes,
				MerchantID: string(m), FromDay: p.fromDay(), ToDay: p.toDay(), ShopID: shop})
			if err != nil {
				return fmt.Errorf("read tickets by person: %w", err)
			}
			for _, t := range tickets {
				r := row(t.OpenedBy)
				r.TicketsReady += t.Completed
				r.TicketsOnTime += t.OnTime
			}
			voids, err := q.StaffVoids(ctx, reportdb.StaffVoidsParams{MerchantID: string(m), FromDay: p.fromDay(), ToDay: p.toDay(), ShopID: shop})
			if err != nil {
				return fmt.Errorf("read voids by person: %w", err)
			}
			for _, v := range voids {
				r := row(v.VoidedBy)
				r.Voids += v.Voids
				r.VoidsAmount += money.VND(v.Amount)
			}
		}
		return nil
	})
	if err != nil {
		return StaffPerformance{}, err
	}
	ids := slices.Sorted(maps.Keys(rows))
	names, err := s.names(ctx, m, ids)
	if err != nil {
		return StaffPerformance{}, err
	}
	out := StaffPerformance{From: p.fromDay(), To: p.toDay(), ShopID: sc.ShopID, Sort: sort, Items: make([]StaffRow, 0, len(rows))}
	for _, id := range ids {
		r := rows[id]
		r.Name = names[id]
		if r.Name == "" {
			r.Name = id
		}
		r.AverageTicket = averageTicket(r.Revenue, r.Orders)
		if r.TicketsReady > 0 {
			v := oneDecimal(float64(r.TicketsOnTime) * 100 / float64(r.TicketsReady))
			r.OnTimePercent = &v
		}
		out.Items = append(out.Items, *r)
	}
	slices.SortStableFunc(out.Items, func(a, b StaffRow) int {
		c := less(a, b)
		if desc {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(a.StaffID, b.StaffID))
	})
	return out, nil
}

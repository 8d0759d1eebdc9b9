package report

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// The projection's writes. They are multi-row statements (one per table and batch of up to a few hundred
// rows), which sqlc cannot express on database/sql, so their SQL is here, in full; the VALUES list is the
// only part filled in. A rebuild or a benchmark seed writes a day's worth of sales in a few statements, and
// a live event in the same statements with one row each. Both engines run them: PostgreSQL and SQLite share
// INSERT … ON CONFLICT … DO UPDATE with excluded.

const insertOrdersSQL = `INSERT INTO report_orders (merchant_id, order_id, shop_id, status, day, hour, opened_at,
    finished_at, order_type, table_id, room_id, place_name, split_of, guests, customers, counted, opened_by,
    finished_by, subtotal, discount, service_charge, vat, total, revenue, refunds, room_minutes, seated_seconds,
    time_amount, cancel_reason)
VALUES %s
ON CONFLICT (merchant_id, order_id) DO NOTHING`

const upsertDailySQL = `INSERT INTO report_daily (merchant_id, period, shop_id, orders, customers, cancelled, revenue,
    gross_sales, discounts, service_charge, vat, total, refunds)
VALUES %s
ON CONFLICT (merchant_id, period, shop_id) DO UPDATE SET orders = report_daily.orders + excluded.orders,
    customers = report_daily.customers + excluded.customers, cancelled = report_daily.cancelled + excluded.cancelled,
    revenue = report_daily.revenue + excluded.revenue, gross_sales = report_daily.gross_sales + excluded.gross_sales,
    discounts = report_daily.discounts + excluded.discounts,
    service_charge = report_daily.service_charge + excluded.service_charge, vat = report_daily.vat + excluded.vat,
    total = report_daily.total + excluded.total, refunds = report_daily.refunds + excluded.refunds`

const upsertHourlySQL = `INSERT INTO report_hourly (merchant_id, period, shop_id, hour, orders, revenue)
VALUES %s
ON CONFLICT (merchant_id, period, shop_id, hour) DO UPDATE SET orders = report_hourly.orders + excluded.orders,
    revenue = report_hourly.revenue + excluded.revenue`

const upsertPaymentsSQL = `INSERT INTO report_payments (merchant_id, period, shop_id, method, payments, amount, refunded)
VALUES %s
ON CONFLICT (merchant_id, period, shop_id, method) DO UPDATE SET payments = report_payments.payments + excluded.payments,
    amount = report_payments.amount + excluded.amount, refunded = report_payments.refunded + excluded.refunded`

const upsertCategoriesSQL = `INSERT INTO report_categories (merchant_id, period, shop_id, category_id, quantity, revenue)
VALUES %s
ON CONFLICT (merchant_id, period, shop_id, category_id) DO UPDATE SET
    quantity = report_categories.quantity + excluded.quantity, revenue = report_categories.revenue + excluded.revenue`

// The product's name is the one its latest batch saw (names change on the menu; sums do not care).
const upsertProductsSQL = `INSERT INTO report_products (merchant_id, period, shop_id, product_id, name, quantity, revenue)
VALUES %s
ON CONFLICT (merchant_id, period, shop_id, product_id) DO UPDATE SET name = excluded.name,
    quantity = report_products.quantity + excluded.quantity, revenue = report_products.revenue + excluded.revenue`

const insertVoidsSQL = `INSERT INTO report_voids (merchant_id, order_line_id, shop_id, day, voided_at, order_id,
    product_id, category_id, name, quantity, amount, reason, voided_by, approved_by)
VALUES %s
ON CONFLICT (merchant_id, order_line_id) DO NOTHING`

// A ticket keeps the latest ready time seen, whichever of its events comes first (every SET expression
// reads the row as it was, on both engines).
const upsertTicketsSQL = `INSERT INTO report_tickets (merchant_id, ticket_id, shop_id, order_id, station, created_at,
    ready_at, prep_seconds)
VALUES %s
ON CONFLICT (merchant_id, ticket_id) DO UPDATE SET
    ready_at = CASE WHEN excluded.ready_at IS NOT NULL
        AND (report_tickets.ready_at IS NULL OR excluded.ready_at > report_tickets.ready_at)
        THEN excluded.ready_at ELSE report_tickets.ready_at END,
    prep_seconds = CASE WHEN excluded.ready_at IS NOT NULL
        AND (report_tickets.ready_at IS NULL OR excluded.ready_at > report_tickets.ready_at)
        THEN excluded.prep_seconds ELSE report_tickets.prep_seconds END`

const insertShiftsSQL = `INSERT INTO report_shifts (merchant_id, shift_id, shop_id, day, cashier_id, closed_by,
    opened_at, closed_at, opening_cash, cash_sales, sales_count, cash_refunds, refunds_count, cash_in, cash_out,
    expected_cash, counted_cash, variance)
VALUES %s
ON CONFLICT (merchant_id, shift_id) DO NOTHING`

// The advisory locks (PostgreSQL only) that keep a rebuild and live events of a merchant apart: each event
// takes the merchant's lock shared, a rebuild exclusive, so no event lands between a rebuild's delete and
// its replay. SQLite has one writer: its transactions never interleave.
const (
	lockSharedSQL    = `SELECT pg_advisory_xact_lock_shared($1)`
	lockExclusiveSQL = `SELECT pg_advisory_xact_lock($1)`
)

// maxParams keeps a statement under SQLite's limit of bound parameters (32766), with room to spare.
const maxParams = 30000

// store writes the read models.
type store struct{ db *db.DB }

func (st store) lockShared(ctx context.Context, tx *sql.Tx, m tenant.ID) error {
	return st.lock(ctx, tx, lockSharedSQL, m)
}

func (st store) lockExclusive(ctx context.Context, tx *sql.Tx, m tenant.ID) error {
	return st.lock(ctx, tx, lockExclusiveSQL, m)
}

func (st store) lock(ctx context.Context, tx *sql.Tx, stmt string, m tenant.ID) error {
	if st.db.Dialect() != db.Postgres {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte("report:" + string(m)))
	if _, err := tx.ExecContext(ctx, stmt, int64(h.Sum64())); err != nil {
		return fmt.Errorf("lock the merchant's reports: %w", err)
	}
	return nil
}

// flush writes batch b. An order already in the read model (a second event about the same order) adds
// nothing; a batch of several orders must hold only new ones (a rebuild starts from empty tables).
func (st store) flush(ctx context.Context, tx *sql.Tx, b *batch) error {
	m := string(b.m)
	if len(b.orders) > 0 {
		rows := make([][]any, len(b.orders))
		for i, o := range b.orders {
			rows[i] = []any{m, o.OrderID, o.ShopID, o.Status, o.Day, o.Hour, o.OpenedAt, o.FinishedAt, o.OrderType,
				o.TableID, o.RoomID, o.PlaceName, o.SplitOf, o.Guests, o.Customers, o.Counted, o.OpenedBy, o.FinishedBy,
				o.Subtotal, o.Discount, o.ServiceCharge, o.Vat, o.Total, o.Revenue, o.Refunds, o.RoomMinutes,
				o.SeatedSeconds, o.TimeAmount, o.CancelReason}
		}
		n, err := st.execValues(ctx, tx, insertOrdersSQL, rows)
		if err != nil {
			return fmt.Errorf("insert orders: %w", err)
		}
		switch {
		case n == int64(len(b.orders)):
			if err := st.addSums(ctx, tx, m, b.sums); err != nil {
				return err
			}
		case len(b.orders) == 1 && n == 0: // the order is counted already
		default:
			return fmt.Errorf("insert orders: %d of %d were in the read model already", int64(len(b.orders))-n, len(b.orders))
		}
	}
	if len(b.voids) > 0 {
		rows := make([][]any, 0, len(b.voids))
		for _, id := range slices.Sorted(maps.Keys(b.voids)) {
			v := b.voids[id]
			rows = append(rows, []any{m, v.OrderLineID, v.ShopID, v.Day, v.VoidedAt, v.OrderID, v.ProductID, v.CategoryID,
				v.Name, v.Quantity, v.Amount, v.Reason, v.VoidedBy, v.ApprovedBy})
		}
		if _, err := st.execValues(ctx, tx, insertVoidsSQL, rows); err != nil {
			return fmt.Errorf("insert voids: %w", err)
		}
	}
	if len(b.tickets) > 0 {
		rows := make([][]any, 0, len(b.tickets))
		for _, id := range slices.Sorted(maps.Keys(b.tickets)) {
			t := b.tickets[id]
			rows = append(rows, []any{m, t.TicketID, t.ShopID, t.OrderID, t.Station, t.CreatedAt, t.ReadyAt, t.PrepSeconds})
		}
		if _, err := st.execValues(ctx, tx, upsertTicketsSQL, rows); err != nil {
			return fmt.Errorf("upsert tickets: %w", err)
		}
	}
	if len(b.shifts) > 0 {
		rows := make([][]any, 0, len(b.shifts))
		for _, id := range slices.Sorted(maps.Keys(b.shifts)) {
			s := b.shifts[id]
			rows = append(rows, []any{m, s.ShiftID, s.ShopID, s.Day, s.CashierID, s.ClosedBy, s.OpenedAt, s.ClosedAt,
				s.OpeningCash, s.CashSales, s.SalesCount, s.CashRefunds, s.RefundsCount, s.CashIn, s.CashOut,
				s.ExpectedCash, s.CountedCash, s.Variance})
		}
		if _, err := st.execValues(ctx, tx, insertShiftsSQL, rows); err != nil {
			return fmt.Errorf("insert shifts: %w", err)
		}
	}
	return nil
}

// rollupKey names a rollup row of a merchant: period, shop, and the hour or the method, category or product.
type rollupKey struct {
	period, shop, sub string
	hour              int
}

func compareKeys(a, b rollupKey) int {
	return cmp.Or(cmp.Compare(a.period, b.period), cmp.Compare(a.shop, b.shop), cmp.Compare(a.hour, b.hour), cmp.Compare(a.sub, b.sub))
}

// allKeys are the (period, shop) keys of the rollup rows an order adds to: each grain of its day, for its
// shop and for every shop (”).
func allKeys(o *orderSums) [][2]string {
	var out [][2]string
	for _, period := range periodKeys(o.day) {
		out = append(out, [2]string{period, o.shopID}, [2]string{period, ""})
	}
	return out
}

// addSums adds the orders' contributions to the rollups at every grain of their day, for their shop and
// for every shop, one row per key (keys sorted, so concurrent transactions take row locks in the same
// order).
func (st store) addSums(ctx context.Context, tx *sql.Tx, m string, all map[string]*orderSums) error {
	daily := map[rollupKey]*saleSums{}
	hourly := map[rollupKey]*saleSums{}
	pays := map[rollupKey]*paySums{}
	cats := map[rollupKey]*qtySums{}
	prods := map[rollupKey]*productSums{}
	for _, id := range slices.Sorted(maps.Keys(all)) {
		o := all[id]
		for _, pk := range allKeys(o) {
			period, shop := pk[0], pk[1]
			k := rollupKey{period: period, shop: shop}
			if daily[k] == nil {
				daily[k] = &saleSums{}
			}
			daily[k].add(o.totals)
			hk := rollupKey{period: period, shop: shop, hour: o.hour}
			if hourly[hk] == nil {
				hourly[hk] = &saleSums{}
			}
			hourly[hk].add(o.totals)
			for method, p := range o.payments {
				k := rollupKey{period: period, shop: shop, sub: method}
				if pays[k] == nil {
					pays[k] = &paySums{}
				}
				pays[k].payments += p.payments
				pays[k].amount += p.amount
				pays[k].refunded += p.refunded
			}
			for cat, c := range o.categories {
				k := rollupKey{period: period, shop: shop, sub: cat}
				if cats[k] == nil {
					cats[k] = &qtySums{}
				}
				cats[k].quantity += c.quantity
				cats[k].revenue += c.revenue
			}
			for prod, p := range o.products {
				k := rollupKey{period: period, shop: shop, sub: prod}
				if prods[k] == nil {
					prods[k] = &productSums{}
				}
				prods[k].name = p.name
				prods[k].quantity += p.quantity
				prods[k].revenue += p.revenue
			}
		}
	}
	var rows [][]any
	for _, k := range slices.SortedFunc(maps.Keys(daily), compareKeys) {
		h := daily[k]
		rows = append(rows, []any{m, k.period, k.shop, h.orders, h.customers, h.cancelled, int64(h.revenue),
			int64(h.gross), int64(h.discounts), int64(h.serviceCharge), int64(h.vat), int64(h.total), int64(h.refunds)})
	}
	if _, err := st.execValues(ctx, tx, upsertDailySQL, rows); err != nil {
		return fmt.Errorf("add to day sums: %w", err)
	}
	rows = rows[:0]
	for _, k := range slices.SortedFunc(maps.Keys(hourly), compareKeys) {
		h := hourly[k]
		rows = append(rows, []any{m, k.period, k.shop, k.hour, h.orders, int64(h.revenue)})
	}
	if _, err := st.execValues(ctx, tx, upsertHourlySQL, rows); err != nil {
		return fmt.Errorf("add to hour sums: %w", err)
	}
	rows = rows[:0]
	for _, k := range slices.SortedFunc(maps.Keys(pays), compareKeys) {
		p := pays[k]
		rows = append(rows, []any{m, k.period, k.shop, k.sub, p.payments, int64(p.amount), int64(p.refunded)})
	}
	if _, err := st.execValues(ctx, tx, upsertPaymentsSQL, rows); err != nil {
		return fmt.Errorf("add to payment sums: %w", err)
	}
	rows = rows[:0]
	for _, k := range slices.SortedFunc(maps.Keys(cats), compareKeys) {
		c := cats[k]
		rows = append(rows, []any{m, k.period, k.shop, k.sub, c.quantity, int64(c.revenue)})
	}
	if _, err := st.execValues(ctx, tx, upsertCategoriesSQL, rows); err != nil {
		return fmt.Errorf("add to category sums: %w", err)
	}
	rows = rows[:0]
	for _, k := range slices.SortedFunc(maps.Keys(prods), compareKeys) {
		p := prods[k]
		rows = append(rows, []any{m, k.period, k.shop, k.sub, p.name, p.quantity, int64(p.revenue)})
	}
	if _, err := st.execValues(ctx, tx, upsertProductsSQL, rows); err != nil {
		return fmt.Errorf("add to product sums: %w", err)
	}
	return nil
}

// execValues runs stmt, whose VALUES list is %s, for rows (all of the same width) in as few statements as
// the parameter limit allows, and returns the rows affected. Parameters are $1…$n on PostgreSQL and plain ?
// on SQLite, which resolves every $n by name (a linear search each: quadratic in a statement's size).
func (st store) execValues(ctx context.Context, tx *sql.Tx, stmt string, rows [][]any) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	width := len(rows[0])
	per := max(1, min(1000, maxParams/width))
	var affected int64
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var values strings.Builder
		args := make([]any, 0, len(chunk)*width)
		for i, r := range chunk {
			if len(r) != width {
				return affected, fmt.Errorf("row %d has %d values, want %d", start+i, len(r), width)
			}
			if i > 0 {
				values.WriteString(", ")
			}
			values.WriteByte('(')
			for j := range r {
				if j > 0 {
					values.WriteString(", ")
				}
				if st.db.Dialect() == db.Postgres {
					values.WriteByte('$')
					values.WriteString(strconv.Itoa(len(args) + j + 1))
				} else {
					values.WriteByte('?')
				}
			}
			values.WriteByte(')')
			args = append(args, r...)
		}
		res, err := tx.ExecContext(ctx, fmt.Sprintf(stmt, values.String()), args...)
		if err != nil {
			return affected, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return affected, err
		}
		affected += n
	}
	return affected, nil
}

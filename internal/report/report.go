// Package report is what owners look at: the end-of-day (Z) report of a shop, the revenue dashboard, staff
// performance and venue metrics (karaoke rooms, restaurant tables).
//
// Reports are read models. The module owns no sale: it consumes the order, kitchen and shift modules' events
// through the outbox (HandleEvent, once per event inside the inbox transaction) and keeps
//   - every consumed event as it came (report_events, unique by event id), so the read models can be dropped
//     and rebuilt by replaying them (Rebuild, `goodgo reports rebuild`);
//   - one row per finished order (report_orders), per void (report_voids), per cooking ticket
//     (report_tickets) and per closed shift (report_shifts);
//   - rollups — totals, by hour of the day, payment method, category and product — per shop (and for all
//     shops) and per local day, third of a month and month, which the dashboard reads instead of order lines:
//     a range is covered by whole months, whole thirds and the days left, so a merchant's year of sales
//     answers from a few thousand rows.
//
// Every figure derives from the orders as they ended (order.closed / order.cancelled carry the whole
// order), never from SQL joins across modules. The projection is idempotent and order-independent: an event
// already kept changes nothing, an order is counted once whatever event carries it again, rollups only add,
// and a ticket keeps its latest ready time whichever status event comes first.
//
// The money rules (API.md): an order's revenue is what its payments kept, Σ (amount − refunded); refunds
// happen before an order closes, so a finished order's payments are final. Revenue = Σ paid order totals −
// refunds, average_ticket = revenue ÷ orders floored, where "orders" counts closed orders that sold
// something (subtotal > 0: an order emptied by a split is not a sale, its checks are). An order's revenue is
// shared over its lines (and a room's time) in proportion to what each line cost after its own discount,
// the đồng left over going to the largest, so categories and products always add up to the revenue. Days
// and hours are local (GMT+7) and an order belongs to the day it closed. A cancelled order sold nothing; its
// refunds count on the day it was cancelled. Staff performance credits an order, and its kitchen tickets, to
// the person who opened it, and a void to the person who made it.
//
// Cross-tenant paths (both in db.WithSystemTx, through the system_path policies of the module's tables):
// Merchants lists the merchants with kept events for `goodgo reports rebuild`; MoveShop moves a shop's rows
// in a shop transfer.
package report

import (
	"context"
	"embed"
	"time"

	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations creates the module's tables on either engine.
var Migrations = migrate.Embedded("report", migrationFiles)

// The subjects and event types the module consumes (the producers' contracts: order.events from the order
// module, kitchen.events from the kitchen, shift.events from the payment module's shifts).
const (
	OrderSubject   = "order.events"
	KitchenSubject = "kitchen.events"
	ShiftSubject   = "shift.events"

	EventOrderClosed    = "order.closed"
	EventOrderCancelled = "order.cancelled"
	EventLinesVoided    = "order.lines_voided"
	EventTicketCreated  = "ticket.created"
	EventTicketStatus   = "ticket.status_changed"
	EventShiftClosed    = "shift.closed"
)

// Subjects are the subjects the module's consumer subscribes to.
var Subjects = []string{OrderSubject, KitchenSubject, ShiftSubject}

// Defaults of a shop's report settings.
const (
	DefaultTargetMinutes     = 15   // a station's ticket is on time when ready within this
	DefaultOpenMinutesPerDay = 1440 // karaoke occupancy counts the whole day unless the shop says otherwise
)

// The pseudo-categories of revenue that no menu category names.
const (
	CategoryRoomTime      = "room_time"     // a karaoke room's billed time
	CategoryUncategorized = "uncategorized" // lines without a category
)

// Staff gives people's names (the merchant module's staff, wired by the composition root).
type Staff interface {
	// Names returns the display names of the given user ids of merchant m; ids it does not know are left out.
	Names(ctx context.Context, m tenant.ID, ids []string) (map[string]string, error)
}

// Catalog gives category names (the catalog module, wired by the composition root).
type Catalog interface {
	// CategoryNames returns the names of the given category ids of merchant m; ids it does not know (a
	// deleted category) are left out.
	CategoryNames(ctx context.Context, m tenant.ID, ids []string) (map[string]string, error)
}

// Shops gives what reports print about a shop (the merchant module, wired by the composition root).
type Shops interface {
	// Shop returns shop shopID of merchant m, archived or not, with its floor's rooms; apperr.NotFound for
	// another merchant's or an unknown shop.
	Shop(ctx context.Context, m tenant.ID, shopID string) (ShopInfo, error)
}

// ShopInfo is a shop as reports show it.
type ShopInfo struct {
	Name  string
	Rooms []Place // the karaoke rooms on its floor (occupancy counts the rooms nobody used too)
}

// Place is a table or a room.
type Place struct {
	ID   string
	Name string
}

// KPIs are the dashboard's four cards, and what they are made of.
type KPIs struct {
	Revenue       money.VND `json:"revenue" doc:"What payments kept: Σ paid order totals − refunds."`
	Orders        int64     `json:"orders" doc:"Closed orders that sold something."`
	AverageTicket money.VND `json:"average_ticket" doc:"revenue ÷ orders, floored."`
	Customers     int64     `json:"customers" doc:"Guests of the closed orders (1 for an order without a guest count)."`
	GrossSales    money.VND `json:"gross_sales" doc:"Σ order subtotals (before discounts)."`
	Discounts     money.VND `json:"discounts"`
	Refunds       money.VND `json:"refunds"`
	Cancelled     int64     `json:"cancelled" doc:"Orders cancelled."`
}

// KPIChange compares two periods: current − previous, and the change in percent of the previous (null
// when the previous period had nothing).
type KPIChange struct {
	Revenue              money.VND `json:"revenue"`
	Orders               int64     `json:"orders"`
	AverageTicket        money.VND `json:"average_ticket"`
	Customers            int64     `json:"customers"`
	RevenuePercent       *float64  `json:"revenue_percent"`
	OrdersPercent        *float64  `json:"orders_percent"`
	AverageTicketPercent *float64  `json:"average_ticket_percent"`
	CustomersPercent     *float64  `json:"customers_percent"`
}

// Revenue is the revenue dashboard of a date range, for one shop or every shop of the merchant.
type Revenue struct {
	From            string          `json:"from"`
	To              string          `json:"to"`
	ShopID          string          `json:"shop_id" doc:"Empty: every shop the caller may see."`
	KPIs            KPIs            `json:"kpis"`
	SeriesBy        string          `json:"series_by" enum:"day,hour" doc:"hour when the range is one day."`
	Series          []SeriesPoint   `json:"series"`
	ByCategory      []CategorySales `json:"by_category"`
	ByPaymentMethod []MethodAmount  `json:"by_payment_method"`
	ByHour          []HourRevenue   `json:"by_hour" doc:"Every hour of the day (local), summed over the range."`
	TopProducts     []ProductSales  `json:"top_products"`
	Previous        PreviousPeriod  `json:"previous" doc:"The period of the same length just before."`
	Change          KPIChange       `json:"change"`
}

// PreviousPeriod is the comparison period of a dashboard.
type PreviousPeriod struct {
	From string `json:"from"`
	To   string `json:"to"`
	KPIs KPIs   `json:"kpis"`
}

// SeriesPoint is the revenue of one day (or one hour of a one-day range).
type SeriesPoint struct {
	Date    string    `json:"date"`
	Hour    *int      `json:"hour,omitempty" doc:"Set when the series is by hour."`
	Revenue money.VND `json:"revenue"`
	Orders  int64     `json:"orders"`
}

// HourRevenue is the revenue of one hour of the day (local).
type HourRevenue struct {
	Hour    int       `json:"hour"`
	Revenue money.VND `json:"revenue"`
	Orders  int64     `json:"orders"`
}

// CategorySales is a category's share of revenue.
type CategorySales struct {
	CategoryID string    `json:"category_id" doc:"A catalog category, or room_time (karaoke time), or uncategorized."`
	Name       string    `json:"name"`
	Quantity   int64     `json:"quantity"`
	Revenue    money.VND `json:"revenue"`
}

// MethodAmount is what one payment method took.
type MethodAmount struct {
	Method   string    `json:"method"`
	Amount   money.VND `json:"amount" doc:"Kept: paid − refunded."`
	Count    int64     `json:"count" doc:"Payments that kept money."`
	Refunded money.VND `json:"refunded"`
}

// ProductSales is a product's sales.
type ProductSales struct {
	ProductID string    `json:"product_id"`
	Name      string    `json:"name"`
	Quantity  int64     `json:"quantity"`
	Revenue   money.VND `json:"revenue"`
}

// EndOfDay is a shop's Z report of one local day.
type EndOfDay struct {
	Date            string          `json:"date"`
	ShopID          string          `json:"shop_id"`
	ShopName        string          `json:"shop_name"`
	Orders          int64           `json:"orders"`
	Guests          int64           `json:"guests"`
	CancelledOrders int64           `json:"cancelled_orders"`
	GrossSales      money.VND       `json:"gross_sales" doc:"Σ subtotals: what was sold at menu prices."`
	Discounts       money.VND       `json:"discounts"`
	ServiceCharge   money.VND       `json:"service_charge"`
	VAT             money.VND       `json:"vat"`
	Total           money.VND       `json:"total" doc:"Σ order totals: what customers were charged."`
	NetSales        money.VND       `json:"net_sales" doc:"total − vat: sales without VAT, service charge included."`
	Revenue         money.VND       `json:"revenue" doc:"What payments kept (paid − refunded)."`
	Refunds         money.VND       `json:"refunds"`
	AverageTicket   money.VND       `json:"average_ticket"`
	ByPaymentMethod []MethodAmount  `json:"by_payment_method"`
	ByCategory      []CategorySales `json:"by_category"`
	ByStaff         []StaffSales    `json:"by_staff"`
	Voids           []VoidedLine    `json:"voids"`
	VoidsAmount     money.VND       `json:"voids_amount"`
	Cash            CashSummary     `json:"cash"`
}

// StaffSales is what one person's orders took in a day.
type StaffSales struct {
	StaffID string    `json:"staff_id"`
	Name    string    `json:"name"`
	Orders  int64     `json:"orders"`
	Revenue money.VND `json:"revenue"`
}

// VoidedLine is a line withdrawn after it went to the kitchen: who, why, who approved, and what it was worth.
type VoidedLine struct {
	OrderID        string    `json:"order_id"`
	OrderLineID    string    `json:"order_line_id"`
	ProductID      string    `json:"product_id"`
	Name           string    `json:"name"`
	Quantity       int       `json:"quantity"`
	Amount         money.VND `json:"amount"`
	Reason         string    `json:"reason"`
	VoidedBy       string    `json:"voided_by"`
	VoidedByName   string    `json:"voided_by_name"`
	ApprovedBy     string    `json:"approved_by"`
	ApprovedByName string    `json:"approved_by_name"`
	VoidedAt       time.Time `json:"voided_at"`
}

// CashSummary is the cash drawers of the shifts that closed that day, summed and one by one.
type CashSummary struct {
	OpeningCash  money.VND   `json:"opening_cash"`
	CashSales    money.VND   `json:"cash_sales"`
	CashRefunds  money.VND   `json:"cash_refunds"`
	CashIn       money.VND   `json:"cash_in"`
	CashOut      money.VND   `json:"cash_out"`
	ExpectedCash money.VND   `json:"expected_cash"`
	CountedCash  money.VND   `json:"counted_cash"`
	Variance     money.VND   `json:"variance" doc:"counted − expected: negative when cash is missing."`
	Shifts       []ShiftCash `json:"shifts"`
}

// ShiftCash is one closed shift's drawer.
type ShiftCash struct {
	ShiftID      string    `json:"shift_id"`
	CashierID    string    `json:"cashier_id"`
	CashierName  string    `json:"cashier_name"`
	OpenedAt     time.Time `json:"opened_at"`
	ClosedAt     time.Time `json:"closed_at"`
	OpeningCash  money.VND `json:"opening_cash"`
	CashSales    money.VND `json:"cash_sales"`
	CashRefunds  money.VND `json:"cash_refunds"`
	CashIn       money.VND `json:"cash_in"`
	CashOut      money.VND `json:"cash_out"`
	ExpectedCash money.VND `json:"expected_cash"`
	CountedCash  money.VND `json:"counted_cash"`
	Variance     money.VND `json:"variance"`
}

// StaffPerformance is the staff table of a date range.
type StaffPerformance struct {
	From   string     `json:"from"`
	To     string     `json:"to"`
	ShopID string     `json:"shop_id"`
	Sort   string     `json:"sort"`
	Items  []StaffRow `json:"items"`
}

// StaffRow is one person's row: the orders they opened (served) and the voids they made.
type StaffRow struct {
	StaffID       string    `json:"staff_id"`
	Name          string    `json:"name"`
	Orders        int64     `json:"orders"`
	Revenue       money.VND `json:"revenue"`
	AverageTicket money.VND `json:"average_ticket"`
	TicketsReady  int64     `json:"tickets_ready" doc:"Cooking tickets of their orders that were ready."`
	TicketsOnTime int64     `json:"tickets_on_time" doc:"Of those, ready within their station's target."`
	OnTimePercent *float64  `json:"tickets_completed_on_time_percent" doc:"tickets_on_time ÷ tickets_ready × 100, one decimal; null without tickets."`
	Voids         int64     `json:"voids"`
	VoidsAmount   money.VND `json:"voids_amount"`
}

// VenueMetrics are the venue metrics of a date range: karaoke rooms and restaurant tables.
type VenueMetrics struct {
	From   string      `json:"from"`
	To     string      `json:"to"`
	ShopID string      `json:"shop_id"`
	Rooms  RoomMetrics `json:"rooms"`
	Tables TableMetric `json:"tables"`
}

// RoomMetrics are karaoke rooms' revenue per room-hour and occupancy, overall and per room.
type RoomMetrics struct {
	Sessions           int64     `json:"sessions"`
	Minutes            int64     `json:"minutes" doc:"Minutes the rooms were in use."`
	Revenue            money.VND `json:"revenue" doc:"Revenue of the room orders (time and what was ordered)."`
	RevenuePerRoomHour money.VND `json:"revenue_per_room_hour" doc:"revenue × 60 ÷ minutes, floored."`
	OccupancyPercent   float64   `json:"occupancy_percent" doc:"minutes ÷ (rooms × days × open minutes a day) × 100, one decimal."`
	Items              []RoomUse `json:"items"`
}

// RoomUse is one room's use.
type RoomUse struct {
	ShopID             string    `json:"shop_id"`
	RoomID             string    `json:"room_id"`
	Name               string    `json:"name"`
	Sessions           int64     `json:"sessions"`
	Minutes            int64     `json:"minutes"`
	Revenue            money.VND `json:"revenue"`
	RevenuePerRoomHour money.VND `json:"revenue_per_room_hour"`
	OccupancyPercent   float64   `json:"occupancy_percent"`
}

// TableMetric is restaurant tables' turn time and guests, overall and per table.
type TableMetric struct {
	Sittings           int64      `json:"sittings" doc:"Parties seated: closed dine-in orders on a table (checks split from one are one sitting)."`
	AverageTurnMinutes float64    `json:"average_turn_minutes" doc:"From opening the order to closing it, one decimal."`
	GuestsPerTable     float64    `json:"guests_per_table" doc:"Guests per sitting, one decimal."`
	Items              []TableUse `json:"items"`
}

// TableUse is one table's sittings.
type TableUse struct {
	ShopID             string  `json:"shop_id"`
	TableID            string  `json:"table_id"`
	Name               string  `json:"name"`
	Sittings           int64   `json:"sittings"`
	AverageTurnMinutes float64 `json:"average_turn_minutes"`
	GuestsPerTable     float64 `json:"guests_per_table"`
}

// ReportSettings are a shop's report settings.
type ReportSettings struct {
	OpenMinutesPerDay    int             `json:"open_minutes_per_day" minimum:"1" maximum:"1440" doc:"How long the shop is open a day, for room occupancy (default 1440)."`
	DefaultTargetMinutes int             `json:"default_target_minutes" minimum:"1" maximum:"240" doc:"A kitchen ticket is on time when ready within this many minutes of being sent (default 15)."`
	StationTargets       []StationTarget `json:"station_targets" maxItems:"50" doc:"Per station targets that replace the default."`
}

// StationTarget is one station's target.
type StationTarget struct {
	Station       string `json:"station" minLength:"1" maxLength:"32"`
	TargetMinutes int    `json:"target_minutes" minimum:"1" maximum:"240"`
}

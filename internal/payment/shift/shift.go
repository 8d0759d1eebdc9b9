// Package shift is the payment module's shifts and cash drawer: a cashier opens a shift at a shop's till
// with an opening float, cash goes in and out of the drawer during the shift (cash sales and refunds from
// the payment module, petty cash and bank drops by hand), and the shift closes with the cash counted in the
// drawer, the cash that should be there, and the difference.
//
// Invariants the package keeps:
//   - At most one open shift per (shop, cashier) and per (shop, registered terminal): partial unique indexes
//     on the open shifts, so of two concurrent opens one succeeds and the other is a Conflict.
//   - Every change to a drawer is a movement row (opening, sale, refund, cash_in, cash_out) with its signed
//     effect; the expected cash of a shift is the SUM of its movements, never a stored counter:
//     expected = opening + cash sales − cash refunds + cash in − cash out, variance = counted − expected.
//   - A movement and the close of the same shift never interleave: both take the shift's row lock first
//     (an UPDATE of the open shift), so a closed shift's expected_cash is the sum of all its movements and a
//     closed shift takes nothing more (Conflict).
//   - A payment or refund is recorded at most once (a unique index on the movement's kind and reference).
//   - Amounts are integer đồng; the opening float and the counted cash are ≥ 0, cash in and out > 0.
//   - Everything is scoped to the merchant: another merchant's shop or shift is NotFound.
//
// Cross-tenant path: MoveShop, the package's step of a shop transfer, inside the transfer's db.WithSystemTx
// transaction; both tables admit app.system = 'on' through a second PostgreSQL policy (system_path), which a
// tenant transaction never satisfies.
package shift

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

// Migrations creates the package's tables (shifts, shift_movements) on either engine.
var Migrations = migrate.Embedded("shift", migrationFiles)

// Events, written to the outbox on Subject: EventOpened with the Shift as data, EventClosed with the
// ShiftCloseResult (who closed it, counted, expected, variance and the drawer's summary), EventCashMove with
// the ShiftMovement of a cash in or out by hand.
const (
	Subject       = "shift.events"
	EventOpened   = "shift.opened"
	EventClosed   = "shift.closed"
	EventCashMove = "shift.cash_moved"
)

// Status says whether a shift still takes cash.
type Status string

// The statuses of a shift.
const (
	Open   Status = "open"
	Closed Status = "closed"
)

// Kind is what a drawer movement records.
type Kind string

// The movement kinds. Opening, Sale and CashIn add to the drawer; Refund and CashOut take from it.
const (
	KindOpening Kind = "opening"
	KindSale    Kind = "sale"
	KindRefund  Kind = "refund"
	KindCashIn  Kind = "cash_in"
	KindCashOut Kind = "cash_out"
)

// Limits of the amounts and texts a caller gives.
const (
	MaxAmount = money.VND(1_000_000_000) // far above any drawer, far below overflow
	MaxReason = 200                      // characters of a cash in/out reason
	MaxNote   = 500                      // characters of a closing note
	MaxID     = 64                       // characters of a device id or cursor
)

// Shops is what the package needs of the merchant module.
type Shops interface {
	// CheckShop returns nil if shopID is a live shop of merchant m, an apperr.NotFound error otherwise
	// (another merchant's shop included).
	CheckShop(ctx context.Context, m tenant.ID, shopID string) error
	// CheckTerminal returns nil if deviceID is a live registered terminal of shop shopID of merchant m, an
	// apperr.NotFound error otherwise.
	CheckTerminal(ctx context.Context, m tenant.ID, shopID, deviceID string) error
}

// Access is the caller's standing in a shop, asked once the shop of a shift is known: an error (NotFound
// for a shop the caller cannot reach, Forbidden for a role without shift work) or whether the caller may
// manage other cashiers' shifts there (rbac.ShiftManage). The HTTP layer builds it from the principal.
type Access func(shopID string) (manage bool, err error)

// Shift is a cashier's shift at a shop's till. The closing fields are null while it is open.
type Shift struct {
	ID           string     `json:"id"`
	ShopID       string     `json:"shop_id"`
	CashierID    string     `json:"cashier_id"`
	DeviceID     string     `json:"device_id" doc:"The registered terminal the shift is bound to; empty for none."`
	Status       Status     `json:"status" enum:"open,closed"`
	OpeningCash  money.VND  `json:"opening_cash"`
	OpenedAt     time.Time  `json:"opened_at"`
	ClosedAt     *time.Time `json:"closed_at" nullable:"true"`
	ClosedBy     string     `json:"closed_by"`
	CountedCash  *money.VND `json:"counted_cash" nullable:"true"`
	ExpectedCash *money.VND `json:"expected_cash" nullable:"true" doc:"opening + cash sales − cash refunds + cash in − cash out, at the close."`
	Variance     *money.VND `json:"variance" nullable:"true" doc:"counted_cash − expected_cash."`
	Note         string     `json:"note"`
}

// ShiftMovement is one change to a shift's drawer.
type ShiftMovement struct {
	ID        string    `json:"id"`
	ShiftID   string    `json:"shift_id"`
	ShopID    string    `json:"shop_id"`
	Kind      Kind      `json:"kind" enum:"opening,sale,refund,cash_in,cash_out"`
	Amount    money.VND `json:"amount" doc:"Signed effect on the drawer: negative for refunds and cash out."`
	Reference string    `json:"reference" doc:"The payment (sale) or refund (refund) recorded; empty for the others."`
	Reason    string    `json:"reason"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// ShiftSummary is a shift's drawer by kind of movement. Amounts are positive; ExpectedCash is what the
// drawer should hold now (or held at the close).
type ShiftSummary struct {
	OpeningCash  money.VND `json:"opening_cash"`
	CashSales    money.VND `json:"cash_sales"`
	SalesCount   int       `json:"sales_count"`
	CashRefunds  money.VND `json:"cash_refunds"`
	RefundsCount int       `json:"refunds_count"`
	CashIn       money.VND `json:"cash_in"`
	CashOut      money.VND `json:"cash_out"`
	ExpectedCash money.VND `json:"expected_cash"`
}

// ShiftDetail is a shift with the summary of its drawer.
type ShiftDetail struct {
	Shift
	Summary ShiftSummary `json:"summary"`
}

// ShiftCloseResult is a closed shift with what the drawer should have held and the difference.
type ShiftCloseResult struct {
	Shift        Shift        `json:"shift"`
	ExpectedCash money.VND    `json:"expected_cash"`
	Variance     money.VND    `json:"variance" doc:"counted_cash − expected_cash: negative when cash is missing."`
	Summary      ShiftSummary `json:"summary"`
}

// ShiftPage is one page of a shop's shifts, newest first, and the cursor of the next ("" at the end).
type ShiftPage struct {
	Items      []Shift `json:"items"`
	NextCursor string  `json:"next_cursor"`
}

// ShiftMovementPage is one page of a shift's movements, oldest first, and the cursor of the next.
type ShiftMovementPage struct {
	Items      []ShiftMovement `json:"items"`
	NextCursor string          `json:"next_cursor"`
}

// Filter narrows a list of shifts: by status ("" for any) and by cashier ("" for every cashier).
type Filter struct {
	Status    Status
	CashierID string
}

// Total is the sum and count of one kind of a shift's movements, as stored (signed).
type Total struct {
	Kind  Kind
	Count int
	Sum   money.VND
}

// Summarize folds a shift's totals by kind into its summary. The expected cash is the sum of every
// movement, which is opening + sales − refunds + cash in − cash out since refunds and cash out are stored
// negative.
func Summarize(totals []Total) ShiftSummary {
	var s ShiftSummary
	for _, t := range totals {
		s.ExpectedCash += t.Sum
		switch t.Kind {
		case KindOpening:
			s.OpeningCash += t.Sum
		case KindSale:
			s.CashSales += t.Sum
			s.SalesCount += t.Count
		case KindRefund:
			s.CashRefunds -= t.Sum
			s.RefundsCount += t.Count
		case KindCashIn:
			s.CashIn += t.Sum
		case KindCashOut:
			s.CashOut -= t.Sum
		}
	}
	return s
}

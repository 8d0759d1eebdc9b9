// Package payment takes money on orders (seed: wallet-service). This slice takes cash: the cashier enters
// what the customer hands over, the change is computed, and the payment is applied to the order in the same
// transaction as its row — the order's paid amount and the payments never disagree, and a retried request
// (Idempotency-Key) pays once. Provider methods (VietQR with the bank webhook, VNPay, MoMo, ZaloPay), refunds,
// the customer wallet and shifts come next.
//
// Invariants: amounts are integer đồng > 0; a payment never exceeds what is due (overpayment is refused,
// the excess of cash is change); tendered ≥ amount and change = tendered − amount.
package payment

import (
	"embed"
	"time"

	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations creates the module's tables on either engine.
var Migrations = migrate.Embedded("payment", migrationFiles)

// Events.
const (
	Subject            = "payment.events"
	EventSucceeded     = "payment.succeeded"
	MethodCash         = "cash"
	StatusSucceeded    = "succeeded"
	maxTenderedPerCash = money.VND(1_000_000_000) // 1 billion đồng: far above any bill, far below overflow
)

// Payment is the core contract's payment.
type Payment struct {
	ID          string    `json:"id"`
	OrderID     string    `json:"order_id"`
	ShopID      string    `json:"shop_id"`
	Method      string    `json:"method" enum:"cash,vietqr,vnpay,momo,zalopay,wallet"`
	Amount      money.VND `json:"amount"`
	Tendered    money.VND `json:"tendered,omitempty"`
	Change      money.VND `json:"change,omitempty"`
	Status      string    `json:"status" enum:"pending,succeeded,failed,refunded"`
	ProviderRef string    `json:"provider_ref"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

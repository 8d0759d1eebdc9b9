// Package payment takes money on orders (seed: wallet-service): cash, the customer wallet, VietQR transfers
// confirmed by a bank-statement webhook, VNPay, MoMo and ZaloPay, several of them on one bill (split tender),
// and refunds of each.
//
// A payment is an intent on an order: immediate methods (cash, wallet) succeed in the transaction that
// creates them, together with the order's paid amount, the cash drawer and the wallet; provider methods stay
// pending until the provider says what happened (an IPN, a callback, a bank transfer, or the answer of a
// status query) and are then settled by one code path, exactly once:
//
//   - Callbacks are verified first (signature, with the account the callback names, then with the account
//     of the payment it is for), the payment is found by our reference in a system transaction, and the work
//     happens in a transaction of the payment's merchant that locks the payment row: a duplicate, a replay or
//     a concurrent copy of the same callback sees the payment already settled and changes nothing.
//   - The amount must equal the payment's amount (a VNPay payment may cover part of a split bill).
//   - The provider's transaction id is recorded only when the payment is accepted, unique per method and
//     account: the database, not a mutex, refuses a second payment with the same provider transaction.
//   - A success for an intent that expired, was cancelled or that the order no longer accepts is still money
//     taken: the payment is recorded succeeded but unapplied, listed for managers to refund, never lost.
//   - Pending intents hold their amount: a new payment may take at most amount due − pending holds, so the
//     order cannot be paid twice by two customers scanning two codes.
//
// Refunds give money back per payment (cash from the drawer, wallet credit, the provider's refund API): the
// order's balance reopens in the refund's own transaction; a provider refund is committed pending before the
// provider is called (its id is the provider's request id) and resolved from the answer or, after a crash,
// by Reconcile.
//
// Invariants: amounts are integer đồng > 0; a payment never exceeds what is due (minus holds); tendered ≥
// amount and change = tendered − amount; refunds of a payment never exceed it; for every order, the
// applied succeeded payments less their refunds equal what the order counts as paid.
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

// Subject carries the module's durable events; the shop's screens follow ShopSubject.
const Subject = "payment.events"

// ShopSubject is the realtime subject of a shop's payments: every change of a payment is published there as
// EventUpdated, so the POS and the customer's QR screen flip to "paid" live.
func ShopSubject(shopID string) string { return "shop." + shopID + ".payments" }

// Events (data: the Payment, or the Refund / BankTransfer for their events).
const (
	EventCreated         = "payment.created"   // a pending intent was opened
	EventSucceeded       = "payment.succeeded" // money was taken and the order counts it
	EventUnapplied       = "payment.unapplied" // money was taken but the order does not count it: refund it
	EventFailed          = "payment.failed"    // declined, cancelled or expired: no money taken
	EventRefunded        = "payment.refunded"  // a refund succeeded (data: the Refund)
	EventRefundFailed    = "payment.refund_failed"
	EventTransferUpdated = "bank_transfer.updated" // a bank transfer was received, assigned or dismissed
	EventUpdated         = "payment.updated"       // realtime, on ShopSubject: the payment after any change
)

// Methods.
const (
	MethodCash    = "cash"
	MethodWallet  = "wallet"
	MethodVietQR  = "vietqr"
	MethodVNPay   = "vnpay"
	MethodMoMo    = "momo"
	MethodZaloPay = "zalopay"
)

// Payment statuses (the core contract's).
const (
	StatusPending   = "pending"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusRefunded  = "refunded"
)

// Why a payment failed (Payment.FailureReason).
const (
	FailureDeclined  = "declined"       // the provider reported the payment as not done
	FailureCancelled = "cancelled"      // staff cancelled the intent
	FailureExpired   = "expired"        // nobody paid in time
	FailureProvider  = "provider_error" // the provider refused to open it
)

// Refund statuses.
const (
	RefundPending   = "pending"
	RefundSucceeded = "succeeded"
	RefundFailed    = "failed"
)

// Bank transfer statuses (spec §2.8).
const (
	TransferMatched   = "matched"   // a pending VietQR payment of that amount took it
	TransferPartial   = "partial"   // less than the payment: applied as a payment of its own
	TransferUnmatched = "unmatched" // for a manager to assign or dismiss
	TransferIgnored   = "ignored"   // money out of the account
	TransferAssigned  = "assigned"  // a manager applied it to an order
	TransferDismissed = "dismissed" // a manager set it aside, with a reason
)

const (
	maxTenderedPerCash = money.VND(1_000_000_000) // 1 billion đồng: far above any bill, far below overflow
	maxAmount          = money.VND(1_000_000_000)
	maxReason          = 500
)

// Payment is the core contract's payment, with what the module adds.
type Payment struct {
	ID       string    `json:"id"`
	OrderID  string    `json:"order_id"`
	ShopID   string    `json:"shop_id"`
	Method   string    `json:"method" enum:"cash,vietqr,vnpay,momo,zalopay,wallet"`
	Amount   money.VND `json:"amount"`
	Tendered money.VND `json:"tendered,omitempty"`
	Change   money.VND `json:"change,omitempty"`
	Status   string    `json:"status" enum:"pending,succeeded,failed,refunded"`
	// ProviderRef is the provider's transaction id, set when the payment was accepted.
	ProviderRef string `json:"provider_ref"`
	// Reference is our code for the payment: the transfer note of a VietQR, VNPay's TxnRef, MoMo's orderId.
	Reference string `json:"reference"`
	// Applied says whether the order counts the payment; a succeeded payment that is not applied is money
	// taken that a manager should refund (it arrived after the intent expired or the bill was settled).
	Applied bool `json:"applied"`
	// Refunded is what refunds took or hold (pending refunds included).
	Refunded      money.VND  `json:"refunded"`
	FailureReason string     `json:"failure_reason,omitempty" enum:"declined,cancelled,expired,provider_error"`
	WalletID      string     `json:"wallet_id,omitempty"`
	ShiftID       string     `json:"shift_id,omitempty"`
	PaymentURL    string     `json:"payment_url,omitempty" doc:"Where to send the customer (VNPay, MoMo, ZaloPay)."`
	Deeplink      string     `json:"deeplink,omitempty"`
	QRCode        string     `json:"qr_code,omitempty" doc:"Content of a QR the provider asks to show (MoMo, ZaloPay)."`
	ExpiresAt     *time.Time `json:"expires_at,omitempty" doc:"A pending intent stops holding its amount then."`
	CreatedBy     string     `json:"created_by"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	Refunds       []Refund   `json:"refunds,omitempty"`
}

// Refund is money given back on a payment.
type Refund struct {
	ID        string    `json:"id"`
	PaymentID string    `json:"payment_id"`
	OrderID   string    `json:"order_id"`
	ShopID    string    `json:"shop_id"`
	Method    string    `json:"method"`
	Amount    money.VND `json:"amount"`
	Reason    string    `json:"reason"`
	Status    string    `json:"status" enum:"pending,succeeded,failed"`
	// Applied says whether the order's balance reopened by the amount (not for an unapplied payment).
	Applied bool `json:"applied"`
	// Reinstated says the order took a failed refund's amount back as paid.
	Reinstated  bool      `json:"reinstated,omitempty"`
	ProviderRef string    `json:"provider_ref,omitempty"`
	Failure     string    `json:"failure,omitempty"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// BankTransfer is one statement line a bank-statement service reported for a shop's account.
type BankTransfer struct {
	ID            string    `json:"id"`
	ShopID        string    `json:"shop_id"`
	Provider      string    `json:"provider"`
	ProviderID    string    `json:"provider_id"`
	Bank          string    `json:"bank"`
	AccountNumber string    `json:"account_number"`
	Incoming      bool      `json:"incoming"`
	Amount        money.VND `json:"amount"`
	Content       string    `json:"content"`
	BankReference string    `json:"bank_reference"`
	BookedAt      time.Time `json:"booked_at"`
	Status        string    `json:"status" enum:"matched,partial,unmatched,ignored,assigned,dismissed"`
	PaymentID     string    `json:"payment_id,omitempty"`
	OrderID       string    `json:"order_id,omitempty"`
	Note          string    `json:"note,omitempty"`
	ResolvedBy    string    `json:"resolved_by,omitempty"`
	ReceivedAt    time.Time `json:"received_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

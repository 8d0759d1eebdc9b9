// Package wallet is the payment module's customer stored-value wallet: a customer tops up a balance in one
// shop of a merchant and pays with it in any shop of that merchant. Money moves through a double-entry
// ledger.
//
// The ledger: each wallet is a liability account of its merchant (what the merchant owes the customer);
// system accounts name where money came from or went: funding:<method> (cash, bank_transfer, card, vnpay,
// momo, zalopay) for top-ups and their reversals, and spent for what wallets paid for orders. Every change is
// a journal transaction (WalletTxn) of at least two entries whose signed amounts sum to zero; an entry's
// amount adds to its account's balance. A top-up posts +amount to the wallet and −amount to its funding
// account, a spend −amount to the wallet and +amount to spent, a refund and a reversal the other way round.
//
// Invariants the package keeps:
//   - Every transaction's entries sum to 0 (checked in code before anything is written), so all entries of a
//     merchant sum to 0 and a system account's balance is minus what the wallets received through it.
//   - A wallet's balance column equals the sum of its entries and is never negative: it changes only by a
//     guarded UPDATE (balance + delta ≥ 0) in the transaction that writes the entry, and a CHECK constraint
//     refuses a negative balance whatever the code does. Concurrent spends can never overdraw.
//   - Postings to one wallet are serialised by its row lock, taken before the checks that precede a
//     write: a spend or refund is posted once per reference (payment, refund) whatever the retries, a
//     payment's refunds never give back more than it spent, and a top-up is reversed at most once.
//   - Wallets are merchant-wide and identified by phone (domestic form of a Vietnamese mobile number, unique
//     per merchant). Everything is scoped to the merchant: another merchant's wallet is NotFound.
//
// A shop transfer moves nothing of this package: wallets and their history belong to the merchant, and the
// shop_id of a top-up only records where it happened.
package wallet

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations creates the package's tables (wallets, wallet_txns, wallet_entries) on either engine.
var Migrations = migrate.Embedded("wallet", migrationFiles)

// Events, written to the outbox on Subject in the transaction that posts them, with the WalletTxn as data
// (its wallet, amount, balance after, reference and entries).
const (
	Subject          = "wallet.events"
	EventToppedUp    = "wallet.topped_up"
	EventSpent       = "wallet.spent"
	EventRefunded    = "wallet.refunded"
	EventTopUpRevert = "wallet.top_up_reversed"
)

// TxnKind is what a journal transaction does to its wallet.
type TxnKind string

// The kinds of transaction.
const (
	KindTopUp         TxnKind = "top_up"
	KindSpend         TxnKind = "spend"
	KindRefund        TxnKind = "refund"
	KindTopUpReversal TxnKind = "top_up_reversal"
)

// AccountSpent is the system account of what wallets paid for orders; FundingAccount names the others.
const AccountSpent = "spent"

const fundingPrefix = "funding:"

// Limits of the amounts and texts a caller gives.
const (
	MaxAmount    = money.VND(1_000_000_000) // one posting; far above any top-up, far below overflow
	MaxName      = 100                      // characters of a wallet's name
	MaxReference = 100                      // characters of a top-up's reference
	MaxReason    = 500                      // characters of a reversal's reason
	MaxID        = 64                       // characters of an id or cursor
)

// Methods are the ways a top-up is paid, each recorded as its funding account.
var Methods = []string{"cash", "bank_transfer", "card", "vnpay", "momo", "zalopay"}

// FundingAccount names the system account of top-up method method.
func FundingAccount(method string) string { return fundingPrefix + method }

// Shops is what the package needs of the merchant module.
type Shops interface {
	// CheckShop returns nil if shopID is a live shop of merchant m, an apperr.NotFound error otherwise
	// (another merchant's shop included).
	CheckShop(ctx context.Context, m tenant.ID, shopID string) error
}

// Drawer is the shift package's cash drawer, told about cash top-ups and cash handed back on a reversal so
// the cashier's drawer counts them (shift.Service implements it). Both run in the caller's transaction tx
// and answer the shift recorded on, "" when the cashier has no open shift in the shop.
type Drawer interface {
	RecordCashIn(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID, cashierID, reference string, amount money.VND) (string, error)
	RecordCashRefund(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID, cashierID, reference string, amount money.VND) (string, error)
}

// Wallet is a customer's stored-value wallet. Balance is what the merchant owes the customer.
type Wallet struct {
	ID        string    `json:"id"`
	Phone     string    `json:"phone" doc:"Domestic form: 0 and 9 digits."`
	Name      string    `json:"name"`
	Balance   money.VND `json:"balance"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// WalletPosting is one entry of a journal transaction: a signed amount added to an account's balance.
type WalletPosting struct {
	Account string    `json:"account" doc:"A wallet id, funding:<method> or spent."`
	Amount  money.VND `json:"amount"`
}

// WalletTxn is a journal transaction of a wallet.
type WalletTxn struct {
	ID           string          `json:"id"`
	WalletID     string          `json:"wallet_id"`
	Kind         TxnKind         `json:"kind" enum:"top_up,spend,refund,top_up_reversal"`
	Amount       money.VND       `json:"amount" doc:"Positive; the entries say which way it went."`
	Method       string          `json:"method" doc:"How a top-up was paid (and so how its reversal was handed back); empty otherwise."`
	ShopID       string          `json:"shop_id" doc:"Where a top-up happened; empty for spends and refunds."`
	Reference    string          `json:"reference" doc:"The payment of a spend, the refund of a refund, the top-up of a reversal, the outside reference of a top-up."`
	ReversesID   string          `json:"reverses_id" doc:"The transaction a refund or reversal gives back (a spend, a top-up)."`
	Reason       string          `json:"reason"`
	BalanceAfter money.VND       `json:"balance_after"`
	CreatedBy    string          `json:"created_by"`
	CreatedAt    time.Time       `json:"created_at"`
	Entries      []WalletPosting `json:"entries"`
}

// WalletEntry is a line of a wallet's history: its entry in one transaction.
type WalletEntry struct {
	ID           string    `json:"id"`
	TxnID        string    `json:"txn_id"`
	Kind         TxnKind   `json:"kind" enum:"top_up,spend,refund,top_up_reversal"`
	Amount       money.VND `json:"amount" doc:"Signed: what the transaction added to the wallet's balance."`
	BalanceAfter money.VND `json:"balance_after"`
	Method       string    `json:"method"`
	ShopID       string    `json:"shop_id"`
	Reference    string    `json:"reference"`
	ReversesID   string    `json:"reverses_id"`
	Reason       string    `json:"reason"`
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
}

// WalletPage is one page of wallets, newest first, and the cursor of the next ("" at the end).
type WalletPage struct {
	Items      []Wallet `json:"items"`
	NextCursor string   `json:"next_cursor"`
}

// WalletEntryPage is one page of a wallet's history, newest first, and the cursor of the next.
type WalletEntryPage struct {
	Items      []WalletEntry `json:"items"`
	NextCursor string        `json:"next_cursor"`
}

// TopUp is a top-up to make: amount paid by method in shop ShopID, with an optional outside reference
// (a bank transaction, a provider's payment id), unique per merchant when given.
type TopUp struct {
	Amount    money.VND
	Method    string
	ShopID    string
	Reference string
}

// Balanced checks the entries of one journal transaction: at least two, none zero, each naming an account,
// summing to zero. It returns a plain error: an unbalanced transaction is a bug, never the caller's input.
func Balanced(entries []WalletPosting) error {
	if len(entries) < 2 {
		return fmt.Errorf("a transaction needs at least 2 entries, got %d", len(entries))
	}
	var sum money.VND
	for _, e := range entries {
		if e.Amount == 0 || e.Account == "" {
			return fmt.Errorf("entry %+v: no account or a zero amount", e)
		}
		if e.Amount > MaxAmount || e.Amount < -MaxAmount {
			return fmt.Errorf("entry %+v: amount out of range", e)
		}
		sum += e.Amount
	}
	if sum != 0 {
		return fmt.Errorf("entries %+v sum to %d, not 0", entries, sum)
	}
	return nil
}

// IsSystemAccount reports whether account is a system account (funding:<method> or spent) rather than a
// wallet.
func IsSystemAccount(account string) bool {
	return account == AccountSpent || strings.HasPrefix(account, fundingPrefix)
}

// validMethod reports whether method is a top-up method.
func validMethod(method string) bool { return slices.Contains(Methods, method) }

// NormalizePhone reads a Vietnamese mobile number — 0 and 9 digits, or +84 / 84 and the same 9 digits,
// with spaces, dots, dashes or parentheses around digits — and returns its domestic form (0912345678).
// Mobile numbers start 03, 05, 07, 08 or 09 in the domestic form; ok is false for anything else.
func NormalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0: // only before the digits: "+84 …", "(+84) …"
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	d := b.String()
	switch {
	case strings.HasPrefix(d, "+84"):
		d = "0" + d[3:]
	case strings.HasPrefix(d, "84") && len(d) == 11:
		d = "0" + d[2:]
	}
	if len(d) != 10 || d[0] != '0' || !strings.ContainsRune("35789", rune(d[1])) {
		return "", false
	}
	return d, true
}

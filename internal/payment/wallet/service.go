package wallet

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goodgo/goodgo/internal/payment/wallet/walletdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// ErrInsufficientBalance is the cause of the apperr.Conflict a spend or a reversal answers when the wallet
// holds less than it would take (errors.Is finds it; apperr.CurrentOf gives the Wallet as it is).
var ErrInsufficientBalance = errors.New("insufficient balance")

// Options configure a Service.
type Options struct {
	// Shops checks the shop a top-up happens in (required).
	Shops Shops
	// Drawer, if set, records cash top-ups (and the cash handed back when one is reversed) in the cashier's
	// open shift, so the drawer's expected cash includes them.
	Drawer Drawer
	// Nudge, if set, is called after a transaction of the service that wrote events has committed
	// (events.Relay.Nudge). SpendIn and RefundIn write theirs in the caller's transaction: the caller nudges.
	Nudge func()
}

// Service runs wallets and their ledger, each use case in one transaction of the merchant it concerns;
// SpendIn and RefundIn run in the payment module's transaction.
type Service struct {
	db     *db.DB
	clk    clock.Clock
	shops  Shops
	drawer Drawer
	nudge  func()
}

// New returns the service over d (migrated with Migrations and events.Migrations), telling time with clk.
func New(d *db.DB, clk clock.Clock, opts Options) *Service {
	if opts.Nudge == nil {
		opts.Nudge = func() {}
	}
	return &Service{db: d, clk: clk, shops: opts.Shops, drawer: opts.Drawer, nudge: opts.Nudge}
}

// now is the current time as stored: UTC, to the microsecond (PostgreSQL's precision).
func (s *Service) now() time.Time { return s.clk.Now().UTC().Truncate(time.Microsecond) }

// ---- wallets ----

// Create opens a wallet with a zero balance for the customer with phone and name. It returns apperr.Invalid
// for a phone that is not a Vietnamese mobile number or a name that is empty or over 100 characters, and an
// apperr.Conflict carrying the existing Wallet when the phone already has one at merchant m.
func (s *Service) Create(ctx context.Context, m tenant.ID, phone, name string) (Wallet, error) {
	var f fieldErrors
	p, ok := NormalizePhone(phone)
	if !ok {
		f.add("body.phone", "must be a Vietnamese mobile number such as 0912 345 678 or +84 912 345 678")
	}
	name = f.text("body.name", name, 1, MaxName)
	if err := f.err(); err != nil {
		return Wallet{}, err
	}
	var out Wallet
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := walletdb.New(tx)
		id := db.NewID()
		n, err := q.InsertWallet(ctx, walletdb.InsertWalletParams{ID: id, MerchantID: string(m), Phone: p, Name: name, Now: s.now()})
		if err != nil {
			return fmt.Errorf("insert wallet: %w", err)
		}
		if n == 0 {
			row, err := q.WalletByPhone(ctx, walletdb.WalletByPhoneParams{MerchantID: string(m), Phone: p})
			if err != nil {
				return fmt.Errorf("read wallet of the phone: %w", err)
			}
			return &apperr.Error{Kind: apperr.Conflict, Message: "this phone already has a wallet", Current: walletFromRow(row)}
		}
		out, err = loadWallet(ctx, q, m, id)
		return err
	})
	if err != nil {
		return Wallet{}, fmt.Errorf("create wallet: %w", err)
	}
	return out, nil
}

// Get returns wallet id: apperr.NotFound when it is not merchant m's.
func (s *Service) Get(ctx context.Context, m tenant.ID, id string) (Wallet, error) {
	var out Wallet
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		out, err = loadWallet(ctx, walletdb.New(tx), m, id)
		return err
	})
	return out, err
}

// List returns a page of at most limit (1–200) of merchant m's wallets, newest first, after cursor; with a
// phone, only the wallet of that phone (none or one). It returns apperr.Invalid for a phone that is not a
// Vietnamese mobile number or a bad limit.
func (s *Service) List(ctx context.Context, m tenant.ID, phone string, limit int, cursor string) (WalletPage, error) {
	if limit < 1 || limit > 200 {
		return WalletPage{}, apperr.WithField("query.limit", "must be between 1 and 200")
	}
	if len(cursor) > MaxID {
		return WalletPage{}, apperr.WithField("query.cursor", "must be the next_cursor of the previous page")
	}
	out := WalletPage{Items: []Wallet{}}
	if phone != "" {
		p, ok := NormalizePhone(phone)
		if !ok {
			return WalletPage{}, apperr.WithField("query.phone", "must be a Vietnamese mobile number")
		}
		err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
			row, err := walletdb.New(tx).WalletByPhone(ctx, walletdb.WalletByPhoneParams{MerchantID: string(m), Phone: p})
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("find wallet by phone: %w", err)
			}
			out.Items = append(out.Items, walletFromRow(row))
			return nil
		})
		return out, err
	}
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		rows, err := walletdb.New(tx).ListWallets(ctx, walletdb.ListWalletsParams{MerchantID: string(m), Cursor: cursor,
			Lim: int32(limit + 1)})
		if err != nil {
			return fmt.Errorf("list wallets: %w", err)
		}
		for i, r := range rows {
			if i == limit {
				out.NextCursor = rows[limit-1].ID
				break
			}
			out.Items = append(out.Items, walletFromRow(r))
		}
		return nil
	})
	return out, err
}

// Entries returns a page of at most limit (1–200) of wallet id's history — its entries with their
// transactions — newest first, after cursor. It returns apperr.NotFound when the wallet is not merchant m's.
func (s *Service) Entries(ctx context.Context, m tenant.ID, id string, limit int, cursor string) (WalletEntryPage, error) {
	if limit < 1 || limit > 200 {
		return WalletEntryPage{}, apperr.WithField("query.limit", "must be between 1 and 200")
	}
	if len(cursor) > MaxID {
		return WalletEntryPage{}, apperr.WithField("query.cursor", "must be the next_cursor of the previous page")
	}
	out := WalletEntryPage{Items: []WalletEntry{}}
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := walletdb.New(tx)
		if _, err := loadWallet(ctx, q, m, id); err != nil {
			return err
		}
		rows, err := q.ListWalletEntries(ctx, walletdb.ListWalletEntriesParams{MerchantID: string(m), WalletID: id,
			Cursor: cursor, Lim: int32(limit + 1)})
		if err != nil {
			return fmt.Errorf("list wallet entries: %w", err)
		}
		for i, r := range rows {
			if i == limit {
				out.NextCursor = rows[limit-1].ID
				break
			}
			out.Items = append(out.Items, WalletEntry{ID: r.ID, TxnID: r.TxnID, Kind: TxnKind(r.Kind), Amount: money.VND(r.Amount),
				BalanceAfter: money.VND(r.BalanceAfter), Method: r.Method, ShopID: r.ShopID, Reference: r.Reference,
				ReversesID: r.ReversesID, Reason: r.Reason, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC()})
		}
		return nil
	})
	return out, err
}

// ---- top-ups ----

// TopUp adds in.Amount, paid by in.Method in shop in.ShopID, to wallet walletID, as actor; allow checks the
// actor may top up wallets in that shop. A cash top-up is recorded in the actor's open shift there (Drawer).
// It returns apperr.Invalid for a bad amount, method, shop or reference, apperr.NotFound for a wallet or shop
// that is not merchant m's, allow's error, and an apperr.Conflict carrying the earlier top-up when one
// already has the same reference.
func (s *Service) TopUp(ctx context.Context, m tenant.ID, walletID string, in TopUp, actor string, allow func(shopID string) error) (WalletTxn, error) {
	var f fieldErrors
	f.amount("body.amount", in.Amount)
	if !validMethod(in.Method) {
		f.add("body.method", "must be one of "+strings.Join(Methods, ", "))
	}
	if in.ShopID == "" || len(in.ShopID) > MaxID {
		f.add("body.shop_id", "must be the id of the shop where the money is taken")
	}
	in.Reference = f.text("body.reference", in.Reference, 0, MaxReference)
	if err := f.err(); err != nil {
		return WalletTxn{}, err
	}
	if err := allow(in.ShopID); err != nil {
		return WalletTxn{}, err
	}
	if err := s.shops.CheckShop(ctx, m, in.ShopID); err != nil {
		return WalletTxn{}, err
	}
	var out WalletTxn
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := walletdb.New(tx)
		balance, err := lockWallet(ctx, q, m, walletID)
		if err != nil {
			return err
		}
		if in.Reference != "" {
			prev, err := q.TxnByReference(ctx, walletdb.TxnByReferenceParams{MerchantID: string(m), Kind: string(KindTopUp), Reference: in.Reference})
			if err == nil {
				cur, err := loadTxn(ctx, q, m, prev)
				if err != nil {
					return err
				}
				return &apperr.Error{Kind: apperr.Conflict, Message: "a top-up with this reference is already recorded", Current: cur}
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("read top-up by reference: %w", err)
			}
		}
		out, err = s.post(ctx, tx, m, balance, posting{kind: KindTopUp, walletID: walletID, delta: in.Amount,
			account: FundingAccount(in.Method), method: in.Method, shopID: in.ShopID, reference: in.Reference, actor: actor})
		if err != nil {
			return err
		}
		if in.Method == "cash" && s.drawer != nil {
			if _, err := s.drawer.RecordCashIn(ctx, tx, m, in.ShopID, actor, out.ID, in.Amount); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return WalletTxn{}, fmt.Errorf("top up wallet %s: %w", walletID, err)
	}
	s.nudge()
	return out, nil
}

// ReverseTopUp gives back top-up txnID of wallet walletID — the money is handed back the way it came, for
// reason — as actor; allow checks the actor may refund in the top-up's shop. A cash reversal is recorded in
// the actor's open shift there (Drawer). It returns apperr.Invalid for a missing reason, apperr.NotFound for
// a wallet or top-up that is not merchant m's (or not a top-up of that wallet), allow's error, an
// apperr.Conflict carrying the reversal when the top-up is already reversed, and an apperr.Conflict
// (ErrInsufficientBalance) when the wallet no longer holds the amount: a reversal never makes a balance
// negative.
func (s *Service) ReverseTopUp(ctx context.Context, m tenant.ID, walletID, txnID, reason, actor string, allow func(shopID string) error) (WalletTxn, error) {
	var f fieldErrors
	reason = f.text("body.reason", reason, 1, MaxReason)
	if err := f.err(); err != nil {
		return WalletTxn{}, err
	}
	var out WalletTxn
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := walletdb.New(tx)
		balance, err := lockWallet(ctx, q, m, walletID)
		if err != nil {
			return err
		}
		top, err := q.GetTxn(ctx, walletdb.GetTxnParams{MerchantID: string(m), ID: txnID})
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (top.WalletID != walletID || TxnKind(top.Kind) != KindTopUp)) {
			return apperr.E(apperr.NotFound, "top-up not found")
		}
		if err != nil {
			return fmt.Errorf("read top-up: %w", err)
		}
		if err := allow(top.ShopID); err != nil {
			return err
		}
		prev, err := q.TxnByReference(ctx, walletdb.TxnByReferenceParams{MerchantID: string(m), Kind: string(KindTopUpReversal), Reference: top.ID})
		if err == nil {
			cur, err := loadTxn(ctx, q, m, prev)
			if err != nil {
				return err
			}
			return &apperr.Error{Kind: apperr.Conflict, Message: "this top-up is already reversed", Current: cur}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read reversal: %w", err)
		}
		amount := money.VND(top.Amount)
		out, err = s.post(ctx, tx, m, balance, posting{kind: KindTopUpReversal, walletID: walletID, delta: -amount,
			account: FundingAccount(top.Method), method: top.Method, shopID: top.ShopID, reference: top.ID, reversesID: top.ID,
			reason: reason, actor: actor})
		if err != nil {
			return err
		}
		if top.Method == "cash" && s.drawer != nil {
			if _, err := s.drawer.RecordCashRefund(ctx, tx, m, top.ShopID, actor, out.ID, amount); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return WalletTxn{}, fmt.Errorf("reverse top-up %s of wallet %s: %w", txnID, walletID, err)
	}
	s.nudge()
	return out, nil
}

// ---- for the payment module ----

// SpendIn takes amount from wallet walletID for payment paymentID, inside tx, the payment module's
// transaction of merchant m, and returns the journal transaction's id. Spending again for the same payment
// posts nothing and returns the same id; the same payment id with another wallet or amount is an
// apperr.Conflict. It returns apperr.Invalid for an amount ≤ 0 or a bad id, apperr.NotFound for a wallet
// that is not merchant m's, and an apperr.Conflict "insufficient balance" (ErrInsufficientBalance, carrying
// the Wallet with its current balance) when the wallet holds less than amount. Nothing is written when it
// returns one of these errors; on any error the caller rolls tx back.
func (s *Service) SpendIn(ctx context.Context, tx *sql.Tx, m tenant.ID, walletID string, amount money.VND, paymentID string) (string, error) {
	if err := checkPosting(amount, paymentID); err != nil {
		return "", err
	}
	q := walletdb.New(tx)
	balance, err := lockWallet(ctx, q, m, walletID)
	if err != nil {
		return "", err
	}
	if id, ok, err := posted(ctx, q, m, KindSpend, paymentID, walletID, amount); err != nil || ok {
		return id, err
	}
	txn, err := s.post(ctx, tx, m, balance, posting{kind: KindSpend, walletID: walletID, delta: -amount, account: AccountSpent,
		reference: paymentID})
	if err != nil {
		return "", fmt.Errorf("spend from wallet %s for payment %s: %w", walletID, paymentID, err)
	}
	return txn.ID, nil
}

// RefundIn gives amount back to wallet walletID for refund refundID of payment paymentID (which spent from
// that wallet), inside tx, the payment module's transaction of merchant m, and returns the journal
// transaction's id. A payment's refunds never give back more than it spent. Refunding again with the same
// refund id posts nothing and returns the same id; the same refund id with another wallet or amount is an
// apperr.Conflict. It returns apperr.Invalid for an amount ≤ 0, a bad id, or a payment that spent from
// another wallet, apperr.NotFound for a wallet that is not merchant m's or a payment that spent nothing from
// a wallet, and an apperr.Conflict when amount is more than the payment has left to refund. Nothing is
// written when it returns one of these errors; on any error the caller rolls tx back.
func (s *Service) RefundIn(ctx context.Context, tx *sql.Tx, m tenant.ID, walletID string, amount money.VND, paymentID, refundID string) (string, error) {
	if err := checkPosting(amount, refundID); err != nil {
		return "", err
	}
	if paymentID == "" || len(paymentID) > MaxID {
		return "", apperr.WithField("payment_id", "must be the id of the payment that spent from the wallet")
	}
	q := walletdb.New(tx)
	balance, err := lockWallet(ctx, q, m, walletID)
	if err != nil {
		return "", err
	}
	if id, ok, err := posted(ctx, q, m, KindRefund, refundID, walletID, amount); err != nil || ok {
		return id, err
	}
	spend, err := q.TxnByReference(ctx, walletdb.TxnByReferenceParams{MerchantID: string(m), Kind: string(KindSpend), Reference: paymentID})
	if errors.Is(err, sql.ErrNoRows) {
		return "", apperr.E(apperr.NotFound, "payment %s spent nothing from a wallet", paymentID)
	}
	if err != nil {
		return "", fmt.Errorf("read spend of payment %s: %w", paymentID, err)
	}
	if spend.WalletID != walletID {
		return "", apperr.WithField("wallet_id", "must be the wallet payment "+paymentID+" spent from")
	}
	refunded, err := q.RefundedOf(ctx, walletdb.RefundedOfParams{MerchantID: string(m), SpendID: spend.ID})
	if err != nil {
		return "", fmt.Errorf("sum refunds of payment %s: %w", paymentID, err)
	}
	if left := money.VND(spend.Amount - refunded); amount > left {
		return "", apperr.E(apperr.Conflict, "payment %s spent %s from the wallet and has %s left to refund",
			paymentID, money.VND(spend.Amount), left)
	}
	txn, err := s.post(ctx, tx, m, balance, posting{kind: KindRefund, walletID: walletID, delta: amount, account: AccountSpent,
		reference: refundID, reversesID: spend.ID})
	if err != nil {
		return "", fmt.Errorf("refund %s to wallet %s: %w", refundID, walletID, err)
	}
	return txn.ID, nil
}

func checkPosting(amount money.VND, ref string) error {
	var f fieldErrors
	f.amount("amount", amount)
	if ref == "" || len(ref) > MaxID {
		f.add("reference", "must be an id of 1 to 64 characters")
	}
	return f.err()
}

// posted finds the transaction of kind that already has reference ref: its id and true when it is for the
// same wallet and amount, a Conflict when it is not, false when there is none.
func posted(ctx context.Context, q *walletdb.Queries, m tenant.ID, kind TxnKind, ref, walletID string, amount money.VND) (string, bool, error) {
	prev, err := q.TxnByReference(ctx, walletdb.TxnByReferenceParams{MerchantID: string(m), Kind: string(kind), Reference: ref})
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read %s %s: %w", kind, ref, err)
	}
	if prev.WalletID != walletID || money.VND(prev.Amount) != amount {
		return "", false, apperr.E(apperr.Conflict, "%s %s is already posted with another wallet or amount", kind, ref)
	}
	return prev.ID, true, nil
}

// ---- the ledger ----

// posting is a journal transaction to write: delta (signed) to a wallet and −delta to a system account.
type posting struct {
	kind                                  TxnKind
	walletID                              string
	delta                                 money.VND
	account                               string
	method, shopID, reference, reversesID string
	reason, actor                         string
}

// post writes p in tx, whose caller holds the wallet's lock and read its balance: the transaction (with the
// balance after it), its entries, the wallet's guarded balance change, and the event. Every check comes
// before the first write: an unbalanced transaction is refused (a bug), a wallet that would go negative is
// a Conflict (ErrInsufficientBalance), and so is a reference already used by a transaction of the same
// kind. The guarded UPDATE and the CHECK constraint stand behind the balance check.
func (s *Service) post(ctx context.Context, tx *sql.Tx, m tenant.ID, balance money.VND, p posting) (WalletTxn, error) {
	entries := []WalletPosting{{Account: p.walletID, Amount: p.delta}, {Account: p.account, Amount: -p.delta}}
	if err := Balanced(entries); err != nil {
		return WalletTxn{}, fmt.Errorf("post %s: %w", p.kind, err)
	}
	q := walletdb.New(tx)
	after := balance + p.delta
	if after < 0 {
		return WalletTxn{}, insufficient(ctx, q, m, p.walletID)
	}
	now := s.now()
	amount := p.delta
	if amount < 0 {
		amount = -amount
	}
	txn := WalletTxn{ID: db.NewID(), WalletID: p.walletID, Kind: p.kind, Amount: amount, Method: p.method, ShopID: p.shopID,
		Reference: p.reference, ReversesID: p.reversesID, Reason: p.reason, BalanceAfter: after, CreatedBy: p.actor,
		CreatedAt: now, Entries: entries}
	n, err := q.InsertTxn(ctx, walletdb.InsertTxnParams{ID: txn.ID, MerchantID: string(m), WalletID: txn.WalletID,
		Kind: string(txn.Kind), Amount: int64(amount), Method: txn.Method, ShopID: txn.ShopID, Reference: txn.Reference,
		ReversesID: txn.ReversesID, Reason: txn.Reason, BalanceAfter: int64(after), CreatedBy: txn.CreatedBy, CreatedAt: now})
	if err != nil {
		return WalletTxn{}, fmt.Errorf("insert transaction: %w", err)
	}
	if n == 0 {
		return WalletTxn{}, apperr.E(apperr.Conflict, "a %s with reference %q is already posted", p.kind, p.reference)
	}
	for _, e := range entries {
		if err := q.InsertEntry(ctx, walletdb.InsertEntryParams{ID: db.NewID(), MerchantID: string(m), TxnID: txn.ID,
			Account: e.Account, Amount: int64(e.Amount), CreatedAt: now}); err != nil {
			return WalletTxn{}, fmt.Errorf("insert entry: %w", err)
		}
	}
	got, err := q.MoveBalance(ctx, walletdb.MoveBalanceParams{Delta: int64(p.delta), Now: now, MerchantID: string(m), ID: p.walletID})
	if err != nil {
		// No row: the balance moved under the caller's lock, which the lock rules out.
		return WalletTxn{}, fmt.Errorf("move balance of wallet %s by %d: %w", p.walletID, p.delta, err)
	}
	if money.VND(got) != after {
		return WalletTxn{}, fmt.Errorf("wallet %s: balance %d after posting, expected %d", p.walletID, got, after)
	}
	data, err := json.Marshal(txn)
	if err != nil {
		return WalletTxn{}, fmt.Errorf("encode %s event: %w", p.kind, err)
	}
	ev := events.Event{Type: eventOf[p.kind], Subject: Subject, MerchantID: m, ShopID: p.shopID, Data: data}
	if err := events.AddAt(ctx, tx, now, ev); err != nil {
		return WalletTxn{}, err
	}
	return txn, nil
}

var eventOf = map[TxnKind]string{KindTopUp: EventToppedUp, KindSpend: EventSpent, KindRefund: EventRefunded,
	KindTopUpReversal: EventTopUpRevert}

// insufficient is the Conflict of a posting the wallet cannot give, with the wallet as it is.
func insufficient(ctx context.Context, q *walletdb.Queries, m tenant.ID, walletID string) error {
	w, err := loadWallet(ctx, q, m, walletID)
	if err != nil {
		return err
	}
	return &apperr.Error{Kind: apperr.Conflict, Message: fmt.Sprintf("insufficient balance: the wallet holds %s", w.Balance),
		Err: ErrInsufficientBalance, Current: w}
}

// ---- data access ----

// lockWallet takes wallet id's row lock and returns its balance: apperr.NotFound when it is not merchant m's.
func lockWallet(ctx context.Context, q *walletdb.Queries, m tenant.ID, id string) (money.VND, error) {
	b, err := q.LockWallet(ctx, walletdb.LockWalletParams{MerchantID: string(m), ID: id})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, apperr.E(apperr.NotFound, "wallet not found")
	}
	if err != nil {
		return 0, fmt.Errorf("lock wallet: %w", err)
	}
	return money.VND(b), nil
}

func loadWallet(ctx context.Context, q *walletdb.Queries, m tenant.ID, id string) (Wallet, error) {
	row, err := q.GetWallet(ctx, walletdb.GetWalletParams{MerchantID: string(m), ID: id})
	if errors.Is(err, sql.ErrNoRows) {
		return Wallet{}, apperr.E(apperr.NotFound, "wallet not found")
	}
	if err != nil {
		return Wallet{}, fmt.Errorf("read wallet: %w", err)
	}
	return walletFromRow(row), nil
}

func loadTxn(ctx context.Context, q *walletdb.Queries, m tenant.ID, row walletdb.WalletTxn) (WalletTxn, error) {
	rows, err := q.TxnEntries(ctx, walletdb.TxnEntriesParams{MerchantID: string(m), TxnID: row.ID})
	if err != nil {
		return WalletTxn{}, fmt.Errorf("read entries: %w", err)
	}
	entries := make([]WalletPosting, len(rows))
	for i, r := range rows {
		entries[i] = WalletPosting{Account: r.Account, Amount: money.VND(r.Amount)}
	}
	return WalletTxn{ID: row.ID, WalletID: row.WalletID, Kind: TxnKind(row.Kind), Amount: money.VND(row.Amount), Method: row.Method,
		ShopID: row.ShopID, Reference: row.Reference, ReversesID: row.ReversesID, Reason: row.Reason,
		BalanceAfter: money.VND(row.BalanceAfter), CreatedBy: row.CreatedBy, CreatedAt: row.CreatedAt.UTC(), Entries: entries}, nil
}

func walletFromRow(r walletdb.Wallet) Wallet {
	return Wallet{ID: r.ID, Phone: r.Phone, Name: r.Name, Balance: money.VND(r.Balance), CreatedAt: r.CreatedAt.UTC(),
		UpdatedAt: r.UpdatedAt.UTC()}
}

// fieldErrors collects the problems of a request's fields.
type fieldErrors []apperr.FieldError

func (f *fieldErrors) add(field, msg string) {
	*f = append(*f, apperr.FieldError{Field: field, Message: msg})
}

func (f *fieldErrors) amount(field string, v money.VND) {
	if v < 1 || v > MaxAmount {
		f.add(field, fmt.Sprintf("must be between 1 and %d", MaxAmount))
	}
}

// text trims s and checks its length in characters.
func (f *fieldErrors) text(field, s string, minLen, maxLen int) string {
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n < minLen || n > maxLen || !utf8.ValidString(s) {
		f.add(field, fmt.Sprintf("must be %d to %d characters", minLen, maxLen))
	}
	return s
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &apperr.Error{Kind: apperr.Invalid, Message: "validation failed", Fields: f}
}

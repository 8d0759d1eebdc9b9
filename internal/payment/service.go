package payment

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/payment/paymentdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// OrderState is what the payment module sees of an order.
type OrderState struct {
	ID        string
	ShopID    string
	Status    string
	AmountDue money.VND
	// Order is the whole order as the order module shows it, returned to the caller as is.
	Order any
}

// Orders is the order module as payments need it. allow checks that the caller may act in the order's shop
// (it returns the error to give back, typically NotFound); errors keep their kinds: NotFound for an unknown
// order, Conflict (carrying the order) for a payment or refund the order refuses.
type Orders interface {
	// ApplyPayment counts a succeeded payment on the order inside the payment's transaction; more than is
	// due, or an order that takes no payments, is a Conflict.
	ApplyPayment(ctx context.Context, tx *sql.Tx, m tenant.ID, orderID, paymentID, method string, amount money.VND,
		actor string, allow func(shopID string) error) (OrderState, error)
	// ApplyRefund gives back amount of payment paymentID inside the refund's transaction: the balance
	// reopens (paid → billing); a closed or cancelled order refuses with a Conflict.
	ApplyRefund(ctx context.Context, tx *sql.Tx, m tenant.ID, orderID, paymentID string, amount money.VND, actor string,
		allow func(shopID string) error) (OrderState, error)
	// Due reads the order as it is now (shop, status, amount due). It must not need the writer connection
	// of an open transaction: it runs outside the payment's transaction.
	Due(ctx context.Context, m tenant.ID, orderID string, allow func(shopID string) error) (OrderState, error)
}

// Drawer is the cash drawer (shift.Service): cash payments and cash refunds are recorded on the cashier's
// open shift inside the payment's transaction. It returns the shift's id ("" without an open shift).
type Drawer interface {
	RecordCashIn(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID, cashierID, paymentID string, amount money.VND) (string, error)
	RecordCashRefund(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID, cashierID, refundID string, amount money.VND) (string, error)
}

// Wallets is the customer wallet (wallet.Service), posted inside the payment's transaction (after the order,
// before the drawer: one lock order everywhere). Insufficient balance is a Conflict.
type Wallets interface {
	SpendIn(ctx context.Context, tx *sql.Tx, m tenant.ID, walletID string, amount money.VND, paymentID string) (string, error)
	RefundIn(ctx context.Context, tx *sql.Tx, m tenant.ID, walletID string, amount money.VND, paymentID, refundID string) (string, error)
}

// Providers as Accounts names them.
const (
	ProviderVNPay        = "vnpay"
	ProviderMoMo         = "momo"
	ProviderZaloPay      = "zalopay"
	ProviderBankTransfer = "bank_transfer"
)

// Secret names in Account.Secrets, per provider. AccountRef is the VNPay TmnCode, the MoMo partnerCode, the
// ZaloPay app_id (decimal) or the bank account number (bank_transfer).
const (
	SecretVNPayHashSecret = "hash_secret"   // vnpay
	SecretMoMoAccessKey   = "access_key"    // momo
	SecretMoMoSecretKey   = "secret_key"    // momo
	SecretZaloPayKey1     = "key1"          // zalopay
	SecretZaloPayKey2     = "key2"          // zalopay
	SecretBankAPIKey      = "api_key"       // bank_transfer: "Authorization: Apikey <api_key>"
	SecretBankSignature   = "signature_key" // bank_transfer, optional: X-Signature HMAC key
)

// Account is a shop's account with a provider.
type Account struct {
	AccountRef string
	Secrets    map[string]string
}

// ShopAccount is an account and the shop that owns it.
type ShopAccount struct {
	MerchantID tenant.ID
	ShopID     string
	Account
}

// BankAccount is the account a shop's VietQR codes pay into (shop settings).
type BankAccount struct {
	BIN, Number, Name string
}

// Accounts gives the shops' provider accounts (the merchant module keeps them, encrypted).
type Accounts interface {
	// ProviderAccount returns the shop's account with provider; NotFound when it has none (the module then
	// uses the environment default of Config).
	ProviderAccount(ctx context.Context, m tenant.ID, shopID, provider string) (Account, error)
	// FindAccounts lists the shops, of any merchant, whose provider account is accountRef: a callback names
	// only its account. An empty list is not an error.
	FindAccounts(ctx context.Context, provider, accountRef string) ([]ShopAccount, error)
	// BankAccount returns the shop's bank account; an empty Number means none is set.
	BankAccount(ctx context.Context, m tenant.ID, shopID string) (BankAccount, error)
	// CheckShop returns NotFound unless shopID is a live shop of m (another merchant's shop included).
	CheckShop(ctx context.Context, m tenant.ID, shopID string) error
}

// Config is the module's settings (from the environment): default provider accounts, hosts, public URLs.
type Config struct {
	// PublicBaseURL is where providers reach this server (https://pos.example.vn): the IPN, return and
	// callback URLs are built from it.
	PublicBaseURL string
	VNPay         VNPayConfig
	MoMo          MoMoConfig
	ZaloPay       ZaloPayConfig
	// VietQRMCC is the merchant category code written in VietQR codes (5812 restaurants); empty leaves it out.
	VietQRMCC string
	// IntentExpiry is how long a VietQR, MoMo or ZaloPay intent holds its amount; 0 means 15 minutes.
	IntentExpiry time.Duration
	// VNPayPayWindow is how long VNPay's pay page accepts the payment (vnp_ExpireDate); 0 means 15 minutes.
	VNPayPayWindow time.Duration
	// VNPayHold is how long a VNPay intent holds its amount; VNPay retries an IPN for ~50 minutes, so never
	// less than that: 0 (or less than 50 minutes) means 60 minutes.
	VNPayHold time.Duration
	// ReconcileAfter is the age from which Reconcile queries a pending payment or refund; 0 means 5 minutes.
	ReconcileAfter time.Duration
	// ServerIP is sent as vnp_IpAddr of VNPay API calls; empty means 127.0.0.1.
	ServerIP string
	// HTTPClient makes provider API calls; nil means each client's default (30-second timeout).
	HTTPClient *http.Client
}

// VNPayConfig is the default VNPay terminal and VNPay's hosts.
type VNPayConfig struct {
	TmnCode, HashSecret string
	// PayURL and APIURL: vnpay.SandboxPayURL / SandboxAPIURL or production.
	PayURL, APIURL string
}

// MoMoConfig is the default MoMo partner and MoMo's host.
type MoMoConfig struct {
	PartnerCode, AccessKey, SecretKey string
	// Endpoint: momo.SandboxEndpoint or production.
	Endpoint string
	// RequestType: momo.CaptureWallet (default) or another MoMo method.
	RequestType string
}

// ZaloPayConfig is the default ZaloPay app and ZaloPay's host.
type ZaloPayConfig struct {
	AppID      int64
	Key1, Key2 string
	// Endpoint: zalopay.SandboxEndpoint or production.
	Endpoint string
}

// Deps are the service's collaborators. Orders is required; Drawer, Wallets and Accounts may be nil (no
// drawer bookkeeping, no wallet payments, providers only from Config).
type Deps struct {
	Orders   Orders
	Drawer   Drawer
	Wallets  Wallets
	Accounts Accounts
	// Tables lets customers pay from a table's QR code; nil: they cannot.
	Tables QRTables
	Config Config
	// Nudge wakes the outbox relay after a commit; nil does nothing.
	Nudge func()
}

// Service runs the module's use cases.
type Service struct {
	db       *db.DB
	clk      clock.Clock
	nudge    func()
	orders   Orders
	drawer   Drawer
	wallets  Wallets
	accounts Accounts
	tables   QRTables
	cfg      Config

	// beforeCommit, when set (tests), runs at the end of every settling transaction: an error aborts it, as
	// a crash between applying a callback and committing would.
	beforeCommit func(stage string) error
}

// New returns the service over d (migrated with Migrations and events.Migrations).
func New(d *db.DB, clk clock.Clock, deps Deps) *Service {
	s := &Service{db: d, clk: clk, nudge: deps.Nudge, orders: deps.Orders, drawer: deps.Drawer, wallets: deps.Wallets,
		accounts: deps.Accounts, tables: deps.Tables, cfg: deps.Config}
	if s.nudge == nil {
		s.nudge = func() {}
	}
	if s.cfg.IntentExpiry <= 0 {
		s.cfg.IntentExpiry = 15 * time.Minute
	}
	if s.cfg.VNPayPayWindow <= 0 {
		s.cfg.VNPayPayWindow = 15 * time.Minute
	}
	if s.cfg.VNPayHold < 50*time.Minute {
		s.cfg.VNPayHold = 60 * time.Minute
	}
	if s.cfg.ReconcileAfter <= 0 {
		s.cfg.ReconcileAfter = 5 * time.Minute
	}
	if s.cfg.ServerIP == "" {
		s.cfg.ServerIP = "127.0.0.1"
	}
	s.cfg.PublicBaseURL = strings.TrimRight(s.cfg.PublicBaseURL, "/")
	return s
}

func (s *Service) now() time.Time { return s.clk.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) hook(stage string) error {
	if s.beforeCommit == nil {
		return nil
	}
	return s.beforeCommit(stage)
}

// ---- references ----

// referenceAlphabet has no I, O, 0 or 1, which people misread when they type a transfer note by hand.
const referenceAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// ReferenceLen is the length of every payment reference: "GG" and 14 random characters (70 bits). A fixed
// length means no reference is a prefix of another, so finding one inside a transfer note is unambiguous.
const ReferenceLen = 16

// newReference returns a fresh payment reference: uppercase letters and digits, valid as VNPay TxnRef, MoMo
// orderId, ZaloPay app_trans_id suffix and VietQR 62-08 note.
func newReference() string {
	b := make([]byte, ReferenceLen-2)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	out := []byte("GG")
	for _, c := range b {
		out = append(out, referenceAlphabet[int(c)%len(referenceAlphabet)]) // 256 % 32 == 0: uniform
	}
	return string(out)
}

// isReference reports whether s has the shape of a reference.
func isReference(s string) bool {
	if len(s) != ReferenceLen || !strings.HasPrefix(s, "GG") {
		return false
	}
	for i := 2; i < len(s); i++ {
		if !strings.ContainsRune(referenceAlphabet, rune(s[i])) {
			return false
		}
	}
	return true
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// compactID is a UUID without dashes (32 hex digits): the request id of provider refunds.
func compactID(id string) string { return strings.ReplaceAll(id, "-", "") }

// ---- rows ----

func toPayment(r paymentdb.Payment) Payment {
	p := Payment{ID: r.ID, OrderID: r.OrderID, ShopID: r.ShopID, Method: r.Method, Amount: money.VND(r.Amount),
		Tendered: money.VND(r.Tendered), Change: money.VND(r.ChangeGiven), Status: r.Status, ProviderRef: r.ProviderRef,
		Reference: r.Reference, Applied: r.Applied, Refunded: money.VND(r.Refunded), FailureReason: r.FailureReason,
		WalletID: r.WalletID, ShiftID: r.ShiftID, PaymentURL: r.PayUrl, Deeplink: r.Deeplink, QRCode: r.QrContent,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.ExpiresAt.Valid && r.Status == StatusPending {
		t := r.ExpiresAt.Time.UTC()
		p.ExpiresAt = &t
	}
	if r.Method == MethodVietQR {
		p.QRCode = "" // the VietQR payload is built on request (it follows the bank account and the amount left)
	}
	return p
}

func toRefund(r paymentdb.PaymentRefund) Refund {
	return Refund{ID: r.ID, PaymentID: r.PaymentID, OrderID: r.OrderID, ShopID: r.ShopID, Method: r.Method,
		Amount: money.VND(r.Amount), Reason: r.Reason, Status: r.Status, Applied: r.Applied, Reinstated: r.Reinstated,
		ProviderRef: r.ProviderRef, Failure: r.Failure, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(),
		UpdatedAt: r.UpdatedAt.UTC()}
}

func toTransfer(r paymentdb.BankTransfer) BankTransfer {
	return BankTransfer{ID: r.ID, ShopID: r.ShopID, Provider: r.Provider, ProviderID: r.ProviderID, Bank: r.Bank,
		AccountNumber: r.AccountNumber, Incoming: r.Incoming, Amount: money.VND(r.Amount), Content: r.Content,
		BankReference: r.BankReference, BookedAt: r.BookedAt.UTC(), Status: r.Status, PaymentID: r.PaymentID,
		OrderID: r.OrderID, Note: r.Note, ResolvedBy: r.ResolvedBy, ReceivedAt: r.ReceivedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// getPayment reads payment id of merchant m in tx; NotFound when there is none.
func getPayment(ctx context.Context, q *paymentdb.Queries, m tenant.ID, id string) (paymentdb.Payment, error) {
	r, err := q.GetPayment(ctx, paymentdb.GetPaymentParams{MerchantID: string(m), ID: id})
	if errors.Is(err, sql.ErrNoRows) {
		return r, apperr.E(apperr.NotFound, "payment not found")
	}
	if err != nil {
		return r, fmt.Errorf("read payment %s: %w", id, err)
	}
	return r, nil
}

// lockPayment takes payment id's row lock and reads it as committed now.
func lockPayment(ctx context.Context, q *paymentdb.Queries, m tenant.ID, id string) (paymentdb.Payment, error) {
	n, err := q.LockPayment(ctx, paymentdb.LockPaymentParams{MerchantID: string(m), ID: id})
	if err != nil {
		return paymentdb.Payment{}, fmt.Errorf("lock payment %s: %w", id, err)
	}
	if n == 0 {
		return paymentdb.Payment{}, apperr.E(apperr.NotFound, "payment not found")
	}
	return getPayment(ctx, q, m, id)
}

// ---- events ----

// emit writes typ on the module's subject (unless typ is EventUpdated) and payment.updated on the shop's
// realtime subject, with p.
func (s *Service) emit(ctx context.Context, tx *sql.Tx, m tenant.ID, typ string, p Payment, at time.Time) error {
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	evs := []events.Event{{Type: EventUpdated, Subject: ShopSubject(p.ShopID), MerchantID: m, ShopID: p.ShopID,
		OccurredAt: at, Data: data}}
	if typ != EventUpdated {
		evs = append(evs, events.Event{Type: typ, Subject: Subject, MerchantID: m, ShopID: p.ShopID, OccurredAt: at, Data: data})
	}
	if err := events.Add(ctx, tx, evs...); err != nil {
		return fmt.Errorf("write %s: %w", typ, err)
	}
	return nil
}

// emitData writes typ with data on the module's subject, and payment.updated with p on the shop's subject.
func (s *Service) emitData(ctx context.Context, tx *sql.Tx, m tenant.ID, typ, shopID string, data any, p *Payment, at time.Time) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	evs := []events.Event{{Type: typ, Subject: Subject, MerchantID: m, ShopID: shopID, OccurredAt: at, Data: b}}
	if typ == EventTransferUpdated && shopID != "" { // the manager's reconcile screen follows transfers live
		evs = append(evs, events.Event{Type: typ, Subject: ShopSubject(shopID), MerchantID: m, ShopID: shopID, OccurredAt: at, Data: b})
	}
	if p != nil {
		pb, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("encode payment: %w", err)
		}
		evs = append(evs, events.Event{Type: EventUpdated, Subject: ShopSubject(shopID), MerchantID: m, ShopID: shopID,
			OccurredAt: at, Data: pb})
	}
	if err := events.Add(ctx, tx, evs...); err != nil {
		return fmt.Errorf("write %s: %w", typ, err)
	}
	return nil
}

// ---- order locks and holds ----

// lockOrder serialises the writers that change what order orderID may still take (see payment_order_locks).
func (s *Service) lockOrder(ctx context.Context, q *paymentdb.Queries, m tenant.ID, orderID, shopID string) (int64, error) {
	v, err := q.LockOrder(ctx, paymentdb.LockOrderParams{MerchantID: string(m), OrderID: orderID, ShopID: shopID, Now: s.now()})
	if err != nil {
		return 0, fmt.Errorf("lock order %s: %w", orderID, err)
	}
	return v, nil
}

func (s *Service) bumpOrder(ctx context.Context, q *paymentdb.Queries, m tenant.ID, orderID string) error {
	if err := q.BumpOrder(ctx, paymentdb.BumpOrderParams{MerchantID: string(m), OrderID: orderID}); err != nil {
		return fmt.Errorf("bump order %s: %w", orderID, err)
	}
	return nil
}

// holds is what the order's pending, unexpired intents hold.
func (s *Service) holds(ctx context.Context, q *paymentdb.Queries, m tenant.ID, orderID string, now time.Time) (money.VND, error) {
	n, err := q.SumPendingHolds(ctx, paymentdb.SumPendingHoldsParams{MerchantID: string(m), OrderID: orderID,
		Now: sql.NullTime{Time: now, Valid: true}})
	if err != nil {
		return 0, fmt.Errorf("sum holds of order %s: %w", orderID, err)
	}
	return money.VND(n), nil
}

// orderVersion reads the order's lock version as committed (0 when the module never locked it).
func (s *Service) orderVersion(ctx context.Context, m tenant.ID, orderID string) (int64, error) {
	var v int64
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		v, err = paymentdb.New(tx).OrderVersion(ctx, paymentdb.OrderVersionParams{MerchantID: string(m), OrderID: orderID})
		if errors.Is(err, sql.ErrNoRows) {
			v, err = 0, nil
		}
		return err
	})
	return v, err
}

// applyGuarded applies p to its order under a savepoint: a refusal by the order (Conflict, NotFound, Invalid)
// is rolled back to the savepoint and reported as applied=false, so the payment can still be recorded;
// any other error aborts the transaction.
func (s *Service) applyGuarded(ctx context.Context, tx *sql.Tx, m tenant.ID, p paymentdb.Payment, amount money.VND, actor string) (bool, OrderState, error) {
	q := paymentdb.New(tx)
	if _, err := s.lockOrder(ctx, q, m, p.OrderID, p.ShopID); err != nil {
		return false, OrderState{}, err
	}
	if _, err := tx.ExecContext(ctx, "SAVEPOINT apply_payment"); err != nil {
		return false, OrderState{}, fmt.Errorf("savepoint: %w", err)
	}
	state, err := s.orders.ApplyPayment(ctx, tx, m, p.OrderID, p.ID, p.Method, amount, actor, sameShop(p.ShopID))
	if err != nil {
		if !refusal(err) {
			return false, OrderState{}, err
		}
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT apply_payment"); rerr != nil {
			return false, OrderState{}, fmt.Errorf("rollback to savepoint: %w", rerr)
		}
		return false, OrderState{}, nil
	}
	if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT apply_payment"); err != nil {
		return false, OrderState{}, fmt.Errorf("release savepoint: %w", err)
	}
	return true, state, s.bumpOrder(ctx, q, m, p.OrderID)
}

// refusal reports whether err is the order saying no (rather than a failure worth retrying).
func refusal(err error) bool {
	switch apperr.KindOf(err) {
	case apperr.Conflict, apperr.NotFound, apperr.Invalid, apperr.Forbidden:
		return true
	}
	return false
}

// sameShop is the allow check of system paths: the order must be in the payment's shop.
func sameShop(shopID string) func(string) error {
	return func(got string) error {
		if got != shopID {
			return apperr.E(apperr.NotFound, "order not found in the payment's shop")
		}
		return nil
	}
}

// MoveShop moves a shop's payments, refunds, bank transfers and order locks to merchant to, inside a shop
// transfer's system transaction.
func (s *Service) MoveShop(ctx context.Context, tx *sql.Tx, shopID string, from, to tenant.ID) error {
	q := paymentdb.New(tx)
	if err := q.MoveShopPayments(ctx, paymentdb.MoveShopPaymentsParams{ToMerchantID: string(to), ShopID: shopID,
		FromMerchantID: string(from)}); err != nil {
		return fmt.Errorf("move payments: %w", err)
	}
	if err := q.MoveShopRefunds(ctx, paymentdb.MoveShopRefundsParams{ToMerchantID: string(to), ShopID: shopID,
		FromMerchantID: string(from)}); err != nil {
		return fmt.Errorf("move refunds: %w", err)
	}
	if err := q.MoveShopTransfers(ctx, paymentdb.MoveShopTransfersParams{ToMerchantID: string(to), ShopID: shopID,
		FromMerchantID: string(from)}); err != nil {
		return fmt.Errorf("move bank transfers: %w", err)
	}
	if err := q.MoveShopOrderLocks(ctx, paymentdb.MoveShopOrderLocksParams{ToMerchantID: string(to), ShopID: shopID,
		FromMerchantID: string(from)}); err != nil {
		return fmt.Errorf("move order locks: %w", err)
	}
	return nil
}

package payment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"time"

	"github.com/goodgo/goodgo/internal/payment/momo"
	"github.com/goodgo/goodgo/internal/payment/paymentdb"
	"github.com/goodgo/goodgo/internal/payment/vietqr"
	"github.com/goodgo/goodgo/internal/payment/vnpay"
	"github.com/goodgo/goodgo/internal/payment/zalopay"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// PayRequest is a payment to take on an order.
type PayRequest struct {
	Method string
	Amount money.VND
	// Tendered is the cash handed over (cash only; 0 means exactly Amount).
	Tendered money.VND
	// WalletID is the customer wallet to spend from (wallet only).
	WalletID string
	// ReturnURL is where the customer's browser goes after paying (VNPay, MoMo, ZaloPay; display only).
	ReturnURL string
	// ClientIP is the customer's IP address (VNPay's vnp_IpAddr); empty or invalid means the server's.
	ClientIP string
}

// PayResult is a payment taken or opened, with what the method needs shown.
type PayResult struct {
	Payment Payment `json:"payment"`
	// Change is what to hand back (cash).
	Change money.VND `json:"change"`
	// Order is the order after an immediate payment (cash, wallet).
	Order any `json:"order,omitempty"`
	// QRPayload is the VietQR string; QRImageURL its image for staff, PublicQRURL for the customer's page.
	QRPayload   string `json:"qr_payload,omitempty"`
	QRImageURL  string `json:"qr_image_url,omitempty"`
	PublicQRURL string `json:"public_qr_url,omitempty"`
	// PaymentURL is the provider's page (VNPay, MoMo payUrl, ZaloPay order_url); Deeplink opens its app;
	// QRCode is the content of a QR the provider asks to show.
	PaymentURL string `json:"payment_url,omitempty"`
	Deeplink   string `json:"deeplink,omitempty"`
	QRCode     string `json:"qr_code,omitempty"`
}

// errMoved says the order's paid amount moved between reading it and locking it: read it again.
var errMoved = errors.New("payment: the order changed meanwhile")

// Pay takes (cash, wallet) or opens (VietQR, VNPay, MoMo, ZaloPay) a payment of r.Amount on order orderID.
// Errors: Invalid for bad input; NotFound for an order the caller cannot see; Conflict when the order takes
// no more than amount due − pending holds, when the method is not set up for the shop, or for a wallet
// without the balance; Unavailable when the provider cannot be reached (the intent is then failed).
func (s *Service) Pay(ctx context.Context, m tenant.ID, orderID string, r PayRequest, actor string, allow func(string) error) (PayResult, error) {
	if err := s.checkPay(&r); err != nil {
		return PayResult{}, err
	}
	var (
		out PayResult
		err error
	)
	switch r.Method {
	case MethodCash, MethodWallet:
		out, err = s.payNow(ctx, m, orderID, r, actor, allow)
	default:
		out, err = s.open(ctx, m, orderID, r, actor, allow)
	}
	if err != nil {
		return PayResult{}, fmt.Errorf("%s payment on order %s: %w", r.Method, orderID, err)
	}
	return out, nil
}

func (s *Service) checkPay(r *PayRequest) error {
	var f []apperr.FieldError
	bad := func(field, msg string) { f = append(f, apperr.FieldError{Field: field, Message: msg}) }
	if r.Amount <= 0 || r.Amount > maxAmount {
		bad("body.amount", "must be between 1 and 1,000,000,000")
	}
	switch r.Method {
	case MethodCash:
		if r.Tendered == 0 {
			r.Tendered = r.Amount
		}
		if r.Tendered < r.Amount || r.Tendered > maxTenderedPerCash {
			bad("body.tendered", "must be at least the amount (and at most 1,000,000,000)")
		}
	case MethodWallet:
		if r.WalletID == "" || len(r.WalletID) > 64 {
			bad("body.wallet_id", "is required for a wallet payment")
		}
	case MethodVietQR:
	case MethodVNPay, MethodMoMo, MethodZaloPay:
		if r.ReturnURL != "" {
			if u, err := url.Parse(r.ReturnURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(r.ReturnURL) > 1000 {
				bad("body.return_url", "must be an absolute http(s) URL")
			}
		}
		if r.Method == MethodMoMo && (s.cfg.MoMo.RequestType == "" || s.cfg.MoMo.RequestType == momo.CaptureWallet) &&
			(r.Amount < momo.MinWalletAmount || r.Amount > momo.MaxWalletAmount) {
			bad("body.amount", "must be between 1,000 and 50,000,000 for MoMo")
		}
	default:
		bad("body.method", "must be cash, wallet, vietqr, vnpay, momo or zalopay")
	}
	if r.Method != MethodCash && r.Tendered != 0 {
		bad("body.tendered", "is for cash payments only")
	}
	if len(f) > 0 {
		return &apperr.Error{Kind: apperr.Invalid, Message: "validation failed", Fields: f}
	}
	if r.Method == MethodWallet && s.wallets == nil {
		return apperr.E(apperr.Conflict, "wallet payments are not available")
	}
	return nil
}

// acceptsPayments refuses orders that are final.
func acceptsPayments(st OrderState) error {
	switch st.Status {
	case "closed", "cancelled":
		return apperr.Stale("the order is "+st.Status+": it takes no payments", st.Order)
	}
	return nil
}

// payNow takes an immediate payment: the order, the wallet, the drawer and the payment row in one transaction.
func (s *Service) payNow(ctx context.Context, m tenant.ID, orderID string, r PayRequest, actor string, allow func(string) error) (PayResult, error) {
	st, err := s.orders.Due(ctx, m, orderID, allow)
	if err != nil {
		return PayResult{}, err
	}
	if err := acceptsPayments(st); err != nil {
		return PayResult{}, err
	}
	var out PayResult
	err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := paymentdb.New(tx)
		now := s.now()
		if _, err := s.lockOrder(ctx, q, m, orderID, st.ShopID); err != nil {
			return err
		}
		if err := s.bumpOrder(ctx, q, m, orderID); err != nil {
			return err
		}
		held, err := s.holds(ctx, q, m, orderID, now)
		if err != nil {
			return err
		}
		id := db.NewID()
		state, err := s.orders.ApplyPayment(ctx, tx, m, orderID, id, r.Method, r.Amount, actor, allow)
		if err != nil {
			return err
		}
		if state.AmountDue < held {
			return apperr.Stale(fmt.Sprintf("%s of this order is held by pending payments: at most %s can be taken now",
				held, state.AmountDue+r.Amount-held), state.Order)
		}
		row := paymentdb.InsertPaymentParams{ID: id, MerchantID: string(m), ShopID: state.ShopID, OrderID: orderID,
			Method: r.Method, Amount: int64(r.Amount), Status: StatusSucceeded, CreatedBy: actor, CreatedAt: now,
			Reference: newReference(), Applied: true}
		switch r.Method {
		case MethodCash:
			row.Tendered, row.ChangeGiven = int64(r.Tendered), int64(r.Tendered-r.Amount)
			if s.drawer != nil {
				if row.ShiftID, err = s.drawer.RecordCashIn(ctx, tx, m, state.ShopID, actor, id, r.Amount); err != nil {
					return err
				}
			}
		case MethodWallet:
			if _, err := s.wallets.SpendIn(ctx, tx, m, r.WalletID, r.Amount, id); err != nil {
				return err
			}
			row.WalletID = r.WalletID
		}
		if err := q.InsertPayment(ctx, row); err != nil {
			return fmt.Errorf("insert payment: %w", err)
		}
		p, err := getPayment(ctx, q, m, id)
		if err != nil {
			return err
		}
		out = PayResult{Payment: toPayment(p), Change: money.VND(p.ChangeGiven), Order: state.Order}
		if err := s.emit(ctx, tx, m, EventSucceeded, out.Payment, now); err != nil {
			return err
		}
		return s.hook("pay")
	})
	if err != nil {
		return PayResult{}, err
	}
	s.nudge()
	return out, nil
}

// intent is what open prepared for the method before the transaction.
type intent struct {
	account Account
	bank    BankAccount
}

// open opens a pending intent holding r.Amount, then (MoMo, ZaloPay) asks the provider for its page.
func (s *Service) open(ctx context.Context, m tenant.ID, orderID string, r PayRequest, actor string, allow func(string) error) (PayResult, error) {
	var (
		prep intent
		id   = db.NewID()
		ref  = newReference()
		out  PayResult
	)
	for attempt := 0; ; attempt++ {
		v0, err := s.orderVersion(ctx, m, orderID)
		if err != nil {
			return PayResult{}, err
		}
		st, err := s.orders.Due(ctx, m, orderID, allow)
		if err != nil {
			return PayResult{}, err
		}
		if err := acceptsPayments(st); err != nil {
			return PayResult{}, err
		}
		if attempt == 0 {
			if prep, err = s.prepare(ctx, m, st.ShopID, r); err != nil {
				return PayResult{}, err
			}
		}
		err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
			q := paymentdb.New(tx)
			now := s.now()
			v, err := s.lockOrder(ctx, q, m, orderID, st.ShopID)
			if err != nil {
				return err
			}
			if v != v0 {
				return errMoved
			}
			held, err := s.holds(ctx, q, m, orderID, now)
			if err != nil {
				return err
			}
			if r.Amount > st.AmountDue-held {
				return apperr.Stale(fmt.Sprintf("at most %s can be taken now (%s due, %s held by pending payments)",
					max(st.AmountDue-held, 0), st.AmountDue, held), st.Order)
			}
			row, err := s.intentRow(id, ref, m, st.ShopID, orderID, r, prep, actor, now)
			if err != nil {
				return err
			}
			if err := q.InsertPayment(ctx, row); err != nil {
				return fmt.Errorf("insert payment: %w", err)
			}
			p, err := getPayment(ctx, q, m, id)
			if err != nil {
				return err
			}
			out = s.intentResult(p, prep)
			return s.emit(ctx, tx, m, EventCreated, out.Payment, now)
		})
		if errors.Is(err, errMoved) && attempt < 5 {
			continue
		}
		if errors.Is(err, errMoved) {
			return PayResult{}, apperr.E(apperr.Unavailable, "the order keeps changing: try again")
		}
		if err != nil {
			return PayResult{}, err
		}
		break
	}
	s.nudge()
	switch r.Method {
	case MethodMoMo, MethodZaloPay:
		return s.openAtProvider(ctx, m, out, prep, r)
	}
	return out, nil
}

// prepare checks that the shop can take r's method and returns what the intent needs.
func (s *Service) prepare(ctx context.Context, m tenant.ID, shopID string, r PayRequest) (intent, error) {
	var (
		p   intent
		err error
	)
	switch r.Method {
	case MethodVietQR:
		if s.accounts == nil {
			return p, apperr.E(apperr.Conflict, "VietQR is not available: the shop has no bank account")
		}
		if p.bank, err = s.accounts.BankAccount(ctx, m, shopID); err != nil {
			return p, err
		}
		if p.bank.BIN == "" || p.bank.Number == "" {
			return p, apperr.E(apperr.Conflict, "VietQR is not available: set the shop's bank account (bank_bin, bank_account_number) first")
		}
		if _, err := s.vietqrPayload(p.bank, r.Amount, "GG"); err != nil {
			return p, apperr.E(apperr.Conflict, "VietQR is not available: the shop's bank account is not valid (%s)", apperr.Message(err))
		}
		p.account = Account{AccountRef: p.bank.Number}
	case MethodVNPay, MethodMoMo, MethodZaloPay:
		if _, err := s.callbackURL(""); err != nil {
			return p, err
		}
	}
	switch r.Method {
	case MethodVNPay:
		p.account, err = s.account(ctx, m, shopID, ProviderVNPay)
	case MethodMoMo:
		p.account, err = s.account(ctx, m, shopID, ProviderMoMo)
	case MethodZaloPay:
		p.account, err = s.account(ctx, m, shopID, ProviderZaloPay)
	}
	return p, err
}

// intentRow is the pending payment row of an intent; for VNPay it signs the pay URL (no network).
func (s *Service) intentRow(id, ref string, m tenant.ID, shopID, orderID string, r PayRequest, prep intent, actor string,
	now time.Time) (paymentdb.InsertPaymentParams, error) {
	expires := now.Add(s.cfg.IntentExpiry)
	row := paymentdb.InsertPaymentParams{ID: id, MerchantID: string(m), ShopID: shopID, OrderID: orderID, Method: r.Method,
		Amount: int64(r.Amount), Status: StatusPending, CreatedBy: actor, CreatedAt: now, Reference: ref,
		AccountRef: prep.account.AccountRef, Applied: false, ReturnUrl: r.ReturnURL, PublicToken: newToken()}
	switch r.Method {
	case MethodVNPay:
		expires = now.Add(s.cfg.VNPayHold)
		c, err := s.vnpayClient(prep.account)
		if err != nil {
			return row, err
		}
		returnURL, err := s.callbackURL(PathVNPayReturn)
		if err != nil {
			return row, err
		}
		ip := r.ClientIP
		if _, err := netip.ParseAddr(ip); err != nil {
			ip = s.cfg.ServerIP
		}
		row.PayUrl, err = c.PayURL(vnpay.PayRequest{TxnRef: ref, Amount: r.Amount, OrderInfo: "Thanh toan don hang " + ref,
			IPAddr: ip, ReturnURL: returnURL, CreatedAt: now, ExpiresAt: now.Add(s.cfg.VNPayPayWindow)})
		if err != nil {
			return row, err
		}
		row.ProviderOrderID = ref
	case MethodMoMo:
		row.ProviderOrderID = ref
	case MethodZaloPay:
		row.ProviderOrderID = zalopay.AppTransID(now, ref)
	}
	row.ExpiresAt = sql.NullTime{Time: expires, Valid: true}
	return row, nil
}

// intentResult is what the caller of Pay gets for a pending intent.
func (s *Service) intentResult(p paymentdb.Payment, prep intent) PayResult {
	out := PayResult{Payment: toPayment(p), PaymentURL: p.PayUrl, Deeplink: p.Deeplink, QRCode: p.QrContent}
	if p.Method == MethodVietQR {
		out.QRPayload, _ = s.vietqrPayload(prep.bank, money.VND(p.Amount), p.Reference) // checked in prepare
		out.QRImageURL = s.cfg.PublicBaseURL + "/api/v1/payments/" + p.ID + "/qr.png"
		out.PublicQRURL = s.cfg.PublicBaseURL + "/api/v1/public/payments/" + p.PublicToken + "/qr.svg"
		out.QRCode = ""
	}
	return out
}

// vietqrPayload is the dynamic VietQR of amount to bank with ref as the transfer note (62-08).
func (s *Service) vietqrPayload(bank BankAccount, amount money.VND, ref string) (string, error) {
	return vietqr.Build(vietqr.Payload{BankBIN: bank.BIN, Account: bank.Number, MCC: s.cfg.VietQRMCC, Amount: amount,
		MerchantName: bank.Name, ReferenceLabel: ref, Purpose: ref})
}

// openAtProvider creates the MoMo or ZaloPay payment of a committed intent and stores its links; when the
// provider refuses or cannot be reached, the intent is failed (it held its amount for nothing) and the error
// returned.
func (s *Service) openAtProvider(ctx context.Context, m tenant.ID, out PayResult, prep intent, r PayRequest) (PayResult, error) {
	p := out.Payment
	var (
		orderID, payURL, deeplink, qr string
		err                           error
	)
	switch p.Method {
	case MethodMoMo:
		var c *momo.Client
		if c, err = s.momoClient(prep.account); err == nil {
			var ipn, back string
			if ipn, err = s.callbackURL(PathMoMoIPN); err == nil {
				back, _ = s.callbackURL(PathMoMoReturn)
				var res *momo.CreateResult
				res, err = c.Create(ctx, momo.CreateRequest{RequestID: compactID(p.ID), OrderID: p.Reference, Amount: p.Amount,
					OrderInfo: "Thanh toan don hang " + p.Reference, RedirectURL: back, IPNURL: ipn,
					RequestType: s.cfg.MoMo.RequestType, StoreID: p.ShopID})
				if err == nil {
					orderID, payURL, deeplink, qr = res.OrderID, res.PayURL, res.Deeplink, res.QRCodeURL
				}
			}
		}
	case MethodZaloPay:
		var c *zalopay.Client
		if c, err = s.zalopayClient(prep.account, &p.CreatedAt); err == nil {
			var cb, back string
			if cb, err = s.callbackURL(PathZaloPayCallback); err == nil {
				back, _ = s.callbackURL(PathZaloPayReturn)
				expire := s.cfg.IntentExpiry
				if expire < zalopay.MinExpiry || expire > zalopay.MaxExpiry {
					expire = 0
				}
				var res *zalopay.CreateResult
				res, err = c.Create(ctx, zalopay.CreateRequest{Ref: p.Reference, AppUser: p.ShopID, Amount: p.Amount,
					Description: "GoodGo - Thanh toan don hang " + p.Reference, RedirectURL: back, CallbackURL: cb,
					ExpireAfter: expire})
				if err == nil {
					orderID, payURL, deeplink, qr = res.AppTransID, res.OrderURL, "", res.QRCode
				}
			}
		}
	}
	err2 := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := paymentdb.New(tx)
		now := s.now()
		if err != nil {
			n, err := q.MarkFailed(ctx, paymentdb.MarkFailedParams{ProviderCode: "", FailureReason: FailureProvider, Now: now,
				MerchantID: string(m), ID: p.ID})
			if err != nil || n == 0 {
				return err
			}
			row, err := getPayment(ctx, q, m, p.ID)
			if err != nil {
				return err
			}
			return s.emit(ctx, tx, m, EventFailed, toPayment(row), now)
		}
		if err := q.SetProviderLinks(ctx, paymentdb.SetProviderLinksParams{ProviderOrderID: orderID, PayUrl: payURL,
			Deeplink: deeplink, QrContent: qr, Now: now, MerchantID: string(m), ID: p.ID}); err != nil {
			return err
		}
		row, err := getPayment(ctx, q, m, p.ID)
		if err != nil {
			return err
		}
		out = s.intentResult(row, prep)
		return s.emit(ctx, tx, m, EventUpdated, out.Payment, now)
	})
	if err != nil {
		return PayResult{}, err
	}
	if err2 != nil {
		return PayResult{}, err2
	}
	s.nudge()
	return out, nil
}

// Cancel ends a pending intent (staff changed their mind, the customer left): it stops holding its amount.
// A provider may still report it paid later; that money is then recorded succeeded but unapplied. Conflict
// when the payment is no longer pending.
func (s *Service) Cancel(ctx context.Context, m tenant.ID, paymentID, actor string, allow func(string) error) (Payment, error) {
	var out Payment
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := paymentdb.New(tx)
		p, err := lockPayment(ctx, q, m, paymentID)
		if err != nil {
			return err
		}
		if err := allow(p.ShopID); err != nil {
			return err
		}
		if p.Status != StatusPending {
			return apperr.Stale("the payment is "+p.Status+": only a pending payment can be cancelled", toPayment(p))
		}
		now := s.now()
		if _, err := q.MarkFailed(ctx, paymentdb.MarkFailedParams{FailureReason: FailureCancelled, Now: now,
			MerchantID: string(m), ID: p.ID}); err != nil {
			return err
		}
		if p, err = getPayment(ctx, q, m, paymentID); err != nil {
			return err
		}
		out = toPayment(p)
		return s.emit(ctx, tx, m, EventFailed, out, now)
	})
	if err != nil {
		return Payment{}, fmt.Errorf("cancel payment %s: %w", paymentID, err)
	}
	s.nudge()
	return out, nil
}

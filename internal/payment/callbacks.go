package payment

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/goodgo/goodgo/internal/payment/momo"
	"github.com/goodgo/goodgo/internal/payment/paymentdb"
	"github.com/goodgo/goodgo/internal/payment/vnpay"
	"github.com/goodgo/goodgo/internal/payment/zalopay"
	"github.com/goodgo/goodgo/internal/platform/apperr"
)

// ---- VNPay ----

// HandleVNPayIPN handles VNPay's IPN (the query string exactly as received) and returns the answer VNPay
// expects (spec §1.5), in VNPay's order of checks: 97 a signature that no account of the named terminal
// (nor the payment's own account) verifies; 01 an unknown vnp_TxnRef; 04 an amount that is not the
// payment's; 02 a payment settled before (a replay: VNPay stops retrying); 00 recorded (paid, or a failed
// payment recorded failed); 99 anything else (VNPay retries). Nothing changes unless the answer is 00.
func (s *Service) HandleVNPayIPN(ctx context.Context, rawQuery string) vnpay.IPNAnswer {
	v, err := url.ParseQuery(rawQuery)
	if err != nil {
		return vnpay.Answer(vnpay.RspInvalidSignature)
	}
	n, ref, ans := s.verifiedVNPay(ctx, v)
	if ans != nil {
		return *ans
	}
	o := outcome{Method: MethodVNPay, Amount: n.Amount, Paid: n.Paid(), Code: n.ResponseCode, Actor: ProviderVNPay}
	if o.Paid {
		o.TxnID = n.TransactionNo
	}
	res, _, err := s.settle(ctx, ref, o)
	if err != nil {
		return vnpay.Answer(vnpay.RspUnknownError)
	}
	return vnpayAnswer(res)
}

func vnpayAnswer(res settled) vnpay.IPNAnswer {
	switch res {
	case settledApplied, settledUnapplied, settledFailed:
		return vnpay.Answer(vnpay.RspConfirmSuccess)
	case settledAlready:
		return vnpay.Answer(vnpay.RspAlreadyConfirmed)
	case settledAmountMismatch:
		return vnpay.Answer(vnpay.RspInvalidAmount)
	case settledNotFound:
		return vnpay.Answer(vnpay.RspOrderNotFound)
	}
	return vnpay.Answer(vnpay.RspUnknownError)
}

// verifiedVNPay verifies a VNPay query (return URL or IPN) and finds its payment: with the accounts of the
// terminal it names first, then with the payment's own account (so a merchant who configured another's
// terminal code cannot sign for the other's payments). A non-nil answer ends the handling.
func (s *Service) verifiedVNPay(ctx context.Context, v url.Values) (*vnpay.Notification, paymentRef, *vnpay.IPNAnswer) {
	answer := func(c vnpay.RspCode) *vnpay.IPNAnswer { a := vnpay.Answer(c); return &a }
	tmn := v.Get("vnp_TmnCode")
	accs, err := s.candidates(ctx, ProviderVNPay, tmn)
	if err != nil {
		return nil, paymentRef{}, answer(vnpay.RspUnknownError)
	}
	var n *vnpay.Notification
	err = errNoAccount
	for _, a := range accs {
		c, cerr := s.vnpayClient(a)
		if cerr != nil {
			continue
		}
		if n, err = c.Verify(v); err == nil || !errors.Is(err, vnpay.ErrInvalidSignature) {
			break
		}
	}
	if err != nil {
		if errors.Is(err, errNoAccount) {
			return nil, paymentRef{}, answer(vnpay.RspInvalidSignature)
		}
		a := vnpay.AnswerFor(err)
		return nil, paymentRef{}, &a
	}
	ref, ok, err := s.locate(ctx, n.TxnRef)
	if err != nil {
		return nil, paymentRef{}, answer(vnpay.RspUnknownError)
	}
	if !ok || ref.Method != MethodVNPay || ref.AccountRef != n.TmnCode {
		return nil, paymentRef{}, answer(vnpay.RspOrderNotFound)
	}
	own, err := s.paymentAccount(ctx, ref.Merchant, ref.ShopID, ProviderVNPay, ref.AccountRef)
	if err != nil {
		if apperr.KindOf(err) == apperr.Unavailable || apperr.KindOf(err) == apperr.Unknown {
			return nil, paymentRef{}, answer(vnpay.RspUnknownError)
		}
		return nil, paymentRef{}, answer(vnpay.RspInvalidSignature)
	}
	c, err := s.vnpayClient(own)
	if err != nil {
		return nil, paymentRef{}, answer(vnpay.RspInvalidSignature)
	}
	if _, err := c.Verify(v); err != nil {
		return nil, paymentRef{}, answer(vnpay.RspInvalidSignature)
	}
	return n, ref, nil
}

// errNoAccount: no account could verify a callback (none is configured for the account it names).
var errNoAccount = apperr.E(apperr.Unauthenticated, "no account verifies this callback")

// ReturnView is what a provider's return page shows: display only, it changes nothing.
type ReturnView struct {
	// Verified says the provider's signature checked; the rest is empty otherwise.
	Verified  bool   `json:"verified"`
	PaymentID string `json:"payment_id,omitempty"`
	Reference string `json:"reference,omitempty"`
	// ProviderSaysPaid is what the browser's parameters claim; Status is what this server recorded (the IPN
	// or callback decides, not the browser).
	ProviderSaysPaid bool   `json:"provider_says_paid"`
	Status           string `json:"status,omitempty"`
	// RedirectURL is the return_url given when the payment was created, with payment_id and status added.
	RedirectURL string `json:"redirect_url,omitempty"`
}

// VNPayReturn reads VNPay's browser return (display only: forged or replayed returns change nothing).
func (s *Service) VNPayReturn(ctx context.Context, rawQuery string) ReturnView {
	v, err := url.ParseQuery(rawQuery)
	if err != nil {
		return ReturnView{}
	}
	n, ref, ans := s.verifiedVNPay(ctx, v)
	if ans != nil {
		return ReturnView{}
	}
	return s.returnView(ctx, ref, n.Paid())
}

// returnView reads the payment ref points at for a return page.
func (s *Service) returnView(ctx context.Context, ref paymentRef, claimsPaid bool) ReturnView {
	view := ReturnView{Verified: true, PaymentID: ref.ID, ProviderSaysPaid: claimsPaid}
	_ = s.db.ReadTx(ctx, ref.Merchant, func(tx *sql.Tx) error {
		p, err := getPayment(ctx, paymentdb.New(tx), ref.Merchant, ref.ID)
		if err != nil {
			return err
		}
		view.Reference, view.Status = p.Reference, p.Status
		if p.ReturnUrl != "" {
			if u, err := url.Parse(p.ReturnUrl); err == nil {
				q := u.Query()
				q.Set("payment_id", p.ID)
				q.Set("status", p.Status)
				u.RawQuery = q.Encode()
				view.RedirectURL = u.String()
			}
		}
		return nil
	})
	return view
}

// ---- MoMo ----

// HandleMoMoIPN handles MoMo's IPN (the raw JSON body); nil means answer 204 No Content (recorded, or a
// replay). Errors: Invalid for a body that is not MoMo's JSON, Unauthenticated for a signature no account
// verifies, NotFound for an unknown orderId, Invalid for an amount that is not the payment's, Unavailable
// when recording failed (MoMo sends it again). Nothing changes on an error.
func (s *Service) HandleMoMoIPN(ctx context.Context, body []byte) error {
	n, ref, err := s.verifiedMoMo(ctx, body)
	if err != nil {
		return err
	}
	o := outcome{Method: MethodMoMo, Amount: n.Amount, Paid: n.Paid(), Pending: momo.Pending(n.ResultCode),
		Code: strconv.Itoa(n.ResultCode), Actor: ProviderMoMo}
	if o.Paid {
		o.TxnID = strconv.FormatInt(n.TransID, 10)
	}
	res, _, err := s.settle(ctx, ref, o)
	if err != nil {
		return apperr.Wrap(err, apperr.Unavailable, "the payment could not be recorded: send it again")
	}
	return callbackError(res)
}

// callbackError maps what settle did to the error of a JSON callback endpoint.
func callbackError(res settled) error {
	switch res {
	case settledAmountMismatch:
		return apperr.WithField("body.amount", "is not the payment's amount")
	case settledNotFound:
		return apperr.E(apperr.NotFound, "no such payment")
	}
	return nil
}

func (s *Service) verifiedMoMo(ctx context.Context, body []byte) (*momo.Notification, paymentRef, error) {
	var head struct {
		PartnerCode string `json:"partnerCode"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, paymentRef{}, apperr.E(apperr.Invalid, "the body is not MoMo's IPN JSON")
	}
	accs, err := s.candidates(ctx, ProviderMoMo, head.PartnerCode)
	if err != nil {
		return nil, paymentRef{}, err
	}
	verify := func(a Account) (*momo.Notification, error) {
		c, err := s.momoClient(a)
		if err != nil {
			return nil, err
		}
		return c.VerifyIPN(body)
	}
	var n *momo.Notification
	err = errNoAccount
	for _, a := range accs {
		if n, err = verify(a); err == nil || !errors.Is(err, momo.ErrInvalidSignature) {
			break
		}
	}
	if err != nil {
		if errors.Is(err, momo.ErrInvalidSignature) || errors.Is(err, errNoAccount) {
			return nil, paymentRef{}, apperr.E(apperr.Unauthenticated, "the MoMo signature does not verify")
		}
		return nil, paymentRef{}, err
	}
	ref, ok, err := s.locate(ctx, n.OrderID)
	if err != nil {
		return nil, paymentRef{}, err
	}
	if !ok || ref.Method != MethodMoMo || ref.AccountRef != n.PartnerCode {
		return nil, paymentRef{}, apperr.E(apperr.NotFound, "no such payment")
	}
	own, err := s.paymentAccount(ctx, ref.Merchant, ref.ShopID, ProviderMoMo, ref.AccountRef)
	if err == nil {
		_, err = verify(own)
	}
	if err != nil {
		return nil, paymentRef{}, apperr.E(apperr.Unauthenticated, "the MoMo signature does not verify with the payment's account")
	}
	return n, ref, nil
}

// MoMoReturn reads MoMo's browser redirect (display only).
func (s *Service) MoMoReturn(ctx context.Context, rawQuery string) ReturnView {
	v, err := url.ParseQuery(rawQuery)
	if err != nil {
		return ReturnView{}
	}
	body, err := json.Marshal(momo.IPNBody{PartnerCode: v.Get("partnerCode"), OrderID: v.Get("orderId"),
		RequestID: v.Get("requestId"), Amount: json.Number(v.Get("amount")), OrderInfo: v.Get("orderInfo"),
		OrderType: v.Get("orderType"), TransID: json.Number(v.Get("transId")), ResultCode: json.Number(v.Get("resultCode")),
		Message: v.Get("message"), PayType: v.Get("payType"), ResponseTime: json.Number(v.Get("responseTime")),
		ExtraData: v.Get("extraData"), Signature: v.Get("signature")})
	if err != nil {
		return ReturnView{}
	}
	n, ref, err := s.verifiedMoMo(ctx, body)
	if err != nil {
		return ReturnView{}
	}
	return s.returnView(ctx, ref, n.Paid())
}

// ---- ZaloPay ----

// HandleZaloPayCallback handles ZaloPay's payment callback (the raw JSON body, sent only for paid orders)
// and returns the reply ZaloPay expects: return_code 1 recorded (or already recorded: idempotent), -1 a mac
// no account verifies, 0 anything else (an unknown order, a wrong amount, a failed write: nothing changed,
// ZaloPay may send it again).
func (s *Service) HandleZaloPayCallback(ctx context.Context, body []byte) zalopay.CallbackReply {
	var b zalopay.CallbackBody
	if err := json.Unmarshal(body, &b); err != nil {
		return zalopay.ReplyRetry("the body is not ZaloPay's callback JSON")
	}
	var head struct {
		AppID json.Number `json:"app_id"`
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(b.Data)))
	dec.UseNumber()
	_ = dec.Decode(&head) // unverified: only picks the accounts to verify with
	accs, err := s.candidates(ctx, ProviderZaloPay, head.AppID.String())
	if err != nil {
		return zalopay.ReplyRetry("accounts unavailable")
	}
	verify := func(a Account) (*zalopay.Callback, error) {
		c, err := s.zalopayClient(a, nil)
		if err != nil {
			return nil, err
		}
		return c.VerifyCallback(body)
	}
	var cb *zalopay.Callback
	err = errNoAccount
	for _, a := range accs {
		if cb, err = verify(a); err == nil || !errors.Is(err, zalopay.ErrInvalidMAC) {
			break
		}
	}
	if err != nil {
		if errors.Is(err, zalopay.ErrInvalidMAC) || errors.Is(err, errNoAccount) {
			return zalopay.ReplyInvalidMAC()
		}
		return zalopay.ReplyFor(err)
	}
	if b.Type != 0 && b.Type != 1 {
		return zalopay.ReplyRetry("unknown callback type")
	}
	_, reference, _ := strings.Cut(cb.AppTransID, "_")
	ref, ok, err := s.locate(ctx, reference)
	if err != nil {
		return zalopay.ReplyRetry("try again")
	}
	if !ok || ref.Method != MethodZaloPay || ref.AccountRef != strconv.FormatInt(cb.AppID, 10) {
		return zalopay.ReplyRetry("unknown order")
	}
	own, err := s.paymentAccount(ctx, ref.Merchant, ref.ShopID, ProviderZaloPay, ref.AccountRef)
	if err == nil {
		_, err = verify(own)
	}
	if err != nil {
		return zalopay.ReplyInvalidMAC()
	}
	res, _, err := s.settle(ctx, ref, outcome{Method: MethodZaloPay, Amount: cb.Amount, Paid: true,
		TxnID: strconv.FormatInt(cb.ZPTransID, 10), Code: "1", Actor: ProviderZaloPay})
	switch {
	case err != nil:
		return zalopay.ReplyRetry("the payment could not be recorded")
	case res == settledAmountMismatch:
		return zalopay.ReplyRetry("amount is not the payment's amount")
	case res == settledNotFound:
		return zalopay.ReplyRetry("unknown order")
	}
	return zalopay.ReplySuccess()
}

// ZaloPayReturn reads ZaloPay's browser redirect (display only; ZaloPay signs nothing there, so it only
// shows what this server recorded for the apptransid).
func (s *Service) ZaloPayReturn(ctx context.Context, rawQuery string) ReturnView {
	v, err := url.ParseQuery(rawQuery)
	if err != nil {
		return ReturnView{}
	}
	_, reference, _ := strings.Cut(v.Get("apptransid"), "_")
	ref, ok, err := s.locate(ctx, reference)
	if err != nil || !ok || ref.Method != MethodZaloPay {
		return ReturnView{}
	}
	view := s.returnView(ctx, ref, false)
	view.Verified = false
	return view
}

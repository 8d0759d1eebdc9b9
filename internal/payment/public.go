package payment

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/goodgo/goodgo/internal/payment/paymentdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Customers pay from the table's QR code.
//
// A customer at a table (its QR token, and at a shared table their own order) may open a VietQR or a VNPay,
// MoMo or ZaloPay payment for what their order still owes. Nothing else is theirs to choose: the amount is
// the amount due, the browser comes back to the table's page, and asking again while such a payment waits
// shows the same one instead of holding the bill twice.

// QRTables finds the order a table's QR code pays (the order module, through the app).
type QRTables interface {
	// QROrder returns the merchant, shop and id of the live order at the QR code's table or room (at a shared
	// table, the party's own order orderID); NotFound when there is none.
	QROrder(ctx context.Context, token, orderID string) (m tenant.ID, shopID, id string, err error)
}

// CustomerActor is who a payment opened from a table's QR code was created by.
const CustomerActor = "qr-customer"

// CustomerPayment is what the customer's phone gets: how to pay, never staff details.
type CustomerPayment struct {
	PaymentID   string    `json:"payment_id"`
	Method      string    `json:"method" enum:"vietqr,vnpay,momo,zalopay"`
	Amount      money.VND `json:"amount"`
	Status      string    `json:"status" enum:"pending,succeeded,failed,refunded"`
	Reference   string    `json:"reference" doc:"The transfer note a VietQR carries."`
	QRPayload   string    `json:"qr_payload,omitempty" doc:"The VietQR string (for a banking app)."`
	PublicQRURL string    `json:"public_qr_url,omitempty" doc:"The VietQR as an image."`
	PaymentURL  string    `json:"payment_url,omitempty" doc:"The provider's pay page (VNPay, MoMo, ZaloPay)."`
	Deeplink    string    `json:"deeplink,omitempty"`
}

// PayFromTable opens a payment of method for what the order at the QR code's table still owes, or returns the
// one the customer opened before and that still waits.
func (s *Service) PayFromTable(ctx context.Context, token, orderID, method, clientIP string) (CustomerPayment, error) {
	switch method {
	case MethodVietQR, MethodVNPay, MethodMoMo, MethodZaloPay:
	default:
		return CustomerPayment{}, apperr.WithField("body.method", "must be vietqr, vnpay, momo or zalopay")
	}
	if s.tables == nil {
		return CustomerPayment{}, apperr.E(apperr.NotFound, "paying from the table is not available here")
	}
	m, shopID, id, err := s.tables.QROrder(ctx, token, orderID)
	if err != nil {
		return CustomerPayment{}, err
	}
	if p, ok, err := s.waitingCustomerPayment(ctx, m, shopID, id, method); err != nil || ok {
		return p, err
	}
	st, err := s.orders.Due(ctx, m, id, nil)
	if err != nil {
		return CustomerPayment{}, err
	}
	if st.AmountDue <= 0 {
		return CustomerPayment{}, apperr.E(apperr.Conflict, "nothing is due on this order")
	}
	res, err := s.Pay(ctx, m, id, PayRequest{Method: method, Amount: st.AmountDue, ClientIP: clientIP,
		ReturnURL: strings.TrimSuffix(s.cfg.PublicBaseURL, "/") + "/t/" + token}, CustomerActor, nil)
	if err != nil {
		return CustomerPayment{}, err
	}
	return CustomerPayment{PaymentID: res.Payment.ID, Method: method, Amount: res.Payment.Amount, Status: res.Payment.Status,
		Reference: res.Payment.Reference, QRPayload: res.QRPayload, PublicQRURL: res.PublicQRURL, PaymentURL: res.PaymentURL,
		Deeplink: res.Deeplink}, nil
}

// waitingCustomerPayment finds a pending payment of method the customer opened on order id, with what the phone
// needs to show it again.
func (s *Service) waitingCustomerPayment(ctx context.Context, m tenant.ID, shopID, id, method string) (CustomerPayment, bool, error) {
	var found *paymentdb.Payment
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		rows, err := paymentdb.New(tx).ListOrderPaymentsFull(ctx, paymentdb.ListOrderPaymentsFullParams{MerchantID: string(m), OrderID: id})
		if err != nil {
			return err
		}
		now := s.clk.Now()
		for i := range rows {
			r := rows[i]
			if r.Status == StatusPending && r.Method == method && r.CreatedBy == CustomerActor &&
				(!r.ExpiresAt.Valid || r.ExpiresAt.Time.After(now)) {
				found = &r
			}
		}
		return nil
	})
	if err != nil || found == nil {
		return CustomerPayment{}, false, err
	}
	p := found
	out := CustomerPayment{PaymentID: p.ID, Method: p.Method, Amount: money.VND(p.Amount), Status: p.Status, Reference: p.Reference,
		PaymentURL: p.PayUrl, Deeplink: p.Deeplink}
	if p.Method == MethodVietQR {
		bank, err := s.accounts.BankAccount(ctx, m, shopID)
		if err != nil {
			return CustomerPayment{}, false, err
		}
		if out.QRPayload, err = s.vietqrPayload(bank, money.VND(p.Amount), p.Reference); err != nil {
			return CustomerPayment{}, false, fmt.Errorf("VietQR of payment %s: %w", p.ID, err)
		}
		out.PublicQRURL = s.cfg.PublicBaseURL + "/api/v1/public/payments/" + p.PublicToken + "/qr.svg"
	}
	return out, true, nil
}

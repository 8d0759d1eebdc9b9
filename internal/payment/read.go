package payment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/goodgo/goodgo/internal/payment/paymentdb"
	"github.com/goodgo/goodgo/internal/payment/vietqr"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Get returns payment id with its refunds; NotFound for a payment the caller cannot see.
func (s *Service) Get(ctx context.Context, m tenant.ID, id string, allow func(string) error) (Payment, error) {
	var out Payment
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := paymentdb.New(tx)
		p, err := getPayment(ctx, q, m, id)
		if err != nil {
			return err
		}
		if err := allow(p.ShopID); err != nil {
			return err
		}
		out = toPayment(p)
		rs, err := q.ListPaymentRefunds(ctx, paymentdb.ListPaymentRefundsParams{MerchantID: string(m), PaymentID: id})
		if err != nil {
			return err
		}
		for _, r := range rs {
			out.Refunds = append(out.Refunds, toRefund(r))
		}
		return nil
	})
	if err != nil {
		return Payment{}, fmt.Errorf("get payment %s: %w", id, err)
	}
	return out, nil
}

// ListOrder returns the payments of order orderID (every status), oldest first, each with its refunds.
func (s *Service) ListOrder(ctx context.Context, m tenant.ID, orderID string, allow func(string) error) ([]Payment, error) {
	if _, err := s.orders.Due(ctx, m, orderID, allow); err != nil {
		return nil, err
	}
	out := []Payment{}
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := paymentdb.New(tx)
		rows, err := q.ListOrderPaymentsFull(ctx, paymentdb.ListOrderPaymentsFullParams{MerchantID: string(m), OrderID: orderID})
		if err != nil {
			return err
		}
		rs, err := q.ListOrderRefunds(ctx, paymentdb.ListOrderRefundsParams{MerchantID: string(m), OrderID: orderID})
		if err != nil {
			return err
		}
		byPayment := map[string][]Refund{}
		for _, r := range rs {
			byPayment[r.PaymentID] = append(byPayment[r.PaymentID], toRefund(r))
		}
		for _, r := range rows {
			p := toPayment(r)
			p.Refunds = byPayment[r.ID]
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list payments of order %s: %w", orderID, err)
	}
	return out, nil
}

// StatusUnapplied filters ListShop to succeeded payments the order does not count (money to refund).
const StatusUnapplied = "unapplied"

// ListShop pages shop shopID's payments, newest first. status "" means any; StatusUnapplied lists the money
// taken that no order counts.
func (s *Service) ListShop(ctx context.Context, m tenant.ID, shopID, status, cursor string, limit int) ([]Payment, string, error) {
	limit = clampLimit(limit)
	params := paymentdb.ListShopPaymentsParams{MerchantID: string(m), ShopID: shopID, Status: status, Cursor: cursor,
		MaxRows: int32(limit + 1)}
	if status == StatusUnapplied {
		params.Status, params.OnlyUnapplied = "", true
	}
	out := []Payment{}
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		rows, err := paymentdb.New(tx).ListShopPayments(ctx, params)
		for _, r := range rows {
			out = append(out, toPayment(r))
		}
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list payments of shop %s: %w", shopID, err)
	}
	next := ""
	if len(out) > limit {
		out, next = out[:limit], out[limit-1].ID
	}
	return out, next, nil
}

// QR image formats.
const (
	FormatPNG = "png"
	FormatSVG = "svg"
)

// QRImage renders the VietQR of pending payment id (the amount it still waits for) as a PNG or SVG, with its
// content type. Conflict for a payment that is not a pending VietQR.
func (s *Service) QRImage(ctx context.Context, m tenant.ID, id, format string, allow func(string) error) ([]byte, string, error) {
	var p paymentdb.Payment
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		p, err = getPayment(ctx, paymentdb.New(tx), m, id)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	if err := allow(p.ShopID); err != nil {
		return nil, "", err
	}
	return s.renderQR(ctx, m, p, format)
}

// PublicQRImage is QRImage for the customer's page: the payment is found by its public token (unguessable,
// returned when the intent was opened), across merchants.
func (s *Service) PublicQRImage(ctx context.Context, token, format string) ([]byte, string, error) {
	var (
		m  tenant.ID
		id string
	)
	err := s.db.WithSystemTx(ctx, "find the payment of a customer's QR link by its token", func(tx *sql.Tx) error {
		r, err := paymentdb.New(tx).FindByPublicToken(ctx, token)
		if err != nil {
			return err
		}
		m, id = tenant.ID(r.MerchantID), r.ID
		return nil
	})
	if errors.Is(err, sql.ErrNoRows) || apperr.KindOf(err) == apperr.NotFound || len(token) != 32 {
		return nil, "", apperr.E(apperr.NotFound, "payment not found")
	}
	if err != nil {
		return nil, "", err
	}
	return s.QRImage(ctx, m, id, format, func(string) error { return nil })
}

func (s *Service) renderQR(ctx context.Context, m tenant.ID, p paymentdb.Payment, format string) ([]byte, string, error) {
	if p.Method != MethodVietQR || p.Status != StatusPending {
		return nil, "", apperr.E(apperr.Conflict, "only a pending VietQR payment has a QR code (this one is %s %s)", p.Method, p.Status)
	}
	if s.accounts == nil {
		return nil, "", apperr.E(apperr.Conflict, "VietQR is not available")
	}
	bank, err := s.accounts.BankAccount(ctx, m, p.ShopID)
	if err != nil {
		return nil, "", err
	}
	if bank.Number != p.AccountRef {
		return nil, "", apperr.E(apperr.Conflict, "the shop's bank account changed since this payment was opened: open a new one")
	}
	payload, err := s.vietqrPayload(bank, money.VND(p.Amount), p.Reference)
	if err != nil {
		return nil, "", apperr.E(apperr.Conflict, "the shop's bank account is not valid for VietQR: %s", apperr.Message(err))
	}
	mx, err := vietqr.Encode(payload, vietqr.LevelMedium)
	if err != nil {
		return nil, "", fmt.Errorf("encode QR: %w", err)
	}
	switch format {
	case FormatSVG:
		return mx.SVG(8), "image/svg+xml", nil
	case FormatPNG:
		b, err := mx.PNG(8)
		return b, "image/png", err
	}
	return nil, "", apperr.WithField("format", "must be png or svg")
}

package payment

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/goodgo/goodgo/internal/payment/banktransfer"
	"github.com/goodgo/goodgo/internal/payment/paymentdb"
	"github.com/goodgo/goodgo/internal/payment/vietqr"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// HandleBankWebhook records one statement line of a bank-statement service (SePay's body, spec §2.8) and
// returns nil when the service should be answered 200 {"success": true} (recorded, or a replay).
//
// The call is authenticated with the bank_transfer account of the shop that owns accountNumber (header
// "Authorization: Apikey <key>", plus X-Signature when the shop set a signature key): Unauthenticated
// otherwise. Every line is kept once (deduped by the service's id): money out is ignored; a note carrying
// the reference of a pending VietQR payment of that shop and account is matched when the amount equals the
// payment's (the payment succeeds, exactly as a provider callback settles it), and a smaller amount is
// applied as a payment of its own while the intent keeps waiting for the rest with a lower amount (its QR now
// asks for the rest); a larger amount, a note without a known pending reference, and a transfer for a payment
// that is no longer pending stay unmatched for a manager to assign to an order or dismiss. Invalid for a body
// that is not the expected JSON (a fractional amount included), TooLarge over banktransfer.MaxBody.
func (s *Service) HandleBankWebhook(ctx context.Context, raw []byte, header http.Header) error {
	if len(raw) > banktransfer.MaxBody {
		return apperr.E(apperr.TooLarge, "webhook body over %d bytes", banktransfer.MaxBody)
	}
	var head struct {
		AccountNumber string `json:"accountNumber"`
	}
	if err := json.Unmarshal(raw, &head); err != nil || head.AccountNumber == "" {
		return apperr.E(apperr.Invalid, "the body is not a bank-statement webhook with an accountNumber")
	}
	var accs []ShopAccount
	if s.accounts != nil {
		var err error
		if accs, err = s.accounts.FindAccounts(ctx, ProviderBankTransfer, head.AccountNumber); err != nil {
			return err
		}
	}
	var (
		t     banktransfer.Transfer
		owner ShopAccount
		err   error = apperr.E(apperr.Unauthenticated, "no shop has a bank-transfer webhook key for this account")
	)
	for _, a := range accs {
		t, err = banktransfer.SePay{}.Parse(raw, header, banktransfer.Secrets{APIKey: a.Secrets[SecretBankAPIKey],
			SignatureKey: a.Secrets[SecretBankSignature]})
		if err == nil {
			owner = a
			break
		}
		if !errors.Is(err, banktransfer.ErrUnauthenticated) {
			break
		}
	}
	if err != nil {
		return err
	}
	if t.AccountNumber != owner.AccountRef {
		return apperr.E(apperr.Unauthenticated, "the transfer is for another account")
	}
	m := owner.MerchantID
	if dup, err := s.transferSeen(ctx, t); err != nil || dup {
		return err
	}
	status, note := TransferUnmatched, "the note carries no payment code"
	var target *paymentRef
	if !t.Incoming {
		status, note = TransferIgnored, "money out of the account"
	} else {
		for _, code := range referencesIn(t.Content) {
			ref, ok, err := s.locate(ctx, code)
			if err != nil {
				return err
			}
			if ok && ref.Method == MethodVietQR && ref.Merchant == m && ref.AccountRef == t.AccountNumber {
				target, note = &ref, ""
				break
			}
			note = "the note's code " + code + " is not a VietQR payment of this account"
		}
	}
	err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := paymentdb.New(tx)
		now := s.now()
		row := paymentdb.InsertTransferParams{ID: db.NewID(), MerchantID: string(m), ShopID: owner.ShopID, Provider: t.Provider,
			ProviderID: t.ID, Bank: t.Bank, AccountNumber: t.AccountNumber, Incoming: t.Incoming, Amount: int64(t.Amount),
			Content: t.Content, BankReference: t.Reference, BookedAt: t.At.UTC(), ReceivedAt: now}
		var p *Payment
		if target != nil {
			row.ShopID = target.ShopID
			var err error
			if status, note, p, err = s.matchTransfer(ctx, tx, *target, t, &row); err != nil {
				return err
			}
		}
		row.Status, row.Note = status, note
		if err := q.InsertTransfer(ctx, row); err != nil {
			return fmt.Errorf("record transfer: %w", err)
		}
		saved, err := q.GetTransfer(ctx, paymentdb.GetTransferParams{MerchantID: string(m), ID: row.ID})
		if err != nil {
			return err
		}
		if err := s.emitData(ctx, tx, m, EventTransferUpdated, row.ShopID, toTransfer(saved), p, now); err != nil {
			return err
		}
		return s.hook("transfer")
	})
	if apperr.KindOf(err) == apperr.Conflict {
		if dup, derr := s.transferSeen(ctx, t); derr == nil && dup {
			return nil // a concurrent copy of the same webhook recorded it first
		}
	}
	if err != nil {
		return fmt.Errorf("bank transfer %s/%s: %w", t.Provider, t.ID, err)
	}
	s.nudge()
	return nil
}

// transferSeen reports whether the line t was already recorded (across merchants: a system read).
func (s *Service) transferSeen(ctx context.Context, t banktransfer.Transfer) (bool, error) {
	seen := false
	err := s.db.WithSystemTx(ctx, "dedupe a bank-statement webhook by the service's id", func(tx *sql.Tx) error {
		_, err := paymentdb.New(tx).FindTransfer(ctx, paymentdb.FindTransferParams{Provider: t.Provider,
			AccountNumber: t.AccountNumber, ProviderID: t.ID})
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		seen = err == nil
		return err
	})
	return seen, err
}

// matchTransfer applies transfer t to the VietQR payment ref names, in tx: the whole amount settles it, less
// is a payment of its own (the intent waits for the rest), more or a payment no longer pending is unmatched.
func (s *Service) matchTransfer(ctx context.Context, tx *sql.Tx, ref paymentRef, t banktransfer.Transfer,
	row *paymentdb.InsertTransferParams) (string, string, *Payment, error) {
	m := ref.Merchant
	q := paymentdb.New(tx)
	p, err := lockPayment(ctx, q, m, ref.ID)
	if err != nil {
		return "", "", nil, err
	}
	due := money.VND(p.Amount)
	switch {
	case p.Status != StatusPending:
		return TransferUnmatched, "payment " + p.Reference + " is " + p.Status + ", no longer waiting", nil, nil
	case t.Amount > due:
		return TransferUnmatched, fmt.Sprintf("%s is more than the %s payment %s waits for", t.Amount, due, p.Reference), nil, nil
	case t.Amount == due:
		res, out, err := s.settleTx(ctx, tx, ref, outcome{Method: MethodVietQR, Amount: t.Amount, Paid: true,
			TxnID: transferTxnID(t), Code: "transfer", Actor: ProviderBankTransfer})
		if err != nil {
			return "", "", nil, err
		}
		row.PaymentID, row.OrderID = out.ID, out.OrderID
		if res == settledUnapplied {
			return TransferMatched, "the order no longer took it: the payment is unapplied, refund it", &out, nil
		}
		return TransferMatched, "", &out, nil
	}
	// Less than the intent: a payment of the amount that arrived; the intent waits for the rest.
	now := s.now()
	partID := db.NewID()
	part := paymentdb.InsertPaymentParams{ID: partID, MerchantID: string(m), ShopID: p.ShopID, OrderID: p.OrderID,
		Method: MethodVietQR, Amount: int64(t.Amount), Status: StatusPending, CreatedBy: ProviderBankTransfer, CreatedAt: now,
		Reference: newReference(), AccountRef: p.AccountRef}
	if err := q.InsertPayment(ctx, part); err != nil {
		return "", "", nil, fmt.Errorf("insert partial payment: %w", err)
	}
	if n, err := q.ReducePending(ctx, paymentdb.ReducePendingParams{Paid: int64(t.Amount), Now: now, MerchantID: string(m),
		ID: p.ID}); err != nil || n != 1 {
		return "", "", nil, fmt.Errorf("reduce payment %s by the partial transfer: %v", p.ID, err)
	}
	partRow, err := getPayment(ctx, q, m, partID)
	if err != nil {
		return "", "", nil, err
	}
	applied, _, err := s.applyGuarded(ctx, tx, m, partRow, t.Amount, ProviderBankTransfer)
	if err != nil {
		return "", "", nil, err
	}
	if err := markSucceeded(ctx, q, m, partID, StatusPending, outcome{TxnID: transferTxnID(t), Code: "transfer"}, applied, now); err != nil {
		return "", "", nil, err
	}
	if partRow, err = getPayment(ctx, q, m, partID); err != nil {
		return "", "", nil, err
	}
	out := toPayment(partRow)
	typ := EventSucceeded
	if !applied {
		typ = EventUnapplied
	}
	if err := s.emit(ctx, tx, m, typ, out, now); err != nil {
		return "", "", nil, err
	}
	rest, err := getPayment(ctx, q, m, p.ID)
	if err != nil {
		return "", "", nil, err
	}
	if err := s.emit(ctx, tx, m, EventUpdated, toPayment(rest), now); err != nil {
		return "", "", nil, err
	}
	row.PaymentID, row.OrderID = partID, p.OrderID
	return TransferPartial, fmt.Sprintf("%s of %s: payment %s waits for the other %s", t.Amount, due, p.Reference,
		due-t.Amount), &out, nil
}

// transferTxnID is the provider transaction id of a payment made by transfer t.
func transferTxnID(t banktransfer.Transfer) string { return t.Provider + ":" + t.ID }

// referencesIn lists the payment references in a transfer note, as banks rewrite it (see vietqr.NormalizeNote).
func referencesIn(content string) []string {
	n := vietqr.NormalizeNote(content)
	var out []string
	for i := 0; i+ReferenceLen <= len(n) && len(out) < 8; i++ {
		if strings.HasPrefix(n[i:], "GG") && isReference(n[i:i+ReferenceLen]) {
			out = append(out, n[i:i+ReferenceLen])
		}
	}
	return out
}

// ListTransfers pages shop shopID's bank transfers, newest first; status "" means any.
func (s *Service) ListTransfers(ctx context.Context, m tenant.ID, shopID, status, cursor string, limit int) ([]BankTransfer, string, error) {
	limit = clampLimit(limit)
	var out []BankTransfer
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		rows, err := paymentdb.New(tx).ListShopTransfers(ctx, paymentdb.ListShopTransfersParams{MerchantID: string(m),
			ShopID: shopID, Status: status, Cursor: cursor, MaxRows: int32(limit + 1)})
		if err != nil {
			return err
		}
		for _, r := range rows {
			out = append(out, toTransfer(r))
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("list bank transfers: %w", err)
	}
	next := ""
	if len(out) > limit {
		out, next = out[:limit], out[limit-1].ID
	}
	return out, next, nil
}

// AssignTransfer applies an unmatched incoming transfer to order orderID (of the transfer's shop) as a
// succeeded VietQR payment of its amount. Conflict when the transfer is no longer unmatched, or when the
// order takes less than the amount (amount due − pending holds: cancel pending payments first).
func (s *Service) AssignTransfer(ctx context.Context, m tenant.ID, transferID, orderID, actor string, allow func(string) error) (BankTransfer, error) {
	var t paymentdb.BankTransfer
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		t, err = paymentdb.New(tx).GetTransfer(ctx, paymentdb.GetTransferParams{MerchantID: string(m), ID: transferID})
		return err
	})
	if errors.Is(err, sql.ErrNoRows) || apperr.KindOf(err) == apperr.NotFound {
		return BankTransfer{}, apperr.E(apperr.NotFound, "bank transfer not found")
	}
	if err != nil {
		return BankTransfer{}, err
	}
	if err := allow(t.ShopID); err != nil {
		return BankTransfer{}, err
	}
	if t.Status != TransferUnmatched || !t.Incoming {
		return BankTransfer{}, apperr.Stale("the transfer is "+t.Status+": only an unmatched incoming transfer can be assigned", toTransfer(t))
	}
	st, err := s.orders.Due(ctx, m, orderID, allow)
	if err != nil {
		return BankTransfer{}, err
	}
	if st.ShopID != t.ShopID {
		return BankTransfer{}, apperr.WithField("body.order_id", "must be an order of the transfer's shop")
	}
	var out BankTransfer
	err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := paymentdb.New(tx)
		now := s.now()
		id := db.NewID()
		n, err := q.ResolveTransfer(ctx, paymentdb.ResolveTransferParams{Status: TransferAssigned, PaymentID: id, OrderID: orderID,
			Note: "", ResolvedBy: actor, Now: now, MerchantID: string(m), ID: transferID})
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.E(apperr.Conflict, "the transfer was resolved meanwhile")
		}
		if _, err := s.lockOrder(ctx, q, m, orderID, t.ShopID); err != nil {
			return err
		}
		if err := s.bumpOrder(ctx, q, m, orderID); err != nil {
			return err
		}
		held, err := s.holds(ctx, q, m, orderID, now)
		if err != nil {
			return err
		}
		state, err := s.orders.ApplyPayment(ctx, tx, m, orderID, id, MethodVietQR, money.VND(t.Amount), actor, allow)
		if err != nil {
			return err
		}
		if state.AmountDue < held {
			return apperr.Stale(fmt.Sprintf("%s of this order is held by pending payments: cancel them first", held), state.Order)
		}
		if err := q.InsertPayment(ctx, paymentdb.InsertPaymentParams{ID: id, MerchantID: string(m), ShopID: t.ShopID,
			OrderID: orderID, Method: MethodVietQR, Amount: t.Amount, Status: StatusSucceeded,
			ProviderRef: t.Provider + ":" + t.ProviderID, CreatedBy: actor, CreatedAt: now, Reference: newReference(),
			AccountRef: t.AccountNumber, Applied: true}); err != nil {
			return fmt.Errorf("insert payment: %w", err)
		}
		p, err := getPayment(ctx, q, m, id)
		if err != nil {
			return err
		}
		if err := s.emit(ctx, tx, m, EventSucceeded, toPayment(p), now); err != nil {
			return err
		}
		saved, err := q.GetTransfer(ctx, paymentdb.GetTransferParams{MerchantID: string(m), ID: transferID})
		if err != nil {
			return err
		}
		out = toTransfer(saved)
		return s.emitData(ctx, tx, m, EventTransferUpdated, t.ShopID, out, nil, now)
	})
	if err != nil {
		return BankTransfer{}, fmt.Errorf("assign bank transfer %s: %w", transferID, err)
	}
	s.nudge()
	return out, nil
}

// DismissTransfer sets an unmatched transfer aside with a reason (a personal transfer, a refund sent back by
// hand). Conflict when it is no longer unmatched.
func (s *Service) DismissTransfer(ctx context.Context, m tenant.ID, transferID, reason, actor string, allow func(string) error) (BankTransfer, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > maxReason {
		return BankTransfer{}, apperr.WithField("body.reason", "must say why, in at most 500 characters")
	}
	var out BankTransfer
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := paymentdb.New(tx)
		t, err := q.GetTransfer(ctx, paymentdb.GetTransferParams{MerchantID: string(m), ID: transferID})
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.E(apperr.NotFound, "bank transfer not found")
		}
		if err != nil {
			return err
		}
		if err := allow(t.ShopID); err != nil {
			return err
		}
		now := s.now()
		n, err := q.ResolveTransfer(ctx, paymentdb.ResolveTransferParams{Status: TransferDismissed, Note: reason,
			ResolvedBy: actor, Now: now, MerchantID: string(m), ID: transferID})
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.Stale("the transfer is "+t.Status+": only an unmatched transfer can be dismissed", toTransfer(t))
		}
		saved, err := q.GetTransfer(ctx, paymentdb.GetTransferParams{MerchantID: string(m), ID: transferID})
		if err != nil {
			return err
		}
		out = toTransfer(saved)
		return s.emitData(ctx, tx, m, EventTransferUpdated, t.ShopID, out, nil, now)
	})
	if err != nil {
		return BankTransfer{}, fmt.Errorf("dismiss bank transfer %s: %w", transferID, err)
	}
	s.nudge()
	return out, nil
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 200:
		return 200
	}
	return n
}

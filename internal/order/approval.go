package order

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/goodgo/goodgo/internal/order/orderdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Voids above a shop's threshold need a manager.
//
// A shop may set a value (void_approval_threshold) above which voiding lines already sent to the kitchen, or
// cancelling an order with such lines, needs a manager: either the caller's own role approves (owner,
// manager), or a manager types their PIN on the caller's terminal and it comes with the request as approval.
// Lines not yet sent cost nothing to take back and never need approval. The PIN is checked before the
// order's transaction (its lockout bookkeeping has transactions of its own); whether the change needs it is
// decided inside the transaction against the order as it is then. Every void above the threshold is written
// to the merchant's audit log with who asked and who approved.

// EventVoidApproved is the audit entry of a void (or cancellation) above the shop's threshold.
const EventVoidApproved = "order.void_approved"

// approval checks the manager's PIN given with c, if any, and returns the manager's id ("" without one).
func (s *Service) approval(ctx context.Context, m tenant.ID, orderID string, c Change) (string, error) {
	if c.Approval == nil {
		return "", nil
	}
	if s.approve == nil {
		return "", apperr.WithField("body.approval", "approval by PIN is not available here")
	}
	var shopID string
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		r, err := orderdb.New(tx).GetOrder(ctx, orderdb.GetOrderParams{MerchantID: string(m), ID: orderID})
		if err != nil {
			return fmt.Errorf("order %s: %w", orderID, err)
		}
		shopID = r.ShopID
		return nil
	})
	if err != nil {
		return "", err
	}
	if c.Allow != nil {
		if err := c.Allow(shopID); err != nil {
			return "", err
		}
	}
	id, err := s.approve.ApproveVoid(ctx, m, shopID, c.Approval.StaffID, c.Approval.PIN)
	if err != nil {
		return "", apperr.Located(err, "body.approval")
	}
	return id, nil
}

// approveVoid decides, inside the change's transaction, whether voiding worth đồng of sent lines of o needs
// a manager and who approved it; it returns the approver to record ("" when none was needed or given).
func (s *Service) approveVoid(ctx context.Context, tx *sql.Tx, m tenant.ID, o *Order, worth money.VND, approver string,
	c Change, now time.Time, detail map[string]any) (string, error) {
	terms, err := s.shops.Terms(ctx, tx, m, o.ShopID)
	if err != nil {
		return "", err
	}
	limit := terms.VoidApprovalThreshold
	if limit <= 0 || worth <= limit {
		return approver, nil
	}
	switch {
	case c.Manager != nil && c.Manager(o.ShopID):
		approver = c.Actor
	case approver == "":
		return "", apperr.E(apperr.Forbidden, "voiding %s needs a manager (this shop's limit is %s): a manager's PIN must approve it",
			worth, limit)
	}
	if s.audit != nil {
		d := map[string]any{"order_id": o.ID, "shop_id": o.ShopID, "amount": worth, "threshold": limit, "approved_by": approver}
		for k, v := range detail {
			d[k] = v
		}
		if err := s.audit(ctx, tx, m, EventVoidApproved, c.Actor, d); err != nil {
			return "", err
		}
	}
	return approver, nil
}

package order

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/escpos"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// ReceiptInfo is what a receipt prints about the shop.
type ReceiptInfo struct {
	Name, Address, Header, Footer string
}

// Printer queues a receipt for a shop's receipt printer inside tx (the kitchen module's print queue).
type Printer interface {
	PrintReceipt(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID string, doc escpos.Document, reference string) (jobID string, err error)
}

// receiptDocument lays out an order's receipt: the shop, the order, each line with its options, the room's
// time, the totals as the customer pays them, the payments, and the shop's footer.
func receiptDocument(o Order, shop ReceiptInfo) escpos.Document {
	var d escpos.Document
	center := escpos.Style{Align: escpos.Center}
	d.Text(shop.Name, escpos.Style{Large: true, Bold: true, Align: escpos.Center})
	if shop.Address != "" {
		d.Text(shop.Address, center)
	}
	if shop.Header != "" {
		d.Text(shop.Header, center)
	}
	title := "HÓA ĐƠN"
	if o.Status != StatusPaid && o.Status != StatusClosed {
		title = "PHIẾU TẠM TÍNH" // a bill to check, not yet a receipt
	}
	d.Separator().Text(title, escpos.Style{Bold: true, Align: escpos.Center})
	d.Row(o.PlaceName, o.OpenedAt.In(ictZone).Format("15:04 02/01/2006"), escpos.Style{})
	d.Text("Số: "+o.ID[len(o.ID)-8:], escpos.Style{})
	d.Separator()
	for _, l := range o.Lines {
		if l.Status == "voided" {
			continue
		}
		name := l.Name
		if l.VariantName != "" {
			name += " (" + l.VariantName + ")"
		}
		d.Row(fmt.Sprintf("%d × %s", l.Quantity, name), amount(l.Amount), escpos.Style{})
		for _, mod := range l.Modifiers {
			d.Text("   + "+mod.Name, escpos.Style{})
		}
	}
	if tc := o.TimeCharge; tc != nil && tc.Amount > 0 {
		d.Row(fmt.Sprintf("Giờ hát: %d phút (tính %d)", tc.Minutes, tc.BilledMinutes), amount(tc.Amount), escpos.Style{})
	}
	d.Separator()
	t := o.Totals
	d.Row("Tạm tính", amount(t.Subtotal), escpos.Style{})
	if t.Discount > 0 {
		d.Row("Giảm giá", "-"+amount(t.Discount), escpos.Style{})
	}
	if t.ServiceCharge > 0 {
		d.Row(fmt.Sprintf("Phí dịch vụ %d%%", o.Terms.ServiceChargePercent), amount(t.ServiceCharge), escpos.Style{})
	}
	vatLabel := fmt.Sprintf("VAT %d%%", o.Terms.VATRatePercent)
	if o.Terms.PricesIncludeVAT {
		vatLabel += " (đã gồm)"
	}
	d.Row(vatLabel, amount(t.VAT), escpos.Style{})
	d.Row("TỔNG CỘNG", amount(t.Total), escpos.Style{Bold: true, Large: true})
	for _, p := range o.Payments {
		d.Row("Thanh toán "+methodName(p.Method), amount(p.Amount), escpos.Style{})
	}
	if t.AmountDue > 0 && len(o.Payments) > 0 {
		d.Row("Còn lại", amount(t.AmountDue), escpos.Style{Bold: true})
	}
	d.Separator()
	if shop.Footer != "" {
		d.Text(shop.Footer, center)
	}
	d.Text("Cảm ơn quý khách!", center).Feed(2).Cut()
	return d
}

func amount(v interface{ String() string }) string { return strings.TrimSuffix(v.String(), " ₫") }

func methodName(m string) string {
	switch m {
	case "cash":
		return "tiền mặt"
	case "vietqr":
		return "chuyển khoản"
	}
	return m
}

// Receipt returns the order's receipt (or, before it is paid, the bill to check) as a document.
func (s *Service) Receipt(ctx context.Context, m tenant.ID, orderID string, allow func(string) error) (escpos.Document, Order, error) {
	o, err := s.Get(ctx, m, orderID)
	if err != nil {
		return escpos.Document{}, Order{}, err
	}
	if allow != nil {
		if err := allow(o.ShopID); err != nil {
			return escpos.Document{}, Order{}, err
		}
	}
	info, err := s.shops.Receipt(ctx, m, o.ShopID)
	if err != nil {
		return escpos.Document{}, Order{}, err
	}
	return receiptDocument(o, info), o, nil
}

// PrintReceipt queues the order's receipt for the shop's receipt printer and returns the print job's id.
func (s *Service) PrintReceipt(ctx context.Context, m tenant.ID, orderID string, allow func(string) error) (string, error) {
	if s.printer == nil {
		return "", apperr.E(apperr.Conflict, "printing is not set up in this deployment")
	}
	doc, o, err := s.Receipt(ctx, m, orderID, allow)
	if err != nil {
		return "", err
	}
	var job string
	err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		job, err = s.printer.PrintReceipt(ctx, tx, m, o.ShopID, doc, o.ID)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("print receipt of %s: %w", orderID, err)
	}
	s.nudge()
	return job, nil
}

package order

import (
	"strings"
	"testing"

	"github.com/goodgo/goodgo/internal/platform/money"
)

func TestTotalsPerLineHalfUp(t *testing.T) {
	line := func(price money.VND, qty int, class string) Line {
		return Line{UnitPrice: price, Quantity: qty, TaxClass: class, Status: "sent"}
	}
	cases := []struct {
		name  string
		lines []Line
		terms Terms
		paid  money.VND
		want  Totals
	}{
		{"prices include VAT, service charge", []Line{line(29000, 2, "standard")}, Terms{VATRatePercent: 8, PricesIncludeVAT: true, ServiceChargePercent: 5}, 0,
			// 58,000 + 2,900 service = 60,900, of which VAT 60,900 × 8/108 = 4,511.1 → 4,511
			Totals{Subtotal: 58000, ServiceCharge: 2900, VAT: 4511, Total: 60900, AmountDue: 60900}},
		{"VAT added on top", []Line{line(29000, 2, "standard")}, Terms{VATRatePercent: 8, PricesIncludeVAT: false, ServiceChargePercent: 5}, 0,
			Totals{Subtotal: 58000, ServiceCharge: 2900, VAT: 4872, Total: 65772, AmountDue: 65772}},
		{"per line rounding, exempt and reduced", []Line{line(10005, 1, "standard"), line(20000, 1, "exempt"),
			line(33333, 1, "reduced")}, Terms{VATRatePercent: 10, PricesIncludeVAT: true, ServiceChargePercent: 0}, 0,
			// 10,005 × 10/110 = 909.5 → 910; exempt 0; 33,333 × 5/105 = 1,587.3 → 1,587
			Totals{Subtotal: 63338, VAT: 2497, Total: 63338, AmountDue: 63338}},
		{"voided lines count for nothing; paid reduces what is due", []Line{line(50000, 1, "standard"),
			{UnitPrice: 90000, Quantity: 3, Status: "voided"}}, Terms{VATRatePercent: 0, PricesIncludeVAT: true, ServiceChargePercent: 0}, 20000,
			Totals{Subtotal: 50000, Total: 50000, Paid: 20000, AmountDue: 30000}},
		{"overpaid is never negative due", []Line{line(1000, 1, "standard")}, Terms{VATRatePercent: 0, PricesIncludeVAT: true, ServiceChargePercent: 0}, 5000,
			Totals{Subtotal: 1000, Total: 1000, Paid: 5000, AmountDue: 0}},
	}
	for _, c := range cases {
		if got := computeTotals(c.lines, c.terms, c.paid, 0, nil); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestReceiptShowsWhatTheCustomerPays(t *testing.T) {
	o := Order{ID: "0190c0de-0000-7000-8000-0000abcd1234", PlaceName: "Bàn 5", Status: StatusPaid,
		Terms: Terms{VATRatePercent: 8, PricesIncludeVAT: true, ServiceChargePercent: 5},
		Lines: []Line{{Name: "Cà phê sữa đá", Quantity: 2, UnitPrice: 34000, Amount: 68000, Status: "sent",
			Modifiers: []LineModifier{{Name: "Thêm sữa"}}}, {Name: "Bánh flan", Quantity: 1, Status: "voided"}},
		Payments: []AppliedPayment{{Method: "cash", Amount: 71400}}}
	o.Totals = computeTotals(o.Lines, o.Terms, 71400, 0, nil)
	doc := receiptDocument(o, ReceiptInfo{Name: "Phở Hà Nội", Footer: "Hẹn gặp lại"})
	var text []string
	for _, b := range doc.Blocks {
		text = append(text, b.Text+"|"+b.Right)
	}
	joined := strings.Join(text, "\n")
	for _, want := range []string{"HÓA ĐƠN|", "2 × Cà phê sữa đá|68.000", "   + Thêm sữa|", "Phí dịch vụ 5%|3.400",
		"VAT 8% (đã gồm)|5.289", "TỔNG CỘNG|71.400", "Thanh toán tiền mặt|71.400", "Hẹn gặp lại|"} {
		if !strings.Contains(joined, want) {
			t.Errorf("receipt lacks %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "Bánh flan") || strings.Contains(joined, "Còn lại") {
		t.Errorf("a voided line or a balance on a paid receipt:\n%s", joined)
	}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestDiscountsAreSharedBeforeServiceAndVAT(t *testing.T) {
	lines := []Line{
		{UnitPrice: 50000, Quantity: 2, TaxClass: "standard", Status: "sent", Discount: &Discount{Kind: "percent", Value: 10}},
		{UnitPrice: 30000, Quantity: 1, TaxClass: "standard", Status: "sent", Discount: &Discount{Kind: "fixed", Value: 50000}},
		{UnitPrice: 20000, Quantity: 1, TaxClass: "standard", Status: "sent"},
	}
	order := &Discount{Kind: "fixed", Value: 11000}
	got := computeTotals(lines, Terms{VATRatePercent: 10, PricesIncludeVAT: true}, 0, 0, order)
	// Lines: 100,000 − 10 % = 90,000; 30,000 − 50,000 → 0 (never below zero); 20,000. Net 110,000, less the
	// order's 11,000 shared 9,000 / 0 / 2,000 → 81,000 + 0 + 18,000 = 99,000.
	if lines[0].Discount.Amount != 10000 || lines[1].Discount.Amount != 30000 || order.Amount != 11000 {
		t.Errorf("discount amounts: %d %d %d", lines[0].Discount.Amount, lines[1].Discount.Amount, order.Amount)
	}
	if got.Subtotal != 150000 || got.Discount != 51000 || got.Total != 99000 || got.VAT != 7364+1636 {
		t.Errorf("totals: %+v", got)
	}
	pct := &Discount{Kind: "percent", Value: 100}
	if all := computeTotals(lines[2:], Terms{VATRatePercent: 8, PricesIncludeVAT: false}, 0, 0, pct); all.Total != 0 || all.VAT != 0 {
		t.Errorf("100 %% off: %+v", all)
	}
}

package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// The reports' files for people: CSV that spreadsheets open correctly (UTF-8 with a byte-order mark, so
// Excel reads Vietnamese; any text cell that a spreadsheet would run as a formula is neutralised with a
// leading apostrophe — names and reasons come from staff and customers), and a printable HTML page.

// utf8BOM starts every CSV file.
const utf8BOM = "\uFEFF"

// textCell neutralises a text cell a spreadsheet would read as a formula or a command (=, +, -, @, a tab
// or a carriage return first). Numbers are written with num, never through textCell, so a negative
// variance stays a number.
func textCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func num[T ~int | ~int64](v T) string { return strconv.FormatInt(int64(v), 10) }

// writeCSV encodes records (already made safe) as a CSV file with a byte-order mark.
func writeCSV(records [][]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(utf8BOM)
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	if err := w.WriteAll(records); err != nil {
		return nil, fmt.Errorf("write CSV: %w", err)
	}
	return b.Bytes(), nil
}

// StaffCSV is the staff table as a CSV file, in its order.
func StaffCSV(p StaffPerformance) ([]byte, error) {
	records := [][]string{{"Mã nhân viên", "Tên", "Số đơn", "Doanh thu", "Trung bình/đơn", "Phiếu bếp xong",
		"Phiếu đúng giờ", "% đúng giờ", "Số món hủy", "Giá trị hủy"}}
	for _, it := range p.Items {
		percent := ""
		if it.OnTimePercent != nil {
			percent = strconv.FormatFloat(*it.OnTimePercent, 'f', 1, 64)
		}
		records = append(records, []string{textCell(it.StaffID), textCell(it.Name), num(it.Orders), num(it.Revenue),
			num(it.AverageTicket), num(it.TicketsReady), num(it.TicketsOnTime), percent, num(it.Voids), num(it.VoidsAmount)})
	}
	return writeCSV(records)
}

// EndOfDayCSV is the Z report as a CSV file: one row per figure, grouped by section (section, item,
// detail, quantity, amount).
func EndOfDayCSV(r EndOfDay) ([]byte, error) {
	rec := [][]string{{"Mục", "Khoản", "Chi tiết", "Số lượng", "Số tiền"},
		{"Báo cáo", textCell(r.ShopName), r.Date, "", ""}}
	count := func(item string, n int64) { rec = append(rec, []string{"Tổng hợp", item, "", num(n), ""}) }
	amount := func(section, item, detail string, n string, v money.VND) {
		rec = append(rec, []string{section, textCell(item), textCell(detail), n, num(v)})
	}
	count("Số đơn", r.Orders)
	count("Số khách", r.Guests)
	count("Đơn hủy", r.CancelledOrders)
	for _, f := range []struct {
		item string
		v    money.VND
	}{{"Doanh số gộp", r.GrossSales}, {"Giảm giá", r.Discounts}, {"Phí dịch vụ", r.ServiceCharge}, {"VAT", r.VAT},
		{"Tổng tiền hóa đơn", r.Total}, {"Doanh số thuần (trước VAT)", r.NetSales}, {"Doanh thu", r.Revenue},
		{"Hoàn tiền", r.Refunds}, {"Trung bình/đơn", r.AverageTicket}} {
		amount("Tổng hợp", f.item, "", "", f.v)
	}
	for _, p := range r.ByPaymentMethod {
		amount("Thanh toán", p.Method, "hoàn "+num(p.Refunded), num(p.Count), p.Amount)
	}
	for _, c := range r.ByCategory {
		amount("Danh mục", c.Name, "", num(c.Quantity), c.Revenue)
	}
	for _, s := range r.ByStaff {
		amount("Nhân viên", s.Name, "", num(s.Orders), s.Revenue)
	}
	for _, v := range r.Voids {
		detail := v.Reason + " — " + v.VoidedByName
		if v.ApprovedBy != "" {
			detail += " (duyệt: " + v.ApprovedByName + ")"
		}
		amount("Hủy món", v.Name, detail, num(v.Quantity), v.Amount)
	}
	c := r.Cash
	for _, f := range []struct {
		item string
		v    money.VND
	}{{"Tiền đầu ca", c.OpeningCash}, {"Thu tiền mặt", c.CashSales}, {"Hoàn tiền mặt", c.CashRefunds},
		{"Nộp thêm", c.CashIn}, {"Rút ra", c.CashOut}, {"Phải có", c.ExpectedCash}, {"Đếm được", c.CountedCash},
		{"Chênh lệch", c.Variance}} {
		amount("Tiền mặt", f.item, "", "", f.v)
	}
	return writeCSV(rec)
}

// EndOfDayHTML is the Z report as a page to print (A4 or a receipt printer's roll; no scripts).
func EndOfDayHTML(r EndOfDay) ([]byte, error) {
	var b bytes.Buffer
	if err := eodPage.Execute(&b, r); err != nil {
		return nil, fmt.Errorf("render end-of-day page: %w", err)
	}
	return b.Bytes(), nil
}

var eodPage = template.Must(template.New("eod").Funcs(template.FuncMap{
	"vnd":   func(v money.VND) string { return v.String() },
	"local": func(t time.Time) string { return t.In(clock.VietnamZone).Format("15:04") },
}).Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<title>Báo cáo cuối ngày {{.ShopName}} {{.Date}}</title>
<style>
@page { size: A4; margin: 12mm; }
body { font-family: "Liberation Sans", Arial, sans-serif; font-size: 11pt; color: #000; max-width: 180mm; margin: 0 auto; }
h1 { font-size: 16pt; margin: 0 0 2mm; } h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #000; }
table { width: 100%; border-collapse: collapse; } td, th { padding: 1mm 0; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; white-space: nowrap; } tr.total td { font-weight: bold; border-top: 1px solid #000; }
.muted { color: #444; font-size: 9pt; }
@media print { h2 { break-after: avoid; } table { break-inside: auto; } tr { break-inside: avoid; } }
</style></head><body>
<h1>Báo cáo cuối ngày (Z)</h1>
<div>{{.ShopName}} — ngày {{.Date}}</div>
<h2>Tổng hợp</h2>
<table>
<tr><td>Số đơn</td><td class="n">{{.Orders}}</td></tr>
<tr><td>Số khách</td><td class="n">{{.Guests}}</td></tr>
<tr><td>Đơn hủy</td><td class="n">{{.CancelledOrders}}</td></tr>
<tr><td>Doanh số gộp</td><td class="n">{{vnd .GrossSales}}</td></tr>
<tr><td>Giảm giá</td><td class="n">{{vnd .Discounts}}</td></tr>
<tr><td>Phí dịch vụ</td><td class="n">{{vnd .ServiceCharge}}</td></tr>
<tr><td>VAT</td><td class="n">{{vnd .VAT}}</td></tr>
<tr><td>Tổng tiền hóa đơn</td><td class="n">{{vnd .Total}}</td></tr>
<tr><td>Doanh số thuần (trước VAT)</td><td class="n">{{vnd .NetSales}}</td></tr>
<tr><td>Hoàn tiền</td><td class="n">{{vnd .Refunds}}</td></tr>
<tr class="total"><td>Doanh thu</td><td class="n">{{vnd .Revenue}}</td></tr>
<tr><td>Trung bình/đơn</td><td class="n">{{vnd .AverageTicket}}</td></tr>
</table>
<h2>Theo phương thức thanh toán</h2>
<table><tr><th>Phương thức</th><th class="n">Số lần</th><th class="n">Hoàn</th><th class="n">Số tiền</th></tr>
{{range .ByPaymentMethod}}<tr><td>{{.Method}}</td><td class="n">{{.Count}}</td><td class="n">{{vnd .Refunded}}</td><td class="n">{{vnd .Amount}}</td></tr>
{{else}}<tr><td class="muted" colspan="4">Không có</td></tr>{{end}}</table>
<h2>Theo danh mục</h2>
<table><tr><th>Danh mục</th><th class="n">Số lượng</th><th class="n">Doanh thu</th></tr>
{{range .ByCategory}}<tr><td>{{.Name}}</td><td class="n">{{.Quantity}}</td><td class="n">{{vnd .Revenue}}</td></tr>
{{else}}<tr><td class="muted" colspan="3">Không có</td></tr>{{end}}</table>
<h2>Theo nhân viên</h2>
<table><tr><th>Nhân viên</th><th class="n">Số đơn</th><th class="n">Doanh thu</th></tr>
{{range .ByStaff}}<tr><td>{{.Name}}</td><td class="n">{{.Orders}}</td><td class="n">{{vnd .Revenue}}</td></tr>
{{else}}<tr><td class="muted" colspan="3">Không có</td></tr>{{end}}</table>
<h2>Hủy món</h2>
<table><tr><th>Giờ</th><th>Món</th><th>Lý do — người hủy</th><th class="n">SL</th><th class="n">Giá trị</th></tr>
{{range .Voids}}<tr><td>{{local .VoidedAt}}</td><td>{{.Name}}</td><td>{{.Reason}} — {{.VoidedByName}}{{if .ApprovedBy}} (duyệt: {{.ApprovedByName}}){{end}}</td><td class="n">{{.Quantity}}</td><td class="n">{{vnd .Amount}}</td></tr>
{{else}}<tr><td class="muted" colspan="5">Không có</td></tr>{{end}}
<tr class="total"><td colspan="4">Tổng giá trị hủy</td><td class="n">{{vnd .VoidsAmount}}</td></tr></table>
<h2>Tiền mặt</h2>
{{with .Cash}}<table>
<tr><td>Tiền đầu ca</td><td class="n">{{vnd .OpeningCash}}</td></tr>
<tr><td>Thu tiền mặt</td><td class="n">{{vnd .CashSales}}</td></tr>
<tr><td>Hoàn tiền mặt</td><td class="n">{{vnd .CashRefunds}}</td></tr>
<tr><td>Nộp thêm</td><td class="n">{{vnd .CashIn}}</td></tr>
<tr><td>Rút ra</td><td class="n">{{vnd .CashOut}}</td></tr>
<tr class="total"><td>Phải có</td><td class="n">{{vnd .ExpectedCash}}</td></tr>
<tr><td>Đếm được</td><td class="n">{{vnd .CountedCash}}</td></tr>
<tr><td>Chênh lệch</td><td class="n">{{vnd .Variance}}</td></tr>
</table>{{end}}
<h2>Các ca đã đóng</h2>
<table><tr><th>Thu ngân</th><th>Giờ</th><th class="n">Phải có</th><th class="n">Đếm được</th><th class="n">Chênh lệch</th></tr>
{{range .Cash.Shifts}}<tr><td>{{.CashierName}}</td><td>{{local .OpenedAt}}–{{local .ClosedAt}}</td><td class="n">{{vnd .ExpectedCash}}</td><td class="n">{{vnd .CountedCash}}</td><td class="n">{{vnd .Variance}}</td></tr>
{{else}}<tr><td class="muted" colspan="5">Không có ca nào đóng trong ngày</td></tr>{{end}}
</table>
</body></html>
`))

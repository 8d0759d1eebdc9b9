package app

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestPaymentsThroughTheServerWithSimulators pays one bill with a VietQR transfer reported by the bank
// simulator's webhook and a VNPay payment clicked through the VNPay simulator, whose IPN confirms it; a
// refund reopens the balance, cash settles it, the order closes. Forged callbacks change nothing.
func TestPaymentsThroughTheServerWithSimulators(t *testing.T) {
	cfg := testConfig(t)
	cfg.PaymentSimulators = true
	base, _ := start(t, cfg, modules())
	w := &isolationWorld{base: base}
	owner := w.must(t, "POST", "/api/v1/auth/register", "", map[string]string{"email": "pay@quan.vn",
		"password": "Thanh toán đủ cách 2026", "full_name": "Chủ quán", "merchant_name": "Quán Trả"}, 201)["access_token"].(string)
	shopID := w.must(t, "POST", "/api/v1/shops", owner, map[string]any{"name": "Bún chả", "business_type": "restaurant",
		"vat_rate_percent": 8}, 201)["id"].(string)
	sp := "/api/v1/shops/" + shopID
	w.must(t, "PATCH", sp, owner, map[string]any{"bank_bin": "970436", "bank_account_number": demoBankAccount,
		"bank_account_name": "QUAN TRA"}, 200)
	cat := w.must(t, "POST", "/api/v1/categories", owner, map[string]any{"name": "Món", "station": "kitchen"}, 201)["id"].(string)
	dish := w.must(t, "POST", "/api/v1/products", owner, map[string]any{"name": "Bún chả Hà Nội", "category_id": cat, "price": 100000}, 201)["id"].(string)
	orderID := w.must(t, "POST", sp+"/orders", owner, map[string]any{"type": "takeaway"}, 201)["id"].(string)
	op := "/api/v1/orders/" + orderID
	w.must(t, "POST", op+"/lines", owner, map[string]any{"product_id": dish, "quantity": 1}, 201)
	paymentStatus := func(id string) string {
		return w.must(t, "GET", "/api/v1/payments/"+id, owner, nil, 200)["status"].(string)
	}

	// VietQR for 40,000 đ: the code carries our reference; the customer's transfer reaches the webhook.
	qr := w.must(t, "POST", op+"/payments", owner, map[string]any{"method": "vietqr", "amount": 40000}, 201)
	qrPay := qr["payment"].(map[string]any)
	ref := qrPay["reference"].(string)
	if !strings.Contains(qr["qr_payload"].(string), ref) || !strings.HasPrefix(qr["qr_payload"].(string), "000201010212") {
		t.Fatalf("VietQR payload: %v", qr)
	}
	if code, body := request(t, "GET", base+"/api/v1/payments/"+qrPay["id"].(string)+"/qr.png", owner, nil, nil); code != 200 ||
		!strings.HasPrefix(string(body), "\x89PNG") {
		t.Fatalf("QR image: %d", code)
	}
	// Overpaying is refused while the VietQR intent holds its 40,000 đ.
	w.must(t, "POST", op+"/payments", owner, map[string]any{"method": "cash", "amount": 60001}, 409)
	res, err := http.PostForm(base+"/sim/bank/transfers", url.Values{"amount": {"40000"}, "content": {"CK " + ref + " thanh toan"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	eventually(t, "the VietQR payment succeeds", func() (bool, string) {
		st := paymentStatus(qrPay["id"].(string))
		return st == "succeeded", st
	})

	// VNPay for the other 60,000 đ, clicked through the simulator's pay page; its IPN confirms it.
	vnp := w.must(t, "POST", op+"/payments", owner, map[string]any{"method": "vnpay", "amount": 60000,
		"return_url": base + "/pos/orders/" + orderID}, 201)
	vnpPay := vnp["payment"].(map[string]any)
	payURL := vnp["payment_url"].(string)
	if !strings.HasPrefix(payURL, base+"/sim/vnpay/paymentv2/vpcpay.html?") || !strings.Contains(payURL, "vnp_SecureHash=") {
		t.Fatalf("VNPay URL: %s", payURL)
	}
	page, err := http.Get(payURL)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(string(html))
	if page.StatusCode != 200 || token == nil {
		t.Fatalf("VNPay pay page: %d %s", page.StatusCode, html)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	done, err := noRedirect.PostForm(base+"/sim/vnpay/paymentv2/vpcpay.html", url.Values{"vnp_TxnRef": {vnpPay["reference"].(string)},
		"token": {token[1]}, "action": {"pay"}})
	if err != nil {
		t.Fatal(err)
	}
	done.Body.Close()
	if done.StatusCode/100 != 3 || !strings.HasPrefix(done.Header.Get("Location"), base+"/api/v1/payments/vnpay/return?") {
		t.Fatalf("after paying, the browser comes back through our return page: %d %s", done.StatusCode, done.Header.Get("Location"))
	}
	back, err := noRedirect.Get(done.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	back.Body.Close()
	if back.StatusCode/100 != 3 || !strings.HasPrefix(back.Header.Get("Location"), base+"/pos/orders/"+orderID) {
		t.Fatalf("the return page sends the browser to the POS's return URL: %d %s", back.StatusCode, back.Header.Get("Location"))
	}
	eventually(t, "the VNPay IPN settles the order", func() (bool, string) {
		st := w.must(t, "GET", op, owner, nil, 200)["status"].(string)
		return st == "paid", st
	})

	// A forged IPN for the same payment is refused with VNPay's 97 and changes nothing.
	forged := url.Values{"vnp_TxnRef": {vnpPay["reference"].(string)}, "vnp_Amount": {"6000000"}, "vnp_ResponseCode": {"00"},
		"vnp_TransactionStatus": {"00"}, "vnp_TransactionNo": {"999"}, "vnp_TmnCode": {"GOODGODEMO"}, "vnp_SecureHash": {"00ff"}}
	if code, body := request(t, "GET", base+"/api/v1/payments/vnpay/ipn?"+forged.Encode(), "", nil, nil); code != 200 ||
		!strings.Contains(string(body), `"RspCode":"97"`) {
		t.Fatalf("forged IPN: %d %s", code, body)
	}

	// A manager refunds 10,000 đ of the transfer: the balance reopens; cash settles it; the order closes.
	w.must(t, "POST", "/api/v1/payments/"+qrPay["id"].(string)+"/refunds", owner, map[string]any{"amount": 10000,
		"reason": "khách chuyển nhầm thừa"}, 201)
	if o := w.must(t, "GET", op, owner, nil, 200); o["status"] != "billing" || o["totals"].(map[string]any)["amount_due"].(float64) != 10000 {
		t.Fatalf("after the refund: %v %v", o["status"], o["totals"])
	}
	w.must(t, "POST", op+"/payments", owner, map[string]any{"method": "cash", "amount": 10000, "tendered": 20000}, 201)
	closed := w.must(t, "POST", op+"/close", owner, nil, 200)
	if closed["status"] != "closed" || len(closed["payments"].([]any)) != 3 {
		t.Fatalf("closed: %v", closed)
	}
}

// TestCustomerPaysFromTheTable: a customer orders from the table's QR code and pays what is due by VietQR from
// their phone; asking twice shows the same payment; the bank's webhook settles the order, which the phone sees.
func TestCustomerPaysFromTheTable(t *testing.T) {
	cfg := testConfig(t)
	cfg.PaymentSimulators = true
	base, _ := start(t, cfg, modules())
	w := &isolationWorld{base: base}
	owner := w.must(t, "POST", "/api/v1/auth/register", "", map[string]string{"email": "ban@quan.vn",
		"password": "Khách tự trả tiền 2026", "full_name": "Chủ quán", "merchant_name": "Quán Bàn"}, 201)["access_token"].(string)
	shopID := w.must(t, "POST", "/api/v1/shops", owner, map[string]any{"name": "Cà phê sân", "business_type": "cafe",
		"vat_rate_percent": 8}, 201)["id"].(string)
	sp := "/api/v1/shops/" + shopID
	w.must(t, "PATCH", sp, owner, map[string]any{"bank_bin": "970436", "bank_account_number": demoBankAccount,
		"bank_account_name": "CA PHE SAN", "qr_orders_need_confirmation": false}, 200)
	area := w.must(t, "POST", sp+"/areas", owner, map[string]any{"name": "Sân"}, 201)["id"].(string)
	token := w.must(t, "POST", sp+"/tables", owner, map[string]any{"area_id": area, "name": "S1", "seats": 2}, 201)["qr_token"].(string)
	cat := w.must(t, "POST", "/api/v1/categories", owner, map[string]any{"name": "Cà phê", "station": "bar"}, 201)["id"].(string)
	coffee := w.must(t, "POST", "/api/v1/products", owner, map[string]any{"name": "Cà phê muối", "category_id": cat, "price": 45000}, 201)["id"].(string)
	tp := "/api/v1/public/tables/" + token
	w.must(t, "POST", tp+"/payments", "", map[string]any{"method": "vietqr"}, 404) // nothing ordered yet
	w.must(t, "POST", tp+"/orders", "", map[string]any{"lines": []map[string]any{{"product_id": coffee, "quantity": 2}}}, 201)

	pay := w.must(t, "POST", tp+"/payments", "", map[string]any{"method": "vietqr"}, 201)
	if pay["amount"].(float64) != 90000 || pay["status"] != "pending" || !strings.Contains(pay["qr_payload"].(string), pay["reference"].(string)) {
		t.Fatalf("customer's VietQR: %v", pay)
	}
	again := w.must(t, "POST", tp+"/payments", "", map[string]any{"method": "vietqr"}, 201)
	if again["payment_id"] != pay["payment_id"] || again["qr_payload"] != pay["qr_payload"] {
		t.Fatalf("asking again shows the same payment: %v", again)
	}
	w.must(t, "POST", tp+"/payments", "", map[string]any{"method": "cash"}, 422)
	img, err := http.Get(pay["public_qr_url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	img.Body.Close()
	if img.StatusCode != 200 || !strings.HasPrefix(img.Header.Get("Content-Type"), "image/svg+xml") {
		t.Fatalf("public QR image: %d %s", img.StatusCode, img.Header.Get("Content-Type"))
	}
	res, err := http.PostForm(base+"/sim/bank/transfers", url.Values{"amount": {"90000"}, "content": {pay["reference"].(string)}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	eventually(t, "the phone sees the order paid", func() (bool, string) {
		st := w.must(t, "GET", tp+"/order", "", nil, 200)["status"].(string)
		return st == "paid", st
	})
	w.must(t, "POST", tp+"/payments", "", map[string]any{"method": "vnpay"}, 409) // nothing due any more
}

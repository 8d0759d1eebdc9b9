package vnpay

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
)

func testPayRequest() PayRequest {
	return PayRequest{
		TxnRef: "GG-20240521-0001", Amount: 185000, OrderInfo: "Thanh toán đơn hàng #42",
		OrderType: "180000", IPAddr: "203.0.113.7", ReturnURL: "https://shop.example/pay/return?o=42",
		CreatedAt: time.Date(2024, 5, 21, 2, 17, 31, 0, time.UTC), // 09:17:31 in Hà Nội
	}
}

func TestPayURLParamsAndSignature(t *testing.T) {
	c, err := New(Config{TmnCode: "DEMOV210", HashSecret: "s3cret", PayURL: SandboxPayURL})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := c.PayURL(testPayRequest())
	if err != nil {
		t.Fatal(err)
	}
	base, query, _ := strings.Cut(raw, "?")
	if base != SandboxPayURL {
		t.Fatalf("base = %s", base)
	}
	signedPart, hash, ok := strings.Cut(query, "&vnp_SecureHash=")
	if !ok || strings.Contains(hash, "&") {
		t.Fatalf("vnp_SecureHash must come last: %s", query)
	}
	if hash != hmacHex("s3cret", signedPart) {
		t.Fatal("hash is not HMAC-SHA512 of the query before it")
	}
	v, _ := url.ParseQuery(query)
	want := map[string]string{
		"vnp_Version": "2.1.0", "vnp_Command": "pay", "vnp_TmnCode": "DEMOV210", "vnp_Amount": "18500000",
		"vnp_CreateDate": "20240521091731", "vnp_ExpireDate": "20240521093231", "vnp_CurrCode": "VND",
		"vnp_IpAddr": "203.0.113.7", "vnp_Locale": "vn", "vnp_OrderInfo": "Thanh toan don hang 42",
		"vnp_OrderType": "180000", "vnp_ReturnUrl": "https://shop.example/pay/return?o=42", "vnp_TxnRef": "GG-20240521-0001",
	}
	for k, w := range want {
		if got := v.Get(k); got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
	for _, absent := range []string{"vnp_SecureHashType", "vnp_BankCode"} {
		if v.Has(absent) {
			t.Errorf("%s must not be sent", absent)
		}
	}
	if len(v) != len(want)+1 {
		t.Errorf("%d params, want %d", len(v), len(want)+1)
	}
	if !strings.Contains(signedPart, "vnp_OrderInfo=Thanh+toan+don+hang+42") ||
		!strings.Contains(signedPart, "vnp_ReturnUrl=https%3A%2F%2Fshop.example%2Fpay%2Freturn%3Fo%3D42") {
		t.Errorf("not form-encoded like VNPay's sample: %s", signedPart)
	}
	if err := VerifyValues("s3cret", v); err != nil {
		t.Errorf("own URL does not verify: %v", err)
	}
}

func TestPayURLUsesClockAndDefaultExpiryInGMT7(t *testing.T) {
	now := time.Date(2024, 12, 31, 17, 50, 0, 0, time.UTC) // 00:50 on 1 Jan 2025 in Hà Nội
	c, _ := New(Config{TmnCode: "T", HashSecret: "s", PayURL: SandboxPayURL, Clock: clock.NewFake(now)})
	r := testPayRequest()
	r.CreatedAt = time.Time{}
	r.BankCode = "VNBANK"
	raw, err := c.PayURL(r)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	if q.Get("vnp_CreateDate") != "20250101005000" || q.Get("vnp_ExpireDate") != "20250101010500" {
		t.Fatalf("dates %s / %s", q.Get("vnp_CreateDate"), q.Get("vnp_ExpireDate"))
	}
	if q.Get("vnp_BankCode") != "VNBANK" {
		t.Fatalf("bank code %q", q.Get("vnp_BankCode"))
	}
}

func TestPayURLRejectsBadRequests(t *testing.T) {
	c, _ := New(Config{TmnCode: "T", HashSecret: "s", PayURL: SandboxPayURL})
	tests := []struct {
		name  string
		edit  func(*PayRequest)
		field string
	}{
		{"txn ref with space", func(r *PayRequest) { r.TxnRef = "GG 1" }, "txn_ref"},
		{"txn ref with tilde", func(r *PayRequest) { r.TxnRef = "GG~1" }, "txn_ref"},
		{"empty txn ref", func(r *PayRequest) { r.TxnRef = "" }, "txn_ref"},
		{"zero amount", func(r *PayRequest) { r.Amount = 0 }, "amount"},
		{"too large", func(r *PayRequest) { r.Amount = MaxAmount + 1 }, "amount"},
		{"info only symbols", func(r *PayRequest) { r.OrderInfo = "#!?" }, "order_info"},
		{"bad order type", func(r *PayRequest) { r.OrderType = "Food & Drink" }, "order_type"},
		{"bad bank code", func(r *PayRequest) { r.BankCode = "ncb" }, "bank_code"},
		{"bad locale", func(r *PayRequest) { r.Locale = "fr" }, "locale"},
		{"bad ip", func(r *PayRequest) { r.IPAddr = "localhost" }, "ip_addr"},
		{"relative return", func(r *PayRequest) { r.ReturnURL = "/pay/return" }, "return_url"},
		{"expiry before creation", func(r *PayRequest) { r.ExpiresAt = r.CreatedAt.Add(-time.Minute) }, "expires_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testPayRequest()
			tt.edit(&r)
			_, err := c.PayURL(r)
			f := apperr.Fields(err)
			if !apperr.Is(err, apperr.Invalid) || len(f) != 1 || f[0].Field != tt.field {
				t.Fatalf("err = %v, fields %+v; want one on %s", err, f, tt.field)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{HashSecret: "s"},
		{TmnCode: "T"},
		{TmnCode: "T", HashSecret: "s", PayURL: "sandbox.vnpayment.vn/paymentv2/vpcpay.html"},
		{TmnCode: "T", HashSecret: "s", APIURL: "https://x.example/api?a=1"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

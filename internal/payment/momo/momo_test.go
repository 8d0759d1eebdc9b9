package momo

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

func TestSignIsHMACSHA256Hex(t *testing.T) {
	// RFC 4231 test case 2.
	if got := Sign("Jefe", "what do ya want for nothing?"); got != "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Fatalf("Sign = %s", got)
	}
}

// The raw strings must list exactly the keys of spec §3 in that order, values raw (no URL encoding).
func TestRawSignatureOrdersMatchSpec(t *testing.T) {
	create := CreateBody{PartnerCode: "MOMO", RequestID: "R1", Amount: 50000, OrderID: "GG-1", OrderInfo: "Thanh toán bàn 5",
		RedirectURL: "https://shop.example/r?a=1&b=2", IPNURL: "https://shop.example/ipn", RequestType: CaptureWallet, ExtraData: ""}
	query := QueryBody{PartnerCode: "MOMO", RequestID: "R2", OrderID: "GG-1"}
	refund := RefundBody{PartnerCode: "MOMO", OrderID: "GG-1-RF1", RequestID: "R3", Amount: 20000, TransID: 2820086739, Description: "trả món"}
	ipn := IPNBody{PartnerCode: "MOMO", OrderID: "GG-1", RequestID: "R1", Amount: "50000", OrderInfo: "Thanh toán bàn 5",
		OrderType: "momo_wallet", TransID: "2820086739", ResultCode: "0", Message: "Successful.", PayType: "qr",
		ResponseTime: "1672315843986", ExtraData: ""}
	tests := []struct{ got, want string }{
		{create.RawSignature("AK"), "accessKey=AK&amount=50000&extraData=&ipnUrl=https://shop.example/ipn&orderId=GG-1&orderInfo=Thanh toán bàn 5&partnerCode=MOMO&redirectUrl=https://shop.example/r?a=1&b=2&requestId=R1&requestType=captureWallet"},
		{query.RawSignature("AK"), "accessKey=AK&orderId=GG-1&partnerCode=MOMO&requestId=R2"},
		{refund.RawSignature("AK"), "accessKey=AK&amount=20000&description=trả món&orderId=GG-1-RF1&partnerCode=MOMO&requestId=R3&transId=2820086739"},
		{ipn.RawSignature("AK"), "accessKey=AK&amount=50000&extraData=&message=Successful.&orderId=GG-1&orderInfo=Thanh toán bàn 5&orderType=momo_wallet&partnerCode=MOMO&payType=qr&requestId=R1&responseTime=1672315843986&resultCode=0&transId=2820086739"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("raw\n got %s\nwant %s", tt.got, tt.want)
		}
	}
}

func testClient(t *testing.T, endpoint string) *Client {
	t.Helper()
	c, err := New(Config{PartnerCode: "MOMO", AccessKey: "AK", SecretKey: "SK", Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func signedIPN() IPNBody {
	b := IPNBody{PartnerCode: "MOMO", OrderID: "GG-1", RequestID: "R1", Amount: "50000", OrderInfo: "Thanh toán bàn 5",
		OrderType: "momo_wallet", TransID: "2820086739", ResultCode: "0", Message: "Successful.", PayType: "qr",
		ResponseTime: "1672315843986", ExtraData: ""}
	b.Signature = Sign("SK", b.RawSignature("AK"))
	return b
}

func TestVerifyIPNRoundTrip(t *testing.T) {
	body, _ := json.Marshal(signedIPN())
	if !strings.Contains(string(body), `"amount":50000,`) || !strings.Contains(string(body), `"resultCode":0,`) {
		t.Fatalf("numbers must go out as JSON numbers: %s", body)
	}
	n, err := testClient(t, "").VerifyIPN(body)
	if err != nil {
		t.Fatal(err)
	}
	if !n.Paid() || n.Amount != 50000 || n.TransID != 2820086739 || n.OrderID != "GG-1" ||
		!n.ResponseTime.Equal(time.UnixMilli(1672315843986)) {
		t.Fatalf("%+v", n)
	}
	// The redirect carries the same fields as query parameters.
	r, err := testClient(t, "").VerifyRedirect(signedIPN().Values())
	if err != nil || *r != *n {
		t.Fatalf("redirect %+v, %v", r, err)
	}
}

func TestVerifyIPNAcceptsNumbersWrittenAsStrings(t *testing.T) {
	body, _ := json.Marshal(signedIPN())
	quoted := strings.Replace(string(body), `"amount":50000`, `"amount":"50000"`, 1)
	if _, err := testClient(t, "").VerifyIPN([]byte(quoted)); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyIPNRejectsTamperingAndBadData(t *testing.T) {
	c := testClient(t, "")
	for name, edit := range map[string]func(*IPNBody){
		"amount":     func(b *IPNBody) { b.Amount = "5000" },
		"resultCode": func(b *IPNBody) { b.ResultCode = "1006" },
		"orderId":    func(b *IPNBody) { b.OrderID = "GG-2" },
		"transId":    func(b *IPNBody) { b.TransID = "2820086740" },
		"extraData":  func(b *IPNBody) { b.ExtraData = "e30=" },
		"signature":  func(b *IPNBody) { b.Signature = "" },
	} {
		b := signedIPN()
		edit(&b)
		body, _ := json.Marshal(b)
		if _, err := c.VerifyIPN(body); !errors.Is(err, ErrInvalidSignature) || !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%s tampered: %v", name, err)
		}
	}
	resign := func(edit func(*IPNBody)) []byte {
		b := signedIPN()
		edit(&b)
		b.Signature = Sign("SK", b.RawSignature("AK"))
		body, _ := json.Marshal(b)
		return body
	}
	for name, body := range map[string][]byte{
		"fractional amount": resign(func(b *IPNBody) { b.Amount = "50000.5" }),
		"zero amount":       resign(func(b *IPNBody) { b.Amount = "0" }),
		"no orderId":        resign(func(b *IPNBody) { b.OrderID = "" }),
		"not JSON":          []byte("partnerCode=MOMO"),
	} {
		if _, err := c.VerifyIPN(body); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := c.VerifyIPN(resign(func(b *IPNBody) { b.PartnerCode = "OTHER" })); !errors.Is(err, ErrWrongPartner) {
		t.Errorf("other partner accepted")
	}
	upper := signedIPN()
	upper.Signature = strings.ToUpper(upper.Signature)
	body, _ := json.Marshal(upper)
	if _, err := c.VerifyIPN(body); err != nil {
		t.Errorf("uppercase signature: %v", err)
	}
}

// momoServer checks each call's signature with the body's own RawSignature and answers with reply.
func momoServer(t *testing.T, reply func(path string, raw []byte) (int, string)) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var sig, want string
		switch r.URL.Path {
		case PathCreate:
			var b CreateBody
			_ = json.Unmarshal(raw, &b)
			sig, want = b.Signature, Sign("SK", b.RawSignature("AK"))
			if b.AccessKey != "AK" {
				t.Errorf("accessKey not sent")
			}
		case PathQuery:
			var b QueryBody
			_ = json.Unmarshal(raw, &b)
			sig, want = b.Signature, Sign("SK", b.RawSignature("AK"))
		case PathRefund:
			var b RefundBody
			_ = json.Unmarshal(raw, &b)
			sig, want = b.Signature, Sign("SK", b.RawSignature("AK"))
		}
		if sig != want {
			t.Errorf("%s: signature %s, want %s", r.URL.Path, sig, want)
		}
		status, body := reply(r.URL.Path, raw)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return testClient(t, srv.URL)
}

func createRequest() CreateRequest {
	return CreateRequest{OrderID: "GG-1", Amount: 50000, OrderInfo: "Thanh toán bàn 5",
		RedirectURL: "https://shop.example/r", IPNURL: "https://shop.example/ipn"}
}

func TestCreate(t *testing.T) {
	c := momoServer(t, func(_ string, raw []byte) (int, string) {
		var b CreateBody
		_ = json.Unmarshal(raw, &b)
		if b.RequestType != CaptureWallet || b.Lang != "vi" || b.Amount != 50000 || b.RequestID == "" {
			t.Errorf("defaults: %+v", b)
		}
		return 200, `{"partnerCode":"MOMO","orderId":"GG-1","requestId":"` + b.RequestID + `","amount":50000,"responseTime":1,"message":"ok","resultCode":0,"payUrl":"https://pay.example/x","deeplink":"momo://x","qrCodeUrl":"2|99|x"}`
	})
	res, err := c.Create(context.Background(), createRequest())
	if err != nil {
		t.Fatal(err)
	}
	if res.PayURL != "https://pay.example/x" || res.Deeplink != "momo://x" || res.QRCodeURL != "2|99|x" || res.Amount != 50000 {
		t.Fatalf("%+v", res)
	}
}

func TestCreateErrors(t *testing.T) {
	for _, tt := range []struct {
		status int
		body   string
		code   int
		kind   apperr.Kind
	}{
		{400, `{"resultCode":41,"message":"Duplicated orderId"}`, 41, apperr.Conflict},
		{200, `{"resultCode":13,"message":"auth failed"}`, 13, apperr.Unknown},
		{400, `{"resultCode":22,"message":"out of range"}`, 22, apperr.Invalid},
	} {
		c := momoServer(t, func(string, []byte) (int, string) { return tt.status, tt.body })
		_, err := c.Create(context.Background(), createRequest())
		if !errors.Is(err, &APIError{Code: tt.code}) || apperr.KindOf(err) != tt.kind {
			t.Errorf("%s: %v (kind %v)", tt.body, err, apperr.KindOf(err))
		}
	}
	for name, reply := range map[string][2]string{
		"502":      {"502", `bad gateway`},
		"500 json": {"500", `{"resultCode":0}`},
		"no link":  {"200", `{"resultCode":0,"orderId":"GG-1"}`},
	} {
		c := momoServer(t, func(string, []byte) (int, string) {
			s := map[string]int{"502": 502, "500": 500, "200": 200}[reply[0]]
			return s, reply[1]
		})
		if _, err := c.Create(context.Background(), createRequest()); !apperr.Is(err, apperr.Unavailable) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestCreateValidates(t *testing.T) {
	c := testClient(t, "http://127.0.0.1:1")
	for name, tt := range map[string]struct {
		edit  func(*CreateRequest)
		field string
	}{
		"order id with space":   {func(r *CreateRequest) { r.OrderID = "GG 1" }, "order_id"},
		"order id ends in dash": {func(r *CreateRequest) { r.OrderID = "GG-" }, "order_id"},
		"wallet below 1000":     {func(r *CreateRequest) { r.Amount = 999 }, "amount"},
		"wallet above 50M":      {func(r *CreateRequest) { r.Amount = 50_000_001 }, "amount"},
		"bad type":              {func(r *CreateRequest) { r.RequestType = "payWithCash" }, "request_type"},
		"no info":               {func(r *CreateRequest) { r.OrderInfo = "" }, "order_info"},
		"relative ipn":          {func(r *CreateRequest) { r.IPNURL = "/ipn" }, "ipn_url"},
		"extra not base64":      {func(r *CreateRequest) { r.ExtraData = "{}" }, "extra_data"},
		"bad lang":              {func(r *CreateRequest) { r.Lang = "fr" }, "lang"},
		"long request id":       {func(r *CreateRequest) { r.RequestID = strings.Repeat("r", 51) }, "request_id"},
	} {
		r := createRequest()
		tt.edit(&r)
		_, err := c.Create(context.Background(), r)
		if f := apperr.Fields(err); len(f) != 1 || f[0].Field != tt.field {
			t.Errorf("%s: %v %+v", name, err, f)
		}
	}
	r := createRequest()
	r.RequestType, r.Amount = PayWithATM, 500
	if _, err := c.Create(context.Background(), r); apperr.Is(err, apperr.Invalid) {
		t.Errorf("ATM payment of 500 refused by the wallet limit: %v", err)
	}
}

func TestQueryAndRefund(t *testing.T) {
	c := momoServer(t, func(path string, raw []byte) (int, string) {
		switch path {
		case PathQuery:
			var b QueryBody
			_ = json.Unmarshal(raw, &b)
			switch b.OrderID {
			case "GG-404":
				return 200, `{"resultCode":42,"message":"not found","orderId":"GG-404"}`
			case "GG-WAIT":
				return 200, `{"resultCode":1000,"message":"waiting","orderId":"GG-WAIT","amount":50000}`
			}
			return 200, `{"resultCode":0,"message":"ok","orderId":"GG-1","amount":50000,"transId":2820086739,"payType":"qr","responseTime":1672315843986}`
		default:
			var b RefundBody
			_ = json.Unmarshal(raw, &b)
			if b.TransID == 1 {
				return 200, `{"resultCode":1081,"message":"refunded"}`
			}
			out, _ := json.Marshal(RefundResponse{PartnerCode: "MOMO", OrderID: b.OrderID, RequestID: b.RequestID, Amount: b.Amount,
				TransID: 2820086800, ResultCode: 0, Message: "ok", ResponseTime: 1672315900000})
			return 200, string(out)
		}
	})
	ctx := context.Background()
	q, err := c.Query(ctx, "GG-1", "")
	if err != nil || !q.Paid() || q.TransID != 2820086739 || q.Amount != 50000 {
		t.Fatalf("query %+v, %v", q, err)
	}
	q, err = c.Query(ctx, "GG-WAIT", "")
	if err != nil || q.Paid() || !q.Pending() {
		t.Fatalf("pending query %+v, %v", q, err)
	}
	if _, err := c.Query(ctx, "GG-404", ""); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("unknown order: %v", err)
	}
	rf, err := c.Refund(ctx, RefundRequest{OrderID: "GG-1-RF1", TransID: 2820086739, Amount: 20000, Description: "trả món"})
	if err != nil || rf.TransID != 2820086800 || rf.Amount != 20000 {
		t.Fatalf("refund %+v, %v", rf, err)
	}
	_, err = c.Refund(ctx, RefundRequest{OrderID: "GG-1-RF2", TransID: 1, Amount: 20000})
	if !errors.Is(err, &APIError{Code: ResultRefundRejected}) || !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("rejected refund: %v", err)
	}
	_, err = c.Refund(ctx, RefundRequest{OrderID: "GG 1", Amount: 0})
	if f := apperr.Fields(err); len(f) != 3 {
		t.Fatalf("refund validation: %+v", f)
	}
}

func TestPendingCodes(t *testing.T) {
	for code, want := range map[int]bool{0: false, 1000: true, 7000: true, 7002: true, 8000: true, 9000: true, 1006: false, 42: false} {
		if Pending(code) != want {
			t.Errorf("Pending(%d) = %v", code, !want)
		}
	}
}

package vnpay

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

// Spec §1.10 (lehuygiang28/vnpay fixtures, recomputed with Python hmac).
const (
	vectorSecret = "test_secret"
	vectorQuery  = "vnp_Amount=1000000&vnp_BankCode=NCB&vnp_BankTranNo=VNP14422574&vnp_CardType=ATM&vnp_OrderInfo=Thanh+toan+don+hang+2024-05-21T02%3A17%3A31.249Z&vnp_PayDate=20240521091806&vnp_ResponseCode=00&vnp_TmnCode=TEST_TMN_CODE&vnp_TransactionNo=14422574&vnp_TransactionStatus=00&vnp_TxnRef=1716257871703"
	vectorHash   = "649982421beb422556a1374713c74e58e716ecbd05007c0c0e1f7effdfaf361dbf146889ca446139afe11b9954c4d5c486e99e3b86fcfab6957f29eb0be72895"
)

func vectorClient(t *testing.T) *Client {
	t.Helper()
	c, err := New(Config{TmnCode: "TEST_TMN_CODE", HashSecret: vectorSecret, PayURL: SandboxPayURL, APIURL: SandboxAPIURL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustParseQuery(t *testing.T, q string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSignGoldenVector(t *testing.T) {
	v := mustParseQuery(t, vectorQuery)
	if got := Canonical(v); got != vectorQuery {
		t.Fatalf("Canonical\n got %s\nwant %s", got, vectorQuery)
	}
	if got := Sign(vectorSecret, v); got != vectorHash {
		t.Fatalf("Sign = %s\nwant %s", got, vectorHash)
	}
	if got := SignedQuery(vectorSecret, v); got != vectorQuery+"&vnp_SecureHash="+vectorHash {
		t.Fatalf("SignedQuery = %s", got)
	}
}

func TestVerifyGoldenVector(t *testing.T) {
	n, err := vectorClient(t).VerifyQuery(vectorQuery + "&vnp_SecureHash=" + vectorHash)
	if err != nil {
		t.Fatal(err)
	}
	want := Notification{
		TmnCode: "TEST_TMN_CODE", TxnRef: "1716257871703", Amount: 10000,
		OrderInfo: "Thanh toan don hang 2024-05-21T02:17:31.249Z", TransactionNo: "14422574",
		ResponseCode: "00", TransactionStatus: "00", BankCode: "NCB", BankTranNo: "VNP14422574", CardType: "ATM",
		PayDate: time.Date(2024, 5, 21, 9, 18, 6, 0, Zone),
	}
	if !n.PayDate.Equal(want.PayDate) {
		t.Fatalf("PayDate = %v, want %v", n.PayDate, want.PayDate)
	}
	n.PayDate = want.PayDate
	if *n != want {
		t.Fatalf("got %+v\nwant %+v", *n, want)
	}
	if !n.Paid() {
		t.Fatal("Paid() = false")
	}
}

func TestVerifyIgnoresHashCaseAndHashTypeAndForeignParams(t *testing.T) {
	c := vectorClient(t)
	q := vectorQuery + "&vnp_SecureHashType=HmacSHA512&utm_source=mail&vnp_SecureHash=" + strings.ToUpper(vectorHash)
	if _, err := c.VerifyQuery(q); err != nil {
		t.Fatal(err)
	}
	// An empty vnp_ value is not signed.
	if _, err := c.VerifyQuery(q + "&vnp_Bill_Mobile="); err != nil {
		t.Fatalf("empty value broke the hash: %v", err)
	}
}

func TestVerifyTakesFirstValueOfRepeatedKeys(t *testing.T) {
	c := vectorClient(t)
	q := vectorQuery + "&vnp_SecureHash=" + vectorHash
	// A second vnp_Amount (and a second hash) after the signed ones is ignored.
	n, err := c.VerifyQuery(q + "&vnp_Amount=1&vnp_SecureHash=00")
	if err != nil {
		t.Fatal(err)
	}
	if n.Amount != 10000 {
		t.Fatalf("Amount = %d, want the first value's 10000", n.Amount)
	}
	// A repeated key placed first changes what is signed: rejected.
	if _, err := c.VerifyQuery("vnp_Amount=1&" + q); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("err = %v, want ErrInvalidSignature", err)
	}
}

func TestVerifyRejectsTamperedFields(t *testing.T) {
	c := vectorClient(t)
	for _, field := range []string{"vnp_Amount", "vnp_ResponseCode", "vnp_TxnRef", "vnp_TransactionNo", "vnp_OrderInfo", "vnp_PayDate"} {
		v := mustParseQuery(t, vectorQuery)
		v.Set(field, v.Get(field)+"0")
		v.Set(FieldSecureHash, vectorHash)
		_, err := c.Verify(v)
		if !errors.Is(err, ErrInvalidSignature) || !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%s tampered: err = %v, want invalid signature", field, err)
		}
		if got := AnswerFor(err); got != (IPNAnswer{RspCode: "97", Message: "Invalid signature"}) {
			t.Errorf("AnswerFor = %+v", got)
		}
	}
	// An added vnp_ field is signed too.
	v := mustParseQuery(t, vectorQuery)
	v.Set("vnp_Extra", "x")
	v.Set(FieldSecureHash, vectorHash)
	if _, err := c.Verify(v); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("added field: err = %v", err)
	}
	if _, err := c.VerifyQuery(vectorQuery); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("missing hash: err = %v", err)
	}
	other, _ := New(Config{TmnCode: "TEST_TMN_CODE", HashSecret: "other_secret"})
	if _, err := other.VerifyQuery(vectorQuery + "&vnp_SecureHash=" + vectorHash); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("wrong secret: err = %v", err)
	}
}

// signed returns the vector's values with edits applied and re-signed, as VNPay would send them.
func signed(t *testing.T, edit func(url.Values)) string {
	v := mustParseQuery(t, vectorQuery)
	edit(v)
	return SignedQuery(vectorSecret, v)
}

func TestVerifyRejectsAmountsNotInHundreds(t *testing.T) {
	c := vectorClient(t)
	for _, amount := range []string{"1000050", "99", "0", "-100", "1e6", "10 00", ""} {
		_, err := c.VerifyQuery(signed(t, func(v url.Values) { v.Set("vnp_Amount", amount) }))
		if !errors.Is(err, ErrInvalidAmount) {
			t.Errorf("vnp_Amount=%q: err = %v, want ErrInvalidAmount", amount, err)
			continue
		}
		if got := AnswerFor(err).RspCode; got != RspInvalidAmount {
			t.Errorf("AnswerFor = %s", got)
		}
	}
}

func TestVerifyRejectsOtherTerminalAndMissingFields(t *testing.T) {
	c := vectorClient(t)
	if _, err := c.VerifyQuery(signed(t, func(v url.Values) { v.Set("vnp_TmnCode", "OTHER") })); !errors.Is(err, ErrWrongTerminal) {
		t.Errorf("other terminal: %v", err)
	}
	for _, f := range []string{"vnp_TxnRef", "vnp_ResponseCode", "vnp_TransactionStatus"} {
		if _, err := c.VerifyQuery(signed(t, func(v url.Values) { v.Del(f) })); !errors.Is(err, ErrMalformed) {
			t.Errorf("without %s: %v", f, err)
		}
	}
	if _, err := c.VerifyQuery(signed(t, func(v url.Values) { v.Set("vnp_PayDate", "2024-05-21") })); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad date accepted")
	}
	if _, err := c.VerifyQuery("vnp_Amount=%zz"); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad escape: %v", err)
	}
}

func TestPaidNeedsBothCodes(t *testing.T) {
	for _, tt := range []struct {
		rc, ts string
		want   bool
	}{{"00", "00", true}, {"00", "02", false}, {"24", "00", false}, {"24", "02", false}} {
		if got := (Notification{ResponseCode: tt.rc, TransactionStatus: tt.ts}).Paid(); got != tt.want {
			t.Errorf("Paid(%s,%s) = %v", tt.rc, tt.ts, got)
		}
	}
}

func TestIPNAnswers(t *testing.T) {
	want := map[RspCode]string{
		"00": "Confirm Success", "01": "Order not found", "02": "Order already confirmed",
		"04": "Invalid amount", "97": "Invalid signature", "99": "Unknown error",
	}
	for code, msg := range want {
		a := Answer(code)
		if a.RspCode != code || a.Message != msg {
			t.Errorf("Answer(%s) = %+v", code, a)
		}
		if a.Final() != (code == "00" || code == "02") {
			t.Errorf("Final(%s) = %v", code, a.Final())
		}
	}
	if got := AnswerFor(errors.New("db down")).RspCode; got != RspUnknownError {
		t.Errorf("AnswerFor(other) = %s", got)
	}
	if got := AnswerFor(nil).RspCode; got != RspConfirmSuccess {
		t.Errorf("AnswerFor(nil) = %s", got)
	}
}

func TestCleanText(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"Thanh toán đơn hàng #42 (bàn 5)", 255, "Thanh toan don hang 42 ban 5"},
		{"  ~*!'()  ", 255, ""},
		{"Đặt cọc: 2024-05-21", 255, "Dat coc 2024 05 21"},
		{"abc def", 5, "abc d"},
		{"abcd efg", 5, "abcd"},
	} {
		if got := Clean(tt.in, tt.max); got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

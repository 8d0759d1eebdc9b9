package vnpay

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
	"github.com/goodgo/goodgo/internal/platform/clock"
)

// apiServer answers every call with reply(request body); it fails the test when the request's own
// checksum is wrong, so the client's pipe order is checked on every call.
func apiServer(t *testing.T, secret string, reply func(cmd string, raw []byte) string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		var head struct {
			Command string `json:"vnp_Command"`
		}
		_ = json.Unmarshal(raw, &head)
		switch head.Command {
		case CommandQueryDR:
			var b QueryDRBody
			if err := json.Unmarshal(raw, &b); err != nil || !b.Valid(secret) {
				t.Errorf("querydr body %s: bad checksum (%v)", raw, err)
			}
		case CommandRefund:
			var b RefundBody
			if err := json.Unmarshal(raw, &b); err != nil || !b.Valid(secret) {
				t.Errorf("refund body %s: bad checksum (%v)", raw, err)
			}
		default:
			t.Errorf("unknown command in %s", raw)
		}
		_, _ = io.WriteString(w, reply(head.Command, raw))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{TmnCode: "TMN00001", HashSecret: secret, APIURL: srv.URL,
		Clock: clock.NewFake(time.Date(2024, 5, 22, 3, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func queryRequest() QueryRequest {
	return QueryRequest{RequestID: "Q1", TxnRef: "GG-1", TransactionDate: time.Date(2024, 5, 21, 2, 17, 31, 0, time.UTC), IPAddr: "10.0.0.1"}
}

func TestQueryDRRequestBodyIsExact(t *testing.T) {
	const secret = "k"
	var got QueryDRBody
	c := apiServer(t, secret, func(_ string, raw []byte) string {
		_ = json.Unmarshal(raw, &got)
		return `{"vnp_ResponseCode":"91","vnp_Message":"not found"}`
	})
	_, _ = c.QueryDR(context.Background(), queryRequest())
	want := QueryDRBody{RequestID: "Q1", Version: "2.1.0", Command: "querydr", TmnCode: "TMN00001", TxnRef: "GG-1",
		OrderInfo: "Query GG 1", TransactionDate: "20240521091731", CreateDate: "20240522100000", IPAddr: "10.0.0.1"}
	want.Sign(secret)
	if got != want {
		t.Fatalf("body\n got %+v\nwant %+v", got, want)
	}
	wantHash := PipeHash(secret, "Q1", "2.1.0", "querydr", "TMN00001", "GG-1", "20240521091731", "20240522100000", "10.0.0.1", "Query GG 1")
	if string(got.SecureHash) != wantHash {
		t.Fatal("querydr hash is not over RequestId|Version|Command|TmnCode|TxnRef|TransactionDate|CreateDate|IpAddr|OrderInfo")
	}
}

func TestQueryDRVerifiesResponseWithNumbersOrStrings(t *testing.T) {
	const secret = "k"
	// The hash covers the literal text of each value, whether VNPay wrote it as a string or a number.
	resp := QueryDRResponse{ResponseID: "R1", Command: "querydr", ResponseCode: "00", Message: "OK", TmnCode: "TMN00001",
		TxnRef: "GG-1", Amount: "18500000", BankCode: "NCB", PayDate: "20240521091806", TransactionNo: "14422574",
		TransactionType: "01", TransactionStatus: "00", OrderInfo: "Thanh toan", PromotionCode: "", PromotionAmount: ""}
	resp.Sign(secret)
	asStrings, _ := json.Marshal(resp)
	asNumbers := strings.NewReplacer(`"vnp_Amount":"18500000"`, `"vnp_Amount":18500000`,
		`"vnp_TransactionNo":"14422574"`, `"vnp_TransactionNo":14422574`, `"vnp_PromotionAmount":""`, `"vnp_PromotionAmount":null`).Replace(string(asStrings))
	if asNumbers == string(asStrings) {
		t.Fatal("replacement did not happen")
	}
	for name, body := range map[string]string{"strings": string(asStrings), "numbers": asNumbers} {
		c := apiServer(t, secret, func(string, []byte) string { return body })
		got, err := c.QueryDR(context.Background(), queryRequest())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.Amount != 185000 || got.TransactionNo != "14422574" || !got.Paid() ||
			!got.PayDate.Equal(time.Date(2024, 5, 21, 9, 18, 6, 0, Zone)) {
			t.Fatalf("%s: %+v", name, got)
		}
	}
}

func TestQueryDRRejectsBadResponses(t *testing.T) {
	const secret = "k"
	good := QueryDRResponse{ResponseID: "R1", Command: "querydr", ResponseCode: "00", Message: "OK", TmnCode: "TMN00001",
		TxnRef: "GG-1", Amount: "18500000", TransactionType: "01", TransactionStatus: "00"}
	tests := []struct {
		name string
		edit func(*QueryDRResponse)
		want error
	}{
		{"tampered status", func(r *QueryDRResponse) { r.Sign(secret); r.TransactionStatus = "02" }, ErrInvalidSignature},
		{"no hash on success", func(r *QueryDRResponse) {}, ErrInvalidSignature},
		{"wrong secret", func(r *QueryDRResponse) { r.Sign("other") }, ErrInvalidSignature},
		{"other payment", func(r *QueryDRResponse) { r.TxnRef = "GG-2"; r.Sign(secret) }, ErrMalformed},
		{"amount not in hundreds", func(r *QueryDRResponse) { r.Amount = "18500050"; r.Sign(secret) }, ErrInvalidAmount},
		{"bad pay date", func(r *QueryDRResponse) { r.PayDate = "2024"; r.Sign(secret) }, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			tt.edit(&r)
			body, _ := json.Marshal(r)
			c := apiServer(t, secret, func(string, []byte) string { return string(body) })
			_, err := c.QueryDR(context.Background(), queryRequest())
			if !errors.Is(err, tt.want) || !apperr.Is(err, apperr.Unavailable) {
				t.Fatalf("err = %v (kind %v), want %v", err, apperr.KindOf(err), tt.want)
			}
		})
	}
}

func TestAPICodesBecomeTypedErrors(t *testing.T) {
	const secret = "k"
	tests := []struct {
		code string
		want error
		kind apperr.Kind
	}{
		{"91", ErrTxnNotFound, apperr.NotFound},
		{"94", ErrDuplicateRequest, apperr.Conflict},
		{"95", ErrRefundRefused, apperr.Conflict},
		{"97", ErrChecksum, apperr.Unknown},
		{"99", &APIError{Code: "99"}, apperr.Unavailable},
	}
	for _, tt := range tests {
		for _, numeric := range []bool{false, true} {
			code := `"` + tt.code + `"`
			if numeric {
				code = tt.code
			}
			c := apiServer(t, secret, func(string, []byte) string { return `{"vnp_ResponseCode":` + code + `,"vnp_Message":"x"}` })
			_, err := c.Refund(context.Background(), RefundRequest{TxnRef: "GG-1", Amount: 1000, TransactionDate: time.Now(), CreateBy: "an", IPAddr: "10.0.0.1"})
			if !errors.Is(err, tt.want) || apperr.KindOf(err) != tt.kind {
				t.Errorf("code %s: err = %v kind %v", code, err, apperr.KindOf(err))
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Command != "refund" || apiErr.Message != "x" {
				t.Errorf("code %s: APIError = %+v", code, apiErr)
			}
		}
	}
	// A signed error answer whose hash is wrong is refused before its code is trusted.
	c := apiServer(t, secret, func(string, []byte) string {
		return `{"vnp_ResponseCode":"91","vnp_Message":"x","vnp_SecureHash":"00"}`
	})
	if _, err := c.QueryDR(context.Background(), queryRequest()); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("bad hash on error answer: %v", err)
	}
}

func TestRefundBodyAndResponse(t *testing.T) {
	const secret = "k"
	var got RefundBody
	c := apiServer(t, secret, func(_ string, raw []byte) string {
		_ = json.Unmarshal(raw, &got)
		r := RefundResponse{ResponseID: "R9", Command: "refund", ResponseCode: "00", Message: "Refund success", TmnCode: "TMN00001",
			TxnRef: "GG-1", Amount: got.Amount, BankCode: "NCB", PayDate: "20240522100000", TransactionNo: "14422575",
			TransactionType: got.TransactionType, TransactionStatus: "05", OrderInfo: got.OrderInfo}
		r.Sign(secret)
		b, _ := json.Marshal(r)
		return string(b)
	})
	tx, err := c.Refund(context.Background(), RefundRequest{RequestID: "RF1", TxnRef: "GG-1", Amount: 50000, Partial: true,
		TransactionDate: time.Date(2024, 5, 21, 2, 17, 31, 0, time.UTC), CreateBy: "Nguyễn An", IPAddr: "10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	wantHash := PipeHash(secret, "RF1", "2.1.0", "refund", "TMN00001", "03", "GG-1", "5000000", "0", "20240521091731",
		"Nguyen An", "20240522100000", "10.0.0.1", "Refund GG 1")
	if string(got.SecureHash) != wantHash {
		t.Fatalf("refund hash is not in VNPay's order; body %+v", got)
	}
	if tx.Amount != 50000 || tx.TransactionType != TypePartialRefund || tx.TransactionStatus != "05" || tx.Paid() {
		t.Fatalf("transaction %+v", tx)
	}
}

func TestAPIRequestValidationAndTransport(t *testing.T) {
	c, _ := New(Config{TmnCode: "T", HashSecret: "s", APIURL: "http://127.0.0.1:1/api"})
	_, err := c.QueryDR(context.Background(), QueryRequest{TxnRef: "a b", IPAddr: "x"})
	if f := apperr.Fields(err); !apperr.Is(err, apperr.Invalid) || len(f) != 3 {
		t.Fatalf("err = %v fields %+v; want txn_ref, transaction_date, ip_addr", err, f)
	}
	_, err = c.Refund(context.Background(), RefundRequest{TxnRef: "a", TransactionDate: time.Now(), IPAddr: "10.0.0.1"})
	if f := apperr.Fields(err); len(f) != 2 {
		t.Fatalf("fields %+v; want amount, create_by", f)
	}
	_, err = c.QueryDR(context.Background(), queryRequest())
	if !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("unreachable: %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", 502) }))
	defer srv.Close()
	c, _ = New(Config{TmnCode: "T", HashSecret: "s", APIURL: srv.URL})
	if _, err = c.QueryDR(context.Background(), queryRequest()); !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("502: %v", err)
	}
}

func TestTextRejectsObjects(t *testing.T) {
	var r QueryDRResponse
	if err := json.Unmarshal([]byte(`{"vnp_ResponseCode":{"a":1}}`), &r); err == nil {
		t.Fatal("an object was read as text")
	}
	if err := json.Unmarshal([]byte(`{"vnp_ResponseCode":true}`), &r); err == nil {
		t.Fatal("a boolean was read as text")
	}
}

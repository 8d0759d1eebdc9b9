package zalopay

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
)

// Spec §4: the official callback sample with the public sandbox key2 of app 2553.
const (
	vectorKey2 = "kLtgPl8HHhfvMuDHPwKfgfsY4Ydm9eIz"
	vectorData = `{"app_id":2553,"app_trans_id":"200904_2553_1598435687208","app_time":1599189392817,"app_user":"demo","amount":10000,"embed_data":"{\"merchantinfo\":\"embeddata123\",\"promotioninfo\":\"\"}","item":"[{\"itemid\":\"knb\",\"itemname\":\"kim nguyen bao\",\"itemprice\":198400,\"itemquantity\":1}]","zp_trans_id":200904000000389,"server_time":1599189413498,"channel":38,"merchant_user_id":"7ZMSl3nEg5sOUJzOLSoUFT8xKNQVaLOLXHB--8Eytqc","user_fee_amount":0,"discount_amount":0}`
	vectorMAC  = "d8d33baf449b31d7f9b94fa50d7c942c08cd4d83f28fa185557da21acb104f67"
)

func vectorClient(t *testing.T) *Client {
	t.Helper()
	c, err := New(Config{AppID: 2553, Key1: "key1", Key2: vectorKey2})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func callbackBody(data, mac string) []byte {
	b, _ := json.Marshal(CallbackBody{Data: data, MAC: mac, Type: 1})
	return b
}

func TestCallbackGoldenVector(t *testing.T) {
	if got := MAC(vectorKey2, vectorData); got != vectorMAC {
		t.Fatalf("MAC = %s, want %s", got, vectorMAC)
	}
	cb, err := vectorClient(t).VerifyCallback(callbackBody(vectorData, vectorMAC))
	if err != nil {
		t.Fatal(err)
	}
	if cb.ZPTransID != 200904000000389 || cb.Amount != 10000 || cb.AppTransID != "200904_2553_1598435687208" ||
		cb.Channel != 38 || cb.AppUser != "demo" || !cb.ServerTime.Equal(time.UnixMilli(1599189413498)) ||
		cb.EmbedData != `{"merchantinfo":"embeddata123","promotioninfo":""}` || cb.Type != 1 {
		t.Fatalf("%+v", cb)
	}
}

func TestCallbackKeepsLargeTransIDsExact(t *testing.T) {
	// 2^53 + 1 is the first integer a float64 cannot hold.
	data := strings.Replace(vectorData, "200904000000389", "9007199254740993", 1)
	cb, err := vectorClient(t).VerifyCallback(callbackBody(data, MAC(vectorKey2, data)))
	if err != nil {
		t.Fatal(err)
	}
	if cb.ZPTransID != 9007199254740993 {
		t.Fatalf("zp_trans_id = %d", cb.ZPTransID)
	}
}

func TestCallbackRejects(t *testing.T) {
	c := vectorClient(t)
	resigned := func(old, new string) []byte {
		d := strings.Replace(vectorData, old, new, 1)
		return callbackBody(d, MAC(vectorKey2, d))
	}
	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"tampered amount", callbackBody(strings.Replace(vectorData, `"amount":10000`, `"amount":1000`, 1), vectorMAC), ErrInvalidMAC},
		{"reformatted data", callbackBody(strings.Replace(vectorData, `,"amount"`, `, "amount"`, 1), vectorMAC), ErrInvalidMAC},
		{"key1 mac", callbackBody(vectorData, MAC("key1", vectorData)), ErrInvalidMAC},
		{"no mac", callbackBody(vectorData, ""), ErrInvalidMAC},
		{"other app", resigned(`"app_id":2553`, `"app_id":2554`), ErrWrongApp},
		{"fractional amount", resigned(`"amount":10000`, `"amount":10000.5`), ErrMalformed},
		{"zero amount", resigned(`"amount":10000`, `"amount":0`), ErrMalformed},
		{"data not JSON", callbackBody("nope", MAC(vectorKey2, "nope")), ErrMalformed},
		{"body not JSON", []byte("data=x"), ErrMalformed},
	}
	for _, tt := range tests {
		_, err := c.VerifyCallback(tt.body)
		if !errors.Is(err, tt.want) || !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	upper := callbackBody(vectorData, strings.ToUpper(vectorMAC))
	if _, err := c.VerifyCallback(upper); err != nil {
		t.Errorf("uppercase mac: %v", err)
	}
}

func TestReplies(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 1},
		{invalid(ErrInvalidMAC, "x"), -1},
		{invalid(ErrMalformed, "x"), 0},
		{errors.New("db down"), 0},
	}
	for _, tt := range tests {
		r := ReplyFor(tt.err)
		if r.ReturnCode != tt.want || r.ReturnMessage == "" {
			t.Errorf("ReplyFor(%v) = %+v", tt.err, r)
		}
	}
	b, _ := json.Marshal(ReplySuccess())
	if string(b) != `{"return_code":1,"return_message":"success"}` {
		t.Errorf("reply JSON %s", b)
	}
}

func TestAppTransIDUsesGMT7Date(t *testing.T) {
	at := time.Date(2024, 5, 20, 17, 30, 0, 0, time.UTC) // 00:30 on 21 May in Hà Nội
	if got := AppTransID(at, "GG1"); got != "240521_GG1" {
		t.Fatalf("AppTransID = %s", got)
	}
	if got := RefundID(at, 2553, "RF1"); got != "240521_2553_RF1" {
		t.Fatalf("RefundID = %s", got)
	}
}

// zaloServer checks each form's mac with its own MACData and answers with reply.
func zaloServer(t *testing.T, reply func(path string, form url.Values) string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type %q", ct)
		}
		_ = r.ParseForm()
		var mac, want string
		switch r.URL.Path {
		case PathCreate:
			f := ParseCreateForm(r.PostForm)
			mac, want = f.MAC, MAC("key1", f.MACData()...)
		case PathQuery:
			f := ParseQueryForm(r.PostForm)
			mac, want = f.MAC, MAC("key1", f.MACData("key1")...)
		case PathRefund:
			f := ParseRefundForm(r.PostForm)
			mac, want = f.MAC, MAC("key1", f.MACData()...)
		case PathQueryRefund:
			f := ParseQueryRefundForm(r.PostForm)
			mac, want = f.MAC, MAC("key1", f.MACData()...)
		}
		if mac != want {
			t.Errorf("%s: mac %s, want %s", r.URL.Path, mac, want)
		}
		_, _ = io.WriteString(w, reply(r.URL.Path, r.PostForm))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{AppID: 2553, Key1: "key1", Key2: vectorKey2, Endpoint: srv.URL,
		Clock: clock.NewFake(time.Date(2024, 5, 20, 17, 30, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCreateSignsInZaloPayOrder(t *testing.T) {
	var got url.Values
	c := zaloServer(t, func(_ string, f url.Values) string {
		got = f
		return `{"return_code":1,"return_message":"Giao dịch thành công","sub_return_code":1,"order_url":"https://qcgateway.zalopay.vn/openinapp?order=x","zp_trans_token":"tok","order_token":"otok","qr_code":"00020101..."}`
	})
	res, err := c.Create(context.Background(), CreateRequest{Ref: "GG1", AppUser: "goodgo", Amount: 50000,
		Description: "Thanh toán bàn 5", RedirectURL: "https://shop.example/zp/return", ExpireAfter: 15 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if res.AppTransID != "240521_GG1" || res.OrderURL == "" || res.QRCode == "" {
		t.Fatalf("%+v", res)
	}
	appTime := got.Get("app_time")
	if appTime != "1716226200000" || got.Get("item") != "[]" || got.Get("embed_data") != `{"redirecturl":"https://shop.example/zp/return"}` ||
		got.Get("expire_duration_seconds") != "900" {
		t.Fatalf("form %v", got)
	}
	want := MAC("key1", "2553|240521_GG1|goodgo|50000|"+appTime+`|{"redirecturl":"https://shop.example/zp/return"}|[]`)
	if got.Get("mac") != want {
		t.Fatal("create mac is not over app_id|app_trans_id|app_user|amount|app_time|embed_data|item")
	}
}

func TestCreateErrorsAndValidation(t *testing.T) {
	c := zaloServer(t, func(string, url.Values) string {
		return `{"return_code":2,"return_message":"Giao dịch thất bại","sub_return_code":-68,"sub_return_message":"Trùng mã giao dịch"}`
	})
	_, err := c.Create(context.Background(), CreateRequest{Ref: "GG1", AppUser: "u", Amount: 1000, Description: "d"})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.SubReturnCode != -68 || !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("err %v", err)
	}
	for name, r := range map[string]CreateRequest{
		"ref":          {Ref: "GG 1", AppUser: "u", Amount: 1, Description: "d"},
		"long ref":     {Ref: strings.Repeat("x", 34), AppUser: "u", Amount: 1, Description: "d"},
		"app_user":     {Ref: "a", Amount: 1, Description: "d"},
		"amount":       {Ref: "a", AppUser: "u", Description: "d"},
		"description":  {Ref: "a", AppUser: "u", Amount: 1},
		"item":         {Ref: "a", AppUser: "u", Amount: 1, Description: "d", Item: "{}"},
		"redirect_url": {Ref: "a", AppUser: "u", Amount: 1, Description: "d", RedirectURL: "/x"},
		"expire_after": {Ref: "a", AppUser: "u", Amount: 1, Description: "d", ExpireAfter: time.Minute},
	} {
		_, err := c.Create(context.Background(), r)
		if f := apperr.Fields(err); len(f) != 1 || !strings.HasPrefix(f[0].Field, strings.Split(name, " ")[len(strings.Split(name, " "))-1]) {
			t.Errorf("%s: %v %+v", name, err, f)
		}
	}
}

func TestQuery(t *testing.T) {
	c := zaloServer(t, func(_ string, f url.Values) string {
		switch f.Get("app_trans_id") {
		case "240521_PAID":
			return `{"return_code":1,"return_message":"ok","is_processing":false,"amount":50000,"zp_trans_id":9007199254740993,"server_time":1716226260000,"discount_amount":0}`
		case "240521_WAIT":
			return `{"return_code":3,"return_message":"processing","is_processing":true,"amount":50000}`
		case "240521_BAD":
			return `{"return_code":-1,"return_message":"mac invalid"}`
		}
		return `{"return_code":2,"return_message":"failed"}`
	})
	ctx := context.Background()
	q, err := c.Query(ctx, "240521_PAID")
	if err != nil || !q.Paid() || q.ZPTransID != 9007199254740993 || q.Amount != 50000 {
		t.Fatalf("paid %+v %v", q, err)
	}
	q, err = c.Query(ctx, "240521_WAIT")
	if err != nil || q.Paid() || q.ReturnCode != ReturnProcessing || !q.IsProcessing {
		t.Fatalf("pending %+v %v", q, err)
	}
	q, err = c.Query(ctx, "240521_FAIL")
	if err != nil || q.ReturnCode != ReturnFailed {
		t.Fatalf("failed %+v %v", q, err)
	}
	if _, err = c.Query(ctx, "240521_BAD"); !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("bad answer: %v", err)
	}
}

func TestRefundAndQueryRefund(t *testing.T) {
	var form url.Values
	c := zaloServer(t, func(path string, f url.Values) string {
		if path == PathQueryRefund {
			return `{"return_code":1,"return_message":"ok"}`
		}
		form = f
		if f.Get("zp_trans_id") == "1" {
			return `{"return_code":2,"return_message":"failed","sub_return_code":-13}`
		}
		return `{"return_code":3,"return_message":"processing","refund_id":123456789}`
	})
	ctx := context.Background()
	res, err := c.Refund(ctx, RefundRequest{Ref: "RF1", ZPTransID: 240521000000389, Amount: 20000, Description: "tra mon"})
	if err != nil {
		t.Fatal(err)
	}
	if res.MRefundID != "240521_2553_RF1" || res.RefundID != 123456789 || res.ReturnCode != ReturnProcessing {
		t.Fatalf("%+v", res)
	}
	want := MAC("key1", "2553|240521000000389|20000|tra mon|"+form.Get("timestamp"))
	if form.Get("mac") != want || form.Get("timestamp") != "1716226200000" {
		t.Fatalf("refund mac is not over app_id|zp_trans_id|amount|description|timestamp: %v", form)
	}
	if _, err := c.Refund(ctx, RefundRequest{Ref: "RF2", ZPTransID: 1, Amount: 1, Description: "x"}); !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("failed refund: %v", err)
	}
	code, err := c.QueryRefund(ctx, res.MRefundID)
	if err != nil || code != ReturnSuccess {
		t.Fatalf("query refund %d %v", code, err)
	}
	_, err = c.Refund(ctx, RefundRequest{Ref: "RF 3", Description: "a|b"})
	if f := apperr.Fields(err); len(f) != 4 {
		t.Fatalf("validation %+v", f)
	}
}

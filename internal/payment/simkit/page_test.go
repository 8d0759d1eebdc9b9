package simkit

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestWithQuery(t *testing.T) {
	for _, tt := range []struct{ base, want string }{
		{"https://shop.example/return", "https://shop.example/return?a=1&b=2"},
		{"https://shop.example/return?o=GG-1", "https://shop.example/return?o=GG-1&a=1&b=2"},
	} {
		if got := WithQuery(tt.base, "a=1&b=2"); got != tt.want {
			t.Errorf("WithQuery(%q) = %q, want %q", tt.base, got, tt.want)
		}
	}
}

func TestBaseURL(t *testing.T) {
	var got string
	mux := http.NewServeMux()
	mux.Handle("/sim/momo/", http.StripPrefix("/sim/momo", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got = BaseURL("", r)
	})))
	for _, tt := range []struct{ name, target, want string }{
		{"mounted", "http://pos.example/sim/momo/v2/gateway/api/create", "http://pos.example/sim/momo"},
		{"mounted, with a query", "http://pos.example/sim/momo/pay?t=1", "http://pos.example/sim/momo"},
	} {
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, tt.target, nil))
		if got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	r := httptest.NewRequest(http.MethodPost, "https://pos.example/v2/create", nil)
	r.TLS = &tls.ConnectionState{}
	if got := BaseURL("", r); got != "https://pos.example" {
		t.Errorf("TLS at the root: %q", got)
	}
	if got := BaseURL("https://demo.example/sim/zalopay/", r); got != "https://demo.example/sim/zalopay" {
		t.Errorf("configured: %q", got)
	}
}

func TestPageEscapesAndHasNoScript(t *testing.T) {
	tmpl := Page("Cổng (giả lập) — {{.Code}}", "#fff", "#005baa", ".hint{color:red}",
		`<h1>Lỗi {{.Code}}</h1><p data-code="{{.Code}}">{{.Message}}</p>`)
	rec := httptest.NewRecorder()
	Render(rec, http.StatusBadRequest, tmpl, struct{ Code, Message string }{"97", `<script>alert(1)</script>`})
	page := rec.Body.String()
	if rec.Code != http.StatusBadRequest || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("answer %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{`<html lang="vi">`, `<title>Cổng (giả lập) — 97</title>`, `data-code="97"`,
		`color:#005baa`, `.hint{color:red}`, `name="viewport"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<script") {
		t.Fatalf("the message was not escaped:\n%s", page)
	}
}

func TestParseFormAndChosePay(t *testing.T) {
	post := func(body string) (*http.Request, error) {
		r := httptest.NewRequest(http.MethodPost, "/pay", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r, ParseForm(httptest.NewRecorder(), r)
	}
	r, err := post("t=abc&action=pay")
	if err != nil || r.PostForm.Get("t") != "abc" || !ChosePay(r.PostForm) {
		t.Fatalf("form %v, %v", r.PostForm, err)
	}
	if r, _ := post("t=abc&action=cancel"); ChosePay(r.PostForm) {
		t.Fatal("cancel read as pay")
	}
	if _, err := post("t=" + strings.Repeat("x", 16<<10)); err == nil {
		t.Fatal("a form over 16 KiB was read")
	}
	if ChosePay(url.Values{}) {
		t.Fatal("no action read as pay")
	}
}

func TestRandomHex(t *testing.T) {
	a, b := RandomHex(16), RandomHex(16)
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(a) || a == b {
		t.Fatalf("RandomHex(16) = %q, %q", a, b)
	}
}

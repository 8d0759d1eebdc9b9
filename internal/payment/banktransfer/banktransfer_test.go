package banktransfer

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
)

var _ Provider = SePay{}

const sample = `{"id":92704,"gateway":"Vietcombank","transactionDate":"2023-03-25 14:02:37","accountNumber":"0123499999",` +
	`"code":null,"content":"chuyen tien GG7K2QX9 thanh toan","transferType":"in","transferAmount":2277000,` +
	`"accumulated":19077000,"subAccount":null,"referenceCode":"MBVCB.3278907687","description":""}`

func headers(apiKey, signature string) http.Header {
	h := http.Header{}
	if apiKey != "" {
		h.Set("Authorization", "Apikey "+apiKey)
	}
	if signature != "" {
		h.Set(SignatureHeader, signature)
	}
	return h
}

func TestSePayParse(t *testing.T) {
	got, err := SePay{}.Parse([]byte(sample), headers("shop-key", ""), Secrets{APIKey: "shop-key"})
	if err != nil {
		t.Fatal(err)
	}
	want := Transfer{Provider: "sepay", ID: "92704", Bank: "Vietcombank", At: time.Date(2023, 3, 25, 14, 2, 37, 0, clock.VietnamZone),
		AccountNumber: "0123499999", Incoming: true, Amount: 2277000, Content: "chuyen tien GG7K2QX9 thanh toan",
		Reference: "MBVCB.3278907687"}
	if !got.At.Equal(want.At) {
		t.Fatalf("At = %v, want %v", got.At, want.At)
	}
	got.At = want.At
	if got != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestSePayOutgoingAndRFC3339(t *testing.T) {
	body := strings.NewReplacer(`"transferType":"in"`, `"transferType":"out"`,
		`"2023-03-25 14:02:37"`, `"2023-03-25T07:02:37Z"`).Replace(sample)
	got, err := SePay{}.Parse([]byte(body), headers("k", ""), Secrets{APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Incoming || !got.At.Equal(time.Date(2023, 3, 25, 14, 2, 37, 0, clock.VietnamZone)) {
		t.Fatalf("%+v", got)
	}
}

func TestAuthentication(t *testing.T) {
	raw := []byte(sample)
	sig := Sign("sig-key", raw)
	tests := []struct {
		name   string
		header http.Header
		s      Secrets
		ok     bool
	}{
		{"key", headers("k", ""), Secrets{APIKey: "k"}, true},
		{"scheme any case", http.Header{"Authorization": {"APIKEY k"}}, Secrets{APIKey: "k"}, true},
		{"wrong key", headers("x", ""), Secrets{APIKey: "k"}, false},
		{"key prefix", headers("kk", ""), Secrets{APIKey: "k"}, false},
		{"no header", http.Header{}, Secrets{APIKey: "k"}, false},
		{"bearer", http.Header{"Authorization": {"Bearer k"}}, Secrets{APIKey: "k"}, false},
		{"no key configured", headers("", ""), Secrets{}, false},
		{"signature", headers("k", sig), Secrets{APIKey: "k", SignatureKey: "sig-key"}, true},
		{"signature upper case", headers("k", strings.ToUpper(sig)), Secrets{APIKey: "k", SignatureKey: "sig-key"}, true},
		{"signature missing", headers("k", ""), Secrets{APIKey: "k", SignatureKey: "sig-key"}, false},
		{"signature wrong key", headers("k", Sign("other", raw)), Secrets{APIKey: "k", SignatureKey: "sig-key"}, false},
		{"signature right, key wrong", headers("x", sig), Secrets{APIKey: "k", SignatureKey: "sig-key"}, false},
	}
	for _, tt := range tests {
		_, err := SePay{}.Parse(raw, tt.header, tt.s)
		if tt.ok && err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if !tt.ok && (!errors.Is(err, ErrUnauthenticated) || !apperr.Is(err, apperr.Unauthenticated)) {
			t.Errorf("%s: err = %v, want unauthenticated", tt.name, err)
		}
	}
}

func TestSignatureCoversRawBody(t *testing.T) {
	raw := []byte(sample)
	sig := Sign("sig-key", raw)
	tampered := []byte(strings.Replace(sample, "2277000", "9277000", 1))
	if _, err := (SePay{}).Parse(tampered, headers("k", sig), Secrets{APIKey: "k", SignatureKey: "sig-key"}); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("tampered body accepted: %v", err)
	}
	// Whitespace counts too: the signature is over bytes, not over the JSON value.
	spaced := []byte(strings.Replace(sample, `,"gateway"`, `, "gateway"`, 1))
	if _, err := (SePay{}).Parse(spaced, headers("k", sig), Secrets{APIKey: "k", SignatureKey: "sig-key"}); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("re-spaced body accepted: %v", err)
	}
}

func TestSePayRejectsBadBodies(t *testing.T) {
	tests := []struct{ name, old, new string }{
		{"fractional amount", `"transferAmount":2277000`, `"transferAmount":2277000.5`},
		{"exponent amount", `"transferAmount":2277000`, `"transferAmount":2.277e6`},
		{"negative amount", `"transferAmount":2277000`, `"transferAmount":-5`},
		{"zero amount", `"transferAmount":2277000`, `"transferAmount":0`},
		{"string amount with fraction", `"transferAmount":2277000`, `"transferAmount":"1.5"`},
		{"no amount", `"transferAmount":2277000,`, ``},
		{"bad type", `"transferType":"in"`, `"transferType":"IN"`},
		{"no id", `"id":92704,`, ``},
		{"no account", `"accountNumber":"0123499999"`, `"accountNumber":""`},
		{"bad date", `"2023-03-25 14:02:37"`, `"25/03/2023"`},
		{"not JSON", sample, `id=1`},
	}
	for _, tt := range tests {
		body := strings.Replace(sample, tt.old, tt.new, 1)
		_, err := SePay{}.Parse([]byte(body), headers("k", ""), Secrets{APIKey: "k"})
		if !errors.Is(err, ErrMalformed) || !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	big := make([]byte, MaxBody+1)
	if _, err := (SePay{}).Parse(big, headers("k", ""), Secrets{APIKey: "k"}); !apperr.Is(err, apperr.TooLarge) {
		t.Errorf("oversized body: %v", err)
	}
}

func TestSign(t *testing.T) {
	// RFC 4231 test case 2.
	if got := Sign("Jefe", []byte("what do ya want for nothing?")); got != "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Fatalf("Sign = %s", got)
	}
}

package banktransfer

import (
	"errors"
	"net/http"
	"testing"
)

// FuzzSePayParse feeds webhook bodies to the SePay reader with the right key, a wrong one, and the right one
// plus an X-Signature over the body. It never panics; a call without the right key (or signature) is refused
// as unauthenticated whatever the body; what it accepts has an id, an account, a positive whole amount and a
// booking time.
func FuzzSePayParse(f *testing.F) {
	for _, seed := range []string{
		`{"id":92701,"gateway":"Vietcombank","transactionDate":"2026-01-01 12:00:00","accountNumber":"0011009950446",` +
			`"code":null,"content":"CK GGABC123 thanh toan","transferType":"in","transferAmount":50000,"accumulated":50000,` +
			`"subAccount":null,"referenceCode":"FT26001","description":"BankAPINotify"}`,
		`{"id":"1","accountNumber":"1","transactionDate":"2026-01-01 12:00:00","transferType":"out","transferAmount":1}`,
		`{"id":1,"accountNumber":"1","transactionDate":"2026-01-01 12:00:00","transferType":"in","transferAmount":1000.5}`,
		`{"id":1,"accountNumber":"1","transactionDate":"2026-01-01 12:00:00","transferType":"in","transferAmount":1e3}`,
		`{"id":1,"accountNumber":"1","transactionDate":"2026-01-01 12:00:00","transferType":"in","transferAmount":-5}`,
		`{"id":1,"accountNumber":"1","transactionDate":"2026-02-30 25:61:00","transferType":"in","transferAmount":99999999999999999999}`,
		`{"id":1,"accountNumber":"1","transactionDate":"2026-01-01 12:00:00","transferType":"sideways","transferAmount":1}`,
		`[]`, `null`, ``, `{"id":`,
	} {
		for mode := range uint8(3) {
			f.Add([]byte(seed), mode)
		}
	}
	secrets := Secrets{APIKey: "FUZZKEY"}
	f.Fuzz(func(t *testing.T, raw []byte, mode uint8) {
		h := http.Header{}
		s := secrets
		switch mode % 3 {
		case 0:
			h.Set("Authorization", "Apikey FUZZKEY")
		case 1:
			h.Set("Authorization", "Apikey WRONG")
		case 2:
			h.Set("Authorization", "apikey FUZZKEY")
			s.SignatureKey = "FUZZSIG"
			h.Set(SignatureHeader, Sign("FUZZSIG", raw))
		}
		tr, err := SePay{}.Parse(raw, h, s)
		if mode%3 == 1 {
			if !errors.Is(err, ErrUnauthenticated) && len(raw) <= MaxBody {
				t.Fatalf("a wrong key: %v, want unauthenticated", err)
			}
			return
		}
		if err != nil {
			return
		}
		if tr.ID == "" || tr.AccountNumber == "" || tr.Amount <= 0 || tr.At.IsZero() {
			t.Fatalf("accepted an incomplete transfer %+v from %q", tr, raw)
		}
		if mode%3 == 2 {
			h.Set(SignatureHeader, Sign("FUZZSIG", append(raw, ' ')))
			if _, err := (SePay{}).Parse(raw, h, s); !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("a signature over another body: %v, want unauthenticated", err)
			}
		}
	})
}

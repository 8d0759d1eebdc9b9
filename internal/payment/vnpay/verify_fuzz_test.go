package vnpay

import (
	"errors"
	"net/url"
	"testing"
)

// FuzzVerifyQuery feeds IPN and return queries to the verifier: as received (almost never correctly
// signed), and re-signed with the terminal's secret so that the checks after the signature run too. It never
// panics; what it accepts is signed by this terminal, names it, and carries a reference and a positive
// amount; and changing any signed value of an accepted query makes it fail the signature.
func FuzzVerifyQuery(f *testing.F) {
	for _, seed := range []string{
		"vnp_Amount=1000000&vnp_BankCode=NCB&vnp_OrderInfo=Thanh+toan+don+hang&vnp_PayDate=20260101120000" +
			"&vnp_ResponseCode=00&vnp_TmnCode=FUZZTMN1&vnp_TransactionNo=14000001&vnp_TransactionStatus=00&vnp_TxnRef=GGABC123",
		"vnp_Amount=100&vnp_ResponseCode=24&vnp_TmnCode=FUZZTMN1&vnp_TransactionNo=0&vnp_TransactionStatus=02&vnp_TxnRef=X",
		"vnp_Amount=-100&vnp_ResponseCode=00&vnp_TmnCode=FUZZTMN1&vnp_TransactionStatus=00&vnp_TxnRef=X",
		"vnp_Amount=1050&vnp_ResponseCode=00&vnp_TmnCode=FUZZTMN1&vnp_TransactionStatus=00&vnp_TxnRef=X",
		"vnp_Amount=99999999999999999999900&vnp_ResponseCode=00&vnp_TmnCode=FUZZTMN1&vnp_TransactionStatus=00&vnp_TxnRef=X",
		"vnp_Amount=1000000&vnp_TmnCode=OTHER&vnp_ResponseCode=00&vnp_TransactionStatus=00&vnp_TxnRef=X&vnp_PayDate=2026",
		"vnp_Amount=1000000&vnp_Amount=2000000&vnp_TmnCode=FUZZTMN1&vnp_ResponseCode=00&vnp_TransactionStatus=00&vnp_TxnRef=X",
		"vnp_SecureHash=00&vnp_SecureHashType=SHA512",
		"%zz=1",
		"vnp_TxnRef=%E1%BB%87&vnp_OrderInfo=a%20b+c",
		"",
	} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	const secret = "FUZZSECRETFUZZSECRETFUZZSECRET12"
	c, err := New(Config{TmnCode: "FUZZTMN1", HashSecret: secret})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string, sign bool) {
		query := raw
		if sign {
			v, err := url.ParseQuery(raw)
			if err != nil {
				if _, err := c.VerifyQuery(raw); err == nil {
					t.Fatalf("accepted a query that does not parse: %q", raw)
				}
				return
			}
			query = SignedQuery(secret, v)
		}
		n, err := c.VerifyQuery(query)
		if err != nil {
			if AnswerFor(err).RspCode == RspConfirmSuccess {
				t.Fatalf("error %v maps to the success answer", err)
			}
			return
		}
		v, _ := url.ParseQuery(query)
		if VerifyValues(secret, v) != nil {
			t.Fatalf("accepted a query whose signature does not verify: %q", query)
		}
		if n.TmnCode != "FUZZTMN1" || n.TxnRef == "" || n.Amount <= 0 || n.ResponseCode == "" || n.TransactionStatus == "" {
			t.Fatalf("accepted an incomplete notification %+v from %q", n, query)
		}
		for k := range v {
			if k == FieldSecureHash || k == FieldSecureHashType || v.Get(k) == "" || len(k) < 4 || k[:4] != "vnp_" {
				continue
			}
			tampered := url.Values{}
			for k2, vs := range v {
				tampered[k2] = append([]string(nil), vs...)
			}
			tampered.Set(k, v.Get(k)+"1")
			if _, err := c.Verify(tampered); !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("changing %s of a signed query: %v, want an invalid signature", k, err)
			}
		}
	})
}

package momo

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzVerifyIPN feeds IPN bodies to the verifier, as received and re-signed with the partner's keys (so the
// checks after the signature run too). It never panics; what it accepts is signed, names this partner and
// has an order id and a positive amount; a changed amount in an accepted body fails the signature.
func FuzzVerifyIPN(f *testing.F) {
	for _, seed := range []string{
		`{"partnerCode":"FUZZPARTNER","orderId":"GGABC","requestId":"r1","amount":50000,"orderInfo":"Thanh toán","orderType":"momo_wallet",` +
			`"transId":4088878653,"resultCode":0,"message":"Successful.","payType":"qr","responseTime":1700000000000,"extraData":"","signature":"x"}`,
		`{"partnerCode":"FUZZPARTNER","orderId":"GGABC","amount":50000.5,"transId":1,"resultCode":0,"responseTime":1}`,
		`{"partnerCode":"FUZZPARTNER","orderId":"GGABC","amount":-1,"transId":1,"resultCode":1006,"responseTime":1}`,
		`{"partnerCode":"OTHER","orderId":"GGABC","amount":1,"transId":1,"resultCode":0,"responseTime":1}`,
		`{"partnerCode":"FUZZPARTNER","orderId":"","amount":1e3,"transId":"1","resultCode":0,"responseTime":1}`,
		`{"amount":99999999999999999999}`,
		`[]`, `null`, ``, `{"partnerCode":`,
	} {
		f.Add([]byte(seed), true)
		f.Add([]byte(seed), false)
	}
	c, err := New(Config{PartnerCode: "FUZZPARTNER", AccessKey: "FUZZACCESS", SecretKey: "FUZZSECRETFUZZSECRET"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, sign bool) {
		if sign {
			var b IPNBody
			if err := json.Unmarshal(body, &b); err == nil {
				b.Signature = Sign("FUZZSECRETFUZZSECRET", b.RawSignature("FUZZACCESS"))
				if signed, err := json.Marshal(b); err == nil {
					body = signed
				}
			}
		}
		n, err := c.VerifyIPN(body)
		if err != nil {
			return
		}
		if n.PartnerCode != "FUZZPARTNER" || n.OrderID == "" || n.Amount <= 0 {
			t.Fatalf("accepted an incomplete notification %+v from %q", n, body)
		}
		var b IPNBody
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		if err := d.Decode(&b); err != nil {
			t.Fatalf("accepted a body that does not decode: %v", err)
		}
		b.Amount = json.Number(b.Amount.String() + "0")
		changed, _ := json.Marshal(b)
		if _, err := c.VerifyIPN(changed); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("a changed amount: %v, want an invalid signature", err)
		}
	})
}

package vietqr

import (
	"errors"
	"reflect"
	"testing"

	"github.com/goodgo/goodgo/internal/platform/money"
)

// FuzzParse feeds arbitrary payloads to the parser: it must not panic, every failure must be one of its two
// errors, and whatever it accepts and our builder can write must rebuild into a payload that parses to the
// same fields.
func FuzzParse(f *testing.F) {
	for _, v := range vectors {
		f.Add(v.payload)
	}
	f.Add("00020101021138570010A00000072701270006970403011200110123456780208QRIBFTTA53037045802VN6304F4E5")
	f.Add(withCRC("000201010212" + "38540010A00000072701240006970423011000999999990208QRIBFTTA5303704" + "54041000" + "5802VN" + "62190703T010808ORDER123" + "64060002vi"))
	f.Add("6304")
	f.Add("")
	f.Fuzz(func(t *testing.T, payload string) {
		c, err := Parse(payload)
		if err != nil {
			if !errors.Is(err, ErrCRC) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse(%q) error %v is neither ErrCRC nor ErrMalformed", payload, err)
			}
			return
		}
		rebuilt, err := Build(c.Payload)
		if err != nil {
			return // parsed fields the builder does not write (e.g. a lettered card alias); fine
		}
		again, err := Parse(rebuilt)
		if err != nil {
			t.Fatalf("Parse(Build(%+v)) = %v", c.Payload, err)
		}
		want := c.Payload
		want.MerchantName = Label(want.MerchantName, MaxMerchantNameLen)
		want.MerchantCity = Label(want.MerchantCity, MaxMerchantCityLen)
		if !reflect.DeepEqual(again.Payload, want) {
			t.Fatalf("round trip changed the payload\n got %+v\nwant %+v", again.Payload, want)
		}
	})
}

// FuzzBuildParse builds payloads from arbitrary fields: whatever Build accepts must parse back to the same
// fields, and building the parsed fields again must give the same string.
func FuzzBuildParse(f *testing.F) {
	f.Add(false, "970436", "0071000123456", "QRIBFTTA", "5812", int64(150000), "Quán Ăn Ngon", "Hà Nội", "B1", "R1", "GG7K2QX9")
	f.Add(true, "970405", "9704050000000000", "QRIBFTTC", "", int64(0), "", "", "", "", "")
	f.Fuzz(func(t *testing.T, static bool, bin, account, service, mcc string, amount int64, name, city, bill, ref, purpose string) {
		p := Payload{Static: static, BankBIN: bin, Account: account, Service: Service(service), MCC: mcc,
			Amount: money.VND(amount), MerchantName: name, MerchantCity: city, BillNumber: bill, ReferenceLabel: ref, Purpose: purpose}
		s, err := Build(p)
		if err != nil {
			return
		}
		c, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(Build(%+v)) = %v\npayload %q", p, err, s)
		}
		if c.BankBIN != bin || c.Account != account || c.Amount != money.VND(amount) || c.Static != static || c.MCC != mcc {
			t.Fatalf("fields changed: %+v from %+v", c.Payload, p)
		}
		if c.Purpose != Fold(purpose) || c.BillNumber != Fold(bill) || c.ReferenceLabel != Fold(ref) {
			t.Fatalf("labels changed: %+v from %+v", c.Payload, p)
		}
		again, err := Build(c.Payload)
		if err != nil || again != s {
			t.Fatalf("rebuild = %q, %v; want %q", again, err, s)
		}
	})
}

package vietqr

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
)

func TestCRCCheckValue(t *testing.T) {
	if got := CRC("123456789"); got != "29B1" {
		t.Fatalf("CRC(123456789) = %s, want 29B1", got)
	}
	if got := CRC(""); got != "FFFF" {
		t.Fatalf("CRC(\"\") = %s, want FFFF", got)
	}
}

func TestCRCIsZeroPadded(t *testing.T) {
	// Search a short input whose CRC is below 0x1000: %X would print 3 digits, %04X must print 4.
	for i := range 100000 {
		s := "x" + strings.Repeat("a", i%7) + string(rune('0'+i%10)) + string(rune('A'+i/10%26)) + string(rune('a'+i/260%26))
		if c := CRC(s); c[0] == '0' {
			if len(c) != 4 {
				t.Fatalf("CRC(%q) = %q, want 4 digits", s, c)
			}
			return
		}
	}
	t.Fatal("no CRC below 0x1000 found; widen the search")
}

// vectors are spec §2.6: every payload with the Payload our builder must rebuild it from.
var vectors = []struct {
	name    string
	payload string
	want    Payload
}{
	{"1 NAPAS static to card", "00020101021138600010A00000072701300006970403011697040311012345670208QRIBFTTC53037045802VN63044F52",
		Payload{Static: true, BankBIN: "970403", Account: "9704031101234567", Service: ToCard}},
	{"2 NAPAS dynamic to account", "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA530370454061800005802VN62340107NPS68690819thanh toan don hang63042E2E",
		Payload{BankBIN: "970403", Account: "0011012345678", Service: ToAccount, Amount: 180000, BillNumber: "NPS6869", Purpose: "thanh toan don hang"}},
	{"3 NAPAS dynamic to card", "00020101021238600010A00000072701300006970403011697040311012345670208QRIBFTTC530370454061800005802VN62340107NPS68690819thanh toan don hang6304A203",
		Payload{BankBIN: "970403", Account: "9704031101234567", Service: ToCard, Amount: 180000, BillNumber: "NPS6869", Purpose: "thanh toan don hang"}},
	{"4 subiz README", "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN62170813ung ho lu lut6304C15C",
		Payload{BankBIN: "970415", Account: "0011001932418", Service: ToAccount, Amount: 120000, Purpose: "ung ho lu lut"}},
	{"5 subiz static no amount", "00020101021138540010A00000072701240006970423011000999999990208QRIBFTTA53037045802VN6304CBB4",
		Payload{Static: true, BankBIN: "970423", Account: "0099999999", Service: ToAccount}},
	{"6 subiz test text", "00020101021238570010A00000072701270006970422011300234579234420208QRIBFTTA53037045405401235802VN62200816test text string6304D9C6",
		Payload{BankBIN: "970422", Account: "0023457923442", Service: ToAccount, Amount: 40123, Purpose: "test text string"}},
	{"7 subiz diacritics", "00020101021238570010A00000072701270006970422011300234579234420208QRIBFTTA53037045405401235802VN62160812chuyen khoan6304722F",
		Payload{BankBIN: "970422", Account: "0023457923442", Service: ToAccount, Amount: 40123, Purpose: "chuyen khoan"}},
}

func TestParseSpecVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := Parse(v.payload)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got.Payload, v.want) {
				t.Fatalf("Payload\n got %+v\nwant %+v", got.Payload, v.want)
			}
			if got.CRC != v.payload[len(v.payload)-4:] {
				t.Fatalf("CRC = %s", got.CRC)
			}
		})
	}
}

func TestBuildReproducesSpecVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := Build(v.want)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if got != v.payload {
				t.Fatalf("Build\n got %s\nwant %s", got, v.payload)
			}
		})
	}
}

func TestBuildStripsDiacriticsFromPurpose(t *testing.T) {
	// Vector 7 was made from "chuyển khoản".
	p := vectors[6].want
	p.Purpose = "chuyển khoản"
	got, err := Build(p)
	if err != nil {
		t.Fatal(err)
	}
	if got != vectors[6].payload {
		t.Fatalf("got %s", got)
	}
}

func TestParseRejectsSpecErrata(t *testing.T) {
	tests := []struct {
		name, payload string
		want          error
	}{
		// [Q1] 6.1.1: the account's length says 12 but 13 digits follow; F4E5 is the CRC of that string.
		{"6.1.1 wrong nested length", "00020101021138570010A00000072701270006970403011200110123456780208QRIBFTTA53037045802VN6304F4E5", ErrMalformed},
		// [Q1] 6.1.4 headline: no amount, but the CRC of the row with an amount.
		{"6.1.4 headline CRC", "00020101021138600010A00000072701300006970403011697040311012345670208QRIBFTTC5303704" +
			"5802VN62340107NPS68690819thanh toan don hang6304A203", ErrCRC},
		{"tampered amount", strings.Replace(vectors[1].payload, "5406180000", "5406190000", 1), ErrCRC},
		{"no CRC", "000201010212", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.payload)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse error = %v, want %v", err, tt.want)
			}
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("kind = %v, want invalid", apperr.KindOf(err))
			}
		})
	}
}

func TestWellFormedErratumHasComputedCRC(t *testing.T) {
	// The spec computed 9E6F for 6.1.1 with the length fixed to 13.
	p := Payload{Static: true, BankBIN: "970403", Account: "0011012345678"}
	got, err := Build(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(got, "6304"+"9E6F") {
		t.Fatalf("got %s, want CRC 9E6F", got)
	}
}

// withCRC appends "6304" and the right CRC to a body, so structural errors are tested past the CRC check.
func withCRC(body string) string { return body + "6304" + CRC(body+"6304") }

func TestParseRejectsStructuralErrors(t *testing.T) {
	tests := []struct{ name, body string }{
		{"00 not first", "010212000201" + "38540010A00000072701240006970423011000999999990208QRIBFTTA5303704" + "5802VN"},
		{"bad initiation", "000201010213" + "38540010A00000072701240006970423011000999999990208QRIBFTTA5303704" + "5802VN"},
		{"no 38", "000201010212" + "5303704" + "5406100000" + "5802VN"},
		{"wrong GUID", "000201010211" + "38540010A00000072801240006970423011000999999990208QRIBFTTA5303704" + "5802VN"},
		{"bad service", "000201010211" + "38540010A00000072701240006970423011000999999990208QRIBFTTX5303704" + "5802VN"},
		{"short BIN", "000201010211" + "38530010A0000007270123000597042301100099999999" + "0208QRIBFTTA5303704" + "5802VN"},
		{"other currency", "000201010211" + "38540010A00000072701240006970423011000999999990208QRIBFTTA5303840" + "5802VN"},
		{"no country", "000201010211" + "38540010A00000072701240006970423011000999999990208QRIBFTTA5303704"},
		{"fractional amount", "000201010212" + "38540010A00000072701240006970423011000999999990208QRIBFTTA5303704" + "54071000.50" + "5802VN"},
		{"zero amount", "000201010212" + "38540010A00000072701240006970423011000999999990208QRIBFTTA5303704" + "54010" + "5802VN"},
		{"repeated object", "000201010212" + "38540010A00000072701240006970423011000999999990208QRIBFTTA5303704" + "5802VN5802VN"},
		{"zero length", "000201010212" + "38540010A00000072701240006970423011000999999990208QRIBFTTA5303704" + "5802VN5900"},
		{"62 overruns", "000201010212" + "38540010A00000072701240006970423011000999999990208QRIBFTTA5303704" + "5802VN" + "62060810abc"},
		{"non-digit length", "000201010212" + "38540010A00000072701240006970423011000999999990208QRIBFTTA5303704" + "58x2VN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(withCRC(tt.body))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse error = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestParseAcceptsWholeAmountWithZeroFraction(t *testing.T) {
	c, err := Parse(withCRC("000201010212" + "38540010A00000072701240006970423011000999999990208QRIBFTTA5303704" + "54081000.0005802VN"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Amount != 1000 {
		t.Fatalf("Amount = %d", c.Amount)
	}
}

func TestParseKeepsUnknownObjects(t *testing.T) {
	body := "000201010212" + "38540010A00000072701240006970423011000999999990208QRIBFTTA5303704" + "54041000" + "5802VN" +
		"62190703T010808ORDER123" + "64060002vi"
	c, err := Parse(withCRC(body))
	if err != nil {
		t.Fatal(err)
	}
	if c.Purpose != "ORDER123" {
		t.Fatalf("Purpose = %q", c.Purpose)
	}
	var ids []string
	for _, o := range c.Objects {
		ids = append(ids, o.ID)
	}
	if got := strings.Join(ids, ","); got != "00,01,38,53,54,58,62,64,63" {
		t.Fatalf("objects = %s", got)
	}
	if sub := c.Objects[6].Sub; len(sub) != 2 || sub[0].ID != "07" || sub[0].Value != "T01" {
		t.Fatalf("62 sub-objects = %+v", sub)
	}
}

func TestBuildFullPayloadRoundTrips(t *testing.T) {
	p := Payload{
		BankBIN: "970405", Account: "1234567890123", MCC: "5812", Amount: 1_250_000,
		MerchantName: "Quán Phở Đầu Đình Bà Tư Hà Nội Ngon", MerchantCity: "Thành phố Hồ Chí Minh",
		BillNumber: "B-77", ReferenceLabel: "Bàn 12", Purpose: "GG7K2QX9",
	}
	s, err := Build(p)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	want := p
	want.Service = ToAccount
	want.MerchantName = "Quan Pho Dau Dinh Ba Tu H" // folded, cut to 25
	want.MerchantCity = "Thanh pho Ho Ch"           // folded, cut to 15
	want.ReferenceLabel = "Ban 12"
	if !reflect.DeepEqual(c.Payload, want) {
		t.Fatalf("round trip\n got %+v\nwant %+v", c.Payload, want)
	}
	again, err := Build(c.Payload)
	if err != nil || again != s {
		t.Fatalf("rebuild = %s, %v; want %s", again, err, s)
	}
}

func TestBuildRejectsBadInput(t *testing.T) {
	ok := Payload{BankBIN: "970436", Account: "0071000123456", Amount: 50000, Purpose: "GG1"}
	tests := []struct {
		name  string
		edit  func(*Payload)
		field string
	}{
		{"short BIN", func(p *Payload) { p.BankBIN = "97043" }, "bank_bin"},
		{"letters in BIN", func(p *Payload) { p.BankBIN = "97043A" }, "bank_bin"},
		{"empty account", func(p *Payload) { p.Account = "" }, "account"},
		{"long account", func(p *Payload) { p.Account = strings.Repeat("1", 20) }, "account"},
		{"account with space", func(p *Payload) { p.Account = "0071 000" }, "account"},
		{"bad service", func(p *Payload) { p.Service = "QRPUSH" }, "service"},
		{"bad MCC", func(p *Payload) { p.MCC = "58" }, "mcc"},
		{"dynamic without amount", func(p *Payload) { p.Amount = 0 }, "amount"},
		{"negative amount", func(p *Payload) { p.Amount = -1 }, "amount"},
		{"14-digit amount", func(p *Payload) { p.Amount = money.VND(10_000_000_000_000) }, "amount"},
		{"long purpose", func(p *Payload) { p.Purpose = strings.Repeat("A", 26) }, "purpose"},
		{"emoji purpose", func(p *Payload) { p.Purpose = "GG1 🍜" }, "purpose"},
		{"control char bill", func(p *Payload) { p.BillNumber = "a\tb" }, "bill_number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok
			tt.edit(&p)
			_, err := Build(p)
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("Build error = %v, want invalid", err)
			}
			fields := apperr.Fields(err)
			if len(fields) != 1 || fields[0].Field != tt.field {
				t.Fatalf("fields = %+v, want one on %s", fields, tt.field)
			}
		})
	}
	if _, err := Build(ok); err != nil {
		t.Fatalf("the valid payload fails: %v", err)
	}
}

func TestStaticCodeMayCarryAmount(t *testing.T) {
	s, err := Build(Payload{Static: true, BankBIN: "970436", Account: "0071000123456", Amount: 20000})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(s)
	if err != nil || !c.Static || c.Amount != 20000 {
		t.Fatalf("Parse = %+v, %v", c, err)
	}
}

func TestParseAcceptsLowercaseCRC(t *testing.T) {
	v := vectors[1].payload
	if _, err := Parse(v[:len(v)-4] + strings.ToLower(v[len(v)-4:])); err != nil {
		t.Fatal(err)
	}
}

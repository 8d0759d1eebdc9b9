package vietqr

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// Object is one data object of a payload as read: its ID, its raw value, and, for a template, the objects
// nested in the value.
type Object struct {
	ID    string
	Value string
	Sub   []Object
}

// Code is a parsed VietQR: the interpreted Payload, every root object in payload order (templates decoded
// into Sub) so unknown objects are not lost, and the checksum as written.
type Code struct {
	Payload
	Objects []Object
	CRC     string
}

// Parse reads a VietQR payload and checks it: the CRC of ID 63 against the content, the nesting of every
// template, the presence and format of the mandatory objects (00 = 01 first, 01 = 11/12, 38 with the NAPAS
// GUID, BNB ID and account, 53 = 704, 58 = VN, 63 last) and, when present, 54 (a whole, non-zero amount of
// đồng) and the ID 62 labels. A payload that fails gets an apperr Invalid error wrapping ErrCRC or
// ErrMalformed.
func Parse(payload string) (*Code, error) {
	if len(payload) < 8 || payload[len(payload)-8:len(payload)-4] != "6304" {
		return nil, malformed("payload must end with the CRC object 6304XXXX")
	}
	body, crc := payload[:len(payload)-4], payload[len(payload)-4:]
	if want := CRC(body); !strings.EqualFold(crc, want) {
		return nil, &apperr.Error{Kind: apperr.Invalid, Message: "VietQR checksum mismatch",
			Err: fmt.Errorf("%w: payload says %s, content gives %s", ErrCRC, crc, want)}
	}
	objects, err := parseObjects([]rune(payload), true)
	if err != nil {
		return nil, err
	}
	c := &Code{Objects: objects, CRC: crc}
	if err := c.interpret(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseObjects splits s into data objects; at the root it also decodes templates one level down (and the
// NAPAS beneficiary template inside 38).
func parseObjects(s []rune, root bool) ([]Object, error) {
	var out []Object
	seen := map[string]bool{}
	for i := 0; i < len(s); {
		if len(s)-i < 4 {
			return nil, malformed("truncated object header at character %d", i)
		}
		id, lenText := string(s[i:i+2]), string(s[i+2:i+4])
		if !isDigits(id) || !isDigits(lenText) {
			return nil, malformed("object header %q at character %d is not ID+LEN digits", string(s[i:i+4]), i)
		}
		n, _ := strconv.Atoi(lenText)
		if n == 0 {
			return nil, malformed("object %s has length 00", id)
		}
		if i+4+n > len(s) {
			return nil, malformed("object %s says %d characters but only %d remain", id, n, len(s)-i-4)
		}
		if seen[id] {
			return nil, malformed("object %s appears twice", id)
		}
		seen[id] = true
		o := Object{ID: id, Value: string(s[i+4 : i+4+n])}
		if root && isTemplate(id) {
			sub, err := parseObjects([]rune(o.Value), false)
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", id, err)
			}
			o.Sub = sub
			if id == "38" {
				for k := range o.Sub {
					if o.Sub[k].ID == "01" {
						bene, err := parseObjects([]rune(o.Sub[k].Value), false)
						if err != nil {
							return nil, fmt.Errorf("template 38/01: %w", err)
						}
						o.Sub[k].Sub = bene
					}
				}
			}
		}
		out = append(out, o)
		i += 4 + n
	}
	return out, nil
}

// isTemplate reports whether a root ID holds nested data objects: merchant account templates 26–51, the
// additional data 62, the alternate-language template 64 and the reserved templates 80–99.
func isTemplate(id string) bool {
	n, _ := strconv.Atoi(id)
	return n >= 26 && n <= 51 || n == 62 || n == 64 || n >= 80
}

// interpret fills c.Payload from c.Objects and checks the mandatory objects.
func (c *Code) interpret() error {
	objs := c.Objects
	if objs[0].ID != "00" || objs[0].Value != "01" {
		return malformed("object 00 must come first with value 01")
	}
	if last := objs[len(objs)-1]; last.ID != "63" || len(last.Value) != 4 {
		return malformed("object 63 (CRC) must come last with 4 characters")
	}
	byID := map[string]Object{}
	for _, o := range objs {
		byID[o.ID] = o
	}
	switch v := byID["01"].Value; v {
	case "11":
		c.Static = true
	case "12":
	default:
		return malformed("object 01 (point of initiation) must be 11 or 12, not %q", v)
	}
	if err := c.interpretMerchant(byID["38"]); err != nil {
		return err
	}
	if v := byID["53"].Value; v != CurrencyVND {
		return malformed("object 53 (currency) must be 704 (VND), not %q", v)
	}
	if v := byID["58"].Value; v != CountryVN {
		return malformed("object 58 (country) must be VN, not %q", v)
	}
	if o, ok := byID["52"]; ok {
		if len(o.Value) != 4 || !isDigits(o.Value) {
			return malformed("object 52 (MCC) must be 4 digits")
		}
		c.MCC = o.Value
	}
	if o, ok := byID["54"]; ok {
		amount, err := parseAmount(o.Value)
		if err != nil {
			return err
		}
		c.Amount = amount
	}
	for id, dst := range map[string]*string{"59": &c.MerchantName, "60": &c.MerchantCity} {
		if o, ok := byID[id]; ok {
			if !isANS(o.Value) {
				return malformed("object %s must be printable ASCII", id)
			}
			*dst = o.Value
		}
	}
	if o, ok := byID["62"]; ok {
		for _, s := range o.Sub {
			var dst *string
			switch s.ID {
			case "01":
				dst = &c.BillNumber
			case "05":
				dst = &c.ReferenceLabel
			case "08":
				dst = &c.Purpose
			default:
				continue
			}
			if !isANS(s.Value) || len(s.Value) > MaxLabelLen {
				return malformed("object 62/%s must be at most 25 printable ASCII characters", s.ID)
			}
			*dst = s.Value
		}
	}
	return nil
}

func (c *Code) interpretMerchant(o Object) error {
	if o.ID == "" {
		return malformed("object 38 (NAPAS merchant account) is missing")
	}
	var guid, service string
	var bene []Object
	for _, s := range o.Sub {
		switch s.ID {
		case "00":
			guid = s.Value
		case "01":
			bene = s.Sub
		case "02":
			service = s.Value
		}
	}
	if guid != NAPASGUID {
		return malformed("object 38/00 must be the NAPAS GUID %s, not %q", NAPASGUID, guid)
	}
	for _, s := range bene {
		switch s.ID {
		case "00":
			c.BankBIN = s.Value
		case "01":
			c.Account = s.Value
		}
	}
	if len(c.BankBIN) != 6 || !isDigits(c.BankBIN) {
		return malformed("object 38/01/00 must be a 6-digit BNB ID, not %q", c.BankBIN)
	}
	if c.Account == "" || len(c.Account) > MaxAccountLen || !isANS(c.Account) {
		return malformed("object 38/01/01 must be an account or card number of 1–19 characters")
	}
	switch Service(service) {
	case ToAccount, ToCard:
		c.Service = Service(service)
	default:
		return malformed("object 38/02 must be QRIBFTTA or QRIBFTTC, not %q", service)
	}
	return nil
}

// parseAmount reads ID 54: digits with an optional decimal point; VND has no minor unit, so any non-zero
// fraction is refused, as is a zero amount.
func parseAmount(v string) (money.VND, error) {
	whole, frac, hasDot := strings.Cut(v, ".")
	if !isDigits(whole) || hasDot && frac != "" && !isDigits(frac) || strings.Trim(frac, "0") != "" {
		return 0, malformed("object 54 (amount) must be a whole number of dong, not %q", v)
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || n <= 0 {
		return 0, malformed("object 54 (amount) must be above 0, not %q", v)
	}
	return money.VND(n), nil
}

func malformed(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &apperr.Error{Kind: apperr.Invalid, Message: "malformed VietQR: " + msg, Err: fmt.Errorf("%w: %s", ErrMalformed, msg)}
}

// Package vietqr builds and reads VietQR codes: the EMVCo merchant-presented QR payload as NAPAS 247 profiles
// it (spec §2), which every Vietnamese banking app scans to pre-fill an interbank transfer to a shop's account.
// It also ships the bank list (BNB IDs), renders a payload as a PNG or SVG QR image, and normalises a bank
// transfer note so the payment module can find the order code a payer carried over from the QR.
//
// Rules this package keeps (spec §2.1–§2.5):
//   - A data object is ID (2 digits) + LEN (2 digits, 01–99) + value; templates (26–51, 62, 64, 80–99, and
//     the beneficiary sub-template 38/01) nest the same way. Lengths count characters.
//   - The builder writes 00 first, 63 last and every other object in ascending ID order; the parser keeps the
//     order it reads (the CRC covers it) and never reorders.
//   - ANS values (names, city, the ID 62 labels) are printable ASCII: Vietnamese diacritics are stripped and
//     đ/Đ become d/D before a value is written.
//   - Amounts are whole đồng (money.VND) written as plain digits; the CRC is CRC-16/CCITT-FALSE over the whole
//     payload including the literal "6304", written as four uppercase hex digits.
//
// VietQR has no payment callback: a transfer is confirmed by a bank-statement webhook (package banktransfer)
// whose note carries the code put in ID 62-08 (Payload.Purpose); see NormalizeNote and NoteContains.
package vietqr

import (
	"errors"
	"strconv"
	"strings"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// Service is the NAPAS service code of template 38: what the account number names.
type Service string

// The NAPAS service codes.
const (
	ToAccount Service = "QRIBFTTA" // interbank fast transfer to a bank account
	ToCard    Service = "QRIBFTTC" // interbank fast transfer to a card number
)

// NAPASGUID is the application identifier NAPAS registers in template 38, sub-field 00.
const NAPASGUID = "A000000727"

// Currency and country of every VietQR: VND (ISO 4217 numeric 704) in Việt Nam.
const (
	CurrencyVND = "704"
	CountryVN   = "VN"
)

// Field limits of the NAPAS profile (characters).
const (
	MaxAccountLen      = 19 // 38/01/01, account or card number
	MaxMerchantNameLen = 25 // 59
	MaxMerchantCityLen = 15 // 60
	MaxLabelLen        = 25 // each 62 sub-field we write (01 bill, 05 reference, 08 purpose)
	maxAmountDigits    = 13 // 54
)

// maxAmount is the largest amount ID 54 can carry: 13 digits.
const maxAmount = money.VND(9_999_999_999_999)

// Payload is what a VietQR says: who is paid, how much, and the note the payer's bank app shows. It is the
// input of Build and the interpreted part of what Parse returns.
type Payload struct {
	// Static marks a reusable code (ID 01 = 11), printed once for a counter; otherwise the code is
	// dynamic (ID 01 = 12): one payment of one amount.
	Static bool
	// BankBIN is the 6-digit BNB ID (acquirer BIN) of the beneficiary bank, e.g. 970436 for Vietcombank.
	// Use the BNB ID from the bank list, not a card BIN (Agribank is 970405).
	BankBIN string
	// Account is the beneficiary's account number (or card number with Service ToCard), at most 19
	// letters and digits.
	Account string
	// Service says whether Account is an account (ToAccount, the default when empty) or a card (ToCard).
	Service Service
	// MCC is the optional 4-digit merchant category code (5812 restaurants, 5813 bars, 5814 fast food).
	MCC string
	// Amount is the sum to pay in đồng. A dynamic code needs it (> 0); a static code may leave it 0 so the
	// payer types the amount.
	Amount money.VND
	// MerchantName (ID 59, ≤25) and MerchantCity (ID 60, ≤15) are optional display labels. Build strips
	// diacritics, drops characters outside printable ASCII and cuts them to their limit.
	MerchantName string
	MerchantCity string
	// BillNumber (62-01), ReferenceLabel (62-05) and Purpose (62-08) are optional labels of ID 62, each at
	// most 25 printable ASCII characters after diacritics are stripped. Purpose is the transfer note banks
	// show and forward: put the order code there.
	BillNumber     string
	ReferenceLabel string
	Purpose        string
}

// Errors a caller can test for with errors.Is; they arrive wrapped in an apperr.Error of kind Invalid.
var (
	// ErrCRC: the payload's checksum (ID 63) does not match its content.
	ErrCRC = errors.New("vietqr: checksum mismatch")
	// ErrMalformed: the payload is not a well-formed VietQR (bad TLV nesting, missing or repeated objects,
	// values of the wrong format).
	ErrMalformed = errors.New("vietqr: malformed payload")
)

// Build returns the payload string of p: objects 00, 01, 38, [52], 53, [54], 58, [59], [60], [62], 63 in that
// order, ending with its CRC. A p that breaks a rule gets an apperr Invalid error naming each bad field.
func Build(p Payload) (string, error) {
	p, fields := normalize(p)
	if len(fields) > 0 {
		return "", &apperr.Error{Kind: apperr.Invalid, Message: "invalid VietQR payload", Fields: fields}
	}
	initiation := "12"
	if p.Static {
		initiation = "11"
	}
	beneficiary := tlv("00", p.BankBIN) + tlv("01", p.Account)
	merchant := tlv("00", NAPASGUID) + tlv("01", beneficiary) + tlv("02", string(p.Service))

	var b strings.Builder
	b.WriteString(tlv("00", "01"))
	b.WriteString(tlv("01", initiation))
	b.WriteString(tlv("38", merchant))
	if p.MCC != "" {
		b.WriteString(tlv("52", p.MCC))
	}
	b.WriteString(tlv("53", CurrencyVND))
	if p.Amount > 0 {
		b.WriteString(tlv("54", strconv.FormatInt(int64(p.Amount), 10)))
	}
	b.WriteString(tlv("58", CountryVN))
	if p.MerchantName != "" {
		b.WriteString(tlv("59", p.MerchantName))
	}
	if p.MerchantCity != "" {
		b.WriteString(tlv("60", p.MerchantCity))
	}
	var extra string
	if p.BillNumber != "" {
		extra += tlv("01", p.BillNumber)
	}
	if p.ReferenceLabel != "" {
		extra += tlv("05", p.ReferenceLabel)
	}
	if p.Purpose != "" {
		extra += tlv("08", p.Purpose)
	}
	if extra != "" {
		b.WriteString(tlv("62", extra))
	}
	b.WriteString("6304")
	b.WriteString(CRC(b.String()))
	return b.String(), nil
}

// normalize applies Build's conversions (service default, ANS folding of labels) and lists what is wrong.
func normalize(p Payload) (Payload, []apperr.FieldError) {
	var fields []apperr.FieldError
	bad := func(field, msg string) { fields = append(fields, apperr.FieldError{Field: field, Message: msg}) }

	if !isDigits(p.BankBIN) || len(p.BankBIN) != 6 {
		bad("bank_bin", "must be the 6-digit BNB ID of the bank")
	}
	if p.Account == "" || len(p.Account) > MaxAccountLen || !isAlnum(p.Account) {
		bad("account", "must be 1–19 letters or digits")
	}
	switch p.Service {
	case "":
		p.Service = ToAccount
	case ToAccount, ToCard:
	default:
		bad("service", "must be QRIBFTTA (account) or QRIBFTTC (card)")
	}
	if p.MCC != "" && (len(p.MCC) != 4 || !isDigits(p.MCC)) {
		bad("mcc", "must be 4 digits")
	}
	switch {
	case p.Amount < 0:
		bad("amount", "must not be negative")
	case p.Amount == 0 && !p.Static:
		bad("amount", "a dynamic VietQR needs an amount above 0")
	case p.Amount > maxAmount:
		bad("amount", "must have at most 13 digits")
	}
	p.MerchantName = Label(p.MerchantName, MaxMerchantNameLen)
	p.MerchantCity = Label(p.MerchantCity, MaxMerchantCityLen)
	for _, l := range []struct {
		field string
		value *string
	}{{"bill_number", &p.BillNumber}, {"reference_label", &p.ReferenceLabel}, {"purpose", &p.Purpose}} {
		v := Fold(*l.value)
		switch {
		case !isANS(v):
			bad(l.field, "must be printable ASCII after diacritics are removed")
		case len(v) > MaxLabelLen:
			bad(l.field, "must be at most 25 characters")
		}
		*l.value = v
	}
	return p, fields
}

// tlv writes one data object. Callers keep values within 99 characters.
func tlv(id, value string) string {
	n := len([]rune(value))
	return id + string(rune('0'+n/10)) + string(rune('0'+n%10)) + value
}

// CRC returns the CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) of s as four
// uppercase hex digits. The CRC of a payload is taken over everything up to and including "6304".
func CRC(s string) string {
	crc := uint16(0xFFFF)
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	const hex = "0123456789ABCDEF"
	return string([]byte{hex[crc>>12], hex[crc>>8&0xF], hex[crc>>4&0xF], hex[crc&0xF]})
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// isANS reports whether s holds only the EMV common character set (printable ASCII, space included).
func isANS(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			return false
		}
	}
	return true
}

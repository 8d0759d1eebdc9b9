package banktransfer

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// SePayBody is the JSON SePay POSTs for each statement line (spec §2.8; extra fields are SePay's).
type SePayBody struct {
	ID              json.Number `json:"id"`
	Gateway         string      `json:"gateway"`
	TransactionDate string      `json:"transactionDate"` // "2006-01-02 15:04:05", GMT+7
	AccountNumber   string      `json:"accountNumber"`
	Code            *string     `json:"code"`
	Content         string      `json:"content"`
	TransferType    string      `json:"transferType"` // "in" or "out"
	TransferAmount  json.Number `json:"transferAmount"`
	Accumulated     json.Number `json:"accumulated,omitempty"`
	SubAccount      *string     `json:"subAccount"`
	ReferenceCode   string      `json:"referenceCode"`
	Description     string      `json:"description"`
}

// SePayDateLayout is the format of SePayBody.TransactionDate, in GMT+7.
const SePayDateLayout = "2006-01-02 15:04:05"

// SePay reads SePay's webhook.
type SePay struct{}

// Name returns "sepay".
func (SePay) Name() string { return "sepay" }

// Parse authenticates the call (Authenticate) and reads the body: id, accountNumber and transactionDate
// required; transferType "in" or "out"; transferAmount a positive integer (a fraction is refused).
func (p SePay) Parse(raw []byte, header http.Header, s Secrets) (Transfer, error) {
	if len(raw) > MaxBody {
		return Transfer{}, apperr.E(apperr.TooLarge, "webhook body over %d bytes", MaxBody)
	}
	if err := Authenticate(raw, header, s); err != nil {
		return Transfer{}, err
	}
	var b SePayBody
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&b); err != nil {
		return Transfer{}, malformed("SePay body is not the expected JSON: %v", err)
	}
	t := Transfer{Provider: p.Name(), ID: string(b.ID), Bank: b.Gateway, AccountNumber: b.AccountNumber,
		Content: b.Content, Reference: b.ReferenceCode}
	if t.ID == "" || t.AccountNumber == "" {
		return Transfer{}, malformed("SePay body needs id and accountNumber")
	}
	switch b.TransferType {
	case "in":
		t.Incoming = true
	case "out":
	default:
		return Transfer{}, malformed("transferType must be in or out, not %q", b.TransferType)
	}
	amount, err := wholeDong(string(b.TransferAmount))
	if err != nil {
		return Transfer{}, err
	}
	t.Amount = amount
	if t.At, err = parseDate(b.TransactionDate); err != nil {
		return Transfer{}, err
	}
	return t, nil
}

// wholeDong reads a positive integer amount: digits only, so 1000.5, 1e3 and -5 are refused.
func wholeDong(s string) (money.VND, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, malformed("transferAmount %q is not a whole number of dong", s)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, malformed("transferAmount %q must be above 0", s)
	}
	return money.VND(n), nil
}

// parseDate reads SePay's "2006-01-02 15:04:05" in GMT+7, or an RFC 3339 time.
func parseDate(s string) (time.Time, error) {
	if t, err := time.ParseInLocation(SePayDateLayout, s, clock.VietnamZone); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, malformed("transactionDate %q is not yyyy-mm-dd hh:mm:ss", s)
}

package vietqr

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"strings"
	"sync"
)

// Bank is one bank of the VietQR list: the BNB ID written in template 38, the short code bank lists use
// (VCB, ICB, …) and the name payers know.
type Bank struct {
	BIN       string `json:"bin"`
	Code      string `json:"code"`
	ShortName string `json:"short_name"`
}

// banksCSV is the shipped bank list; its first line "# version N" names the list's version.
//
//go:embed banks.csv
var banksCSV string

var bankList = sync.OnceValues(func() (bankTable, error) { return parseBanks(banksCSV) })

type bankTable struct {
	version string
	banks   []Bank
	byBIN   map[string]Bank
	byCode  map[string]Bank
}

// Banks returns the shipped bank list in file order and its version (the "# version" line of banks.csv),
// so a client can cache the list and notice a change.
func Banks() (version string, banks []Bank) {
	t := mustBanks()
	return t.version, append([]Bank(nil), t.banks...)
}

// BankByBIN finds a bank by its 6-digit BNB ID.
func BankByBIN(bin string) (Bank, bool) {
	b, ok := mustBanks().byBIN[bin]
	return b, ok
}

// BankByCode finds a bank by its short code, ignoring case ("vcb" finds Vietcombank).
func BankByCode(code string) (Bank, bool) {
	b, ok := mustBanks().byCode[strings.ToUpper(code)]
	return b, ok
}

// mustBanks returns the parsed list; the file is part of the binary and checked by the tests, so a parse
// failure is a build defect.
func mustBanks() bankTable {
	t, err := bankList()
	if err != nil {
		panic(err)
	}
	return t
}

func parseBanks(data string) (bankTable, error) {
	t := bankTable{byBIN: map[string]Bank{}, byCode: map[string]Bank{}}
	first, _, _ := strings.Cut(data, "\n")
	v, ok := strings.CutPrefix(strings.TrimSpace(first), "# version ")
	if !ok || v == "" {
		return t, fmt.Errorf("vietqr: banks.csv must start with \"# version N\"")
	}
	t.version = v
	r := csv.NewReader(strings.NewReader(data))
	r.Comment = '#'
	r.FieldsPerRecord = 3
	rows, err := r.ReadAll()
	if err != nil {
		return t, fmt.Errorf("vietqr: banks.csv: %w", err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != "bin,code,short_name" {
		return t, fmt.Errorf("vietqr: banks.csv header must be bin,code,short_name")
	}
	for _, row := range rows[1:] {
		b := Bank{BIN: row[0], Code: row[1], ShortName: row[2]}
		code := strings.ToUpper(b.Code)
		if len(b.BIN) != 6 || !isDigits(b.BIN) || b.Code == "" || b.ShortName == "" {
			return t, fmt.Errorf("vietqr: banks.csv: bad row %v", row)
		}
		if _, dup := t.byBIN[b.BIN]; dup {
			return t, fmt.Errorf("vietqr: banks.csv: BIN %s twice", b.BIN)
		}
		if _, dup := t.byCode[code]; dup {
			return t, fmt.Errorf("vietqr: banks.csv: code %s twice", b.Code)
		}
		t.banks = append(t.banks, b)
		t.byBIN[b.BIN] = b
		t.byCode[code] = b
	}
	return t, nil
}

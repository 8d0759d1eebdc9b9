package vietqr

import (
	"strings"
	"testing"
)

func TestBankLookups(t *testing.T) {
	tests := []struct {
		bin, code, name string
	}{
		{"970405", "VBA", "Agribank"}, // the BNB ID, not the card BIN 970499
		{"970436", "VCB", "Vietcombank"},
		{"970415", "ICB", "VietinBank"},
		{"970422", "MB", "MBBank"},
		{"546034", "CAKE", "CAKE by VPBank"},
		{"963388", "TIMO", "Timo"},
	}
	for _, tt := range tests {
		b, ok := BankByBIN(tt.bin)
		if !ok || b.Code != tt.code || b.ShortName != tt.name {
			t.Errorf("BankByBIN(%s) = %+v, %v", tt.bin, b, ok)
		}
		b, ok = BankByCode(strings.ToLower(tt.code))
		if !ok || b.BIN != tt.bin {
			t.Errorf("BankByCode(%s) = %+v, %v", tt.code, b, ok)
		}
	}
	if _, ok := BankByBIN("970499"); ok {
		t.Error("970499 (Agribank card BIN) must not be in the BNB list")
	}
	if _, ok := BankByCode("NOPE"); ok {
		t.Error("unknown code found")
	}
}

func TestBankListHasEverySpecRowAndVersion(t *testing.T) {
	version, banks := Banks()
	if version != "1" {
		t.Fatalf("version = %q", version)
	}
	if len(banks) != 24 {
		t.Fatalf("%d banks, want the 24 rows of spec §2.7", len(banks))
	}
	banks[0].Code = "changed"
	if _, again := Banks(); again[0].Code == "changed" {
		t.Fatal("Banks returns the shared slice")
	}
}

func TestParseBanksRejectsBadFiles(t *testing.T) {
	for name, data := range map[string]string{
		"no version":  "bin,code,short_name\n970436,VCB,Vietcombank\n",
		"bad header":  "# version 1\nbin,code,name\n970436,VCB,Vietcombank\n",
		"bad BIN":     "# version 1\nbin,code,short_name\n97043,VCB,Vietcombank\n",
		"dup BIN":     "# version 1\nbin,code,short_name\n970436,VCB,Vietcombank\n970436,VCX,Other\n",
		"dup code":    "# version 1\nbin,code,short_name\n970436,VCB,Vietcombank\n970437,vcb,Other\n",
		"short row":   "# version 1\nbin,code,short_name\n970436,VCB\n",
		"empty names": "# version 1\nbin,code,short_name\n970436,,\n",
	} {
		if _, err := parseBanks(data); err == nil {
			t.Errorf("%s: parseBanks accepted it", name)
		}
	}
}

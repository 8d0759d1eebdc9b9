package inventory

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseQuantityIsExact(t *testing.T) {
	tests := []struct {
		in   string
		want Quantity
		ok   bool
	}{
		{"0", 0, true},
		{"1", 1000, true},
		{"1.5", 1500, true},
		{"0.125", 125, true},
		{"-2.05", -2050, true},
		{"24", 24000, true},
		{"1.500000", 1500, true}, // trailing zeros are not precision
		{"1e3", 1_000_000, true},
		{"1.25E-1", 125, true},
		{"125e-3", 125, true},
		{"1000000000", MaxQuantity, true},
		{"-0", 0, true},
		{"0.0001", 0, false},
		{"1.2345", 0, false},
		{"1e-4", 0, false},
		{"1000000000.001", 0, false},
		{"1e10", 0, false},
		{"01", 0, false},
		{"1.", 0, false},
		{".5", 0, false},
		{"+1", 0, false},
		{"\"1\"", 0, false},
		{"null", 0, false},
		{"1e", 0, false},
		{"1e999999999", 0, false},
		{"", 0, false},
		{"0x10", 0, false},
		{"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseQuantity(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseQuantity(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestQuantityJSONRoundTrip(t *testing.T) {
	for _, q := range []Quantity{0, 1, 10, 100, 125, 1500, 24000, -2050, -1, MaxQuantity, -MaxQuantity} {
		b, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		var back Quantity
		if err := json.Unmarshal(b, &back); err != nil || back != q {
			t.Errorf("%d → %s → %d, %v", q, b, back, err)
		}
	}
	if s := Quantity(1500).String(); s != "1.5" {
		t.Errorf("1500 thousandths = %q, want 1.5", s)
	}
	if s := Quantity(-125).String(); s != "-0.125" {
		t.Errorf("-125 thousandths = %q, want -0.125", s)
	}
	var q Quantity
	if err := json.Unmarshal([]byte(`1.2345`), &q); err == nil {
		t.Error("4 decimals were accepted")
	}
}

func TestConvert(t *testing.T) {
	packs := map[string]Quantity{"thùng": Units(24), "bao": 12500}
	tests := []struct {
		q              Quantity
		from, itemUnit string
		want           Quantity
		bad            string
	}{
		{Units(2), "kg", "g", Units(2000), ""},
		{Units(250), "g", "kg", 250, ""},
		{500, "g", "kg", 0, "precise"},
		{Units(1), "l", "ml", Units(1000), ""},
		{Units(3), "ml", "l", 3, ""},
		{Units(2), "thùng", "lon", Units(48), ""},
		{Units(2), "THÙNG", "lon", Units(48), ""},
		{Units(2), "bao", "kg", Units(25), ""},
		{1, "bao", "kg", 0, "precise"},
		{Units(1), "kg", "ml", 0, "does not convert"},
		{Units(1), "", "ml", Units(1), ""},
		{Units(1), "hộp", "lon", 0, "does not convert"},
	}
	for _, tt := range tests {
		got, msg := convert(tt.q, tt.from, tt.itemUnit, packs)
		if got != tt.want || (tt.bad == "") != (msg == "") || !strings.Contains(msg, tt.bad) {
			t.Errorf("convert(%s %s → %s) = %s, %q; want %s, %q", tt.q, tt.from, tt.itemUnit, got, msg, tt.want, tt.bad)
		}
	}
}

func TestWeightedAverageAndValueRoundHalfUp(t *testing.T) {
	// 2 units at 100 đ, then 1 unit at 101 đ: (200 + 101) / 3 = 100.33 → 100.
	if got := weightedAverage(Units(2).int(), 100, Units(1).int(), 101); got != 100 {
		t.Errorf("average = %d, want 100", got)
	}
	// 1 at 100, 1 at 101: 100.5 → 101 (half up).
	if got := weightedAverage(Units(1).int(), 100, Units(1).int(), 101); got != 101 {
		t.Errorf("average = %d, want 101", got)
	}
	// 0.5 units at 25 đ = 12.5 → 13; -0.5 → -13.
	if v, ok := valueOf(500, 25); !ok || v != 13 {
		t.Errorf("value = %d, want 13", v)
	}
	if v, ok := valueOf(-500, 25); !ok || v != -13 {
		t.Errorf("value = %d, want -13", v)
	}
}

func (q Quantity) int() int64 { return int64(q) }

func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{"1.5", "0.125", "-2", "1e3", "1.2345", "01", "9e-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuantity(s)
		if err != nil {
			return
		}
		if q > MaxQuantity || q < -MaxQuantity {
			t.Fatalf("%q → %d beyond the bounds", s, q)
		}
		back, err := ParseQuantity(q.String())
		if err != nil || back != q {
			t.Fatalf("%q → %d → %q → %d, %v", s, q, q.String(), back, err)
		}
		if !json.Valid([]byte(s)) {
			t.Fatalf("%q accepted but is not JSON", s)
		}
	})
}

package money

import (
	"slices"
	"testing"
)

func TestString(t *testing.T) {
	tests := []struct {
		in   VND
		want string
	}{
		{0, "0 ₫"}, {500, "500 ₫"}, {1000, "1.000 ₫"}, {185000, "185.000 ₫"}, {1234567, "1.234.567 ₫"}, {-25000, "-25.000 ₫"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("VND(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}

func TestPercentRoundsHalfUp(t *testing.T) {
	tests := []struct {
		amount VND
		bp     int64
		want   VND
	}{
		{100000, 800, 8000},   // 8% VAT
		{12345, 1000, 1235},   // 1234.5 → 1235
		{12344, 1000, 1234},   // 1234.4 → 1234
		{-12345, 1000, -1235}, // refunds round away from zero too
		{1, 5000, 1},          // 0.5 → 1
		{0, 1000, 0},
	}
	for _, tt := range tests {
		if got := tt.amount.Percent(tt.bp); got != tt.want {
			t.Errorf("%d × %d bp = %d, want %d", tt.amount, tt.bp, got, tt.want)
		}
	}
}

func TestMulDiv(t *testing.T) {
	// 95 minutes at 150.000 ₫/h = 237.500 ₫.
	if got := VND(150000).MulDiv(95, 60); got != 237500 {
		t.Errorf("got %d, want 237500", got)
	}
	if got := VND(100000).MulDiv(1, 3); got != 33333 {
		t.Errorf("got %d, want 33333", got)
	}
}

func TestSplitAddsUpExactly(t *testing.T) {
	tests := []struct {
		amount VND
		n      int
		want   []VND
	}{
		{100000, 3, []VND{33334, 33333, 33333}},
		{10, 4, []VND{3, 3, 2, 2}},
		{-10, 4, []VND{-3, -3, -2, -2}},
		{90000, 1, []VND{90000}},
	}
	for _, tt := range tests {
		got, err := tt.amount.Split(tt.n)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Split(%d, %d) = %v, want %v", tt.amount, tt.n, got, tt.want)
		}
	}
	if _, err := VND(1).Split(0); err == nil {
		t.Error("Split into 0 parts succeeded")
	}
}

func FuzzSplit(f *testing.F) {
	f.Add(int64(100000), 3)
	f.Add(int64(-7), 5)
	f.Fuzz(func(t *testing.T, amount int64, n int) {
		if n < 1 || n > 1000 {
			return
		}
		parts, err := VND(amount).Split(n)
		if err != nil {
			t.Fatal(err)
		}
		var sum VND
		for _, p := range parts {
			sum += p
		}
		if sum != VND(amount) {
			t.Fatalf("parts of %d add up to %d", amount, sum)
		}
	})
}

package timebill_test

import (
	"slices"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/order/timebill"
)

func TestLunarToSolarKnownDates(t *testing.T) {
	tests := []struct {
		name          string
		day, month, y int
		want          string
	}{
		{"Tết 2024", 1, 1, 2024, "2024-02-10"},
		{"Tết 2025", 1, 1, 2025, "2025-01-29"},
		{"Tết 2026", 1, 1, 2026, "2026-02-17"},
		{"Tết 2027", 1, 1, 2027, "2027-02-06"},
		{"Tết 2023", 1, 1, 2023, "2023-01-22"},
		{"Tết 2033", 1, 1, 2033, "2033-01-31"},
		// Years where a new moon near midnight puts Vietnam's (UTC+7) Tết a month or a day from China's (UTC+8).
		{"Tết 1985 (China 1985-02-20)", 1, 1, 1985, "1985-01-21"},
		{"Tết 2007 (China 2007-02-18)", 1, 1, 2007, "2007-02-17"},
		{"Giỗ Tổ 2025 (before the leap 6th month)", 10, 3, 2025, "2025-04-07"},
		{"Giỗ Tổ 2026", 10, 3, 2026, "2026-04-26"},
		{"Giỗ Tổ 2023 (after the leap 2nd month)", 10, 3, 2023, "2023-04-29"},
		{"Giỗ Tổ 2024", 10, 3, 2024, "2024-04-18"},
		{"Giỗ Tổ 2020 (before the leap 4th month)", 10, 3, 2020, "2020-04-02"},
		{"Giỗ Tổ 2021", 10, 3, 2021, "2021-04-21"},
		{"Trung Thu 2025 (after the leap 6th month)", 15, 8, 2025, "2025-10-06"},
	}
	for _, tt := range tests {
		got, ok := timebill.LunarToSolar(tt.day, tt.month, tt.y, false)
		if !ok || got.Format(time.DateOnly) != tt.want {
			t.Errorf("%s: got %s (ok %v), want %s", tt.name, got.Format(time.DateOnly), ok, tt.want)
		}
	}
	// The leap month itself: 2025's leap 6th month began on 2025-07-25; 2026 has none.
	if got, ok := timebill.LunarToSolar(1, 6, 2025, true); !ok || got.Format(time.DateOnly) != "2025-07-25" {
		t.Errorf("1/6 leap 2025: %s %v", got.Format(time.DateOnly), ok)
	}
	if _, ok := timebill.LunarToSolar(1, 6, 2026, true); ok {
		t.Error("2026 has no leap 6th month")
	}
}

func TestLunarNewYearStaysInItsSeason(t *testing.T) {
	for y := 1950; y <= 2100; y++ {
		tet, ok := timebill.LunarToSolar(1, 1, y, false)
		lo, hi := time.Date(y, 1, 21, 0, 0, 0, 0, timebill.Zone), time.Date(y, 2, 20, 0, 0, 0, 0, timebill.Zone)
		if !ok || tet.Before(lo) || tet.After(hi) {
			t.Errorf("Tết %d on %s, outside 21/1–20/2", y, tet.Format(time.DateOnly))
		}
		next, _ := timebill.LunarToSolar(1, 1, y+1, false)
		if days := next.Sub(tet).Hours() / 24; days < 353 || days > 385 {
			t.Errorf("lunar year %d lasts %v days", y, days)
		}
	}
}

func TestVietnamHolidays(t *testing.T) {
	dates := func(hs []timebill.Holiday) []string {
		var out []string
		for _, h := range hs {
			out = append(out, h.Date)
			if h.Name == "" {
				t.Errorf("%s has no name", h.Date)
			}
		}
		return out
	}
	tests := []struct {
		year int
		want []string
	}{
		// 2/9/2026 is a Wednesday: the day before.
		{2026, []string{"2026-01-01", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
			"2026-04-26", "2026-04-30", "2026-05-01", "2026-09-01", "2026-09-02"}},
		// 2/9/2025 is a Tuesday: Monday 1/9, as decided that year.
		{2025, []string{"2025-01-01", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-01",
			"2025-04-07", "2025-04-30", "2025-05-01", "2025-09-01", "2025-09-02"}},
		// 2/9/2024 is a Monday: Tuesday 3/9, as decided that year.
		{2024, []string{"2024-01-01", "2024-02-09", "2024-02-10", "2024-02-11", "2024-02-12", "2024-02-13",
			"2024-04-18", "2024-04-30", "2024-05-01", "2024-09-02", "2024-09-03"}},
	}
	for _, tt := range tests {
		if got := dates(timebill.VietnamHolidays(tt.year)); !slices.Equal(got, tt.want) {
			t.Errorf("%d:\n got %v\nwant %v", tt.year, got, tt.want)
		}
	}
}

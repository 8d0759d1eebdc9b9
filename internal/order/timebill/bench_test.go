package timebill_test

import (
	"testing"

	"github.com/goodgo/goodgo/internal/order/timebill"
)

// BenchmarkPriceSession prices a 5-hour weekday session that crosses two band edges (three bands) and ends
// with a rounding segment, with a small holiday calendar.
func BenchmarkPriceSession(b *testing.B) {
	stints := []timebill.Stint{{Plan: standard(15, 60), From: at("2026-03-02 17:30:20"), To: at("2026-03-02 22:31:00")}}
	cal := timebill.CalendarOf(timebill.VietnamHolidays(2026))
	b.ReportAllocs()
	for b.Loop() {
		bill, err := timebill.PriceSession(cal, stints)
		if err != nil || len(bill.Segments) != 4 {
			b.Fatalf("%+v, %v", bill, err)
		}
	}
}

// BenchmarkVietnamHolidays computes a year's template (lunar conversions included).
func BenchmarkVietnamHolidays(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if hs := timebill.VietnamHolidays(2026); len(hs) != 11 {
			b.Fatal(hs)
		}
	}
}

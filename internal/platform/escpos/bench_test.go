package escpos_test

import (
	"testing"

	"github.com/goodgo/goodgo/internal/platform/escpos"
)

// BenchmarkKitchenTicket renders and encodes a 20-line kitchen ticket at 80 mm, what the print worker does
// for every job.
func BenchmarkKitchenTicket(b *testing.B) {
	d := kitchenTicket()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := escpos.Encode(d, escpos.Width80mm); err != nil {
			b.Fatal(err)
		}
	}
}

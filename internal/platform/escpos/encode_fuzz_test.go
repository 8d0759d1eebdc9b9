package escpos_test

import (
	"bytes"
	"testing"

	"github.com/goodgo/goodgo/internal/platform/escpos"
)

// FuzzEncode builds documents from arbitrary text and block choices and encodes them. Encode never panics;
// it refuses exactly the documents Validate refuses; what it prints starts with ESC @ and decodes into
// pieces of the paper's width that re-encode to the same pieces.
func FuzzEncode(f *testing.F) {
	f.Add("Bàn 12 – Phở bò tái", "55.000", []byte{0, 1, 2, 3, 4, 5}, false)
	f.Add("000201010212", "", []byte{3, 5}, true)
	f.Add("", "", []byte{}, false)
	f.Add("\xff\xfe", "x", []byte{0}, true)
	f.Add("a very long line of text that must wrap across the whole width of the paper, twice or more", "1.000.000.000 ₫", []byte{0, 1, 0, 1, 5, 0}, true)
	f.Add("\t\n\r\x00\x1b@\x1dV", "\u200b\u0301", []byte{0, 1, 9, 17, 25}, false)
	f.Fuzz(func(t *testing.T, text, right string, kinds []byte, wide bool) {
		if len(kinds) > 12 {
			kinds = kinds[:12] // a ticket, not a book: rendering is the slow part
		}
		var d escpos.Document
		for i, k := range kinds {
			st := escpos.Style{Bold: k&8 != 0, Large: k&16 != 0, Align: []escpos.Align{"", escpos.Left, escpos.Center, escpos.Right}[(k>>5)&3]}
			switch k % 6 {
			case 0:
				d.Text(text, st)
			case 1:
				d.Row(text, right, st)
			case 2:
				d.Separator()
			case 3:
				d.QR(text)
			case 4:
				d.Feed(int(k>>3) + i%2)
			case 5:
				d.Cut()
			}
		}
		width := escpos.Width58mm
		if wide {
			width = escpos.Width80mm
		}
		out, err := escpos.Encode(d, width)
		if verr := d.Validate(); verr != nil {
			if err == nil {
				t.Fatalf("encoded a document Validate refuses (%v)", verr)
			}
			return
		}
		if err != nil {
			t.Fatalf("a valid document did not encode: %v", err)
		}
		if !bytes.HasPrefix(out, []byte{0x1b, '@'}) {
			t.Fatalf("output does not start with ESC @: % x", out[:min(len(out), 8)])
		}
		pieces, err := escpos.Pieces(out)
		if err != nil {
			t.Fatalf("the encoder's output does not decode: %v", err)
		}
		for i, p := range pieces {
			if p.Width != width {
				t.Fatalf("piece %d is %d dots wide, want %d", i, p.Width, width)
			}
		}
		again, err := escpos.Pieces(escpos.EncodeRasters(pieces))
		if err != nil || len(again) != len(pieces) {
			t.Fatalf("re-encoded pieces: %d, %v; want %d", len(again), err, len(pieces))
		}
		for i := range again {
			if !again[i].Equal(pieces[i]) {
				t.Fatalf("piece %d changed when re-encoded", i)
			}
		}
	})
}

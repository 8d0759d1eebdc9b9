package escpos_test

import (
	"bytes"
	"errors"
	"flag"
	"image"
	"image/png"
	"io"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/goodgo/goodgo/internal/platform/escpos"
)

var savePNG = flag.String("png", "", "write the rendered test documents as PNG files with this path prefix")

// vietnameseLetters are every letter Vietnamese writes: the precomposed block U+1EA0–U+1EF9, the letters
// with horn and stroke, and the plain vowels with one mark from Latin-1 and Latin Extended-A.
func vietnameseLetters() []rune {
	rs := []rune("đĐơƠưƯăĂâÂêÊôÔàáảãạÀÁẢÃẠèéẻẽẹÈÉẺẼẸìíỉĩịÌÍỈĨỊòóỏõọÒÓỎÕỌùúủũụÙÚỦŨỤỳýỷỹỵỲÝỶỸỴ")
	for r := rune(0x1EA0); r <= 0x1EF9; r++ {
		rs = append(rs, r)
	}
	return rs
}

func render(t testing.TB, d escpos.Document, width int) []*escpos.Raster {
	t.Helper()
	pieces, err := escpos.Render(d, width)
	if err != nil {
		t.Fatal(err)
	}
	if *savePNG != "" {
		for i, p := range pieces {
			f, err := os.Create(*savePNG + "-" + strings.ReplaceAll(t.Name(), "/", "_") + "-" + string(rune('a'+i)) + ".png")
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, p); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	return pieces
}

// inkColumns returns the runs of columns of r that have black dots, left to right: one run per glyph (or
// per group of touching glyphs).
func inkColumns(r *escpos.Raster) [][2]int {
	var runs [][2]int
	start := -1
	for x := 0; x <= r.Width; x++ {
		ink := x < r.Width && r.BlackDots(image.Rect(x, 0, x+1, r.Height)) > 0
		switch {
		case ink && start < 0:
			start = x
		case !ink && start >= 0:
			runs = append(runs, [2]int{start, x})
			start = -1
		}
	}
	return runs
}

// Every Vietnamese letter draws something, alone on a line, in every weight and size: the embedded font
// has a glyph for it (a missing glyph would draw the empty box of .notdef, which the next check catches).
func TestEveryVietnameseLetterHasAGlyph(t *testing.T) {
	notdef := render(t, escpos.Document{Blocks: []escpos.Block{{Kind: escpos.KindText, Text: "\U0010FFFD"}}}, escpos.Width80mm)[0]
	for _, st := range []escpos.Style{{}, {Bold: true}, {Large: true}, {Large: true, Bold: true}} {
		for _, r := range vietnameseLetters() {
			var d escpos.Document
			d.Text(string(r), st)
			p := render(t, d, escpos.Width80mm)
			if len(p) != 1 || p[0].BlackDots(p[0].Bounds()) == 0 {
				t.Errorf("%q (%+v) draws nothing", r, st)
				continue
			}
			if !st.Bold && !st.Large && p[0].Equal(notdef) {
				t.Errorf("%q draws the missing-glyph box", r)
			}
		}
	}
}

// The kitchen line of the brief draws one ink run per letter group and nothing is lost: each word's
// letters all have ink, the marks too (a letter and its mark differ from the bare letter).
func TestVietnameseLineRendersEveryLetter(t *testing.T) {
	const line = "Cà phê sữa đá – Bàn 5 – ít đường"
	var d escpos.Document
	d.Text(line, escpos.Style{})
	p := render(t, d, escpos.Width80mm)
	if len(p) != 1 {
		t.Fatalf("got %d pieces, want 1", len(p))
	}
	// Each non-space character alone draws ink, and differs from its base letter when it has a mark.
	for _, r := range line {
		if unicode.IsSpace(r) {
			continue
		}
		var one, base escpos.Document
		one.Text(string(r), escpos.Style{})
		got := render(t, one, escpos.Width80mm)[0]
		if got.BlackDots(got.Bounds()) == 0 {
			t.Errorf("%q draws nothing", r)
		}
		if b := baseLetter(r); b != r {
			base.Text(string(b), escpos.Style{})
			if render(t, base, escpos.Width80mm)[0].Equal(got) {
				t.Errorf("%q draws like %q: its mark is missing", r, b)
			}
		}
	}
	// The whole line is on one line (it fits 80 mm) with at least one ink run per word.
	words := len(strings.Fields(line))
	if runs := inkColumns(p[0]); len(runs) < words {
		t.Errorf("the line has %d ink runs, want at least one per word (%d)", len(runs), words)
	}
}

func baseLetter(r rune) rune {
	switch r {
	case 'à', 'á':
		return 'a'
	case 'ê':
		return 'e'
	case 'ữ':
		return 'u'
	case 'đ':
		return 'd'
	case 'í':
		return 'i'
	case 'ư':
		return 'u'
	case 'ờ':
		return 'o'
	}
	return r
}

// Decomposed input (as some keyboards send it) draws the same as precomposed.
func TestDecomposedTextDrawsLikePrecomposed(t *testing.T) {
	var nfc, nfd escpos.Document
	nfc.Text("Phở bò tái", escpos.Style{})
	nfd.Text("Pho\u031b\u0309 bo\u0300 ta\u0301i", escpos.Style{})
	if !render(t, nfc, escpos.Width80mm)[0].Equal(render(t, nfd, escpos.Width80mm)[0]) {
		t.Error("NFD text draws differently from NFC")
	}
}

// Stacked marks above capitals (Ấ) reach high above the cap height; the line's box holds them whole: no ink
// touches the strip's top row.
func TestStackedMarksAreNotClipped(t *testing.T) {
	var plain, stacked escpos.Document
	plain.Text("AAA", escpos.Style{Large: true})
	stacked.Text("ẤẦẪ", escpos.Style{Large: true})
	p, s := render(t, plain, escpos.Width80mm)[0], render(t, stacked, escpos.Width80mm)[0]
	if s.Height < p.Height {
		t.Errorf("stacked line is %d dots tall, plain %d", s.Height, p.Height)
	}
	if s.BlackDots(image.Rect(0, 0, s.Width, 1)) != 0 {
		t.Error("ink on the first row: the marks touch the strip's top edge")
	}
}

func TestLongTextWrapsWithinThePaper(t *testing.T) {
	for _, width := range []int{escpos.Width80mm, escpos.Width58mm} {
		var one, long escpos.Document
		one.Text("Trà", escpos.Style{})
		long.Text(strings.Repeat("Trà đào cam sả ", 12)+strings.Repeat("X", 200), escpos.Style{Large: true})
		line := render(t, one, width)[0].Height
		p := render(t, long, width)[0]
		if p.Width != width {
			t.Errorf("width %d, want %d", p.Width, width)
		}
		if p.Height < 5*line {
			t.Errorf("width %d: %d dots tall, want several lines", width, p.Height)
		}
	}
}

func TestRowPutsTheAmountOnTheRight(t *testing.T) {
	var d escpos.Document
	d.Row("Bạc xỉu", "29.000", escpos.Style{})
	p := render(t, d, escpos.Width80mm)[0]
	runs := inkColumns(p)
	if len(runs) < 3 {
		t.Fatalf("ink runs %v: want the name, leaders and the amount", runs)
	}
	if last := runs[len(runs)-1]; last[1] < escpos.Width80mm-12 {
		t.Errorf("the amount ends at dot %d, want it near the right edge", last[1])
	}
	if first := runs[0]; first[0] > 12 {
		t.Errorf("the name starts at dot %d, want it near the left edge", first[0])
	}
}

func TestCutsSplitPiecesAndEmptyCutsAreIgnored(t *testing.T) {
	var d escpos.Document
	d.Cut().Text("Bếp", escpos.Style{}).Cut().Cut().Text("Bar", escpos.Style{}).Separator().Feed(2)
	p := render(t, d, escpos.Width58mm)
	if len(p) != 2 {
		t.Fatalf("got %d pieces, want 2", len(p))
	}
}

func TestQRCodeIsCentredAndScanableSize(t *testing.T) {
	var d escpos.Document
	d.QR("00020101021238570010A00000072701270006970436011300123456789010208QRIBFTTA53037045405290005802VN62150811Ban 5 HD1236304ABCD")
	p := render(t, d, escpos.Width80mm)[0]
	runs := inkColumns(p)
	left, right := runs[0][0], runs[len(runs)-1][1]
	if d := (left - (escpos.Width80mm - right)); d < -1 || d > 1 {
		t.Errorf("QR spans dots %d–%d: not centred", left, right)
	}
	if right-left < 200 {
		t.Errorf("QR is %d dots wide, want at least 25 mm", right-left)
	}
}

func TestInvalidDocumentsAreRefused(t *testing.T) {
	for name, d := range map[string]escpos.Document{
		"empty":        {},
		"unknown kind": {Blocks: []escpos.Block{{Kind: "image"}}},
		"bad align":    {Blocks: []escpos.Block{{Kind: escpos.KindText, Style: escpos.Style{Align: "justify"}}}},
		"long text":    {Blocks: []escpos.Block{{Kind: escpos.KindText, Text: strings.Repeat("a", escpos.MaxTextLen+1)}}},
		"huge feed":    {Blocks: []escpos.Block{{Kind: escpos.KindFeed, Lines: 1000}}},
		"empty QR":     {Blocks: []escpos.Block{{Kind: escpos.KindQR}}},
		"bad UTF-8":    {Blocks: []escpos.Block{{Kind: escpos.KindText, Text: "\xff"}}},
	} {
		if _, err := escpos.Render(d, escpos.Width80mm); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
	if _, err := escpos.Render(escpos.Document{Blocks: []escpos.Block{{Kind: escpos.KindCut}}}, 100); err == nil {
		t.Error("a width that is not a multiple of 8 was accepted")
	}
}

// kitchenTicket is a realistic 20-line ticket for one station.
func kitchenTicket() escpos.Document {
	var d escpos.Document
	d.Text("BẾP – Bàn 12", escpos.Style{Large: true, Bold: true, Align: escpos.Center}).
		Text("Phiếu #A-0042 · 19:42 · Thu ngân: Ngọc Ánh", escpos.Style{Align: escpos.Center}).Separator()
	items := []string{"Phở bò tái nạm", "Bún chả Hà Nội", "Cơm tấm sườn bì chả", "Gỏi cuốn tôm thịt",
		"Bánh xèo miền Tây", "Chả giò rế", "Canh chua cá lóc", "Cá kho tộ", "Rau muống xào tỏi"}
	for i, it := range items {
		d.Row(it, "×"+string(rune('1'+i%3)), escpos.Style{Large: true})
		if i%3 == 0 {
			d.Text("  ghi chú: ít hành, không rau mùi", escpos.Style{})
		}
	}
	d.Separator().Text("Gửi lúc 19:42:07", escpos.Style{Align: escpos.Right}).Feed(2).Cut()
	return d
}

// Encoding then decoding gives back the rasters Render drew, with one cut per piece.
func TestEncodeDecodeRoundTrip(t *testing.T) {
	receipt := kitchenTicket()
	receipt.Text("Hoá đơn", escpos.Style{Bold: true}).Row("Tổng cộng", "1.250.000 ₫", escpos.Style{Bold: true}).
		QR("00020101021238570010A000000727").Text("Cảm ơn quý khách!", escpos.Style{Align: escpos.Center})
	for _, width := range []int{escpos.Width80mm, escpos.Width58mm} {
		want := render(t, receipt, width)
		b, err := escpos.Encode(receipt, width)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte{0x1b, '@'}) {
			t.Errorf("the stream does not start with ESC @")
		}
		cmds, err := escpos.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		cuts, bands := 0, 0
		for _, c := range cmds {
			switch c.Op {
			case escpos.OpCut:
				cuts++
			case escpos.OpRaster:
				bands++
				if c.Raster.Height > escpos.BandRows || c.Raster.Width != width {
					t.Errorf("band of %d×%d dots", c.Raster.Width, c.Raster.Height)
				}
			}
		}
		if cuts != 2 || bands < 4 {
			t.Errorf("%d cuts and %d bands, want 2 cuts and several bands", cuts, bands)
		}
		got, err := escpos.Pieces(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("decoded %d pieces, want %d", len(got), len(want))
		}
		for i := range got {
			if !got[i].Equal(want[i]) {
				t.Errorf("piece %d differs after the round trip", i)
			}
		}
	}
}

// Render is deterministic, which the round trip and reprints rely on.
func TestRenderIsDeterministic(t *testing.T) {
	a, b := render(t, kitchenTicket(), escpos.Width80mm), render(t, kitchenTicket(), escpos.Width80mm)
	if len(a) != 1 || !a[0].Equal(b[0]) {
		t.Error("two renders of one document differ")
	}
}

func TestDecoderReadsTextModeAndRejectsGarbage(t *testing.T) {
	cmds, err := escpos.Decode([]byte("\x1b@\x1ba\x01Xin chào\n\x1bd\x03\x1dV\x00\x10\x04\x01"))
	if err != nil {
		t.Fatal(err)
	}
	var ops []escpos.Op
	for _, c := range cmds {
		ops = append(ops, c.Op)
	}
	want := []escpos.Op{escpos.OpInit, escpos.OpSetting, escpos.OpText, escpos.OpLineFeed, escpos.OpFeedLines,
		escpos.OpCut, escpos.OpStatus}
	if len(ops) != len(want) {
		t.Fatalf("ops %v, want %v", ops, want)
	}
	for i := range ops {
		if ops[i] != want[i] {
			t.Fatalf("ops %v, want %v", ops, want)
		}
	}
	for _, bad := range [][]byte{{0x1b, 'Z'}, {0x1d, 'v', '0', 0, 0xff, 0xff, 1, 0}, {0x07}, {0x1d, 'V', 9}} {
		if _, err := escpos.Decode(bad); err == nil {
			t.Errorf("% x decoded", bad)
		}
	}
	if _, err := escpos.Decode([]byte{0x1d, 'v', '0', 0, 1, 0, 2, 0, 0xff}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a truncated band: %v, want unexpected EOF", err)
	}
}

// FuzzDecode: the decoder never panics, and what it accepts re-encodes to the same pieces.
func FuzzDecode(f *testing.F) {
	b, err := escpos.Encode(kitchenTicket(), escpos.Width58mm)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[:300])
	f.Add([]byte("\x1b@\x1dv0\x00\x01\x00\x02\x00\xff\x0f\x1dVB\x00"))
	f.Add([]byte("\x1b@abc\n\x10\x04\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pieces, err := escpos.Pieces(data)
		if err != nil {
			return
		}
		again, err := escpos.Pieces(escpos.EncodeRasters(pieces))
		if err != nil {
			t.Fatalf("re-encoded pieces do not decode: %v", err)
		}
		if len(again) != len(pieces) {
			t.Fatalf("%d pieces, then %d", len(pieces), len(again))
		}
		for i := range again {
			if !again[i].Equal(pieces[i]) {
				t.Fatalf("piece %d changed", i)
			}
		}
	})
}

// The HTML receipt carries every block, escapes text, and embeds the QR code as an image.
func TestHTMLReceipt(t *testing.T) {
	var d escpos.Document
	d.Text("Quán <Cà phê>", escpos.Style{Bold: true, Align: escpos.Center}).Separator().
		Row("Bạc xỉu", "29.000", escpos.Style{}).QR("000201010212").Feed(1).Cut()
	b, err := escpos.HTML(d, "Hoá đơn #12")
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{"size: 80mm", "<title>Hoá đơn #12</title>", "Quán &lt;Cà phê&gt;", `class="row `,
		"Bạc xỉu", "29.000", "<hr>", "<p>&nbsp;</p>", `src="data:image/png;base64,`, `class="cut"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "<Cà phê>") {
		t.Error("text is not escaped")
	}
	if _, err := escpos.HTML(escpos.Document{}, "x"); err == nil {
		t.Error("an empty document gave a page")
	}
}

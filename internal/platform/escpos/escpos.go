// Package escpos turns a small printable document (styled lines, two-column rows, separators, a QR code,
// feeds and cuts) into the bytes an ESC/POS thermal printer understands, and back.
//
// Every document is printed as a 1-bit raster image: text is drawn with an embedded font (Liberation Sans,
// SIL Open Font License) that has every Vietnamese letter, so a printer without a Vietnamese code page still
// prints "Cà phê sữa đá" correctly. Nothing is read from the system at run time.
//
// Invariants the package keeps:
//   - Render is pure: the same document at the same paper width gives the same raster, bit for bit.
//   - Text is normalised to NFC before drawing, so decomposed input (a + U+0300) draws the precomposed glyph.
//   - Nothing is clipped: a line is as tall as the ink of its tallest glyph (stacked Vietnamese marks
//     such as Ầ reach above the font's ascent), and text wider than the paper wraps at spaces, or inside a
//     word that alone is wider than the paper.
//   - Encode emits ESC @, then each piece of paper as GS v 0 bands of at most BandRows rows followed by a cut
//     (GS V 66 0: feed to the cutter, partial cut); Decode reads that stream back to the same rasters.
//   - A document always ends cut off the roll: Encode adds the final cut when the document has none.
//
// HTML lays out the same document as a page for a browser's print dialog (80 mm print CSS), for receipts
// printed from the till's browser and for previews.
package escpos

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Paper widths in printable dots (203 dpi heads).
const (
	Width80mm = 576
	Width58mm = 384
)

// WidthForPaper returns the printable width in dots of a paper roll mm millimetres wide (80 or 58), and false
// for another width.
func WidthForPaper(mm int) (int, bool) {
	switch mm {
	case 80:
		return Width80mm, true
	case 58:
		return Width58mm, true
	}
	return 0, false
}

// Kind is what a block of a document is.
type Kind string

// The block kinds.
const (
	KindText      Kind = "text"      // Text, styled and aligned, wrapped to the paper width
	KindRow       Kind = "row"       // Text on the left, Right on the right, dot leaders between
	KindSeparator Kind = "separator" // a dashed rule across the paper
	KindQR        Kind = "qr"        // a QR code of Text, centred
	KindFeed      Kind = "feed"      // Lines blank lines
	KindCut       Kind = "cut"       // cut the paper here; what follows starts a new piece
)

// Align places text across the paper.
type Align string

// The alignments; the empty Align is Left.
const (
	Left   Align = "left"
	Center Align = "center"
	Right  Align = "right"
)

// Style is how a text or row block is drawn.
type Style struct {
	Bold  bool  `json:"bold,omitempty"`
	Large bool  `json:"large,omitempty" doc:"Nearly twice the normal size, for table names and kitchen items."`
	Align Align `json:"align,omitempty" enum:"left,center,right"`
}

// Block is one element of a document.
type Block struct {
	Kind  Kind   `json:"kind" enum:"text,row,separator,qr,feed,cut"`
	Text  string `json:"text,omitempty" doc:"The text (text, row's left column) or the QR payload (qr)."`
	Right string `json:"right,omitempty" doc:"A row's right column, e.g. an amount."`
	Style
	Lines int `json:"lines,omitempty" doc:"Blank lines of a feed."`
}

// Document is what gets printed: blocks from top to bottom. Build one with the methods below, e.g.
//
//	var d escpos.Document
//	d.Text("Bàn 5", escpos.Style{Large: true, Bold: true}).Separator().Row("2 × Phở bò", "130.000", escpos.Style{}).Cut()
type Document struct {
	Blocks []Block `json:"blocks"`
}

// Text appends a line (wrapped when longer than the paper) and returns d.
func (d *Document) Text(s string, st Style) *Document {
	d.Blocks = append(d.Blocks, Block{Kind: KindText, Text: s, Style: st})
	return d
}

// Row appends a two-column row: left wraps in the space the right column leaves, dot leaders fill the gap
// when right is not empty. st.Align is ignored.
func (d *Document) Row(left, right string, st Style) *Document {
	d.Blocks = append(d.Blocks, Block{Kind: KindRow, Text: left, Right: right, Style: st})
	return d
}

// Separator appends a dashed rule.
func (d *Document) Separator() *Document {
	d.Blocks = append(d.Blocks, Block{Kind: KindSeparator})
	return d
}

// QR appends a centred QR code of payload (a VietQR string on receipts).
func (d *Document) QR(payload string) *Document {
	d.Blocks = append(d.Blocks, Block{Kind: KindQR, Text: payload})
	return d
}

// Feed appends n blank lines.
func (d *Document) Feed(n int) *Document {
	d.Blocks = append(d.Blocks, Block{Kind: KindFeed, Lines: n})
	return d
}

// Cut appends a cut: the paper is fed to the cutter and cut, and what follows prints on a new piece.
func (d *Document) Cut() *Document {
	d.Blocks = append(d.Blocks, Block{Kind: KindCut})
	return d
}

// Limits on a document, so one print job cannot make a printer spew paper or the renderer work for long.
const (
	MaxBlocks    = 500
	MaxTextLen   = 1000 // characters of a block's text
	MaxQRPayload = 1000 // bytes of a QR payload
	MaxFeedLines = 20
)

// Validate checks that d can be printed: at least one block, known kinds and alignments, valid UTF-8 and
// the limits above. The error names the first bad block.
func (d Document) Validate() error {
	if len(d.Blocks) == 0 {
		return fmt.Errorf("the document has no blocks")
	}
	if len(d.Blocks) > MaxBlocks {
		return fmt.Errorf("the document has %d blocks, at most %d are allowed", len(d.Blocks), MaxBlocks)
	}
	for i, b := range d.Blocks {
		if err := b.validate(); err != nil {
			return fmt.Errorf("block %d: %w", i, err)
		}
	}
	return nil
}

func (b Block) validate() error {
	for _, s := range []string{b.Text, b.Right} {
		if !utf8.ValidString(s) {
			return fmt.Errorf("text is not valid UTF-8")
		}
		if utf8.RuneCountInString(s) > MaxTextLen {
			return fmt.Errorf("text has more than %d characters", MaxTextLen)
		}
	}
	switch b.Align {
	case "", Left, Center, Right:
	default:
		return fmt.Errorf("unknown alignment %q", b.Align)
	}
	switch b.Kind {
	case KindText, KindRow, KindSeparator, KindCut:
	case KindQR:
		if strings.TrimSpace(b.Text) == "" || len(b.Text) > MaxQRPayload {
			return fmt.Errorf("a QR payload has 1 to %d bytes", MaxQRPayload)
		}
	case KindFeed:
		if b.Lines < 0 || b.Lines > MaxFeedLines {
			return fmt.Errorf("a feed has 0 to %d lines", MaxFeedLines)
		}
	default:
		return fmt.Errorf("unknown block kind %q", b.Kind)
	}
	return nil
}

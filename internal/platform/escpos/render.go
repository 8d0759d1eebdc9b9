package escpos

import (
	"fmt"
	"image"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-fonts/liberation/liberationsansbold"
	"github.com/go-fonts/liberation/liberationsansregular"
	"github.com/skip2/go-qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"
)

// Type sizes in dots (pixels per em at the head's resolution). Normal text gives about 44 characters across
// 80 mm paper, like the printers' own 12×24 font; large text is for what the kitchen reads from afar.
const (
	normalSize = 24
	largeSize  = 40
)

const (
	margin      = 4    // dots kept white at each side, so glyphs with a negative side bearing are not clipped
	lineGap     = 2    // dots between lines
	inkLevel    = 0x70 // coverage from which an anti-aliased dot prints black
	qrMaxModule = 8    // dots per QR module at most (a VietQR code is then about 5 cm wide)
)

// fonts are the embedded typefaces, parsed once; an opentype.Font is safe for concurrent use, a Face is not.
var fonts = sync.OnceValues(func() ([2]*opentype.Font, error) {
	var out [2]*opentype.Font
	for i, ttf := range [][]byte{liberationsansregular.TTF, liberationsansbold.TTF} {
		f, err := opentype.Parse(ttf)
		if err != nil {
			return out, fmt.Errorf("parse embedded font: %w", err)
		}
		out[i] = f
	}
	return out, nil
})

// renderer draws one document; it owns its faces because font faces keep per-use buffers.
type renderer struct {
	width int
	faces map[Style]font.Face
}

// Render draws d at a paper width of width dots (a multiple of 8, e.g. Width80mm) and returns one raster per
// piece of paper: the document is split at its cuts, and a cut with nothing printed since the previous one
// is ignored. It returns an error for an invalid document (see Document.Validate).
func Render(d Document, width int) ([]*Raster, error) {
	if width <= 2*margin || width%8 != 0 {
		return nil, fmt.Errorf("render: paper width %d is not a positive multiple of 8", width)
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	r := &renderer{width: width, faces: map[Style]font.Face{}}
	defer r.close()
	var pieces []*Raster
	var strips []*Raster
	flush := func() {
		if len(strips) > 0 {
			pieces = append(pieces, stack(width, strips))
			strips = nil
		}
	}
	for _, b := range d.Blocks {
		var s []*Raster
		var err error
		switch b.Kind {
		case KindText:
			s, err = r.text(b)
		case KindRow:
			s, err = r.row(b)
		case KindSeparator:
			s = []*Raster{r.separator()}
		case KindQR:
			var q *Raster
			q, err = r.qr(b.Text)
			s = []*Raster{q}
		case KindFeed:
			s = []*Raster{NewRaster(width, b.Lines*r.blankLine())}
		case KindCut:
			flush()
		}
		if err != nil {
			return nil, fmt.Errorf("render: %w", err)
		}
		strips = append(strips, s...)
	}
	flush()
	return pieces, nil
}

func (r *renderer) close() {
	for _, f := range r.faces {
		_ = f.Close()
	}
}

// face returns the face for the size and weight of st.
func (r *renderer) face(st Style) (font.Face, error) {
	key := Style{Bold: st.Bold, Large: st.Large}
	if f, ok := r.faces[key]; ok {
		return f, nil
	}
	fs, err := fonts()
	if err != nil {
		return nil, err
	}
	tf, size := fs[0], float64(normalSize)
	if st.Bold {
		tf = fs[1]
	}
	if st.Large {
		size = largeSize
	}
	f, err := opentype.NewFace(tf, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("font face: %w", err)
	}
	r.faces[key] = f
	return f, nil
}

// blankLine is the height of an empty line of normal text.
func (r *renderer) blankLine() int {
	f, err := r.face(Style{})
	if err != nil {
		return normalSize + lineGap
	}
	m := f.Metrics()
	return m.Ascent.Ceil() + m.Descent.Ceil() + lineGap
}

// text draws a text block, wrapped, one strip per line.
func (r *renderer) text(b Block) ([]*Raster, error) {
	f, err := r.face(b.Style)
	if err != nil {
		return nil, err
	}
	avail := r.width - 2*margin
	var out []*Raster
	for _, line := range wrap(f, norm.NFC.String(b.Text), avail) {
		w := font.MeasureString(f, line).Ceil()
		x := margin
		switch b.Align {
		case Center:
			x = (r.width - w) / 2
		case Right:
			x = r.width - margin - w
		}
		out = append(out, r.line(f, []span{{x, line}}))
	}
	return out, nil
}

// row draws a two-column row: the left text wraps in the room the right text leaves; the right text and
// the dot leaders sit on the first line. A right text wider than half the paper gets a line of its own.
func (r *renderer) row(b Block) ([]*Raster, error) {
	f, err := r.face(b.Style)
	if err != nil {
		return nil, err
	}
	left, right := norm.NFC.String(b.Text), norm.NFC.String(strings.TrimSpace(b.Right))
	avail := r.width - 2*margin
	rw := font.MeasureString(f, right).Ceil()
	if right == "" || rw > avail/2 {
		out, err := r.text(Block{Kind: KindText, Text: left, Style: Style{Bold: b.Bold, Large: b.Large}})
		if err != nil || right == "" {
			return out, err
		}
		more, err := r.text(Block{Kind: KindText, Text: right, Style: Style{Bold: b.Bold, Large: b.Large, Align: Right}})
		return append(out, more...), err
	}
	space := font.MeasureString(f, " ").Ceil()
	rx := r.width - margin - rw
	lines := wrap(f, left, rx-margin-space)
	out := make([]*Raster, 0, len(lines))
	for i, line := range lines {
		spans := []span{{margin, line}}
		if i == 0 {
			spans = append(spans, span{rx, right})
			lw := font.MeasureString(f, line).Ceil()
			dot := font.MeasureString(f, ".").Ceil()
			if n := (rx - space - (margin + lw + space)) / max(dot, 1); n > 0 {
				spans = append(spans, span{rx - space - n*dot, strings.Repeat(".", n)})
			}
		}
		out = append(out, r.line(f, spans))
	}
	return out, nil
}

// span is text drawn from x (dots from the left edge).
type span struct {
	x    int
	text string
}

// line draws spans on one line as tall as their ink needs and converts the coverage to black dots.
func (r *renderer) line(f font.Face, spans []span) *Raster {
	m := f.Metrics()
	ascent, descent := m.Ascent.Ceil(), m.Descent.Ceil()
	for _, s := range spans {
		bounds, _ := font.BoundString(f, s.text)
		ascent = max(ascent, (-bounds.Min.Y).Ceil())
		descent = max(descent, bounds.Max.Y.Ceil())
	}
	h := ascent + descent + lineGap
	mask := image.NewAlpha(image.Rect(0, 0, r.width, h))
	dr := font.Drawer{Dst: mask, Src: image.Opaque, Face: f}
	for _, s := range spans {
		dr.Dot = fixed.P(s.x, ascent)
		dr.DrawString(s.text)
	}
	out := NewRaster(r.width, h)
	for y := range h {
		row := mask.Pix[y*mask.Stride : y*mask.Stride+r.width]
		for x, a := range row {
			if a >= inkLevel {
				out.Bits[y*out.Stride()+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	return out
}

// wrap breaks s into lines no wider than width: at spaces, and inside a word only when the word alone is
// wider. Explicit newlines are kept. An empty s is one empty line.
func wrap(f font.Face, s string, width int) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		words := strings.Fields(para)
		if len(words) == 0 {
			out = append(out, "")
			continue
		}
		line := ""
		for _, w := range words {
			cand := w
			if line != "" {
				cand = line + " " + w
			}
			if font.MeasureString(f, cand).Ceil() <= width {
				line = cand
				continue
			}
			if line != "" {
				out = append(out, line)
				line = ""
			}
			for font.MeasureString(f, w).Ceil() > width {
				head := fitPrefix(f, w, width)
				out = append(out, head)
				w = w[len(head):]
			}
			line = w
		}
		out = append(out, line)
	}
	return out
}

// fitPrefix returns the longest prefix of w (at least one character) no wider than width.
func fitPrefix(f font.Face, w string, width int) string {
	end := 0
	for i, rn := range w {
		next := i + utf8.RuneLen(rn)
		if end > 0 && font.MeasureString(f, w[:next]).Ceil() > width {
			break
		}
		end = next
	}
	return w[:end]
}

// separator is a dashed rule, 2 dots thick, in a strip of 12.
func (r *renderer) separator() *Raster {
	const h, thick, dash, gap = 12, 2, 8, 4
	out := NewRaster(r.width, h)
	for y := (h - thick) / 2; y < (h+thick)/2; y++ {
		for x := margin; x < r.width-margin; x++ {
			if (x-margin)%(dash+gap) < dash {
				out.Set(x, y)
			}
		}
	}
	return out
}

// qr draws payload as a QR code (error correction M), centred, with a quiet zone of 4 modules above and
// below (the paper is white at the sides).
func (r *renderer) qr(payload string) (*Raster, error) {
	code, err := qrcode.New(payload, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("QR code: %w", err)
	}
	code.DisableBorder = true
	bm := code.Bitmap()
	n := len(bm)
	scale := min(qrMaxModule, (r.width*3/4)/n)
	if scale < 1 {
		return nil, fmt.Errorf("QR code of %d modules does not fit %d dots", n, r.width)
	}
	quiet := 4 * scale
	out := NewRaster(r.width, n*scale+2*quiet)
	x0 := (r.width - n*scale) / 2
	for my, row := range bm {
		for mx, black := range row {
			if !black {
				continue
			}
			for dy := range scale {
				for dx := range scale {
					out.Set(x0+mx*scale+dx, quiet+my*scale+dy)
				}
			}
		}
	}
	return out, nil
}

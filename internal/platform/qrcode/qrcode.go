// Package qrcode turns a text into a QR symbol and draws it as PNG or SVG. It is the one QR encoder of the
// application: VietQR payment codes (payment/vietqr wraps it) and the tables' and rooms' self-order codes
// (merchant) are both drawn with it, so every printed or displayed code has the same quiet zone and scale
// rules. The symbol itself comes from github.com/boombuler/barcode/qr; this package owns the rendering.
package qrcode

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"

	"github.com/boombuler/barcode/qr"
)

// Level is the error-correction level of a QR code.
type Level int

// The levels offered. Medium (15% recovery) is the default and what phone cameras read fastest; Quartile
// (25%) survives a worn or partly covered printout at the cost of a denser code.
const (
	LevelMedium Level = iota
	LevelQuartile
)

// QuietZone is the blank margin around the symbol, in modules; scanners need it to find the code.
const QuietZone = 4

// MaxScale bounds the pixels per module of a PNG, so a request cannot ask for a huge image.
const MaxScale = 32

// DefaultScale is the PNG scale used when a caller passes 0.
const DefaultScale = 8

// Matrix is a QR symbol as dark and light modules, quiet zone included: Size()×Size() modules, (0,0) top left.
type Matrix struct {
	size int
	dark []bool
}

// Encode turns text into a QR matrix with the given error correction and a QuietZone-module margin. It fails
// only when text is too long for any QR version.
func Encode(text string, level Level) (*Matrix, error) {
	ecl := qr.M
	if level == LevelQuartile {
		ecl = qr.Q
	}
	code, err := qr.Encode(text, ecl, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("qrcode: encode: %w", err)
	}
	b := code.Bounds()
	n := b.Dx()
	m := &Matrix{size: n + 2*QuietZone}
	m.dark = make([]bool, m.size*m.size)
	for y := range n {
		for x := range n {
			if IsDark(code.At(b.Min.X+x, b.Min.Y+y)) {
				m.dark[(y+QuietZone)*m.size+x+QuietZone] = true
			}
		}
	}
	return m, nil
}

// IsDark reports whether a pixel of a drawn code reads as a dark module (below half brightness), the way a
// scanner thresholds it.
func IsDark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r+g+b < 3*0x8000
}

// Size returns the width (= height) of the matrix in modules, quiet zone included.
func (m *Matrix) Size() int { return m.size }

// Dark reports whether the module at column x, row y is dark; outside the matrix is light.
func (m *Matrix) Dark(x, y int) bool {
	if x < 0 || y < 0 || x >= m.size || y >= m.size {
		return false
	}
	return m.dark[y*m.size+x]
}

// PNG renders the matrix as a black-on-white PNG with scale pixels per module (1…MaxScale; 0 means
// DefaultScale).
func (m *Matrix) PNG(scale int) ([]byte, error) {
	if scale == 0 {
		scale = DefaultScale
	}
	if scale < 1 || scale > MaxScale {
		return nil, fmt.Errorf("qrcode: PNG scale %d outside 1…%d", scale, MaxScale)
	}
	px := m.size * scale
	img := image.NewPaletted(image.Rect(0, 0, px, px), color.Palette{color.White, color.Black})
	for y := range m.size {
		for x := range m.size {
			if !m.Dark(x, y) {
				continue
			}
			for dy := range scale {
				row := img.Pix[(y*scale+dy)*img.Stride:]
				for dx := range scale {
					row[x*scale+dx] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qrcode: encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// SVG renders the matrix as a standalone SVG: a white background and the dark modules as one <path> of
// horizontal runs, drawn with crisp edges in a viewBox of one unit per module. scale sets the width and
// height attributes in pixels per module; 0 leaves them out so CSS sizes the image (what a printed sheet
// wants: the card decides the size).
func (m *Matrix) SVG(scale int) []byte {
	var b bytes.Buffer
	n := strconv.Itoa(m.size)
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + n + ` ` + n + `"`)
	if scale > 0 {
		px := strconv.Itoa(m.size * scale)
		b.WriteString(` width="` + px + `" height="` + px + `"`)
	}
	b.WriteString(` shape-rendering="crispEdges"><rect width="` + n + `" height="` + n + `" fill="#fff"/><path fill="#000" d="`)
	for y := range m.size {
		for x := 0; x < m.size; {
			if !m.Dark(x, y) {
				x++
				continue
			}
			start := x
			for x < m.size && m.Dark(x, y) {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes()
}

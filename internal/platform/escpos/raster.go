package escpos

import (
	"bytes"
	"image"
	"image/color"
)

// Raster is a 1-bit image as a thermal head prints it: Height rows of Stride() bytes, the most significant
// bit of each byte the leftmost dot, 1 meaning black. It is an image.Image, so tests can save it as a PNG.
type Raster struct {
	Width, Height int
	Bits          []byte
}

// NewRaster returns a white raster of w × h dots.
func NewRaster(w, h int) *Raster {
	r := &Raster{Width: w, Height: h}
	r.Bits = make([]byte, r.Stride()*h)
	return r
}

// Stride is the number of bytes of one row.
func (r *Raster) Stride() int { return (r.Width + 7) / 8 }

// Set blackens dot (x, y); dots outside the raster are ignored.
func (r *Raster) Set(x, y int) {
	if x < 0 || y < 0 || x >= r.Width || y >= r.Height {
		return
	}
	r.Bits[y*r.Stride()+x/8] |= 0x80 >> (x % 8)
}

// Black reports whether dot (x, y) is black.
func (r *Raster) Black(x, y int) bool {
	if x < 0 || y < 0 || x >= r.Width || y >= r.Height {
		return false
	}
	return r.Bits[y*r.Stride()+x/8]&(0x80>>(x%8)) != 0
}

// BlackDots counts the black dots inside rect.
func (r *Raster) BlackDots(rect image.Rectangle) int {
	rect = rect.Intersect(r.Bounds())
	n := 0
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			if r.Black(x, y) {
				n++
			}
		}
	}
	return n
}

// Equal reports whether r and o have the same size and dots.
func (r *Raster) Equal(o *Raster) bool {
	return r.Width == o.Width && r.Height == o.Height && bytes.Equal(r.Bits, o.Bits)
}

// ColorModel is part of image.Image.
func (r *Raster) ColorModel() color.Model { return color.GrayModel }

// Bounds is part of image.Image.
func (r *Raster) Bounds() image.Rectangle { return image.Rect(0, 0, r.Width, r.Height) }

// At is part of image.Image: black or white.
func (r *Raster) At(x, y int) color.Color {
	if r.Black(x, y) {
		return color.Gray{}
	}
	return color.Gray{Y: 0xff}
}

// stack puts rasters of one width one below the other.
func stack(width int, parts []*Raster) *Raster {
	h := 0
	for _, p := range parts {
		h += p.Height
	}
	out := &Raster{Width: width, Height: h, Bits: make([]byte, 0, (width+7)/8*h)}
	for _, p := range parts {
		out.Bits = append(out.Bits, p.Bits...)
	}
	return out
}

package storage

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

// picture is what processing an uploaded image gives: its size as displayed and its thumbnail.
type picture struct {
	width, height int    // as displayed, after the EXIF orientation is applied
	thumb         []byte // the encoded thumbnail
	thumbType     string // JPEG, or PNG when the image has transparency
}

// decoder is one image format's pair of decoding functions.
type decoder struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

// decoders are chosen by the sniffed type, never by the global image registry, so that an image is decoded
// as what its bytes said it was.
var decoders = map[string]decoder{
	JPEG: {jpeg.DecodeConfig, jpeg.Decode},
	PNG:  {png.DecodeConfig, png.Decode},
	WebP: {webp.DecodeConfig, webp.Decode},
}

// jpegQuality is the quality of JPEG thumbnails: small files that still look good on a menu.
const jpegQuality = 82

// unreadableImage is the error for an image whose bytes do not decode.
func unreadableImage(err error) error {
	return &apperr.Error{Kind: apperr.Invalid, Message: "validation failed", Err: err,
		Fields: []apperr.FieldError{{Field: "file", Message: "the image could not be read: it is damaged or incomplete"}}}
}

// processImage reads the image in r (of the sniffed contentType), refusing it when its header announces
// more than maxPixels pixels, and makes its thumbnail: longest side at most ThumbnailSize (never enlarged),
// the JPEG EXIF orientation applied, encoded as JPEG or, when it has transparency, PNG.
func processImage(r io.ReadSeeker, contentType string, maxPixels int) (picture, error) {
	dec, ok := decoders[contentType]
	if !ok {
		return picture{}, fmt.Errorf("process image: no decoder for %s", contentType)
	}
	cfg, err := dec.config(bufio.NewReader(r))
	if err != nil {
		return picture{}, unreadableImage(err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return picture{}, unreadableImage(fmt.Errorf("image size %dx%d", cfg.Width, cfg.Height))
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return picture{}, apperr.WithField("file", fmt.Sprintf("the image has %d×%d pixels; at most %d are accepted",
			cfg.Width, cfg.Height, maxPixels))
	}
	orientation := 1
	if contentType == JPEG {
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			return picture{}, fmt.Errorf("process image: %w", err)
		}
		orientation = jpegOrientation(bufio.NewReader(r))
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return picture{}, fmt.Errorf("process image: %w", err)
	}
	img, err := dec.decode(bufio.NewReaderSize(r, 64<<10))
	if err != nil {
		return picture{}, unreadableImage(err)
	}
	thumb := orient(thumbnail(img, ThumbnailSize), orientation)
	pic := picture{width: cfg.Width, height: cfg.Height}
	if orientation >= 5 {
		pic.width, pic.height = cfg.Height, cfg.Width
	}
	var buf bytes.Buffer
	if thumb.Opaque() {
		pic.thumbType = JPEG
		err = jpeg.Encode(&buf, thumb, &jpeg.Options{Quality: jpegQuality})
	} else {
		pic.thumbType = PNG
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, thumb)
	}
	if err != nil {
		return picture{}, fmt.Errorf("encode thumbnail: %w", err)
	}
	pic.thumb = buf.Bytes()
	return pic, nil
}

// preShrink is how many times the thumbnail's size the fast first scaling pass aims for.
const preShrink = 4

// thumbnail scales img so that its longest side is at most size pixels, keeping the aspect ratio (and at
// least one pixel each way). An image already small enough is copied as it is.
func thumbnail(img image.Image, size int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > size || h > size {
		if w >= h {
			w, h = size, max(1, (h*size+w/2)/w)
		} else {
			w, h = max(1, (w*size+h/2)/h), size
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if w == b.Dx() && h == b.Dy() {
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
		return dst
	}
	// Catmull-Rom is sharp and does not alias, but its cost grows with the source: on a 12-megapixel photo
	// it takes half a second. A fast approximate pass first brings the image to preShrink times the target
	// (its aliasing is then averaged away by Catmull-Rom's wide kernel), which cuts the cost about sevenfold.
	var src image.Image = img
	sb := b
	if b.Dx() > preShrink*w && b.Dy() > preShrink*h {
		mid := image.NewRGBA(image.Rect(0, 0, preShrink*w, preShrink*h))
		draw.ApproxBiLinear.Scale(mid, mid.Bounds(), img, b, draw.Src, nil)
		src, sb = mid, mid.Bounds()
	}
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, sb, draw.Src, nil)
	return dst
}

// orient returns src turned the way EXIF orientation o (1 to 8) says the image is meant to be seen.
func orient(src *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return src
	}
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range dh {
		for x := range dw {
			var sx, sy int
			switch o {
			case 2: // mirrored
				sx, sy = w-1-x, y
			case 3: // upside down
				sx, sy = w-1-x, h-1-y
			case 4: // mirrored upside down
				sx, sy = x, h-1-y
			case 5: // mirrored, turned
				sx, sy = y, x
			case 6: // turned: shown rotated a quarter clockwise
				sx, sy = y, h-1-x
			case 7:
				sx, sy = w-1-y, h-1-x
			case 8: // shown rotated a quarter anticlockwise
				sx, sy = w-1-y, x
			}
			si, di := src.PixOffset(sx, sy), dst.PixOffset(x, y)
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}

// jpegOrientation returns the EXIF orientation (1 to 8) of the JPEG in r, 1 when it has none or anything
// about it is malformed: phones store photos sideways and record how to turn them, and a thumbnail (which
// carries no EXIF) must be turned already.
func jpegOrientation(r io.Reader) int {
	var soi [2]byte
	if _, err := io.ReadFull(r, soi[:]); err != nil || soi != [2]byte{0xFF, 0xD8} {
		return 1
	}
	for range 32 { // EXIF sits in one of the first segments; stop looking after a few
		var hdr [4]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil || hdr[0] != 0xFF {
			return 1
		}
		marker, length := hdr[1], int(binary.BigEndian.Uint16(hdr[2:]))
		if marker == 0xDA || marker == 0xD9 || length < 2 { // start of scan or end of image: no EXIF
			return 1
		}
		if marker != 0xE1 {
			if _, err := io.CopyN(io.Discard, r, int64(length-2)); err != nil {
				return 1
			}
			continue
		}
		seg := make([]byte, length-2)
		if _, err := io.ReadFull(r, seg); err != nil {
			return 1
		}
		if tiff, ok := bytes.CutPrefix(seg, []byte("Exif\x00\x00")); ok {
			return exifOrientation(tiff)
		}
	}
	return 1
}

// exifOrientation reads tag 0x0112 (Orientation) of IFD0 of the TIFF structure in b.
func exifOrientation(b []byte) int {
	if len(b) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(b[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 1
	}
	if order.Uint16(b[2:]) != 42 {
		return 1
	}
	ifd := int(order.Uint32(b[4:]))
	if ifd < 8 || ifd+2 > len(b) {
		return 1
	}
	n := int(order.Uint16(b[ifd:]))
	for i := range n {
		e := ifd + 2 + 12*i
		if e+12 > len(b) {
			return 1
		}
		if order.Uint16(b[e:]) != 0x0112 {
			continue
		}
		if order.Uint16(b[e+2:]) != 3 { // SHORT
			return 1
		}
		if o := int(order.Uint16(b[e+8:])); o >= 1 && o <= 8 {
			return o
		}
		return 1
	}
	return 1
}

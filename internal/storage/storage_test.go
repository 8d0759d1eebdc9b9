package storage

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

func TestSniffKnowsOnlyTheFourTypesByTheirBytes(t *testing.T) {
	tests := []struct {
		name string
		head string
		want string // "" when refused
	}{
		{"jpeg", "\xFF\xD8\xFF\xE0\x00\x10JFIF", JPEG},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", PNG},
		{"webp", "RIFF\x1a\x00\x00\x00WEBPVP8L", WebP},
		{"pdf", "%PDF-1.4\n%\xe2\xe3", PDF},
		{"riff that is not webp (wav)", "RIFF\x1a\x00\x00\x00WAVEfmt ", ""},
		{"short riff", "RIFF\x1a\x00", ""},
		{"gif", "GIF89a\x01\x00\x01\x00", ""},
		{"svg", `<svg xmlns="http://www.w3.org/2000/svg">`, ""},
		{"html", "<!DOCTYPE html><html>", ""},
		{"windows executable", "MZ\x90\x00\x03\x00\x00\x00", ""},
		{"text", "just some text", ""},
		{"png magic cut short", "\x89PNG\r\n", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, ok := sniff([]byte(tt.head))
			if got := k.contentType; ok != (tt.want != "") || got != tt.want {
				t.Errorf("sniff = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

func TestContradictsComparesClaimsWithTheContent(t *testing.T) {
	png, _ := sniff([]byte("\x89PNG\r\n\x1a\n"))
	jpg, _ := sniff([]byte("\xFF\xD8\xFF"))
	tests := []struct {
		name             string
		k                kind
		declared, name_  string
		wantContradicted bool
	}{
		{"says nothing", png, "", "", false},
		{"says what it is", png, "image/png", "pho.png", false},
		{"upper-case extension", jpg, "image/jpeg", "PHO.JPEG", false},
		{"generic type", png, "application/octet-stream", "pho.png", false},
		{"old IE jpeg type", jpg, "image/pjpeg", "pho.jpg", false},
		{"type with parameters", png, "image/png; charset=binary", "", false},
		{"no extension", png, "image/png", "pho", false},
		{"png named jpg", png, "", "pho.jpg", true},
		{"png declared jpeg", png, "image/jpeg", "pho.png", true},
		{"png named exe", png, "image/png", "setup.exe", true},
		{"png declared html", png, "text/html", "", true},
		{"malformed type", png, "image/", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.k.contradicts(tt.declared, tt.name_); got != tt.wantContradicted {
				t.Errorf("contradicts(%q, %q) = %v, want %v", tt.declared, tt.name_, got, tt.wantContradicted)
			}
		})
	}
}

func TestCleanFilenameAndKeySlug(t *testing.T) {
	pdf, _ := sniff([]byte("%PDF-"))
	tests := []struct {
		in, wantName, wantSlug string
	}{
		{"Thực đơn tháng 3.pdf", "Thực đơn tháng 3.pdf", "Thuc-don-thang-3.pdf"},
		{`C:\Users\an\Hóa đơn.pdf`, "Hóa đơn.pdf", "Hoa-don.pdf"},
		{"../../etc/passwd", "passwd", "passwd.pdf"},
		{"  spaced\x00\x1b[31m.pdf  ", "spaced[31m.pdf", "spaced-31m.pdf"},
		{"ĐẶC BIỆT.PDF", "ĐẶC BIỆT.PDF", "DAC-BIET.pdf"},
		{"Pho\u0302\u0309.pdf", "Pho\u0302\u0309.pdf", "Pho.pdf"}, // decomposed (NFD) marks are dropped
		{"", "file.pdf", "file.pdf"},
		{"..", "file.pdf", "file.pdf"},
		{"关系.pdf", "关系.pdf", "file.pdf"},
		{"bad\xffutf8.pdf", "badutf8.pdf", "badutf8.pdf"},
	}
	for _, tt := range tests {
		name := cleanFilename(tt.in, pdf)
		if name != tt.wantName {
			t.Errorf("cleanFilename(%q) = %q, want %q", tt.in, name, tt.wantName)
		}
		if slug := keySlug(name, pdf); slug != tt.wantSlug {
			t.Errorf("keySlug(%q) = %q, want %q", name, slug, tt.wantSlug)
		}
	}
	long := strings.Repeat("ă", 300) + ".pdf"
	if got := cleanFilename(long, pdf); len([]rune(got)) != maxFilenameLen || !strings.HasSuffix(got, ".pdf") {
		t.Errorf("long name cleaned to %d characters (%q…), want %d ending in .pdf", len([]rune(got)), got[:10], maxFilenameLen)
	}
	if got := keySlug(long, pdf); len(got) > maxSlugLen+len(".pdf") {
		t.Errorf("slug of a long name has %d characters", len(got))
	}
}

// exifJPEG returns a JPEG of w×h whose EXIF says orientation o (0: no EXIF), in the given byte order.
func exifJPEG(t testing.TB, w, h, o int, order binary.AppendByteOrder) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h { // the top-left quarter is red, the rest blue
		for x := range w {
			c := color.RGBA{0, 0, 255, 255}
			if x < w/4 && y < h/4 {
				c = color.RGBA{255, 0, 0, 255}
			}
			img.Set(x, y, c)
		}
	}
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, img, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	if o == 0 {
		return enc.Bytes()
	}
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	if order == binary.AppendByteOrder(binary.LittleEndian) {
		tiff = []byte("II\x2a\x00\x08\x00\x00\x00")
	}
	tiff = order.AppendUint16(tiff, 2)             // two entries
	tiff = order.AppendUint16(tiff, 0x010F)        // Make, ASCII, skipped
	tiff = order.AppendUint16(tiff, 2)             //
	tiff = order.AppendUint32(tiff, 4)             //
	tiff = append(tiff, 'A', 'B', 'C', 0)          //
	tiff = order.AppendUint16(tiff, 0x0112)        // Orientation
	tiff = order.AppendUint16(tiff, 3)             // SHORT
	tiff = order.AppendUint32(tiff, 1)             // one value
	tiff = order.AppendUint16(tiff, uint16(o))     //
	tiff = append(tiff, 0, 0, 0, 0, 0, 0)          // padding, next IFD 0
	seg := append([]byte("Exif\x00\x00"), tiff...) //
	app1 := []byte{0xFF, 0xE1}                     //
	app1 = binary.BigEndian.AppendUint16(app1, uint16(len(seg)+2))
	out := append([]byte{0xFF, 0xD8}, app1...)
	out = append(out, seg...)
	return append(out, enc.Bytes()[2:]...)
}

func TestJPEGOrientationTurnsTheThumbnail(t *testing.T) {
	for _, order := range []binary.AppendByteOrder{binary.BigEndian, binary.LittleEndian} {
		for o := 0; o <= 8; o++ {
			src := exifJPEG(t, 40, 20, o, order)
			if got, want := jpegOrientation(bytes.NewReader(src)), max(o, 1); got != want {
				t.Errorf("%v orientation %d: read %d", order, o, got)
			}
			pic, err := processImage(bytes.NewReader(src), JPEG, 1000)
			if err != nil {
				t.Fatal(err)
			}
			thumb, err := jpeg.Decode(bytes.NewReader(pic.thumb))
			if err != nil {
				t.Fatal(err)
			}
			wantW, wantH := 40, 20
			if o >= 5 {
				wantW, wantH = 20, 40
			}
			if b := thumb.Bounds(); b.Dx() != wantW || b.Dy() != wantH || pic.width != wantW || pic.height != wantH {
				t.Errorf("orientation %d: thumbnail %v, picture %d×%d, want %d×%d", o, b, pic.width, pic.height, wantW, wantH)
			}
			// Where the red top-left corner of the stored image is seen once turned.
			red := map[int]image.Point{0: {0, 0}, 1: {0, 0}, 2: {39, 0}, 3: {39, 19}, 4: {0, 19},
				5: {0, 0}, 6: {19, 0}, 7: {19, 39}, 8: {0, 39}}[o]
			if r, g, b, _ := thumb.At(red.X, red.Y).RGBA(); r < 0x8000 || b > 0x8000 || g > 0x8000 {
				t.Errorf("orientation %d: pixel %v is not red: %d %d %d", o, red, r>>8, g>>8, b>>8)
			}
		}
	}
}

func TestJPEGOrientationIgnoresMalformedEXIF(t *testing.T) {
	good := exifJPEG(t, 4, 4, 6, binary.BigEndian)
	for name, b := range map[string][]byte{
		"not a jpeg":      []byte("%PDF-1.4"),
		"cut in the exif": good[:30],
		"cut in the tiff": good[:20],
		"no exif":         exifJPEG(t, 4, 4, 0, binary.BigEndian),
		"bad byte order":  bytes.Replace(good, []byte("MM\x00\x2a"), []byte("XX\x00\x2a"), 1),
	} {
		if got := jpegOrientation(bytes.NewReader(b)); got != 1 {
			t.Errorf("%s: orientation %d, want 1", name, got)
		}
	}
}

func TestThumbnailFitsTheLongestSideAndNeverEnlarges(t *testing.T) {
	tests := []struct{ w, h, wantW, wantH int }{
		{4000, 3000, 320, 240},
		{3000, 4000, 240, 320},
		{1000, 1, 320, 1},
		{320, 320, 320, 320},
		{100, 50, 100, 50},
		{1, 1, 1, 1},
	}
	for _, tt := range tests {
		got := thumbnail(image.NewGray(image.Rect(0, 0, tt.w, tt.h)), ThumbnailSize).Bounds()
		if got.Dx() != tt.wantW || got.Dy() != tt.wantH {
			t.Errorf("thumbnail of %d×%d is %v, want %d×%d", tt.w, tt.h, got, tt.wantW, tt.wantH)
		}
	}
}

// pngHeader is a PNG whose header announces w×h pixels and which holds no pixels at all.
func pngHeader(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")
	b = binary.BigEndian.AppendUint32(b, w)
	b = binary.BigEndian.AppendUint32(b, h)
	b = append(b, 8, 6, 0, 0, 0) // 8-bit RGBA
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[12:]))
}

func TestProcessImageRefusesTooManyPixelsBeforeDecoding(t *testing.T) {
	// 50 000 × 50 000 RGBA would need 10 GB: refused from the header alone.
	_, err := processImage(bytes.NewReader(pngHeader(50_000, 50_000)), PNG, DefaultMaxPixels)
	if f := apperr.Fields(err); len(f) != 1 || f[0].Field != "file" || !strings.Contains(f[0].Message, "50000×50000") {
		t.Fatalf("err = %v (%+v), want a field error on file", err, f)
	}
	_, err = processImage(bytes.NewReader(pngHeader(10, 10)), PNG, DefaultMaxPixels)
	if !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.Fields(err)[0].Message, "could not be read") {
		t.Fatalf("truncated PNG: err = %v, want unreadable", err)
	}
}

func TestTransparentImagesKeepTheirAlphaInAPNGThumbnail(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 600, 300))
	img.Set(10, 10, color.NRGBA{255, 0, 0, 255}) // the rest is fully transparent
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	pic, err := processImage(bytes.NewReader(b.Bytes()), PNG, DefaultMaxPixels)
	if err != nil {
		t.Fatal(err)
	}
	if pic.thumbType != PNG || pic.width != 600 || pic.height != 300 {
		t.Fatalf("thumbnail %s of %d×%d, want PNG of 600×300", pic.thumbType, pic.width, pic.height)
	}
	thumb, err := png.Decode(bytes.NewReader(pic.thumb))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, a := thumb.At(300, 150).RGBA(); a != 0 || thumb.Bounds().Dx() != 320 {
		t.Errorf("thumbnail %v, alpha at the corner %d, want 320 wide and transparent", thumb.Bounds(), a)
	}
}

func FuzzJPEGOrientation(f *testing.F) {
	f.Add(exifJPEG(f, 2, 2, 6, binary.BigEndian))
	f.Add(exifJPEG(f, 2, 2, 3, binary.LittleEndian))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x02})
	f.Fuzz(func(t *testing.T, b []byte) {
		if o := jpegOrientation(bytes.NewReader(b)); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}

// FuzzProcessImage feeds arbitrary bytes as each image type: it must refuse or succeed, never panic, and
// a thumbnail is never larger than ThumbnailSize.
func FuzzProcessImage(f *testing.F) {
	f.Add(exifJPEG(f, 3, 5, 6, binary.BigEndian))
	f.Add(pngHeader(3, 3))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, ct := range []string{JPEG, PNG, WebP} {
			pic, err := processImage(bytes.NewReader(b), ct, 1<<20)
			if err != nil {
				continue
			}
			cfg, _, err := image.DecodeConfig(bytes.NewReader(pic.thumb))
			if err != nil || cfg.Width > ThumbnailSize || cfg.Height > ThumbnailSize {
				t.Fatalf("%s: thumbnail %+v, %v", ct, cfg, err)
			}
		}
	})
}

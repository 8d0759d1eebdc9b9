package qrcode

import (
	"bytes"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/boombuler/barcode/qr"
)

const selfOrderURL = "https://pos.example.vn/t/AbCdEfGhIjKlMnOpQrStUv"

// TestEncodeMatchesSymbolWithQuietZone checks the matrix module by module against the QR library's symbol,
// with a light margin of QuietZone modules.
func TestEncodeMatchesSymbolWithQuietZone(t *testing.T) {
	for _, tt := range []struct {
		level Level
		ecl   qr.ErrorCorrectionLevel
	}{{LevelMedium, qr.M}, {LevelQuartile, qr.Q}} {
		m, err := Encode(selfOrderURL, tt.level)
		if err != nil {
			t.Fatal(err)
		}
		code, err := qr.Encode(selfOrderURL, tt.ecl, qr.Auto)
		if err != nil {
			t.Fatal(err)
		}
		n := code.Bounds().Dx()
		if m.Size() != n+2*QuietZone {
			t.Fatalf("size %d, want %d", m.Size(), n+2*QuietZone)
		}
		for y := -1; y <= m.Size(); y++ {
			for x := -1; x <= m.Size(); x++ {
				inside := x >= QuietZone && y >= QuietZone && x < QuietZone+n && y < QuietZone+n
				want := inside && IsDark(code.At(x-QuietZone, y-QuietZone))
				if got := m.Dark(x, y); got != want {
					t.Fatalf("level %d module (%d,%d) = %v, want %v", tt.level, x, y, got, want)
				}
			}
		}
	}
}

func TestPNGDrawsEveryModuleAtScale(t *testing.T) {
	m, err := Encode(selfOrderURL, LevelMedium)
	if err != nil {
		t.Fatal(err)
	}
	for _, scale := range []int{0, 1, 5} {
		data, err := m.PNG(scale)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		want := scale
		if want == 0 {
			want = DefaultScale
		}
		if b := img.Bounds(); b.Dx() != m.Size()*want || b.Dy() != m.Size()*want {
			t.Fatalf("scale %d: image %v, want %d px square", scale, b, m.Size()*want)
		}
		for y := range m.Size() {
			for x := range m.Size() {
				if got := IsDark(img.At(x*want+want-1, y*want)); got != m.Dark(x, y) {
					t.Fatalf("scale %d: pixel of module (%d,%d) dark=%v, want %v", scale, x, y, got, m.Dark(x, y))
				}
			}
		}
	}
	for _, bad := range []int{-1, MaxScale + 1} {
		if _, err := m.PNG(bad); err == nil {
			t.Errorf("PNG(%d) accepted", bad)
		}
	}
}

// TestSVGPathRedrawsTheMatrix replays the path's runs onto a blank grid and compares it with the matrix.
func TestSVGPathRedrawsTheMatrix(t *testing.T) {
	m, err := Encode(selfOrderURL, LevelQuartile)
	if err != nil {
		t.Fatal(err)
	}
	svg := string(m.SVG(3))
	size := strconv.Itoa(m.Size())
	if !strings.Contains(svg, `viewBox="0 0 `+size+` `+size+`"`) || !strings.Contains(svg, `width="`+strconv.Itoa(3*m.Size())+`"`) {
		t.Fatalf("bad viewBox or size: %.160s", svg)
	}
	d := regexp.MustCompile(` d="([^"]*)"`).FindStringSubmatch(svg)[1]
	runs := regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
	if rest := runs.ReplaceAllString(d, ""); rest != "" {
		t.Fatalf("unexpected path commands: %q", rest)
	}
	grid := make([]bool, m.Size()*m.Size())
	for _, r := range runs.FindAllStringSubmatch(d, -1) {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		w, _ := strconv.Atoi(r[3])
		for i := range w {
			grid[y*m.Size()+x+i] = true
		}
	}
	for y := range m.Size() {
		for x := range m.Size() {
			if grid[y*m.Size()+x] != m.Dark(x, y) {
				t.Fatalf("module (%d,%d) drawn=%v, want %v", x, y, grid[y*m.Size()+x], m.Dark(x, y))
			}
		}
	}
	if open, _, _ := strings.Cut(string(m.SVG(0)), ">"); strings.Contains(open, "width=") {
		t.Fatal("SVG(0) must leave the size to CSS")
	}
}

func TestEncodeRejectsTextBeyondCapacity(t *testing.T) {
	if _, err := Encode(strings.Repeat("x", 4000), LevelQuartile); err == nil {
		t.Fatal("a text beyond QR capacity was encoded")
	}
}

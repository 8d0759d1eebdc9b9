package vietqr

import (
	"bytes"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/boombuler/barcode/qr"
)

// TestEncodeMatchesSymbolWithQuietZone checks the matrix module by module against the QR library's symbol
// and that the 4-module margin is light.
func TestEncodeMatchesSymbolWithQuietZone(t *testing.T) {
	payload := vectors[1].payload
	for _, tt := range []struct {
		level Level
		ecl   qr.ErrorCorrectionLevel
	}{{LevelMedium, qr.M}, {LevelQuartile, qr.Q}} {
		m, err := Encode(payload, tt.level)
		if err != nil {
			t.Fatal(err)
		}
		code, err := qr.Encode(payload, tt.ecl, qr.Auto)
		if err != nil {
			t.Fatal(err)
		}
		n := code.Bounds().Dx()
		if m.Size() != n+2*QuietZone {
			t.Fatalf("size %d, want %d", m.Size(), n+2*QuietZone)
		}
		for y := range m.Size() {
			for x := range m.Size() {
				inside := x >= QuietZone && y >= QuietZone && x < QuietZone+n && y < QuietZone+n
				want := inside && isDark(code.At(x-QuietZone, y-QuietZone))
				if m.Dark(x, y) != want {
					t.Fatalf("level %d module (%d,%d) = %v, want %v", tt.level, x, y, m.Dark(x, y), want)
				}
			}
		}
		// A finder pattern's dark 7×7 ring starts right after the quiet zone in three corners.
		for _, c := range [][2]int{{QuietZone, QuietZone}, {QuietZone + n - 7, QuietZone}, {QuietZone, QuietZone + n - 7}} {
			for i := range 7 {
				if !m.Dark(c[0]+i, c[1]) || !m.Dark(c[0], c[1]+i) || !m.Dark(c[0]+3, c[1]+3) {
					t.Fatalf("no finder pattern at %v", c)
				}
			}
		}
	}
}

func TestQuartileIsDenserThanMedium(t *testing.T) {
	med, _ := Encode(vectors[1].payload, LevelMedium)
	q, _ := Encode(vectors[1].payload, LevelQuartile)
	if q.Size() <= med.Size() {
		t.Fatalf("quartile %d modules, medium %d: expected a larger version", q.Size(), med.Size())
	}
}

func TestPNGDrawsEveryModule(t *testing.T) {
	m, err := Encode(vectors[3].payload, LevelMedium)
	if err != nil {
		t.Fatal(err)
	}
	const scale = 3
	data, err := m.PNG(scale)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != m.Size()*scale || b.Dy() != m.Size()*scale {
		t.Fatalf("image %v, want %d px square", b, m.Size()*scale)
	}
	for y := range m.Size() {
		for x := range m.Size() {
			for _, d := range [][2]int{{0, 0}, {scale - 1, scale - 1}} {
				if got := isDark(img.At(x*scale+d[0], y*scale+d[1])); got != m.Dark(x, y) {
					t.Fatalf("pixel of module (%d,%d) dark=%v, want %v", x, y, got, m.Dark(x, y))
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

// TestSVGPathRedrawsTheMatrix replays the single path's runs onto a blank grid and compares it to the matrix.
func TestSVGPathRedrawsTheMatrix(t *testing.T) {
	m, err := Encode(vectors[5].payload, LevelQuartile)
	if err != nil {
		t.Fatal(err)
	}
	svg := string(m.SVG(4))
	if strings.Count(svg, "<path") != 1 || !strings.Contains(svg, `shape-rendering="crispEdges"`) {
		t.Fatalf("want one crisp-edged path: %s", svg[:120])
	}
	size := strconv.Itoa(m.Size())
	px := strconv.Itoa(m.Size() * 4)
	if !strings.Contains(svg, `viewBox="0 0 `+size+` `+size+`"`) || !strings.Contains(svg, `width="`+px+`"`) {
		t.Fatalf("bad viewBox or size: %s", svg[:160])
	}
	d := regexp.MustCompile(` d="([^"]*)"`).FindStringSubmatch(svg)[1]
	runs := regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
	if rest := runs.ReplaceAllString(d, ""); rest != "" {
		t.Fatalf("unexpected path commands left: %q", rest)
	}
	grid := make([]bool, m.Size()*m.Size())
	for _, r := range runs.FindAllStringSubmatch(d, -1) {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		w, _ := strconv.Atoi(r[3])
		back, _ := strconv.Atoi(r[4])
		if w != back || w < 1 {
			t.Fatalf("run %s does not close", r[0])
		}
		for i := range w {
			if grid[y*m.Size()+x+i] {
				t.Fatalf("module (%d,%d) drawn twice", x+i, y)
			}
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

func TestEncodeRejectsOversizedPayload(t *testing.T) {
	if _, err := Encode(strings.Repeat("x", 4000), LevelQuartile); err == nil {
		t.Fatal("a payload beyond QR capacity was encoded")
	}
}

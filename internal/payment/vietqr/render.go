package vietqr

import (
	"image/color"

	"github.com/goodgo/goodgo/internal/platform/qrcode"
)

// Rendering is the platform's QR encoder (internal/platform/qrcode); these names keep the package's API for
// its callers, which draw payment codes with vietqr.Encode.

// Level is the error-correction level of a rendered QR code.
type Level = qrcode.Level

// The levels offered. Medium (15% recovery) is the default and what banking apps read fastest; Quartile
// (25%) survives a worn or partly covered printout at the cost of a denser code.
const (
	LevelMedium   = qrcode.LevelMedium
	LevelQuartile = qrcode.LevelQuartile
)

// QuietZone is the blank margin around the symbol, in modules; scanners need it to find the code.
const QuietZone = qrcode.QuietZone

// MaxScale bounds the pixels per module of a PNG, so a request cannot ask for a huge image.
const MaxScale = qrcode.MaxScale

// Matrix is a QR symbol as dark and light modules, quiet zone included: Size()×Size() modules, (0,0) top
// left. It draws itself with PNG(scale) and SVG(scale).
type Matrix = qrcode.Matrix

// Encode turns a payload (usually Build's output) into a QR matrix with the given error correction and a
// 4-module quiet zone. It fails only when the payload is too long for any QR version.
func Encode(payload string, level Level) (*Matrix, error) { return qrcode.Encode(payload, level) }

// isDark tells a dark pixel of a drawn code as a scanner does (the package's tests read images with it).
func isDark(c color.Color) bool { return qrcode.IsDark(c) }

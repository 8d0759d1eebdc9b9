package escpos

import "fmt"

// BandRows is the most rows one GS v 0 command carries. A band is then at most 72 × 128 = 9 KiB at 80 mm:
// under the receive buffer of the cheapest printers, and short enough that the printer starts printing
// while the rest of the ticket is still on the wire.
const BandRows = 128

// Command bytes the encoder writes.
var (
	cmdInit = []byte{0x1b, '@'}           // ESC @: reset the printer
	cmdCut  = []byte{0x1d, 'V', 66, 0x00} // GS V 66 0: feed to the cutter, then a partial cut
)

// StatusRequest is DLE EOT 1, the real-time printer status request. A sender appends it after a job: the
// printer answers one status byte once it has read everything before it, which tells the sender the job
// arrived. See StatusOffline.
var StatusRequest = []byte{0x10, 0x04, 0x01}

// StatusOffline is the bit of the DLE EOT 1 answer that says the printer is offline (cover open, paper out,
// an error); an online printer answers 0x12.
const StatusOffline = 0x08

// Encode renders d at width dots (see Render) and returns the ESC/POS bytes that print it.
func Encode(d Document, width int) ([]byte, error) {
	pieces, err := Render(d, width)
	if err != nil {
		return nil, err
	}
	return EncodeRasters(pieces), nil
}

// EncodeRasters returns ESC @, then for each piece its rows as GS v 0 bands of at most BandRows rows, then
// a cut.
func EncodeRasters(pieces []*Raster) []byte {
	size := len(cmdInit)
	for _, p := range pieces {
		size += len(p.Bits) + (p.Height/BandRows+1)*8 + len(cmdCut)
	}
	out := make([]byte, 0, size)
	out = append(out, cmdInit...)
	for _, p := range pieces {
		stride := p.Stride()
		for y := 0; y < p.Height; y += BandRows {
			rows := min(BandRows, p.Height-y)
			// GS v 0 m xL xH yL yH: m = 0 (normal density), x in bytes, y in rows, then the dots.
			out = append(out, 0x1d, 'v', '0', 0, byte(stride), byte(stride>>8), byte(rows), byte(rows>>8))
			out = append(out, p.Bits[y*stride:(y+rows)*stride]...)
		}
		out = append(out, cmdCut...)
	}
	return out
}

// String names a command for messages.
func (op Op) String() string {
	switch op {
	case OpInit:
		return "ESC @"
	case OpRaster:
		return "GS v 0"
	case OpCut:
		return "GS V"
	case OpFeedLines:
		return "ESC d"
	case OpFeedDots:
		return "ESC J"
	case OpLineFeed:
		return "LF"
	case OpText:
		return "text"
	case OpStatus:
		return "DLE EOT"
	case OpSetting:
		return "setting"
	}
	return fmt.Sprintf("op(%d)", int(op))
}

package escpos

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Op is the kind of a decoded command.
type Op int

// The commands the decoder knows. OpSetting covers the one-argument print settings a text-mode driver sends
// (ESC a, ESC E, ESC !, ESC 3, ESC M, ESC t, GS !) and ESC 2, which this package never writes.
const (
	OpInit      Op = iota + 1 // ESC @
	OpRaster                  // GS v 0: Raster, Mode
	OpCut                     // GS V: Mode, N (the feed of modes 65 and 66)
	OpFeedLines               // ESC d n
	OpFeedDots                // ESC J n
	OpLineFeed                // LF or CR
	OpText                    // printable bytes in text mode: Text
	OpStatus                  // DLE EOT n: N
	OpSetting                 // Code (the command's second byte, after Prefix), N
)

// Command is one decoded command.
type Command struct {
	Op     Op
	Raster *Raster // OpRaster
	Mode   byte    // OpRaster: density mode; OpCut: cut mode
	N      int     // argument: lines, dots, feed before a cut, status kind, setting value
	Prefix byte    // OpSetting: ESC or GS
	Code   byte    // OpSetting
	Text   []byte  // OpText
}

// ErrUnknownCommand is returned (wrapped) for bytes the decoder does not understand; the stream cannot be
// followed past them.
var ErrUnknownCommand = errors.New("unknown ESC/POS command")

// Limits of one raster band, so garbage cannot make the decoder allocate much.
const (
	maxBandBytesPerRow = 256  // 2048 dots
	maxBandRows        = 4096 // more than any printer accepts in one command
)

// Decoder reads ESC/POS commands from a stream, as a printer does.
type Decoder struct {
	r *bufio.Reader
}

// NewDecoder returns a decoder reading r.
func NewDecoder(r io.Reader) *Decoder { return &Decoder{r: bufio.NewReader(r)} }

// Next returns the next command. It returns io.EOF at the end of the stream between commands,
// io.ErrUnexpectedEOF inside one, and an error wrapping ErrUnknownCommand for bytes it does not know.
func (d *Decoder) Next() (Command, error) {
	b, err := d.r.ReadByte()
	if err != nil {
		return Command{}, err
	}
	switch {
	case b == 0x1b:
		return d.esc()
	case b == 0x1d:
		return d.gs()
	case b == 0x10:
		args, err := d.args(2)
		if err != nil {
			return Command{}, err
		}
		if args[0] != 0x04 || args[1] < 1 || args[1] > 4 {
			return Command{}, fmt.Errorf("%w: DLE % x", ErrUnknownCommand, args)
		}
		return Command{Op: OpStatus, N: int(args[1])}, nil
	case b == '\n' || b == '\r':
		return Command{Op: OpLineFeed}, nil
	case b >= 0x20:
		text := []byte{b}
		for {
			next, err := d.r.Peek(1)
			if err != nil || next[0] < 0x20 {
				return Command{Op: OpText, Text: text}, nil
			}
			text = append(text, next[0])
			_, _ = d.r.ReadByte()
		}
	}
	return Command{}, fmt.Errorf("%w: control byte %#02x", ErrUnknownCommand, b)
}

func (d *Decoder) args(n int) ([]byte, error) {
	buf := make([]byte, n)
	if _, err := io.ReadFull(d.r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

func (d *Decoder) esc() (Command, error) {
	a, err := d.args(1)
	if err != nil {
		return Command{}, err
	}
	switch c := a[0]; c {
	case '@':
		return Command{Op: OpInit}, nil
	case '2':
		return Command{Op: OpSetting, Prefix: 0x1b, Code: c}, nil
	case 'd', 'J', 'a', 'E', '!', '3', 'M', 't':
		n, err := d.args(1)
		if err != nil {
			return Command{}, err
		}
		switch c {
		case 'd':
			return Command{Op: OpFeedLines, N: int(n[0])}, nil
		case 'J':
			return Command{Op: OpFeedDots, N: int(n[0])}, nil
		}
		return Command{Op: OpSetting, Prefix: 0x1b, Code: c, N: int(n[0])}, nil
	default:
		return Command{}, fmt.Errorf("%w: ESC %#02x", ErrUnknownCommand, c)
	}
}

func (d *Decoder) gs() (Command, error) {
	a, err := d.args(1)
	if err != nil {
		return Command{}, err
	}
	switch a[0] {
	case '!':
		n, err := d.args(1)
		if err != nil {
			return Command{}, err
		}
		return Command{Op: OpSetting, Prefix: 0x1d, Code: '!', N: int(n[0])}, nil
	case 'V':
		m, err := d.args(1)
		if err != nil {
			return Command{}, err
		}
		switch m[0] {
		case 0, 1, '0', '1':
			return Command{Op: OpCut, Mode: m[0]}, nil
		case 65, 66:
			n, err := d.args(1)
			if err != nil {
				return Command{}, err
			}
			return Command{Op: OpCut, Mode: m[0], N: int(n[0])}, nil
		}
		return Command{}, fmt.Errorf("%w: GS V %#02x", ErrUnknownCommand, m[0])
	case 'v':
		h, err := d.args(6)
		if err != nil {
			return Command{}, err
		}
		if h[0] != '0' || h[1] > 3 && (h[1] < '0' || h[1] > '3') {
			return Command{}, fmt.Errorf("%w: GS v % x", ErrUnknownCommand, h[:2])
		}
		x, y := int(h[2])|int(h[3])<<8, int(h[4])|int(h[5])<<8
		if x == 0 || y == 0 || x > maxBandBytesPerRow || y > maxBandRows {
			return Command{}, fmt.Errorf("GS v 0: a band of %d bytes × %d rows is out of range", x, y)
		}
		bits, err := d.args(x * y)
		if err != nil {
			return Command{}, err
		}
		return Command{Op: OpRaster, Mode: h[1], Raster: &Raster{Width: 8 * x, Height: y, Bits: bits}}, nil
	default:
		return Command{}, fmt.Errorf("%w: GS %#02x", ErrUnknownCommand, a[0])
	}
}

// Decode decodes a whole byte stream.
func Decode(b []byte) ([]Command, error) {
	d := NewDecoder(bytes.NewReader(b))
	var out []Command
	for {
		c, err := d.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, c)
	}
}

// Paper collects decoded commands into pieces of paper the way a printer prints them: raster bands stack
// up until a cut. Text-mode commands are counted but not drawn (this package never sends them).
type Paper struct {
	bands []*Raster
	// Pieces are the pieces cut so far.
	Pieces []*Raster
	// Cuts counts the cuts.
	Cuts int
	// TextCommands counts text-mode commands seen (text, line feeds, settings).
	TextCommands int
}

// Apply feeds one command to the paper. It returns an error for a band whose width differs from the
// bands before it on the same piece.
func (p *Paper) Apply(c Command) error {
	switch c.Op {
	case OpRaster:
		if len(p.bands) > 0 && p.bands[0].Width != c.Raster.Width {
			return fmt.Errorf("a band %d dots wide after bands %d dots wide", c.Raster.Width, p.bands[0].Width)
		}
		p.bands = append(p.bands, c.Raster)
	case OpCut:
		p.Cuts++
		if len(p.bands) > 0 {
			p.Pieces = append(p.Pieces, stack(p.bands[0].Width, p.bands))
			p.bands = nil
		}
	case OpText, OpLineFeed, OpSetting:
		p.TextCommands++
	}
	return nil
}

// Pending reports whether rows have been printed since the last cut.
func (p *Paper) Pending() bool { return len(p.bands) > 0 }

// Pieces decodes b and returns the pieces of paper it prints.
func Pieces(b []byte) ([]*Raster, error) {
	cmds, err := Decode(b)
	if err != nil {
		return nil, err
	}
	var p Paper
	for _, c := range cmds {
		if err := p.Apply(c); err != nil {
			return nil, err
		}
	}
	return p.Pieces, nil
}

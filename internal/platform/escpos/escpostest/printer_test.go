package escpostest_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/escpos"
	"github.com/goodgo/goodgo/internal/platform/escpos/escpostest"
)

// The fake prints what it receives, answers the status request after it, and decodes the same raster.
func TestPrinterDecodesWhatItReceives(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := escpostest.Start(t)
	var d escpos.Document
	d.Text("Trà đá", escpos.Style{}).Cut().Text("Bánh mì", escpos.Style{Bold: true})
	b, err := escpos.Encode(d, escpos.Width80mm)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(append(b, escpos.StatusRequest...)); err != nil {
		t.Fatal(err)
	}
	var status [1]byte
	if _, err := io.ReadFull(c, status[:]); err != nil || status[0] != escpostest.StatusOnline {
		t.Fatalf("status %#x, %v", status[0], err)
	}
	got, err := p.WaitPrinted(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := escpos.Render(d, escpos.Width80mm)
	for i := range want {
		if !got[i].Image.Equal(want[i]) || got[i].Conn != 1 {
			t.Errorf("piece %d differs", i)
		}
	}
	if p.Cuts() != 2 || len(p.Errors()) != 0 {
		t.Errorf("%d cuts, errors %v", p.Cuts(), p.Errors())
	}
}

func TestPrinterRefusesResetsAndStalls(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := escpostest.Start(t)
	p.Refuse()
	if c, err := net.Dial("tcp", p.Addr()); err == nil {
		c.Close()
		t.Fatal("a refusing printer accepted a connection")
	}
	if err := p.Accept(); err != nil {
		t.Fatal(err)
	}
	p.DropNext(1)
	// The reset may reach the dialer before its connect returns, or on its first read.
	if c, err := net.Dial("tcp", p.Addr()); err == nil {
		if _, err := io.ReadFull(c, make([]byte, 1)); err == nil {
			t.Error("a dropped connection answered")
		}
		c.Close()
	}
	p.Stall()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := p.WaitConnections(ctx, 2); err != nil {
		t.Fatal(err)
	}
	_, _ = c.Write(escpos.StatusRequest)
	_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("a stalled printer answered")
	}
	p.Resume()
	_ = c.SetReadDeadline(time.Time{})
	if _, err := io.ReadFull(c, make([]byte, 1)); err == nil {
		t.Error("a resumed printer answered a stalled connection")
	}
}

// A decoding error is recorded, not hidden.
func TestPrinterRecordsGarbage(t *testing.T) {
	p := escpostest.Start(t)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Write([]byte{0x1b, 'Z'})
	_, _ = io.ReadAll(c) // the printer closes after the error
	c.Close()
	if len(p.Errors()) != 1 {
		t.Errorf("errors %v, want one", p.Errors())
	}
}

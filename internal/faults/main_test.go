//go:build faults

package faults

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// goodgoBin is the binary every scenario runs, built once by TestMain.
var goodgoBin string

// moduleDir is the module's root (for building helpers).
var moduleDir string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "goodgo-faults-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	if moduleDir, err = ModuleRoot(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	started := time.Now()
	if goodgoBin, err = BuildGoodGo(ctx, moduleDir, dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "faults: built goodgo in %s\n", time.Since(started).Round(time.Millisecond))
	return m.Run()
}

var (
	binDir      string
	natsBinOnce sync.Once
	natsBin     string
	natsBinErr  error
)

// natsServer returns the nats-server binary (found or built once).
func natsServer(t *testing.T) string {
	t.Helper()
	natsBinOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		natsBin, natsBinErr = NATSServerBinary(ctx, moduleDir, binDir)
	})
	if natsBinErr != nil {
		t.Fatal(natsBinErr)
	}
	return natsBin
}

// scenario bounds a scenario: its context ends after d, and the test fails if it is still running then.
func scenario(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// secretKey is the GOODGO_SECRET_KEY of scenarios on PostgreSQL.
const secretKey = "faults-suite-secret-key-0123456789abcdef"

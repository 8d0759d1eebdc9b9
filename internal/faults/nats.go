package faults

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATS is a private nats-server with JetStream, storing in a directory of its own, on a fixed port so it
// can be killed and started again with its streams intact.
type NATS struct {
	t       testing.TB
	bin     string
	Port    int
	store   string
	logPath string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// NATSServerBinary finds nats-server on PATH (Debian's package), or builds the version GoodGo embeds from
// the module cache into dir.
func NATSServerBinary(ctx context.Context, moduleDir, dir string) (string, error) {
	if p, err := lookPath("nats-server", "/usr/sbin", "/usr/local/bin"); err == nil {
		return p, nil
	}
	bin := filepath.Join(dir, "nats-server")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/nats-io/nats-server/v2")
	cmd.Dir = moduleDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build nats-server: %w\n%s", err, out)
	}
	return bin, nil
}

// StartNATS starts a private nats-server (binary bin) and waits until JetStream answers.
func StartNATS(ctx context.Context, t testing.TB, bin string) *NATS {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	n := &NATS{t: t, bin: bin, Port: port, store: filepath.Join(dir, "js"), logPath: filepath.Join(dir, "nats.log")}
	t.Cleanup(func() {
		n.Kill()
		if t.Failed() {
			t.Logf("nats-server log (last 2 KiB):\n%s", tail(n.logPath, 2<<10))
		}
	})
	n.Start(ctx)
	return n
}

// URL is the server's client URL.
func (n *NATS) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(n.Port) }

// Start starts the server and waits until JetStream answers (up to 30 s).
func (n *NATS) Start(ctx context.Context) {
	n.t.Helper()
	log, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		n.t.Fatal(err)
	}
	cmd := exec.Command(n.bin, "-a", "127.0.0.1", "-p", strconv.Itoa(n.Port), "-js", "-sd", n.store)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		n.t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		log.Close()
		close(exited)
	}()
	n.mu.Lock()
	n.cmd, n.exited = cmd, exited
	n.mu.Unlock()
	err = Poll(ctx, 30*time.Second, 50*time.Millisecond, func(ctx context.Context) (bool, string) {
		select {
		case <-exited:
			return false, "exited"
		default:
		}
		nc, err := nats.Connect(n.URL(), nats.Timeout(time.Second), nats.NoReconnect())
		if err != nil {
			return false, err.Error()
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return false, err.Error()
		}
		actx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if _, err := js.AccountInfo(actx); err != nil {
			return false, err.Error()
		}
		return true, ""
	})
	if err != nil {
		n.t.Fatalf("nats-server not ready: %v\n%s", err, tail(n.logPath, 2<<10))
	}
}

// Kill sends SIGKILL to the server and waits for it to be gone.
func (n *NATS) Kill() {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.cmd = nil
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-exited
}

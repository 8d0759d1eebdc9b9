// Package faults is GoodGo's fault suite: it runs the real binary as a child process against real
// dependencies it owns (a private PostgreSQL cluster, a private nats-server, a RabbitMQ virtual host of its
// own) and breaks them on purpose: kill -9 of the server or of the database mid-traffic, a broker that goes
// away, a database link that turns slow, resets or stalls, a client that stops reading its event stream,
// a thousand streams reconnecting at once, hostile request bodies and headers.
//
// The scenarios are Go tests behind the build tag "faults" (`make test-faults`); every one is bounded by
// deadlines, talks to loopback addresses only, and stops every process it started when it ends. This file
// and its siblings hold the parts they share: the GoodGo process (Server), the private PostgreSQL cluster
// (Postgres), the private NATS server (NATS), a TCP proxy that injects faults (Proxy) and a small JSON
// client of the API (API).
package faults

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FreePort returns a loopback TCP port that nothing listened on a moment ago. A process started on it a
// moment later gets it in practice; the scenarios restart servers on the same port, as an operator would.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Poll calls check every interval until it returns true, ctx ends or the deadline of d passes; it returns
// the last state check reported when it gave up. It is how the scenarios wait for a condition (readiness, a
// drained outbox) instead of sleeping for a guessed time.
func Poll(ctx context.Context, d, interval time.Duration, check func(ctx context.Context) (bool, string)) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	t := time.NewTicker(interval)
	defer t.Stop()
	last := "never checked"
	for {
		ok, state := check(ctx)
		if ok {
			return nil
		}
		last = state
		select {
		case <-ctx.Done():
			return fmt.Errorf("still %s after %s", last, d)
		case <-t.C:
		}
	}
}

// TempDir makes a directory that outlives nothing: it is removed when t ends. Unlike t.TempDir it is made
// with mode 0o755, so that a process running as another user (PostgreSQL as "postgres") can enter it.
func TempDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "goodgo-faults-"+prefix+"-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// tail returns the last n bytes of the file at path, for failure messages.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "(" + err.Error() + ")"
	}
	off := max(0, st.Size()-n)
	b := make([]byte, st.Size()-off)
	got, _ := f.ReadAt(b, off)
	return string(b[:got])
}

// lookPath finds a program on PATH or in one of dirs (globs allowed), newest match of a glob first.
func lookPath(name string, dirs ...string) (string, error) {
	for _, pattern := range dirs {
		matches, _ := filepath.Glob(pattern)
		for i := len(matches) - 1; i >= 0; i-- {
			p := filepath.Join(matches[i], name)
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return p, nil
			}
		}
	}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH or in %s", name, strings.Join(dirs, ", "))
}

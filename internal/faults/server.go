package faults

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BuildGoodGo compiles ./cmd/goodgo of the module rooted at moduleDir into dir and returns the binary's
// path. The scenarios build it once per test run.
func BuildGoodGo(ctx context.Context, moduleDir, dir string) (string, error) {
	bin := filepath.Join(dir, "goodgo")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/goodgo")
	cmd.Dir = moduleDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/goodgo: %w\n%s", err, out)
	}
	return bin, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// ModuleRoot walks up from the working directory to the directory holding go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fileExists(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Server is one GoodGo process: the real binary, started with an environment of GOODGO_* variables on a
// fixed loopback port and data directory, so that it can be killed and started again in the same place.
type Server struct {
	t       testing.TB
	bin     string
	env     map[string]string
	Port    int
	DataDir string
	logPath string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	starts int
}

// NewServer prepares (does not start) a GoodGo process. env adds to or overrides the defaults: a data
// directory of its own, the port, the public URL on that port (so the providers' callbacks reach it), rate
// limits off for loopback, and warnings-only logging to a file that is printed when the test fails.
func NewServer(t testing.TB, bin string, env map[string]string) *Server {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := &Server{t: t, bin: bin, Port: port, DataDir: filepath.Join(dir, "data"), logPath: filepath.Join(dir, "goodgo.log"),
		env: map[string]string{
			"GOODGO_DATA_DIR":               filepath.Join(dir, "data"),
			"GOODGO_HTTP_ADDR":              "127.0.0.1:" + strconv.Itoa(port),
			"GOODGO_PUBLIC_URL":             "http://127.0.0.1:" + strconv.Itoa(port),
			"GOODGO_RATELIMIT_EXEMPT_CIDRS": "127.0.0.1/32",
			"GOODGO_LOG_LEVEL":              "info",
			"GOODGO_SHUTDOWN_TIMEOUT":       "5s",
		}}
	for k, v := range env {
		s.env[k] = v
	}
	t.Cleanup(func() {
		s.Kill()
		if t.Failed() {
			t.Logf("GoodGo log (last 6 KiB of %s):\n%s", s.logPath, tail(s.logPath, 6<<10))
		}
	})
	return s
}

// Setenv sets variables of the environment the next Start uses.
func (s *Server) Setenv(env map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range env {
		s.env[k] = v
	}
}

// URL is the server's base URL.
func (s *Server) URL() string { return "http://127.0.0.1:" + strconv.Itoa(s.Port) }

// Start starts the process and waits until it serves /health/live (up to timeout); it fails the test if the
// process exits first.
func (s *Server) Start(ctx context.Context, timeout time.Duration) {
	s.t.Helper()
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		s.t.Fatal("GoodGo is already running")
	}
	log, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.mu.Unlock()
		s.t.Fatal(err)
	}
	s.starts++
	fmt.Fprintf(log, "\n==== start %d at %s ====\n", s.starts, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(s.bin, "serve")
	cmd.Env = s.environ()
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		s.mu.Unlock()
		s.t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		log.Close()
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()

	client := &http.Client{Timeout: 2 * time.Second}
	err = Poll(ctx, timeout, 50*time.Millisecond, func(ctx context.Context) (bool, string) {
		select {
		case <-exited:
			return false, "exited"
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/health/live", nil)
		res, err := client.Do(req)
		if err != nil {
			return false, err.Error()
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK, res.Status
	})
	select {
	case <-exited:
		s.t.Fatalf("GoodGo exited during start:\n%s", tail(s.logPath, 4<<10))
	default:
	}
	if err != nil {
		s.t.Fatalf("GoodGo not live: %v\n%s", err, tail(s.logPath, 4<<10))
	}
}

// Kill sends SIGKILL to the process (and anything it started) and waits for it to be gone. Nothing of a
// graceful shutdown runs: no drain, no outbox flush, no closing of files.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-exited
}

// Running reports whether the process is running.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// LogLines returns up to n lines of the server's log that contain substr.
func (s *Server) LogLines(substr string, n int) []string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// Log returns the last n bytes of the server's log.
func (s *Server) Log(n int64) string { return tail(s.logPath, n) }

// environ is the child's environment: this process's, without any GOODGO_* variable, plus the server's.
// The caller holds s.mu.
func (s *Server) environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOODGO_") {
			out = append(out, kv)
		}
	}
	for k, v := range s.env {
		out = append(out, k+"="+v)
	}
	return out
}

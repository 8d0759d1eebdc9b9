package faults

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a private PostgreSQL cluster for one test: its own data directory and port, so that killing
// it leaves the shared server alone. Running as root, the server runs as the "postgres" user (PostgreSQL
// refuses to run as root). GoodGo connects as the role "goodgo", which owns the database "goodgo" and is
// neither a superuser nor exempt from row-level security, as on the project's machines.
type Postgres struct {
	t       testing.TB
	bin     string
	dir     string
	data    string
	Port    int
	runAs   *user.User // nil: run as this process's user
	logPath string
}

// pgBinDirs are where Debian puts the server binaries.
var pgBinDirs = []string{"/usr/lib/postgresql/*/bin"}

// StartPostgres initialises and starts a private cluster on a free port, with the goodgo role and database.
// It skips the test when the PostgreSQL server binaries are not installed.
func StartPostgres(ctx context.Context, t testing.TB) *Postgres {
	t.Helper()
	initdb, err := lookPath("initdb", pgBinDirs...)
	if err != nil {
		t.Skipf("PostgreSQL server binaries not installed: %v", err)
	}
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := TempDir(t, "pg")
	pg := &Postgres{t: t, bin: filepath.Dir(initdb), dir: dir, data: filepath.Join(dir, "data"), Port: port,
		logPath: filepath.Join(dir, "postgres.log")}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root without a postgres user to run PostgreSQL as: %v", err)
		}
		pg.runAs = u
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		pg.stop()
		if t.Failed() {
			t.Logf("PostgreSQL log (last 3 KiB):\n%s", tail(pg.logPath, 3<<10))
		}
	})
	if out, err := pg.run(ctx, "initdb", "-D", pg.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C",
		"--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	pg.Start(ctx)
	conn, err := pgx.Connect(ctx, pg.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, stmt := range []string{
		"CREATE ROLE goodgo LOGIN NOSUPERUSER NOCREATEROLE NOBYPASSRLS",
		"CREATE DATABASE goodgo OWNER goodgo",
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	return pg
}

// addr is the server's host:port.
func (pg *Postgres) addr() string { return "127.0.0.1:" + strconv.Itoa(pg.Port) }

// URL is GoodGo's connection URL.
func (pg *Postgres) URL() string {
	return fmt.Sprintf("postgres://goodgo@127.0.0.1:%d/goodgo?sslmode=disable", pg.Port)
}

// AdminURL is the superuser's connection URL, for the test's own checks.
func (pg *Postgres) AdminURL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.Port)
}

// DatabaseURL is the superuser's URL of the goodgo database (for counting rows behind GoodGo's back).
func (pg *Postgres) DatabaseURL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/goodgo?sslmode=disable", pg.Port)
}

// Start starts the server and waits (pg_ctl -w) until it accepts connections. After a Kill it runs crash
// recovery first, as after a power cut.
func (pg *Postgres) Start(ctx context.Context) {
	pg.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=100 -c fsync=off", pg.Port, pg.dir)
	if out, err := pg.run(ctx, "pg_ctl", "-D", pg.data, "-o", opts, "-l", pg.logPath, "-w", "-t", "60", "start"); err != nil {
		pg.t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, tail(pg.logPath, 2<<10))
	}
}

// Kill sends SIGKILL to the postmaster and every backend at once, as the kernel's OOM killer or a power cut
// would end them, and waits until they are gone. Clients see their connections drop mid-statement.
func (pg *Postgres) Kill() {
	pg.t.Helper()
	pid, err := pg.postmasterPID()
	if err != nil {
		pg.t.Fatalf("postmaster pid: %v", err)
	}
	pids := append([]int{pid}, childrenOf(pid)...)
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	err = Poll(context.Background(), 30*time.Second, 20*time.Millisecond, func(context.Context) (bool, string) {
		for _, p := range pids {
			if alive(p) {
				return false, fmt.Sprintf("process %d alive", p)
			}
		}
		return true, ""
	})
	if err != nil {
		pg.t.Fatalf("PostgreSQL did not die: %v", err)
	}
	// A dead postmaster stays a zombie until its parent (init, here) reaps it, and PostgreSQL takes a zombie
	// named in postmaster.pid for a live postmaster. Give the reaper a moment, then drop the stale lock file.
	reaped := Poll(context.Background(), 5*time.Second, 10*time.Millisecond, func(context.Context) (bool, string) {
		_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid)))
		return os.IsNotExist(err), "zombie"
	})
	if reaped != nil {
		_ = os.Remove(filepath.Join(pg.data, "postmaster.pid"))
	}
}

// stop shuts the cluster down at once (the test is over).
func (pg *Postgres) stop() {
	if _, err := pg.postmasterPID(); err != nil {
		return
	}
	if _, err := pg.run(context.Background(), "pg_ctl", "-D", pg.data, "-m", "immediate", "-w", "-t", "30", "stop"); err != nil {
		if pid, err := pg.postmasterPID(); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func (pg *Postgres) postmasterPID() (int, error) {
	b, err := os.ReadFile(filepath.Join(pg.data, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return 0, err
	}
	if !alive(pid) {
		return 0, fmt.Errorf("postmaster %d is not running", pid)
	}
	return pid, nil
}

// run runs one of the cluster's programs, as the postgres user when this process is root.
func (pg *Postgres) run(ctx context.Context, prog string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(pg.bin, prog), args...)
	if pg.runAs != nil {
		uid, _ := strconv.ParseUint(pg.runAs.Uid, 10, 32)
		gid, _ := strconv.ParseUint(pg.runAs.Gid, 10, 32)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		cmd.Env = append(os.Environ(), "HOME="+pg.dir, "USER=postgres", "LOGNAME=postgres")
	}
	cmd.Dir = pg.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// pg_ctl start leaves the server running with our pipes as its output unless -l redirects it; -l is
	// always given, so waiting for the pipes cannot hang on the server.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	return out.Bytes(), err
}

// childrenOf lists the processes whose parent is pid (PostgreSQL's backends and auxiliary processes).
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so cut after the last ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) > 1 {
			if ppid, err := strconv.Atoi(fields[1]); err == nil && ppid == pid {
				out = append(out, child)
			}
		}
	}
	return out
}

// alive reports whether pid is a live process (a zombie counts as gone).
func alive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	return s[i+2] != 'Z'
}

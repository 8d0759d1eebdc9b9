package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// postJSON sends body to the server and returns the status and the decoded answer.
func postJSON(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	res, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestBackupOfARunningServerRestoresIntoAWorkingServer(t *testing.T) {
	data := t.TempDir()
	base, stop := startStoppableServer(t, "GOODGO_DATA_DIR="+data)
	account := map[string]any{"email": "backup-owner@example.com", "password": "Backup-Test-Pass-2026!",
		"full_name": "Backup Owner", "merchant_name": "Backed up"}
	if code, out := postJSON(t, base+"/api/v1/auth/register", account); code != http.StatusCreated {
		t.Fatalf("register: %d %v", code, out)
	}

	// Online: the server is still running.
	env := []string{"GOODGO_DATA_DIR=" + data}
	backups := filepath.Join(t.TempDir(), "backups")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"backup", "--dir", backups, "--keep", "3"}, env, &stdout, &stderr); code != 0 {
		t.Fatalf("backup: exit %d: %s", code, stderr.String())
	}
	made := strings.TrimSpace(stdout.String())
	if filepath.Dir(made) != backups || !strings.HasPrefix(filepath.Base(made), "goodgo-") {
		t.Fatalf("backup printed %q", made)
	}
	for _, f := range []string{"goodgo.db", "secret.key", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(made, f)); err != nil {
			t.Errorf("backup lacks %s: %v", f, err)
		}
	}
	stop()

	// A new machine: restore into an empty data directory and start from it.
	fresh := t.TempDir()
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"restore", made}, []string{"GOODGO_DATA_DIR=" + fresh}, &stdout, &stderr); code != 0 {
		t.Fatalf("restore: exit %d: %s", code, stderr.String())
	}
	base = startServer(t, "GOODGO_DATA_DIR="+fresh)
	code, out := postJSON(t, base+"/api/v1/auth/login", map[string]any{"email": account["email"], "password": account["password"]})
	if code != http.StatusOK || out["access_token"] == nil {
		t.Fatalf("login on the restored server: %d %v", code, out)
	}
	// The restored signing keys are the backup's: the token works on the restored server.
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+out["access_token"].(string))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("/me on the restored server: %d", res.StatusCode)
	}
}

func TestBackupAndRestoreRefuseWhatTheyCannotDo(t *testing.T) {
	pg := []string{"GOODGO_DATABASE_URL=postgres://x@127.0.0.1/x", "GOODGO_SECRET_KEY=" + strings.Repeat("s", 40)}
	cases := []struct {
		args []string
		env  []string
		code int
		say  string
	}{
		{[]string{"backup"}, pg, 2, "pg-backup.sh"},
		{[]string{"restore", "x"}, pg, 2, "pg-restore.sh"},
		{[]string{"backup"}, []string{"GOODGO_DATA_DIR=" + t.TempDir()}, 1, "no database"},
		{[]string{"restore"}, nil, 2, "usage: goodgo restore"},
		{[]string{"restore", t.TempDir()}, []string{"GOODGO_DATA_DIR=" + t.TempDir()}, 1, "not a complete backup"},
		{[]string{"backup", "--keep", "-1"}, nil, 2, "usage: goodgo backup"},
		{[]string{"backup", "--every", "10s"}, nil, 2, "usage: goodgo backup"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, c.env, &stdout, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.say) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d saying %q", c.args, code, stderr.String(), c.code, c.say)
		}
	}
}

func TestScheduledBackupsRunAtOnceAndAtEveryTickAndReportTheLastFailure(t *testing.T) {
	for _, c := range []struct {
		name    string
		results []error // of the successive backups
		want    int
	}{
		{"all good", []error{nil, nil, nil}, 0},
		{"a failure, then good again", []error{nil, errors.New("disk full"), nil}, 0},
		{"the last one failed", []error{nil, nil, errors.New("disk full")}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			ticks := make(chan time.Time)
			made := make(chan int)
			calls := 0
			once := func() error {
				err := c.results[calls]
				calls++
				made <- calls
				return err
			}
			var stderr bytes.Buffer
			done := make(chan int)
			go func() { done <- backupOnSchedule(ctx, ticks, once, &stderr) }()
			for i := range c.results {
				if got := <-made; got != i+1 {
					t.Fatalf("backup %d, want %d", got, i+1)
				}
				if i < len(c.results)-1 {
					ticks <- time.Now()
				}
			}
			cancel()
			if got := <-done; got != c.want {
				t.Errorf("exit %d, want %d (stderr %q)", got, c.want, stderr.String())
			}
			if failures := strings.Count(stderr.String(), "disk full"); failures != 1 && c.name != "all good" {
				t.Errorf("failures reported %d times: %q", failures, stderr.String())
			}
		})
	}
}

package deploy

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/goodgo/goodgo/internal/app"
)

// withDatabase returns u pointing at database name (and, when user is not empty, connecting as user).
func withDatabase(t *testing.T, u, name, user string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	p.Path = "/" + name
	if user != "" {
		p.User = url.User(user)
	}
	return p.String()
}

// callApp sends a JSON request to the application in process.
func callApp(t *testing.T, a *app.App, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req := httptest.NewRequest(method, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func startApp(t *testing.T, env ...string) *app.App {
	t.Helper()
	cfg, err := app.LoadConfig(append([]string{"GOODGO_DATA_DIR=" + t.TempDir(), "GOODGO_LOG_LEVEL=error"}, env...))
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func runScript(t *testing.T, script string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{script}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

// TestPostgresBackupAndRestoreScripts backs up a real GoodGo database (migrated and written by the
// application) with pg-backup.sh, restores it into another database with pg-restore.sh, and checks the copy:
// every row, the row-level security and its policies, the owners, and the application working on it.
func TestPostgresBackupAndRestoreScripts(t *testing.T) {
	appURL := os.Getenv("GOODGO_TEST_DATABASE_URL")
	if appURL == "" {
		t.Skip("GOODGO_TEST_DATABASE_URL is not set")
	}
	for _, tool := range []string{"pg_dump", "pg_restore", "psql", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			requireTool(t, tool)
		}
	}
	// Dumping and restoring read and write past row-level security: a superuser of the same server.
	adminURL := os.Getenv("GOODGO_TEST_PG_ADMIN_URL")
	if adminURL == "" {
		adminURL = withDatabase(t, appURL, "postgres", "postgres")
	}
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.Ping(); err != nil {
		if os.Getenv("GOODGO_REQUIRE_OPS_TOOLS") == "1" {
			t.Fatalf("no superuser connection for the backup test (GOODGO_TEST_PG_ADMIN_URL): %v", err)
		}
		t.Skipf("no superuser connection for the backup test (set GOODGO_TEST_PG_ADMIN_URL): %v", err)
	}
	p, _ := url.Parse(appURL)
	appRole := p.User.Username()

	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	src, dst := "goodgo_backup_src_"+hex.EncodeToString(suffix), "goodgo_backup_dst_"+hex.EncodeToString(suffix)
	for _, name := range []string{src, dst} {
		if _, err := admin.Exec(`CREATE DATABASE ` + name + ` OWNER "` + appRole + `"`); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`) })
	}

	// The application migrates the source and writes to it as its own (row-level-security bound) role.
	secret := "GOODGO_SECRET_KEY=backup-test-secret-key-0123456789abcdef"
	a := startApp(t, "GOODGO_DATABASE_URL="+withDatabase(t, appURL, src, ""), secret)
	owner := map[string]any{"email": "pg-backup@example.com", "password": "Pg-Backup-Test-2026!", "full_name": "PG Owner", "merchant_name": "Dumped"}
	if code, out := callApp(t, a, http.MethodPost, "/api/v1/auth/register", "", owner); code != http.StatusCreated {
		t.Fatalf("register: %d %v", code, out)
	}
	code, tokens := callApp(t, a, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": owner["email"], "password": owner["password"]})
	if code != http.StatusOK {
		t.Fatalf("login: %d %v", code, tokens)
	}
	if code, out := callApp(t, a, http.MethodPost, "/api/v1/shops", tokens["access_token"].(string),
		map[string]any{"name": "Backed-up shop", "business_type": "cafe", "vat_rate_percent": 8}); code != http.StatusCreated {
		t.Fatalf("create shop: %d %v", code, out)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	code, stdout, stderr := runScript(t, "scripts/pg-backup.sh", "--dir", dir, "--keep", "3", withDatabase(t, adminURL, src, ""))
	if code != 0 {
		t.Fatalf("pg-backup.sh: exit %d\n%s", code, stderr)
	}
	dump := strings.TrimSpace(stdout)
	if filepath.Dir(dump) != dir || !strings.HasSuffix(dump, ".dump") {
		t.Fatalf("pg-backup.sh printed %q", dump)
	}
	if _, err := os.Stat(dump + ".sha256"); err != nil {
		t.Fatal(err)
	}

	dstAdmin := withDatabase(t, adminURL, dst, "")
	if code, _, stderr := runScript(t, "scripts/pg-restore.sh", dump, dstAdmin); code != 0 {
		t.Fatalf("pg-restore.sh: exit %d\n%s", code, stderr)
	}
	// A second restore over the now populated database needs --yes.
	if code, _, stderr := runScript(t, "scripts/pg-restore.sh", dump, dstAdmin); code != 1 || !strings.Contains(stderr, "--yes") {
		t.Errorf("restore over tables without --yes: exit %d %s", code, stderr)
	}
	if code, _, stderr := runScript(t, "scripts/pg-restore.sh", "--yes", dump, dstAdmin); code != 0 {
		t.Fatalf("restore --yes: exit %d\n%s", code, stderr)
	}

	// The copy has every row, the same security and owners.
	compare := func(query string) {
		t.Helper()
		got := map[string]string{}
		for _, name := range []string{src, dst} {
			d, err := sql.Open("pgx", withDatabase(t, adminURL, name, ""))
			if err != nil {
				t.Fatal(err)
			}
			rows, err := d.Query(query)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for rows.Next() {
				var k, v string
				if err := rows.Scan(&k, &v); err != nil {
					t.Fatal(err)
				}
				lines = append(lines, k+"="+v)
			}
			rows.Close()
			d.Close()
			got[name] = strings.Join(lines, "\n")
		}
		if got[src] != got[dst] || got[src] == "" {
			t.Errorf("%s\nsource:\n%s\nrestored:\n%s", query, got[src], got[dst])
		}
	}
	compare(`SELECT c.relname, c.relrowsecurity::text || c.relforcerowsecurity::text || pg_get_userbyid(c.relowner)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`)
	compare(`SELECT tablename || '.' || policyname, coalesce(qual, '') || ' / ' || coalesce(with_check, '') FROM pg_policies ORDER BY 1`)
	compare(`SELECT table_name, (xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM public.' || quote_ident(table_name), false, true, '')))[1]::text
		FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`)

	// GoodGo runs on the restored database: nothing to migrate, and the owner signs in.
	restored := startApp(t, "GOODGO_DATABASE_URL="+withDatabase(t, appURL, dst, ""), secret, "GOODGO_MIGRATE_ON_START=false")
	defer restored.Close(context.Background())
	if code, out := callApp(t, restored, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": owner["email"], "password": owner["password"]}); code != http.StatusOK {
		t.Errorf("login on the restored database: %d %v", code, out)
	}

	// A damaged dump is refused before anything is touched.
	b, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(dump, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runScript(t, "scripts/pg-restore.sh", "--yes", dump, dstAdmin); code != 1 || !strings.Contains(stderr, "does not match") {
		t.Errorf("damaged dump: exit %d %s", code, stderr)
	}
}

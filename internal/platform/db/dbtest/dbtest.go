// Package dbtest gives tests a fresh, empty database of their own: always SQLite, and PostgreSQL too when
// GOODGO_TEST_DATABASE_URL is set. Each PostgreSQL test database is created by the (non-superuser) role of
// that URL and dropped when the test ends, so runs never collide and row-level security really applies.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver for the admin connection

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/migrate"
)

// EnvURL names the variable holding the PostgreSQL URL tests use.
const EnvURL = "GOODGO_TEST_DATABASE_URL"

// Dialects lists the engines to test on in this run.
func Dialects() []db.Dialect {
	if os.Getenv(EnvURL) != "" {
		return []db.Dialect{db.SQLite, db.Postgres}
	}
	return []db.Dialect{db.SQLite}
}

// Each runs fn as a subtest per engine with a fresh database migrated with sources.
func Each(t *testing.T, sources []migrate.Source, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	for _, dialect := range Dialects() {
		t.Run(string(dialect), func(t *testing.T) {
			d := New(t, dialect)
			if len(sources) > 0 {
				if err := migrate.Up(context.Background(), d, discard(), sources...); err != nil {
					t.Fatalf("migrate: %v", err)
				}
			}
			fn(t, d)
		})
	}
}

// New opens a fresh empty database of the given engine, closed and removed when t ends.
func New(t testing.TB, dialect db.Dialect) *db.DB {
	t.Helper()
	url := URL(t, dialect)
	cfg := db.Config{URL: url}
	if dialect == db.SQLite {
		cfg = db.Config{SQLitePath: filepath.Join(t.TempDir(), "test.db")}
	}
	d, err := db.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open %s: %v", dialect, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// URL returns the connection URL of a fresh database: for SQLite "" (use New), for PostgreSQL a new database
// created for t on the server of GOODGO_TEST_DATABASE_URL and dropped when t ends. It skips t when that
// variable is not set.
func URL(t testing.TB, dialect db.Dialect) string {
	t.Helper()
	if dialect == db.SQLite {
		return ""
	}
	base := os.Getenv(EnvURL)
	if base == "" {
		t.Skip(EnvURL + " not set")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("connect %s: %v", EnvURL, err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "gg_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	return withDatabase(t, base, name)
}

func withDatabase(t testing.TB, base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String()
}

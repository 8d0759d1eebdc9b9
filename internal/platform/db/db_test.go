package db_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// notes is a tenant table created by hand the way every module's migrations create theirs.
var notesSchema = map[db.Dialect][]string{
	db.SQLite: {`CREATE TABLE notes (id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL, body TEXT NOT NULL UNIQUE)`},
	db.Postgres: {
		`CREATE TABLE notes (id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL, body TEXT NOT NULL UNIQUE)`,
		`ALTER TABLE notes ENABLE ROW LEVEL SECURITY`,
		`ALTER TABLE notes FORCE ROW LEVEL SECURITY`,
		`CREATE POLICY tenant_isolation ON notes
		   USING (merchant_id = current_setting('app.merchant_id', true))
		   WITH CHECK (merchant_id = current_setting('app.merchant_id', true))`,
	},
}

func eachDB(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	for _, dialect := range dbtest.Dialects() {
		t.Run(string(dialect), func(t *testing.T) {
			d := dbtest.New(t, dialect)
			for _, stmt := range notesSchema[dialect] {
				if _, err := d.Writer().Exec(stmt); err != nil {
					t.Fatalf("schema: %v", err)
				}
			}
			fn(t, d)
		})
	}
}

func addNote(ctx context.Context, d *db.DB, m tenant.ID, body string) error {
	return d.WithTx(ctx, m, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO notes (id, merchant_id, body) VALUES ($1, $2, $3)`, db.NewID(), string(m), body)
		return err
	})
}

func TestWithTxCommitsAndRollsBack(t *testing.T) {
	eachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := addNote(ctx, d, "m-a", "kept"); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		err := d.WithTx(ctx, "m-a", func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notes (id, merchant_id, body) VALUES ($1, $2, $3)`, db.NewID(), "m-a", "dropped"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
		var n int
		err = d.ReadTx(ctx, "m-a", func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM notes WHERE merchant_id = $1`, "m-a").Scan(&n)
		})
		if err != nil || n != 1 {
			t.Fatalf("count = %d, %v; want 1 row (the rolled-back insert must be gone)", n, err)
		}
	})
}

func TestMapErrorKinds(t *testing.T) {
	eachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := addNote(ctx, d, "m-a", "same"); err != nil {
			t.Fatal(err)
		}
		if err := addNote(ctx, d, "m-a", "same"); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("duplicate insert: kind = %v (%v), want conflict", apperr.KindOf(err), err)
		}
		err := d.ReadTx(ctx, "m-a", func(tx *sql.Tx) error {
			var body string
			return tx.QueryRowContext(ctx, `SELECT body FROM notes WHERE id = $1`, "missing").Scan(&body)
		})
		if !apperr.Is(err, apperr.NotFound) {
			t.Errorf("missing row: kind = %v (%v), want not found", apperr.KindOf(err), err)
		}
	})
}

func TestReaderIsReadOnlyOnSQLite(t *testing.T) {
	d := dbtest.New(t, db.SQLite)
	if _, err := d.Writer().Exec(notesSchema[db.SQLite][0]); err != nil {
		t.Fatal(err)
	}
	_, err := d.Reader().Exec(`INSERT INTO notes (id, merchant_id, body) VALUES ('1', 'm', 'x')`)
	if err == nil {
		t.Fatal("insert through the reader pool succeeded; readers must be query-only")
	}
}

func TestConcurrentWritersQueueOnSQLite(t *testing.T) {
	d := dbtest.New(t, db.SQLite)
	if _, err := d.Writer().Exec(notesSchema[db.SQLite][0]); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- addNote(ctx, d, "m", "note-"+string(rune('A'+i%26))+string(rune('a'+i/26)))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent write failed: %v", err)
		}
	}
	var n int
	if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM notes`).Scan(&n); err != nil || n != 40 {
		t.Fatalf("count = %d, %v; want 40", n, err)
	}
}

// On PostgreSQL a transaction for one merchant sees none of another's rows even when the query forgets its
// merchant filter, and cannot write rows for another merchant.
func TestRowLevelSecurityIsolatesTenants(t *testing.T) {
	d := dbtest.New(t, db.Postgres)
	for _, stmt := range notesSchema[db.Postgres] {
		if _, err := d.Writer().Exec(stmt); err != nil {
			t.Fatalf("schema: %v", err)
		}
	}
	ctx := context.Background()
	for _, n := range []struct {
		m    tenant.ID
		body string
	}{{"m-a", "a1"}, {"m-a", "a2"}, {"m-b", "b1"}} {
		if err := addNote(ctx, d, n.m, n.body); err != nil {
			t.Fatal(err)
		}
	}
	count := func(m tenant.ID) int {
		var n int
		err := d.ReadTx(ctx, m, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM notes`).Scan(&n) // no merchant filter on purpose
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := count("m-a"); got != 2 {
		t.Errorf("merchant a sees %d rows, want 2", got)
	}
	if got := count("m-b"); got != 1 {
		t.Errorf("merchant b sees %d rows, want 1", got)
	}
	if got := count("m-c"); got != 0 {
		t.Errorf("merchant c sees %d rows, want 0", got)
	}
	err := d.WithTx(ctx, "m-a", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO notes (id, merchant_id, body) VALUES ($1, 'm-b', 'smuggled')`, db.NewID())
		return err
	})
	if err == nil {
		t.Error("merchant a wrote a row for merchant b")
	}
	// Outside any tenant transaction the table looks empty: there is no default tenant.
	var n int
	if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM notes`).Scan(&n); err != nil || n != 0 {
		t.Errorf("untenanted query sees %d rows (%v), want 0", n, err)
	}
}

// The tenant setting is local to its transaction: on a pool of one connection, the next transaction (and a
// plain query) must not inherit it.
func TestTenantSettingDoesNotSurviveCommit(t *testing.T) {
	url := dbtest.URL(t, db.Postgres)
	d, err := db.Open(context.Background(), db.Config{URL: url, MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	var inside, after string
	err = d.WithTx(ctx, "m-a", func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT current_setting('app.merchant_id', true)`).Scan(&inside)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Writer().QueryRowContext(ctx, `SELECT COALESCE(current_setting('app.merchant_id', true), '')`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if inside != "m-a" || after != "" {
		t.Fatalf("inside = %q, after commit = %q; want m-a then empty", inside, after)
	}
	// And after a rollback.
	_ = d.WithTx(ctx, "m-b", func(tx *sql.Tx) error { return errors.New("roll back") })
	if err := d.Writer().QueryRowContext(ctx, `SELECT COALESCE(current_setting('app.merchant_id', true), '')`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != "" {
		t.Fatalf("after rollback = %q, want empty", after)
	}
}

func TestWithTxRequiresMerchant(t *testing.T) {
	d := dbtest.New(t, db.SQLite)
	if err := d.WithTx(context.Background(), "", func(*sql.Tx) error { return nil }); err == nil {
		t.Fatal("WithTx without a merchant succeeded")
	}
}

func TestOpenRejectsUnknownScheme(t *testing.T) {
	if _, err := db.Open(context.Background(), db.Config{URL: "mysql://root:secret@x/db"}); err == nil {
		t.Fatal("mysql URL accepted")
	} else if got := err.Error(); strings.Contains(got, "secret") {
		t.Fatalf("error leaks the password: %s", got)
	}
}

// Times are compared correctly in SQL whatever offset the caller's time.Time carries: a terminal sends
// +07:00, a bound computed in UTC must still order it.
func TestTimesCompareAcrossOffsets(t *testing.T) {
	for _, dialect := range dbtest.Dialects() {
		t.Run(string(dialect), func(t *testing.T) {
			d := dbtest.New(t, dialect)
			typ := map[db.Dialect]string{db.SQLite: "TIMESTAMP", db.Postgres: "TIMESTAMPTZ"}[dialect]
			if _, err := d.Writer().Exec(`CREATE TABLE stamps (id TEXT PRIMARY KEY, at ` + typ + ` NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			hanoi := time.FixedZone("ICT", 7*3600)
			at := time.Date(2026, 11, 23, 17, 0, 0, 0, hanoi) // 10:00Z
			if _, err := d.Writer().Exec(`INSERT INTO stamps (id, at) VALUES ($1, $2)`, "1", at); err != nil {
				t.Fatal(err)
			}
			var n int
			bound := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
			if err := d.Reader().QueryRow(`SELECT COUNT(*) FROM stamps WHERE at < $1`, bound).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Fatalf("10:00Z < 12:00Z matched %d rows, want 1", n)
			}
			var got time.Time
			if err := d.Reader().QueryRow(`SELECT at FROM stamps`).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if !got.Equal(at) {
				t.Fatalf("read back %v, want %v", got, at)
			}
		})
	}
}

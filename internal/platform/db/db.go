// Package db opens the application's database — an embedded SQLite file by default, PostgreSQL when a URL
// is configured — and runs transactions scoped to one tenant.
//
// Both engines are reached through database/sql so that sqlc's generated code runs on either. SQLite has one
// writer connection (transactions begin IMMEDIATE, so writers queue instead of failing) and a pool of
// read-only connections; PostgreSQL uses one pgx pool. On PostgreSQL every transaction opened with WithTx
// sets app.merchant_id for that transaction only, which the row-level security policies of every tenant
// table compare against: a query that forgets its merchant filter still sees nothing of another tenant.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Dialect names a database engine.
type Dialect string

// The supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Config says which database to open.
type Config struct {
	// URL selects PostgreSQL when it starts with postgres:// or postgresql://; empty selects SQLite.
	URL string
	// SQLitePath is the SQLite file used when URL is empty.
	SQLitePath string
	// MaxConns bounds the PostgreSQL pool (0: pgx's default) and the SQLite reader pool (0: 2×CPUs, ≥ 4).
	MaxConns int
}

// DB is an open database: a writer and a reader handle (the same pool on PostgreSQL).
type DB struct {
	dialect Dialect
	write   *sql.DB
	read    *sql.DB
	pool    *pgxpool.Pool
}

// Open opens the database cfg describes and checks that it answers.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	var (
		d   *DB
		err error
	)
	if strings.HasPrefix(cfg.URL, "postgres://") || strings.HasPrefix(cfg.URL, "postgresql://") {
		d, err = openPostgres(ctx, cfg)
	} else if cfg.URL != "" {
		return nil, fmt.Errorf("open database: unsupported URL scheme in %q", redactURL(cfg.URL))
	} else {
		d, err = openSQLite(cfg)
	}
	if err != nil {
		return nil, err
	}
	if err := d.Ping(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func openSQLite(cfg Config) (*DB, error) {
	path := cfg.SQLitePath
	if path == "" {
		return nil, errors.New("open sqlite: no file path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
	}
	// synchronous=FULL: a shop loses power; a committed payment must survive it.
	pragmas := []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"}
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	// Times are written in one format and always in UTC, so that SQL comparisons of the stored text order
	// them correctly whatever offset the caller's time.Time carried (a terminal's +07:00).
	q.Set("_time_format", "sqlite")
	q.Set("_timezone", "UTC")
	writerQ := url.Values{}
	for k, v := range q {
		writerQ[k] = v
	}
	writerQ.Set("_txlock", "immediate")
	write, err := sql.Open("sqlite", "file:"+path+"?"+writerQ.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite writer: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	// Make sure the file and WAL mode exist before readers open it read-only.
	if _, err := write.Exec("SELECT 1"); err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite writer: %w", err)
	}
	q.Add("_pragma", "query_only(1)")
	read, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite readers: %w", err)
	}
	n := cfg.MaxConns
	if n <= 0 {
		n = max(4, 2*runtime.NumCPU())
	}
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	return &DB{dialect: SQLite, write: write, read: read}, nil
}

func openPostgres(ctx context.Context, cfg Config) (*DB, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("open postgres: parse URL %s: %w", redactURL(cfg.URL), err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = int32(cfg.MaxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	sdb := stdlib.OpenDBFromPool(pool)
	return &DB{dialect: Postgres, write: sdb, read: sdb, pool: pool}, nil
}

// Dialect reports the engine.
func (d *DB) Dialect() Dialect { return d.dialect }

// Writer returns the handle for statements that change data. On SQLite it is a single connection: hold it
// only for short transactions.
func (d *DB) Writer() *sql.DB { return d.write }

// Reader returns the handle for read-only queries (a read-only pool on SQLite).
func (d *DB) Reader() *sql.DB { return d.read }

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := d.write.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", d.dialect, err)
	}
	return nil
}

// Close closes every connection.
func (d *DB) Close() error {
	err := d.write.Close()
	if d.read != d.write {
		err = errors.Join(err, d.read.Close())
	}
	if d.pool != nil {
		d.pool.Close()
	}
	return err
}

// WithTx runs fn in a read-write transaction for merchant m and commits it when fn returns nil. On
// PostgreSQL the transaction carries app.merchant_id = m (set with set_config(…, true), so it ends with the
// transaction and never leaks to the next user of the pooled connection). Errors are mapped with MapError.
func (d *DB) WithTx(ctx context.Context, m tenant.ID, fn func(tx *sql.Tx) error) error {
	if m == "" {
		return errors.New("db: WithTx without a merchant")
	}
	return d.run(ctx, d.write, false, "app.merchant_id", string(m), fn)
}

// ReadTx runs fn in a read-only transaction for merchant m on the reader pool.
func (d *DB) ReadTx(ctx context.Context, m tenant.ID, fn func(tx *sql.Tx) error) error {
	if m == "" {
		return errors.New("db: ReadTx without a merchant")
	}
	return d.run(ctx, d.read, true, "app.merchant_id", string(m), fn)
}

// WithSystemTx runs fn in a transaction that may cross tenants: it sets app.system = 'on', which only the
// policies of the few tables that must be read across tenants (the outbox, the platform's own bookkeeping)
// accept. Only platform workers and audited cross-tenant paths call it; no request handler does, and a
// tenant transaction can never see what it sees. reason is for the reader of the code and the logs.
func (d *DB) WithSystemTx(ctx context.Context, reason string, fn func(tx *sql.Tx) error) error {
	if reason == "" {
		return errors.New("db: WithSystemTx needs a reason")
	}
	return d.run(ctx, d.write, false, "app.system", "on", fn)
}

func (d *DB) run(ctx context.Context, h *sql.DB, readOnly bool, key, value string, fn func(tx *sql.Tx) error) (err error) {
	var opts *sql.TxOptions
	if readOnly && d.dialect == Postgres {
		opts = &sql.TxOptions{ReadOnly: true}
	}
	tx, err := h.BeginTx(ctx, opts)
	if err != nil {
		return MapError(fmt.Errorf("begin: %w", err))
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if d.dialect == Postgres {
		if _, err = tx.ExecContext(ctx, "SELECT set_config($1, $2, true)", key, value); err != nil {
			return MapError(fmt.Errorf("set %s: %w", key, err))
		}
	}
	if err = fn(tx); err != nil {
		return MapError(err)
	}
	if err = tx.Commit(); err != nil {
		return MapError(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// redactURL hides the password of a database URL so it can be logged.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

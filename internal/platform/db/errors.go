package db

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

// MapError gives database errors an apperr kind: no rows → NotFound, a unique or exclusion violation →
// Conflict, a foreign key or check violation → Invalid, a dropped connection → Unavailable. Errors that
// already have a kind, and anything else, are returned unchanged.
func MapError(err error) error {
	if err == nil || apperr.KindOf(err) != apperr.Unknown {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.Wrap(err, apperr.NotFound, "not found")
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505", "23P01": // unique_violation, exclusion_violation
			return apperr.Wrap(err, apperr.Conflict, "already exists")
		case "23503", "23514", "23502": // foreign_key, check, not_null
			return apperr.Wrap(err, apperr.Invalid, "violates a constraint")
		case "40001", "40P01": // serialization_failure, deadlock_detected: transient, the same request may succeed
			return apperr.Wrap(err, apperr.Unavailable, "concurrent update, retry")
		}
		if strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" { // connection exception, admin shutdown
			return apperr.Wrap(err, apperr.Unavailable, "database unavailable")
		}
		return err
	}
	if lostConnection(err) {
		return apperr.Wrap(err, apperr.Unavailable, "database unavailable")
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		switch lite.Code() { // constraint violations are reported with their extended codes
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return apperr.Wrap(err, apperr.Conflict, "already exists")
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return apperr.Wrap(err, apperr.Invalid, "violates a constraint")
		}
		switch lite.Code() & 0xff { // busy and locked come with extended codes too (SQLITE_BUSY_SNAPSHOT, …)
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return apperr.Wrap(err, apperr.Unavailable, "database busy")
		}
	}
	return err
}

// lostConnection reports an error of the connection to the database rather than of the statement: refused,
// reset, closed under the query, or cut mid-answer. The request may succeed once the database is back.
func lostConnection(err error) bool {
	var pgConnect *pgconn.ConnectError
	var netErr *net.OpError
	switch {
	case errors.As(err, &pgConnect), errors.As(err, &netErr), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "connection reset by peer") || strings.Contains(msg, "broken pipe")
}

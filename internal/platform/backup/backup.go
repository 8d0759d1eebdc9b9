// Package backup makes and restores backups of the embedded SQLite database.
//
// A backup is a directory <dir>/goodgo-<UTC time> holding a consistent copy of the database made online with
// VACUUM INTO (the server keeps serving: SQLite in WAL mode lets the copy read a snapshot while writers go on),
// the data directory's secret key when there is one (without it the encrypted columns of the copy cannot be
// read), and manifest.json with the copy's size and SHA-256. A backup is written under a temporary name and
// renamed into place only after SQLite's integrity check passed, so a listed backup is always complete.
//
// PostgreSQL deployments use pg_dump instead (deploy/scripts/pg-backup.sh); this package is for the
// single-machine default.
package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// File names inside a data directory and inside a backup.
const (
	DatabaseFile  = "goodgo.db"
	SecretKeyFile = "secret.key"
	ManifestFile  = "manifest.json"

	namePrefix = "goodgo-"
	timeLayout = "20060102T150405Z"
)

// Manifest describes one backup; it is written last, so a directory without one is not a backup.
type Manifest struct {
	CreatedAt time.Time `json:"created_at"`
	Version   string    `json:"version"`
	Database  string    `json:"database"`
	Size      int64     `json:"size"`
	SHA256    string    `json:"sha256"`
	SecretKey bool      `json:"secret_key"`
}

// Options says what to back up and where.
type Options struct {
	DataDir string    // the server's GOODGO_DATA_DIR
	Dir     string    // where backups are kept
	Now     time.Time // the backup's time (names it)
	Version string    // the build that made it, recorded in the manifest
}

// ErrNoDatabase is returned when the data directory has no database to back up.
var ErrNoDatabase = errors.New("no database in the data directory")

// Create makes one backup and returns its directory and manifest. It fails with ErrNoDatabase when the data
// directory has no database, and when a backup with the same name exists (one per second at most).
func Create(ctx context.Context, o Options) (string, Manifest, error) {
	src := filepath.Join(o.DataDir, DatabaseFile)
	if _, err := os.Stat(src); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", Manifest{}, fmt.Errorf("%w (%s)", ErrNoDatabase, src)
		}
		return "", Manifest{}, err
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return "", Manifest{}, fmt.Errorf("backup dir: %w", err)
	}
	name := namePrefix + o.Now.UTC().Format(timeLayout)
	final := filepath.Join(o.Dir, name)
	if _, err := os.Stat(final); err == nil {
		return "", Manifest{}, fmt.Errorf("backup %s exists already", final)
	}
	tmp, err := os.MkdirTemp(o.Dir, ".partial-"+name+"-")
	if err != nil {
		return "", Manifest{}, err
	}
	defer os.RemoveAll(tmp) // gone after the rename; removes a failed attempt

	copyPath := filepath.Join(tmp, DatabaseFile)
	if err := vacuumInto(ctx, src, copyPath); err != nil {
		return "", Manifest{}, err
	}
	if err := checkIntegrity(ctx, copyPath); err != nil {
		return "", Manifest{}, fmt.Errorf("the copy failed its integrity check: %w", err)
	}
	size, sum, err := digest(copyPath)
	if err != nil {
		return "", Manifest{}, err
	}
	m := Manifest{CreatedAt: o.Now.UTC().Truncate(time.Second), Version: o.Version, Database: DatabaseFile, Size: size, SHA256: sum}
	switch key, err := os.ReadFile(filepath.Join(o.DataDir, SecretKeyFile)); {
	case err == nil:
		if err := writeFileSync(filepath.Join(tmp, SecretKeyFile), key, 0o600); err != nil {
			return "", Manifest{}, err
		}
		m.SecretKey = true
	case !errors.Is(err, fs.ErrNotExist):
		return "", Manifest{}, fmt.Errorf("read secret key: %w", err)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", Manifest{}, err
	}
	if err := writeFileSync(filepath.Join(tmp, ManifestFile), append(b, '\n'), 0o600); err != nil {
		return "", Manifest{}, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", Manifest{}, err
	}
	return final, m, syncDir(o.Dir)
}

// vacuumInto writes a consistent, compacted copy of the database at src to dst through a read-only
// connection, so the copy never blocks the server's writer.
func vacuumInto(ctx context.Context, src, dst string) error {
	d, err := openSQLite(src, true)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return fmt.Errorf("copy the database (VACUUM INTO): %w", err)
	}
	return nil
}

func openSQLite(path string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	if readOnly {
		q.Set("mode", "ro")
	}
	d, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	d.SetMaxOpenConns(1)
	return d, nil
}

// checkIntegrity runs SQLite's integrity check on the database file at path.
func checkIntegrity(ctx context.Context, path string) error {
	d, err := openSQLite(path, true)
	if err != nil {
		return err
	}
	defer d.Close()
	rows, err := d.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// Verify checks a backup directory: its manifest, the database copy's size and SHA-256, and SQLite's
// integrity check.
func Verify(ctx context.Context, dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return m, fmt.Errorf("%s is not a complete backup: %w", dir, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("manifest of %s: %w", dir, err)
	}
	if m.Database != DatabaseFile {
		return m, fmt.Errorf("manifest of %s names an unexpected database file %q", dir, m.Database)
	}
	path := filepath.Join(dir, m.Database)
	size, sum, err := digest(path)
	if err != nil {
		return m, err
	}
	if size != m.Size || sum != m.SHA256 {
		return m, fmt.Errorf("%s does not match its manifest (size %d, want %d; sha256 %s, want %s)", path, size, m.Size, sum, m.SHA256)
	}
	if m.SecretKey {
		if _, err := os.Stat(filepath.Join(dir, SecretKeyFile)); err != nil {
			return m, fmt.Errorf("the manifest lists a secret key: %w", err)
		}
	}
	if err := checkIntegrity(ctx, path); err != nil {
		return m, fmt.Errorf("%s failed its integrity check: %w", path, err)
	}
	return m, nil
}

// List returns the backups in dir, oldest first (their names sort by time).
func List(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), namePrefix) {
			continue
		}
		if _, err := time.Parse(timeLayout, strings.TrimPrefix(e.Name(), namePrefix)); err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), ManifestFile)); err != nil {
			continue
		}
		out = append(out, filepath.Join(dir, e.Name()))
	}
	slices.Sort(out)
	return out, nil
}

// Prune deletes the oldest backups in dir so that at most keep remain (keep <= 0 keeps everything), and
// returns the deleted directories.
func Prune(dir string, keep int) ([]string, error) {
	if keep <= 0 {
		return nil, nil
	}
	all, err := List(dir)
	if err != nil || len(all) <= keep {
		return nil, err
	}
	old := all[:len(all)-keep]
	for _, p := range old {
		if err := os.RemoveAll(p); err != nil {
			return nil, err
		}
	}
	return old, nil
}

// Restore replaces the database (and the secret key, when the backup has one) of dataDir with the backup in
// from, after verifying it. The server must be stopped. What it replaces is kept beside it with the suffix
// .pre-restore-<time> (the database with its -wal and -shm files, so it stays consistent), and returned.
func Restore(ctx context.Context, from, dataDir string, now time.Time) ([]string, error) {
	m, err := Verify(ctx, from)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, err
	}
	suffix := ".pre-restore-" + now.UTC().Format(timeLayout)
	target := filepath.Join(dataDir, DatabaseFile)
	staged := target + ".restoring"
	if err := copyFileSync(filepath.Join(from, m.Database), staged, 0o600); err != nil {
		return nil, err
	}
	defer os.Remove(staged) // gone after the rename
	var kept []string
	for _, ext := range []string{"", "-wal", "-shm"} {
		p := target + ext
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := os.Rename(p, p+suffix); err != nil {
			return kept, err
		}
		kept = append(kept, p+suffix)
	}
	if err := os.Rename(staged, target); err != nil {
		return kept, err
	}
	if m.SecretKey {
		key, err := os.ReadFile(filepath.Join(from, SecretKeyFile))
		if err != nil {
			return kept, err
		}
		keyPath := filepath.Join(dataDir, SecretKeyFile)
		current, err := os.ReadFile(keyPath)
		switch {
		case err == nil && string(current) == string(key):
		case err == nil || errors.Is(err, fs.ErrNotExist):
			if err == nil {
				if err := os.Rename(keyPath, keyPath+suffix); err != nil {
					return kept, err
				}
				kept = append(kept, keyPath+suffix)
			}
			if err := writeFileSync(keyPath, key, 0o600); err != nil {
				return kept, err
			}
		default:
			return kept, err
		}
	}
	return kept, syncDir(dataDir)
}

func digest(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

func writeFileSync(path string, b []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func copyFileSync(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// syncDir makes renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

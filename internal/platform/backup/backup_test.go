package backup

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// openWAL opens (creating) a database the way the server does: WAL journal, one writer.
func openWAL(t *testing.T, path string) *sql.DB {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)")
	if err != nil {
		t.Fatal(err)
	}
	d.SetMaxOpenConns(1)
	t.Cleanup(func() { d.Close() })
	if _, err := d.Exec(`CREATE TABLE IF NOT EXISTS sales (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL);
		CREATE TABLE IF NOT EXISTS totals (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL, amount INTEGER NOT NULL);
		INSERT OR IGNORE INTO totals VALUES (1, 0, 0)`); err != nil {
		t.Fatal(err)
	}
	return d
}

// sell records one sale and keeps the totals row in step in the same transaction, so any consistent
// snapshot has totals equal to the sum of sales.
func sell(d *sql.DB, amount int64) error {
	tx, err := d.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT INTO sales (amount) VALUES (?)`, amount); err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE totals SET n = n + 1, amount = amount + ? WHERE id = 1`, amount); err != nil {
		return err
	}
	return tx.Commit()
}

func consistent(t *testing.T, path string) (n int64) {
	t.Helper()
	d, err := openSQLite(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var count, sum, tn, tsum int64
	if err := d.QueryRow(`SELECT count(*), coalesce(sum(amount), 0) FROM sales`).Scan(&count, &sum); err != nil {
		t.Fatal(err)
	}
	if err := d.QueryRow(`SELECT n, amount FROM totals`).Scan(&tn, &tsum); err != nil {
		t.Fatal(err)
	}
	if count != tn || sum != tsum {
		t.Fatalf("%s is not a consistent snapshot: %d sales worth %d, totals say %d worth %d", path, count, sum, tn, tsum)
	}
	return count
}

func TestBackupWhileWritingIsConsistentAndRestores(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	d := openWAL(t, filepath.Join(data, DatabaseFile))
	if err := os.WriteFile(filepath.Join(data, SecretKeyFile), []byte(strings.Repeat("k", 64)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := sell(d, int64(1000+i)); err != nil {
			t.Fatal(err)
		}
	}

	// Writers keep going while the backup runs.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := sell(d, 500); err != nil {
				writeErr = err
				return
			}
		}
	}()
	dir := filepath.Join(t.TempDir(), "backups")
	now := time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC)
	path, m, err := Create(ctx, Options{DataDir: data, Dir: dir, Now: now, Version: "test"})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if writeErr != nil {
		t.Fatalf("the server's writes failed during the backup: %v", writeErr)
	}
	if got, want := filepath.Base(path), "goodgo-20261123T160000Z"; got != want {
		t.Errorf("backup name %q, want %q", got, want)
	}
	if !m.SecretKey || m.Size == 0 || len(m.SHA256) != 64 || m.Version != "test" {
		t.Errorf("manifest %+v", m)
	}
	backedUp := consistent(t, filepath.Join(path, DatabaseFile))
	if backedUp < 50 {
		t.Fatalf("backup has %d sales, want at least the 50 made before it", backedUp)
	}
	if _, err := Verify(ctx, path); err != nil {
		t.Fatal(err)
	}

	// More sales after the backup; a restore brings the database back to the backup's moment.
	for range 5 {
		if err := sell(d, 7); err != nil {
			t.Fatal(err)
		}
	}
	live := consistent(t, filepath.Join(data, DatabaseFile))
	d.Close() // the server is stopped for a restore
	if err := os.WriteFile(filepath.Join(data, SecretKeyFile), []byte(strings.Repeat("x", 64)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	kept, err := Restore(ctx, path, data, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got := consistent(t, filepath.Join(data, DatabaseFile)); got != backedUp {
		t.Errorf("restored database has %d sales, want the backup's %d", got, backedUp)
	}
	key, _ := os.ReadFile(filepath.Join(data, SecretKeyFile))
	if !strings.HasPrefix(string(key), "kkkk") {
		t.Errorf("secret key not restored: %q", key)
	}
	var keptDB string
	for _, k := range kept {
		if filepath.Base(k) == DatabaseFile+".pre-restore-20261123T170000Z" {
			keptDB = k
		}
	}
	if keptDB == "" {
		t.Fatalf("the replaced database was not kept: %v", kept)
	}
	if got := consistent(t, keptDB); got != live {
		t.Errorf("kept database has %d sales, want the live %d", got, live)
	}
}

func TestVerifyRefusesDamagedOrIncompleteBackups(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	d := openWAL(t, filepath.Join(data, DatabaseFile))
	if err := sell(d, 100); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path, _, err := Create(ctx, Options{DataDir: data, Dir: dir, Now: time.Unix(1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(path, DatabaseFile), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("garbage"), 200); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := Verify(ctx, path); err == nil || !strings.Contains(err.Error(), "does not match its manifest") {
		t.Errorf("damaged copy: %v", err)
	}
	target := t.TempDir()
	if _, err := Restore(ctx, path, target, time.Now()); err == nil {
		t.Error("restore accepted a damaged backup")
	}
	if _, err := os.Stat(filepath.Join(target, DatabaseFile)); !errors.Is(err, os.ErrNotExist) {
		t.Error("a refused restore wrote a database")
	}
	if err := os.Remove(filepath.Join(path, ManifestFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(ctx, path); err == nil {
		t.Error("a backup without a manifest verified")
	}
	if _, _, err := Create(ctx, Options{DataDir: t.TempDir(), Dir: dir, Now: time.Unix(2, 0)}); !errors.Is(err, ErrNoDatabase) {
		t.Errorf("backup of an empty data dir: %v", err)
	}
}

func TestPruneKeepsTheNewest(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	d := openWAL(t, filepath.Join(data, DatabaseFile))
	if err := sell(d, 1); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 4 {
		if _, _, err := Create(ctx, Options{DataDir: data, Dir: dir, Now: base.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	// Not backups: left alone.
	if err := os.Mkdir(filepath.Join(dir, "goodgo-notatime"), 0o700); err != nil {
		t.Fatal(err)
	}
	removed, err := Prune(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 || !strings.HasSuffix(removed[0], "goodgo-20260101T000000Z") || !strings.HasSuffix(removed[1], "goodgo-20260101T010000Z") {
		t.Errorf("removed %v", removed)
	}
	left, _ := List(dir)
	if len(left) != 2 || !strings.HasSuffix(left[1], "goodgo-20260101T030000Z") {
		t.Errorf("left %v", left)
	}
	if _, err := os.Stat(filepath.Join(dir, "goodgo-notatime")); err != nil {
		t.Error("prune removed a directory that is not a backup")
	}
}

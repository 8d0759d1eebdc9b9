package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/goodgo/goodgo/internal/app"
	"github.com/goodgo/goodgo/internal/platform/backup"
)

const backupUsage = `usage: goodgo backup [--dir DIR] [--keep N] [--every DURATION]

Copies the embedded SQLite database (GOODGO_DATA_DIR/goodgo.db) online and consistently with VACUUM INTO,
with the data directory's secret key, into DIR/goodgo-<UTC time>/ (default DIR: GOODGO_DATA_DIR/backups).
The server keeps running. Prints the path of each backup made. For PostgreSQL use
deploy/scripts/pg-backup.sh (pg_dump) instead.

`

const restoreUsage = `usage: goodgo restore BACKUP_DIR

Verifies the backup (manifest, SHA-256, SQLite integrity check) and puts it in place of GOODGO_DATA_DIR's
database and secret key. Stop the server first. The replaced files are kept beside them with the suffix
.pre-restore-<UTC time>.

`

// runBackup is `goodgo backup`: one backup, or one every --every until the process is stopped.
func runBackup(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, backupUsage); fs.PrintDefaults() }
	dir := fs.String("dir", "", "where backups are kept (default GOODGO_DATA_DIR/backups)")
	keep := fs.Int("keep", 0, "after each backup, delete all but the newest N backups in DIR (0 keeps all)")
	every := fs.Duration("every", 0, "keep running and make a backup at this interval, at least 1m, e.g. 6h (0: once)")
	if err := fs.Parse(args); err != nil {
		return usageExit(err)
	}
	// Backups are named by the second: a schedule faster than a minute makes no sense for them anyway.
	if fs.NArg() > 0 || *keep < 0 || *every < 0 || (*every > 0 && *every < time.Minute) {
		fs.Usage()
		return 2
	}
	cfg, err := app.LoadConfig(environ)
	if err != nil {
		fmt.Fprintln(stderr, "goodgo backup:", err)
		return 2
	}
	if cfg.DatabaseURL != "" {
		fmt.Fprintln(stderr, "goodgo backup: GOODGO_DATABASE_URL is set: back PostgreSQL up with deploy/scripts/pg-backup.sh (pg_dump)")
		return 2
	}
	if *dir == "" {
		*dir = filepath.Join(cfg.DataDir, "backups")
	}
	once := func() error {
		path, m, err := backup.Create(ctx, backup.Options{DataDir: cfg.DataDir, Dir: *dir, Now: time.Now(), Version: app.Version})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, path)
		fmt.Fprintf(stderr, "goodgo backup: %s (%d bytes, sha256 %s, secret key included: %t)\n", path, m.Size, m.SHA256, m.SecretKey)
		removed, err := backup.Prune(*dir, *keep)
		for _, p := range removed {
			fmt.Fprintln(stderr, "goodgo backup: removed old backup", p)
		}
		return err
	}
	if *every == 0 {
		if err := once(); err != nil {
			fmt.Fprintln(stderr, "goodgo backup:", err)
			return 1
		}
		return 0
	}
	t := time.NewTicker(*every)
	defer t.Stop()
	return backupOnSchedule(ctx, t.C, once, stderr)
}

// backupOnSchedule makes a backup at once and one at every tick until ctx ends. A failed backup is reported
// and tried again at the next tick; the exit code (1) tells a supervisor that the last one failed.
func backupOnSchedule(ctx context.Context, ticks <-chan time.Time, once func() error, stderr io.Writer) int {
	failed := false
	for {
		if err := once(); err != nil {
			fmt.Fprintln(stderr, "goodgo backup:", err)
			failed = true
		} else {
			failed = false
		}
		select {
		case <-ctx.Done():
			if failed {
				return 1
			}
			return 0
		case <-ticks:
		}
	}
}

// runRestore is `goodgo restore BACKUP_DIR`.
func runRestore(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, restoreUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return usageExit(err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	cfg, err := app.LoadConfig(environ)
	if err != nil {
		fmt.Fprintln(stderr, "goodgo restore:", err)
		return 2
	}
	if cfg.DatabaseURL != "" {
		fmt.Fprintln(stderr, "goodgo restore: GOODGO_DATABASE_URL is set: restore PostgreSQL with deploy/scripts/pg-restore.sh")
		return 2
	}
	kept, err := backup.Restore(ctx, fs.Arg(0), cfg.DataDir, time.Now())
	for _, p := range kept {
		fmt.Fprintln(stdout, "kept", p)
	}
	if err != nil {
		fmt.Fprintln(stderr, "goodgo restore:", err)
		return 1
	}
	fmt.Fprintln(stdout, "restored", fs.Arg(0), "into", cfg.DataDir)
	return 0
}

// usageExit is the exit code for a flag parsing error: 0 for -h, 2 otherwise.
func usageExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

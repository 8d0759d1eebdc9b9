// Package migrate applies every module's embedded migrations for the active database engine.
//
// A module ships its migrations as an fs.FS with two folders, sqlite/ and postgres/, of goose SQL files.
// Each module's history lives in its own goose table (goose_<module>), so modules migrate independently
// and a deployment running a subset of modules still migrates all of them in one place.
//
// On PostgreSQL migrations run as the application's role, which owns its database but is not a superuser.
// Every tenant table must ENABLE and FORCE row-level security with a policy on app.merchant_id; the tests
// check that for every table that has a merchant_id column.
package migrate

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/goodgo/goodgo/internal/platform/db"
)

// Source is one module's migrations: FS holds sqlite/ and postgres/ folders of goose SQL files.
type Source struct {
	Module string
	FS     fs.FS
}

var moduleName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Up applies every pending migration of sources, in the order given, and logs what it applied.
func Up(ctx context.Context, d *db.DB, log *slog.Logger, sources ...Source) error {
	for _, src := range sources {
		p, err := provider(d, src)
		if err != nil {
			return err
		}
		results, err := p.Up(ctx)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", src.Module, err)
		}
		for _, r := range results {
			log.Info("migration applied", "module", src.Module, "version", r.Source.Version,
				"file", r.Source.Path, "duration_ms", r.Duration.Milliseconds())
		}
	}
	return nil
}

// Pending reports the modules that have migrations not yet applied.
func Pending(ctx context.Context, d *db.DB, sources ...Source) ([]string, error) {
	var pending []string
	for _, src := range sources {
		p, err := provider(d, src)
		if err != nil {
			return nil, err
		}
		has, err := p.HasPending(ctx)
		if err != nil {
			return nil, fmt.Errorf("migration status of %s: %w", src.Module, err)
		}
		if has {
			pending = append(pending, src.Module)
		}
	}
	return pending, nil
}

func provider(d *db.DB, src Source) (*goose.Provider, error) {
	if !moduleName.MatchString(src.Module) {
		return nil, fmt.Errorf("migrate: bad module name %q", src.Module)
	}
	dir, err := fs.Sub(src.FS, string(d.Dialect()))
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", src.Module, err)
	}
	dialect := goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithTableName("goose_" + src.Module), goose.WithDisableGlobalRegistry(true)}
	if d.Dialect() == db.Postgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, d.Writer(), dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", src.Module, err)
	}
	return p, nil
}

// Embedded is the Source of module's migrations embedded at fsys's "migrations" directory (with its
// sqlite/ and postgres/ subdirectories), the layout every module uses.
func Embedded(module string, fsys fs.FS) Source {
	sub, err := fs.Sub(fsys, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time; failing here is a build mistake
	}
	return Source{Module: module, FS: sub}
}

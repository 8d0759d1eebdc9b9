package migrate_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func sample(withRLS bool) migrate.Source {
	pg := `-- +goose Up
CREATE TABLE widgets (id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL, name TEXT NOT NULL, made_at TIMESTAMPTZ NOT NULL);
`
	if withRLS {
		pg += `ALTER TABLE widgets ENABLE ROW LEVEL SECURITY;
ALTER TABLE widgets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON widgets USING (merchant_id = current_setting('app.merchant_id', true));
`
	}
	pg += "-- +goose Down\nDROP TABLE widgets;\n"
	return migrate.Source{Module: "widget", FS: fstest.MapFS{
		"sqlite/00001_widgets.sql": {Data: []byte(`-- +goose Up
CREATE TABLE widgets (id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL, name TEXT NOT NULL, made_at TIMESTAMP NOT NULL);
-- +goose Down
DROP TABLE widgets;
`)},
		"postgres/00001_widgets.sql": {Data: []byte(pg)},
	}}
}

func TestUpIsIdempotentAndTracksEachModule(t *testing.T) {
	for _, dialect := range dbtest.Dialects() {
		t.Run(string(dialect), func(t *testing.T) {
			ctx := context.Background()
			d := dbtest.New(t, dialect)
			src := sample(true)
			pending, err := migrate.Pending(ctx, d, src)
			if err != nil || !slices.Equal(pending, []string{"widget"}) {
				t.Fatalf("pending before = %v, %v", pending, err)
			}
			for range 2 { // the second run applies nothing
				if err := migrate.Up(ctx, d, quiet, src); err != nil {
					t.Fatal(err)
				}
			}
			pending, err = migrate.Pending(ctx, d, src)
			if err != nil || len(pending) != 0 {
				t.Fatalf("pending after = %v, %v", pending, err)
			}
			tables, err := migrate.Schema(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			got := tables["widgets"].Columns
			if want := []string{"id", "made_at", "merchant_id", "name"}; !slices.Equal(got, want) {
				t.Fatalf("columns = %v, want %v", got, want)
			}
			if _, ok := tables["goose_widget"]; ok {
				t.Error("goose bookkeeping listed as an application table")
			}
			if p := migrate.TenantTableProblems(tables); dialect == db.Postgres && len(p) != 0 {
				t.Errorf("problems = %v", p)
			}
		})
	}
}

func TestTenantTableProblemsFindsMissingRLS(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t, db.Postgres)
	if err := migrate.Up(ctx, d, quiet, sample(false)); err != nil {
		t.Fatal(err)
	}
	tables, err := migrate.Schema(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if got := migrate.TenantTableProblems(tables); !slices.Equal(got, []string{"widgets: row-level security not enabled"}) {
		t.Fatalf("problems = %v", got)
	}
}

func TestUpRejectsBadModuleName(t *testing.T) {
	d := dbtest.New(t, db.SQLite)
	src := sample(true)
	src.Module = "Bad-Name; DROP"
	if err := migrate.Up(context.Background(), d, quiet, src); err == nil {
		t.Fatal("bad module name accepted")
	}
}

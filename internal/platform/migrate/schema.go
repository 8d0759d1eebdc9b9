package migrate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/goodgo/goodgo/internal/platform/db"
)

// Table describes one table as migrated: its columns (sorted) and, on PostgreSQL, its row-level security.
type Table struct {
	Columns  []string
	RLS      bool // row-level security enabled
	ForceRLS bool // also applies to the table's owner
	Policies int  // number of policies on the table
}

// Schema reads the application's tables (goose bookkeeping excluded) so tests can compare what the two
// engines' migrations produce and check that tenant tables are isolated.
func Schema(ctx context.Context, d *db.DB) (map[string]Table, error) {
	var q string
	switch d.Dialect() {
	case db.SQLite:
		q = `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
		     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`
	case db.Postgres:
		q = `SELECT table_name, column_name FROM information_schema.columns
		     WHERE table_schema = current_schema()`
	}
	rows, err := d.Reader().QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	defer rows.Close()
	tables := map[string]Table{}
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			return nil, err
		}
		if strings.HasPrefix(table, "goose_") {
			continue
		}
		t := tables[table]
		t.Columns = append(t.Columns, column)
		tables[table] = t
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for name, t := range tables {
		slices.Sort(t.Columns)
		tables[name] = t
	}
	if d.Dialect() != db.Postgres {
		return tables, nil
	}
	rows, err = d.Reader().QueryContext(ctx, `
		SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
		       (SELECT COUNT(*) FROM pg_policy p WHERE p.polrelid = c.oid)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind = 'r'`)
	if err != nil {
		return nil, fmt.Errorf("read row-level security: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			name     string
			rls, frc bool
			policies int
		)
		if err := rows.Scan(&name, &rls, &frc, &policies); err != nil {
			return nil, err
		}
		if t, ok := tables[name]; ok {
			t.RLS, t.ForceRLS, t.Policies = rls, frc, policies
			tables[name] = t
		}
	}
	return tables, rows.Err()
}

// TenantTableProblems lists the tables with a merchant_id column that are not isolated on PostgreSQL:
// row-level security not enabled, not forced, or without a policy. It is empty on SQLite.
func TenantTableProblems(tables map[string]Table) []string {
	var problems []string
	for name, t := range tables {
		if !slices.Contains(t.Columns, "merchant_id") {
			continue
		}
		switch {
		case !t.RLS:
			problems = append(problems, name+": row-level security not enabled")
		case !t.ForceRLS:
			problems = append(problems, name+": row-level security not forced")
		case t.Policies == 0:
			problems = append(problems, name+": no policy")
		}
	}
	slices.Sort(problems)
	return problems
}

#!/usr/bin/env bash
# GoodGo PostgreSQL restore: puts a pg-backup.sh dump into a database. Run with --help.
set -euo pipefail

usage() {
  cat <<'EOF_USAGE'
usage: pg-restore.sh [--yes] DUMP_FILE DATABASE_URL

Checks the dump against its .sha256 (when present) and restores it into DATABASE_URL in one transaction:
existing GoodGo objects there are dropped first (--clean), so the target ends up exactly as the dump.
Table owners, row-level security (ENABLE + FORCE) and the tenant policies are restored as dumped.

DATABASE_URL must be a superuser (or the owner of everything with BYPASSRLS) of a server where GoodGo's role
exists: rows are loaded past row-level security, and ownership goes back to GoodGo's role.
A target that already has tables is refused unless --yes is given. Stop GoodGo (scale its Deployments to
0) before restoring over its live database; see docs/en/runbooks/restore-from-backup.md.
EOF_USAGE
}

yes=0 dump="" url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --yes) yes=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "pg-restore.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) if [ -z "$dump" ]; then dump="$1"; elif [ -z "$url" ]; then url="$1"; else echo "pg-restore.sh: too many arguments" >&2; exit 2; fi; shift ;;
  esac
done
if [ -z "$dump" ] || [ -z "$url" ]; then usage >&2; exit 2; fi
[ -f "$dump" ] || { echo "pg-restore.sh: no dump $dump" >&2; exit 1; }

if [ -f "$dump.sha256" ]; then
  (cd "$(dirname "$dump")" && sha256sum --check --quiet "$(basename "$dump").sha256") ||
    { echo "pg-restore.sh: $dump does not match its .sha256" >&2; exit 1; }
fi
pg_restore --list "$dump" >/dev/null

tables="$(psql --dbname="$url" -XAtqc "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")"
if [ "$tables" != 0 ] && [ "$yes" != 1 ]; then
  echo "pg-restore.sh: the target has $tables tables; they would be replaced: add --yes" >&2
  exit 1
fi

pg_restore --clean --if-exists --single-transaction --exit-on-error --dbname="$url" "$dump"
echo "restored $dump"

#!/usr/bin/env bash
# GoodGo PostgreSQL backup: one pg_dump (custom format) per run, checked with pg_restore --list, with its
# SHA-256 beside it, old ones pruned. Run with --help.
set -euo pipefail

usage() {
  cat <<'EOF_USAGE'
usage: pg-backup.sh [--dir DIR] [--keep N] DATABASE_URL

Writes DIR/goodgo-<UTC time>.dump (pg_dump --format=custom) and its .sha256, then keeps only the newest N
dumps (default 14; 0 keeps all). DIR defaults to ./backups. Prints the dump's path.

DATABASE_URL must be a role that reads every row: GoodGo's tables FORCE row-level security, so the app's own
role cannot dump them. Use a role with BYPASSRLS (see docs/en/runbooks/restore-from-backup.md), e.g.
  postgres://goodgo_backup@db.internal:5432/goodgo?sslmode=require
The password comes from ~/.pgpass or PGPASSWORD, never from the command line.
EOF_USAGE
}

dir=./backups keep=14 url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="${2:-}"; shift 2 ;;
    --keep) keep="${2:-}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "pg-backup.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) [ -z "$url" ] || { echo "pg-backup.sh: one DATABASE_URL only" >&2; exit 2; }; url="$1"; shift ;;
  esac
done
[ -n "$url" ] || { usage >&2; exit 2; }
[[ "$keep" =~ ^[0-9]+$ ]] || { echo "pg-backup.sh: --keep takes a number" >&2; exit 2; }

mkdir -p "$dir"
name="goodgo-$(date -u +%Y%m%dT%H%M%SZ).dump"
tmp="$dir/.partial-$name"
trap 'rm -f "$tmp"' EXIT
[ ! -e "$dir/$name" ] || { echo "pg-backup.sh: $dir/$name exists already" >&2; exit 1; }

pg_dump --format=custom --compress=6 --file="$tmp" --dbname="$url"
# A dump pg_restore cannot list is not a backup.
pg_restore --list "$tmp" >/dev/null
mv "$tmp" "$dir/$name"
(cd "$dir" && sha256sum "$name" >"$name.sha256")
echo "$dir/$name"

if [ "$keep" -gt 0 ]; then
  # Names sort by time; delete all but the newest $keep.
  find "$dir" -maxdepth 1 -name 'goodgo-*.dump' -printf '%f\n' | sort | head -n "-$keep" | while read -r old; do
    rm -f "$dir/$old" "$dir/$old.sha256"
    echo "pg-backup.sh: removed $dir/$old" >&2
  done
fi

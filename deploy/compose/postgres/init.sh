#!/bin/sh
# Runs once, when the PostgreSQL volume is created: GoodGo's database, owned by a role that is NOT a
# superuser and cannot bypass row-level security (tenant isolation depends on it).
set -eu
psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres \
  -v password="$GOODGO_DB_PASSWORD" <<'SQL'
CREATE ROLE goodgo LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS PASSWORD :'password';
CREATE DATABASE goodgo OWNER goodgo;
SQL

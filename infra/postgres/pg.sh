#!/usr/bin/env bash
# A local PostgreSQL cluster for runs and tests, from the machine's PostgreSQL binaries.
#   pg.sh start | stop | status
# Settings from the environment (the Makefile passes them): RUN_DIR, PG_PORT, PG_BIN,
# PG_DATABASES (space separated: each is a service's database, owned by its login).
#
# Security (design section 8): password authentication only (scram-sha-256; no `trust`
# line), one login per service owning its database, every database closed to PUBLIC, and a
# read-only login (`operator`) for the tools. Passwords come from the run folder's secrets
# (infra/secrets.py), never from this file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
RUN_DIR=${RUN_DIR:-$here/../../.run}
RUN_DIR=$(mkdir -p "$RUN_DIR" && cd "$RUN_DIR" && pwd)
PG_PORT=${PG_PORT:-55432}
PG_DATABASES=${PG_DATABASES:-kyc issuance fx settlement redemption bank}
PY=${PY:-$here/../../.venv/bin/python}
secrets=$RUN_DIR/secrets
READER=operator
if [ -z "${PG_BIN:-}" ]; then
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$PG_BIN" ] || PG_BIN=$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/pg_ctl)")
fi
[ -x "$PG_BIN/pg_ctl" ] || { echo "postgres: pg_ctl not found (set PG_BIN to the PostgreSQL bin folder)" >&2; exit 1; }

# initdb refuses to run as root: as root, the cluster belongs to the 'postgres' user, and lives
# where that user can reach it (a clone under /root is not reachable).
as_owner=()
data=$RUN_DIR/pg/data
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "postgres: running as root needs a 'postgres' system user" >&2; exit 1; }
  as_owner=(runuser -u postgres --)
  mkdir -p "$RUN_DIR/pg"
  if ! runuser -u postgres -- test -x "$RUN_DIR/pg" 2>/dev/null; then
    key=$(printf '%s' "$(cd "$RUN_DIR" && pwd)" | sha1sum | cut -c1-12)
    data=/var/tmp/cnh-stablecoin-pg-$key/data
    echo "$data" > "$RUN_DIR/pg/data-location"
  fi
fi
log=$(dirname "$data")/postgres.log
mkdir -p "$RUN_DIR/pg" && echo "$log" > "$RUN_DIR/pg/log-location"  # the privacy scan reads it
(cd "$here/../.." && "$PY" -m infra.secrets init --run-dir "$RUN_DIR")
cd / # the postgres user may not be allowed into the caller's folder; every path above is absolute

password_of() { cut -d: -f5- "$secrets/$1/pgpass"; }
pgctl() { "${as_owner[@]}" "$PG_BIN/pg_ctl" -D "$data" "$@"; }
# psql reads the superuser's password from the admin's passfile (never on a command line)
psql_admin() {
  PGPASSFILE="$secrets/admin/pgpass" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"
}
# shellcheck source=../alive.sh
. "$here/../alive.sh"
# pg_ctl status tests the postmaster with kill(pid, 0): a zombie postmaster passes it
running() {
  [ -f "$data/postmaster.pid" ] && pgctl status >/dev/null 2>&1 \
    && alive "$(head -n 1 "$data/postmaster.pid")"
}

init() {
  mkdir -p "$(dirname "$data")"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$(dirname "$data")"; fi
  local pwfile; pwfile=$(mktemp)
  password_of admin > "$pwfile"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$pwfile"; fi
  local auth=(--auth-local=scram-sha-256 --auth-host=scram-sha-256 --pwfile="$pwfile")
  "${as_owner[@]}" "$PG_BIN/initdb" -D "$data" -U postgres "${auth[@]}" \
    -E UTF8 --locale=C.UTF-8 >/dev/null 2>&1 \
    || "${as_owner[@]}" "$PG_BIN/initdb" -D "$data" -U postgres "${auth[@]}" -E UTF8 --locale=C >/dev/null
  rm -f "$pwfile"
  cat >> "$data/postgresql.conf" <<CONF
# --- cnh-stablecoin local cluster ---
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 300
shared_buffers = 256MB
fsync = on
synchronous_commit = on
max_locks_per_transaction = 256
log_min_duration_statement = -1
CONF
}

# A cluster made before password authentication trusts everyone on loopback: local data
# only, so it is made anew rather than left open.
reset_if_trusting() {
  [ -f "$data/pg_hba.conf" ] && grep -Eq '^[^#]*[[:space:]]trust([[:space:]]|$)' "$data/pg_hba.conf" || return 0
  echo "postgres: the run folder's cluster predates password authentication; making it anew (local data is reset)"
  running && pgctl -m fast -w -t 60 stop >/dev/null
  rm -rf "$data"
}

start() {
  reset_if_trusting
  if running; then
    echo "postgres: already running on 127.0.0.1:$PG_PORT ($data)"
  else
    [ -f "$data/PG_VERSION" ] || init
    pgctl -l "$log" -w -t 60 start >/dev/null || { echo "postgres: failed to start; see $log" >&2; tail -n 20 "$log" >&2; exit 1; }
  fi
  provision
}

# Idempotent: a login per service (its password from the run folder), one database per
# service owned by it and closed to PUBLIC, and the read-only login of the tools.
provision() {
  local roles="$READER"
  for db in $PG_DATABASES; do roles="$roles $db"; done
  local sql="SET client_min_messages = warning;
"
  for role in $roles; do
    sql+="SELECT format(CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = '$role')
      THEN 'ALTER ROLE %I LOGIN PASSWORD %L' ELSE 'CREATE ROLE %I LOGIN PASSWORD %L' END,
      '$role', '$(password_of "$role")') \\gexec
"
  done
  # The server's own log never quotes a row (design section 8: personal data): terse drops
  # DETAIL ("Failing row contains (...)", "Key (x)=(...)"), HINT, QUERY and CONTEXT; no
  # statement is logged with its error, and no bind parameter ever. ALTER SYSTEM, so a
  # cluster made before this gets it too.
  sql+="ALTER SYSTEM SET log_error_verbosity = 'terse';
ALTER SYSTEM SET log_min_error_statement = 'panic';
ALTER SYSTEM SET log_parameter_max_length = 0;
ALTER SYSTEM SET log_parameter_max_length_on_error = 0;
ALTER SYSTEM SET log_statement = 'none';
SELECT pg_reload_conf();
"
  # tools read every table of every database, write none (PostgreSQL 14+)
  sql+="GRANT pg_read_all_data TO $READER;
"
  for db in $PG_DATABASES; do
    if [ -z "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
      sql+="CREATE DATABASE $db OWNER $db;
"
    fi
    sql+="REVOKE ALL ON DATABASE $db FROM PUBLIC;
GRANT CONNECT ON DATABASE $db TO $READER;
"
  done
  printf '%s' "$sql" | psql_admin -d postgres >/dev/null
  echo "postgres: ready on 127.0.0.1:$PG_PORT, scram-sha-256 (databases: $PG_DATABASES)"
}

stop() {
  if ! running; then echo "postgres: not running"; return 0; fi
  pgctl -m fast -w -t 60 stop >/dev/null && echo "postgres: stopped"
}

status() { if running; then echo "postgres: running on 127.0.0.1:$PG_PORT ($data)"; else echo "postgres: stopped"; fi; }

case "${1:-}" in
  start) start ;; stop) stop ;; status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# A local PostgreSQL cluster for runs and tests, from the machine's PostgreSQL binaries.
#   pg.sh start | stop | status
# Settings from the environment (the Makefile passes them): RUN_DIR, PG_PORT, PG_BIN,
# PG_USER, PG_PASSWORD, PG_DATABASES (space separated).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
RUN_DIR=${RUN_DIR:-$here/../../.run}
RUN_DIR=$(mkdir -p "$RUN_DIR" && cd "$RUN_DIR" && pwd)
PG_PORT=${PG_PORT:-55432}
PG_USER=${PG_USER:-cnh}
PG_PASSWORD=${PG_PASSWORD:-cnh}
PG_DATABASES=${PG_DATABASES:-kyc issuance fx settlement redemption}
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
cd / # the postgres user may not be allowed into the caller's folder; every path above is absolute

pgctl() { "${as_owner[@]}" "$PG_BIN/pg_ctl" -D "$data" "$@"; }
psql_admin() { "${as_owner[@]}" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }
running() { [ -f "$data/postmaster.pid" ] && pgctl status >/dev/null 2>&1; }

init() {
  mkdir -p "$(dirname "$data")"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$(dirname "$data")"; fi
  "${as_owner[@]}" "$PG_BIN/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=trust \
    -E UTF8 --locale=C.UTF-8 >/dev/null 2>&1 \
    || "${as_owner[@]}" "$PG_BIN/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=trust -E UTF8 --locale=C >/dev/null
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

start() {
  if running; then
    echo "postgres: already running on 127.0.0.1:$PG_PORT ($data)"
  else
    [ -f "$data/PG_VERSION" ] || init
    pgctl -l "$log" -w -t 60 start >/dev/null || { echo "postgres: failed to start; see $log" >&2; tail -n 20 "$log" >&2; exit 1; }
  fi
  provision
}

# Idempotent: the role and one database per service.
provision() {
  psql_admin -d postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
END \$\$;
-- lets tests and benchmarks drop their scratch databases WITH (FORCE) under autovacuum
GRANT pg_signal_backend TO $PG_USER;
SQL
  for db in $PG_DATABASES; do
    if [ -z "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
      psql_admin -d postgres -c "CREATE DATABASE $db OWNER $PG_USER"
    fi
  done
  echo "postgres: ready on 127.0.0.1:$PG_PORT (databases: $PG_DATABASES)"
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

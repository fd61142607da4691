#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on loopback for the test suite and prints its URL.
# Usage: scripts/test-postgres.sh start|stop   (PGPORT, default 54329; data under /tmp)
set -euo pipefail
port="${PGPORT:-54329}"
dir="/tmp/orderly-test-pg-${port}"
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -n "$bindir" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-start}" in
  start)
    if [ ! -f "$dir/PG_VERSION" ]; then
      mkdir -p "$dir"
      [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
      as_postgres "$bindir/initdb" -D "$dir" -A trust -U postgres --no-sync >/dev/null
    fi
    if ! as_postgres "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      # fsync off: these databases are thrown away; the tests crash the app, never PostgreSQL.
      as_postgres "$bindir/pg_ctl" -D "$dir" -w -l "$dir/server.log" \
        -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null
    fi
    echo "postgres://postgres@127.0.0.1:${port}/postgres"
    ;;
  stop)
    as_postgres "$bindir/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
    ;;
esac

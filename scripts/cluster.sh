#!/usr/bin/env bash
# The whole topology on one machine, on loopback: a PostgreSQL primary and a streaming replica, Redis, NATS
# with JetStream, HAProxy (deploy/haproxy.cfg) in front of api-1 and api-2, and worker-1 and worker-2.
#
#   scripts/cluster.sh start DIR          everything, with all state under DIR, on ports it picks; once all is
#                                         ready, its last line on stdout is one JSON object: url, env, processes
#   scripts/cluster.sh restart DIR NAME   starts NAME again (after it was killed); prints the same JSON
#   scripts/cluster.sh stop DIR           stops everything it started
#
# Orderly's processes inherit the environment the script was started with (ORDERLY_ADMIN_EMAIL,
# ORDERLY_RATE_LIMITS, ...). CLUSTER_REPLICA_DELAY (e.g. 10s) holds the replica back on purpose
# (recovery_min_apply_delay). Run as root, the PostgreSQL parts run as the postgres user: DIR must then be
# reachable by it (under /tmp, say).
set -Eeuo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
usage() { echo "usage: $0 start DIR | restart DIR NAME | stop DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
command="$1"
dir="$2"
name="${3:-}"
PARTS=(postgres-primary postgres-replica redis nats api-1 api-2 worker-1 worker-2 haproxy)

pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
need() { command -v "$1" >/dev/null 2>&1 || { echo "$1 not found (apt-get install $2)" >&2; exit 1; }; }

log_of() { case "$1" in postgres-*) echo "$dir/$1/server.log" ;; *) echo "$dir/logs/$1.log" ;; esac; }
pid_of() {
  case "$1" in
    postgres-*) head -n 1 "$dir/$1/postmaster.pid" 2>/dev/null || true ;;
    *) cat "$dir/pids/$1" 2>/dev/null || true ;;
  esac
}
alive() { local pid; pid="$(pid_of "$1")"; [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

# Waits for a check to pass while the part lives; on failure prints the part's log tail.
wait_for() {
  local part="$1"; shift
  for _ in $(seq 600); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [ -f "$dir/pids/$part" ] && ! alive "$part"; then break; fi
    sleep 0.1
  done
  echo "cluster: $part did not become ready; the tail of $(log_of "$part"):" >&2
  tail -n 30 "$(log_of "$part")" >&2 2>/dev/null || true
  return 1
}

http_ok() { node -e "fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$1"; }
pg_ready() { "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$1"; }

# Loopback ports for every part, chosen once and kept in DIR/ports so a restarted part comes back where it was.
pick_ports() {
  node -e '
    const net = require("node:net");
    const names = process.argv.slice(1);
    (async () => {
      const servers = [];
      for (const name of names) {
        const server = net.createServer();
        await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
        servers.push(server);
        console.log(`${name.toUpperCase().replace(/-/g, "_")}_PORT=${server.address().port}`);
      }
      for (const server of servers) server.close();
    })();' "${PARTS[@]}" > "$dir/ports"
}

urls() {
  # shellcheck disable=SC1091
  . "$dir/ports"
  DATABASE_URL="postgres://postgres@127.0.0.1:$POSTGRES_PRIMARY_PORT/postgres"
  DATABASE_REPLICA_URL="postgres://postgres@127.0.0.1:$POSTGRES_REPLICA_PORT/postgres"
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  NATS_URL="nats://127.0.0.1:$NATS_PORT"
}

start_postgres() {
  local part="$1" port="$2" data="$dir/$1"
  # synchronous_commit off, as the embedded default's WAL does not sync each commit either; fsync stays on.
  as_postgres "$pgbin/pg_ctl" -D "$data" -w -t 60 -l "$data/server.log" \
    -o "-p $port -k $dir/run -c listen_addresses=127.0.0.1 -c max_connections=300 -c synchronous_commit=off -c wal_level=replica -c max_wal_senders=5 -c hot_standby=on" \
    start >/dev/null || { echo "cluster: $part did not start:" >&2; tail -n 30 "$data/server.log" >&2; return 1; }
}

start_part() {
  local part="$1"
  urls
  case "$part" in
    postgres-primary)
      if [ ! -f "$dir/$part/PG_VERSION" ]; then
        mkdir -p "$dir/$part"
        [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/$part"
        as_postgres "$pgbin/initdb" -D "$dir/$part" -A trust -U postgres >/dev/null
      fi
      start_postgres "$part" "$POSTGRES_PRIMARY_PORT"
      ;;
    postgres-replica)
      if [ ! -f "$dir/$part/PG_VERSION" ]; then
        mkdir -p "$dir/$part"
        [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/$part"
        chmod 700 "$dir/$part"
        as_postgres "$pgbin/pg_basebackup" -h 127.0.0.1 -p "$POSTGRES_PRIMARY_PORT" -U postgres -D "$dir/$part" -R -X stream -c fast
        if [ -n "${CLUSTER_REPLICA_DELAY:-}" ]; then
          echo "recovery_min_apply_delay = '$CLUSTER_REPLICA_DELAY'" | as_postgres tee -a "$dir/$part/postgresql.auto.conf" >/dev/null
        fi
      fi
      start_postgres "$part" "$POSTGRES_REPLICA_PORT"
      ;;
    redis)
      redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >>"$(log_of "$part")" 2>&1 </dev/null &
      echo $! >"$dir/pids/$part"
      wait_for "$part" redis-cli -p "$REDIS_PORT" ping
      ;;
    nats)
      nats-server -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$dir/nats" -l "$(log_of "$part")" </dev/null >/dev/null 2>&1 &
      echo $! >"$dir/pids/$part"
      wait_for "$part" node -e "require('node:net').connect($NATS_PORT, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))"
      ;;
    api-* | worker-*)
      local role="${part%-*}" port_var
      port_var="$(echo "$part" | tr 'a-z-' 'A-Z_')_PORT"
      # One data directory for every copy, as for the CLI: the sandbox payment provider's ledger lives there.
      env ORDERLY_ROLE="$role" PORT="${!port_var}" HOST=127.0.0.1 ORDERLY_DATA_DIR="$dir/data" \
        DATABASE_URL="$DATABASE_URL" DATABASE_REPLICA_URL="$DATABASE_REPLICA_URL" REDIS_URL="$REDIS_URL" NATS_URL="$NATS_URL" \
        ORDERLY_TRUSTED_PROXIES="${ORDERLY_TRUSTED_PROXIES:-127.0.0.1}" \
        node "$root/bin/orderly.js" start >>"$(log_of "$part")" 2>&1 </dev/null &
      echo $! >"$dir/pids/$part"
      wait_for "$part" http_ok "http://127.0.0.1:${!port_var}/readyz"
      ;;
    haproxy)
      env ORDERLY_LB_BIND="127.0.0.1:$HAPROXY_PORT" ORDERLY_API_1="127.0.0.1:$API_1_PORT" ORDERLY_API_2="127.0.0.1:$API_2_PORT" \
        haproxy -db -f "$root/deploy/haproxy.cfg" >>"$(log_of "$part")" 2>&1 </dev/null &
      echo $! >"$dir/pids/$part"
      wait_for "$part" http_ok "http://127.0.0.1:$HAPROXY_PORT/readyz"
      ;;
    *) echo "cluster: no part named $part (${PARTS[*]})" >&2; return 2 ;;
  esac
}

stop_part() {
  local part="$1" pid
  case "$part" in
    postgres-*)
      [ -f "$dir/$part/PG_VERSION" ] && as_postgres "$pgbin/pg_ctl" -D "$dir/$part" -m fast -w stop >/dev/null 2>&1 || true
      ;;
    *)
      pid="$(pid_of "$part")"
      [ -n "$pid" ] || return 0
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/pids/$part"
      ;;
  esac
}

stop_all() { for ((i = ${#PARTS[@]} - 1; i >= 0; i--)); do stop_part "${PARTS[$i]}"; done; }

describe() {
  urls
  local processes="" part
  for part in api-1 api-2 worker-1 worker-2 haproxy nats redis postgres-primary postgres-replica; do
    processes+="${processes:+, }\"$part\": $(pid_of "$part" | grep -E '^[0-9]+$' || echo null)"
  done
  printf '{"url": "http://127.0.0.1:%s", "env": {"DATABASE_URL": "%s", "DATABASE_REPLICA_URL": "%s", "REDIS_URL": "%s", "NATS_URL": "%s", "ORDERLY_DATA_DIR": "%s"}, "processes": {%s}}\n' \
    "$HAPROXY_PORT" "$DATABASE_URL" "$DATABASE_REPLICA_URL" "$REDIS_URL" "$NATS_URL" "$dir/data" "$processes"
}

case "$command" in
  start)
    need haproxy haproxy; need nats-server nats-server; need redis-server redis-server
    [ -n "$pgbin" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
    [ -f "$root/dist/src/main.js" ] || (cd "$root" && npm run build --silent)
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ -f "$dir/ports" ]; then echo "cluster: $dir already holds a cluster (stop it, or pick another directory)" >&2; exit 1; fi
    [ "$(id -u)" = 0 ] && chmod 711 "$dir"
    mkdir -p "$dir/logs" "$dir/pids" "$dir/data" "$dir/run"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/run"
    pick_ports
    trap 'echo "cluster: start failed; stopping what started" >&2; stop_all; rm -f "$dir/ports"' ERR
    for part in postgres-primary postgres-replica redis nats; do start_part "$part"; done
    wait_for postgres-replica pg_ready "$POSTGRES_REPLICA_PORT"
    # Migrated once, before any copy starts, rather than by every copy at once.
    (urls && env DATABASE_URL="$DATABASE_URL" ORDERLY_DATA_DIR="$dir/data" node "$root/bin/orderly.js" migrate >"$dir/logs/migrate.log" 2>&1) ||
      { echo "cluster: migrations failed:" >&2; tail -n 30 "$dir/logs/migrate.log" >&2; false; }
    for part in api-1 api-2 worker-1 worker-2 haproxy; do start_part "$part"; done
    trap - ERR
    describe
    ;;
  restart)
    [ -n "$name" ] || usage
    dir="$(cd "$dir" && pwd)"
    [ -f "$dir/ports" ] || { echo "cluster: no cluster in $dir" >&2; exit 1; }
    if alive "$name"; then echo "cluster: $name is running" >&2; exit 1; fi
    # A killed PostgreSQL leaves its pid file behind; pg_ctl knows what to do with it.
    start_part "$name"
    describe
    ;;
  stop)
    dir="$(cd "$dir" && pwd)"
    [ -f "$dir/ports" ] || exit 0
    stop_all
    ;;
  *) usage ;;
esac

#!/usr/bin/env bash
# Starts a throwaway Redis on loopback for the test suite and prints its URL.
# Usage: scripts/test-redis.sh start|stop   (REDIS_TEST_PORT, default 63799; nothing persisted)
set -euo pipefail
port="${REDIS_TEST_PORT:-63799}"
pidfile="/tmp/orderly-test-redis-${port}.pid"
command -v redis-server >/dev/null || { echo "redis-server not found (apt-get install redis-server)" >&2; exit 1; }

case "${1:-start}" in
  start)
    if ! redis-cli -p "$port" ping >/dev/null 2>&1; then
      redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
        --pidfile "$pidfile" --logfile "/tmp/orderly-test-redis-${port}.log" >/dev/null
      for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    fi
    echo "redis://127.0.0.1:${port}"
    ;;
  stop)
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    ;;
esac

#!/usr/bin/env bash
# Starts a throwaway NATS server with JetStream on loopback for the test suite and prints its URL.
# Usage: scripts/test-nats.sh start|stop   (NATS_TEST_PORT, default 42229; data under /tmp)
set -euo pipefail
port="${NATS_TEST_PORT:-42229}"
dir="/tmp/orderly-test-nats-${port}"
pidfile="${dir}/nats.pid"
command -v nats-server >/dev/null || { echo "nats-server not found (apt-get install nats-server)" >&2; exit 1; }

case "${1:-start}" in
  start)
    mkdir -p "$dir"
    if ! { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }; then
      nohup nats-server -js -a 127.0.0.1 -p "$port" -sd "$dir/store" -P "$pidfile" -l "$dir/nats.log" >/dev/null 2>&1 &
      for _ in $(seq 50); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    fi
    echo "nats://127.0.0.1:${port}"
    ;;
  stop)
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
    ;;
esac

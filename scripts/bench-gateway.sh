#!/usr/bin/env bash
# The gateway under wrk (docs/benchmarks.md, "Gateway"): single-event POSTs over 64 keep-alive
# connections and batches of 100, each beside the raw SQLite ceiling (the same rows inserted by
# one connection in transactions of the same size) measured in the same run.
#
#   scripts/bench-gateway.sh [--build DIR] [--seconds 10] [--bootstrap-servers HOST:PORT] [--http-threads 2]
#
# Without --bootstrap-servers, Kafka is disabled (the relay does not run): the figures are then
# what is durable in the outbox. --build: a configured build tree (default build-bench, Release).
# --http-threads: the gateway's DOMAIN_EVENTS_HTTP_THREADS (its default, 2: a request no longer
# holds its loop while its commit runs, so more loops only add threads to a 2-core machine).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$repo/build-bench"
seconds=10
bootstrap=""
http_threads=2
while (($#)); do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --bootstrap-servers) bootstrap=$2; shift 2 ;;
    --http-threads) http_threads=$2; shift 2 ;;
    *) echo "bench-gateway.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "bench-gateway.sh: wrk is missing: scripts/install-deps.sh installs it" >&2; exit 1; }
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDOMAIN_EVENTS_BUILD_TESTS=OFF \
    -DDOMAIN_EVENTS_BUILD_EXAMPLES=OFF -DDOMAIN_EVENTS_BUILD_BENCH=ON >/dev/null
fi
flock /tmp/domain_events-build.lock cmake --build "$build" --parallel 2 --target domain_events_cli bench_gateway_ceiling >&2

work=$(mktemp -d)
gateway_pid=""
cleanup() {
  [[ -z "$gateway_pid" ]] || { kill -TERM "$gateway_pid" 2>/dev/null; wait "$gateway_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

# run_case NAME LUA CONNECTIONS EVENTS_PER_REQUEST: a fresh gateway and database, wrk, its figures
run_case() {
  local name=$1 lua=$2 connections=$3 per_request=$4
  rm -f "$work"/gateway.db*
  local kafka_env=(KAFKA_ENABLED=false)
  [[ -z "$bootstrap" ]] || kafka_env=(KAFKA_BOOTSTRAP_SERVERS="$bootstrap")
  env "${kafka_env[@]}" KAFKA_TOPIC_PREFIX="bench$RANDOM" DOMAIN_EVENTS_HTTP_THREADS="$http_threads" \
    "$build/src/cli/domain-events" gateway --config "$repo/bench/gateway/gateway.json" --listen 127.0.0.1:0 \
    --db "$work/gateway.db" 2>"$work/$name.log" &
  gateway_pid=$!
  local port="" i
  for ((i = 0; i < 100; i++)); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$work/$name.log" | head -n 1)
    [[ -z "$port" ]] || break
    sleep 0.1
  done
  [[ -n "$port" ]] || { echo "bench-gateway.sh: the gateway did not start:" >&2; cat "$work/$name.log" >&2; exit 1; }
  wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$repo/bench/gateway/$lua" "http://127.0.0.1:$port" >"$work/$name.wrk"
  local statuses
  statuses=$(curl -s "http://127.0.0.1:$port/metrics" | grep '^domain_events_gateway_requests_total' || true)
  local backlog
  backlog=$(curl -s "http://127.0.0.1:$port/metrics" | sed -n 's/^domain_events_gateway_outbox_backlog_events //p')
  kill -TERM "$gateway_pid"; wait "$gateway_pid" || true; gateway_pid=""
  local rps p99
  rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$work/$name.wrk")
  p99=$(sed -n 's/^ *99% *\(.*\)$/\1/p' "$work/$name.wrk")
  echo "$name: $(awk -v r="$rps" -v n="$per_request" 'BEGIN {printf "%.0f", r * n}') events/s ($rps requests/s), p99 $p99, backlog at the end $backlog"
  echo "$statuses" | sed 's/^/  /'
}

echo "gateway benchmark: $(nproc) cores, wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}'), ${seconds} s per case, Kafka: ${bootstrap:-disabled}"
run_case single post_event.lua 64 1
"$build/bench/bench_gateway_ceiling" --events 200000 --batch 64
run_case batch post_batch.lua 16 100
"$build/bench/bench_gateway_ceiling" --events 500000 --batch 100

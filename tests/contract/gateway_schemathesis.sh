#!/usr/bin/env bash
# The gateway against its own OpenAPI document: starts `domain-events gateway` on a free loopback
# port (a fresh database, Kafka disabled: the contract is the HTTP side, the relay's is tested
# elsewhere), runs Schemathesis on the document the gateway serves at /api/openapi.json, and
# fails on any 5xx, any status, content type, header or body the document does not state, or a
# gateway that does not stop cleanly on SIGTERM afterwards.
#
#   gateway_schemathesis.sh DOMAIN_EVENTS_CLI WORK_DIR
#
# Bounded: SCHEMATHESIS_MAX_EXAMPLES cases per operation and phase (default 30), a fixed seed
# (SCHEMATHESIS_SEED, default 20), one worker; the gateway gets 20 s to say its port, 20 s to stop.
set -euo pipefail

[[ $# -eq 2 ]] || { echo "usage: $0 DOMAIN_EVENTS_CLI WORK_DIR" >&2; exit 2; }
cli=$1
work=$2
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# No silent skip: without the tools the test fails and says how to get them.
"$repo/scripts/python-tools.sh" --check
tools=$("$repo/scripts/python-tools.sh")

rm -rf "$work" && mkdir -p "$work" && work=$(cd "$work" && pwd)
# Two configured types plus any other (so generated events are accepted too); no rate limit and
# no disk threshold, which would make answers depend on the machine rather than the request.
cat >"$work/gateway.json" <<'JSON'
{
  "event_types": {"order.placed": {"sensitive_fields": ["card_number"]}, "order.paid": {}},
  "allow_unknown_event_types": true,
  "back_pressure": {"min_free_disk_bytes": 0},
  "shutdown_timeout_ms": 10000
}
JSON
log="$work/gateway.log"
KAFKA_ENABLED=false KAFKA_TOPIC_PREFIX=contract \
  "$cli" gateway --config "$work/gateway.json" --listen 127.0.0.1:0 --db "$work/gateway.db" 2>"$log" &
server=$!
stop_server() {  # stop_server: SIGTERM, then up to 20 s for a graceful exit; its status
  kill -TERM "$server" 2>/dev/null || return 0
  local i
  for ((i = 0; i < 200; i++)); do
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$server" 2>/dev/null; then
    echo "schemathesis test: the gateway did not stop within 20 s of SIGTERM" >&2
    kill -KILL "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    return 1
  fi
  wait "$server"
}
trap 'stop_server >/dev/null 2>&1 || true' EXIT

port=""
for ((i = 0; i < 200; i++)); do
  kill -0 "$server" 2>/dev/null || { echo "schemathesis test: the gateway exited at start:" >&2; cat "$log" >&2; exit 1; }
  port=$(sed -n 's|.*gateway: listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$log" | head -n 1)
  [[ -z "$port" ]] || break
  sleep 0.1
done
[[ -n "$port" ]] || { echo "schemathesis test: the gateway printed no port within 20 s:" >&2; cat "$log" >&2; exit 1; }

status=0
# What the document can state honestly: no 5xx; only documented statuses, content types, headers
# (Retry-After on 429 and 503) and bodies; what the document calls invalid is refused; a method a
# path does not take is 405 with a true Allow. Not positive_data_acceptance: a schema cannot say
# which field names a type's rules call sensitive, which the gateway refuses with a documented 400.
(cd "$work" && "$tools/schemathesis" run "http://127.0.0.1:$port/api/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,unsupported_method,allow_header_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-30}" --seed "${SCHEMATHESIS_SEED:-20}" --workers 1 \
  --generation-database none --request-timeout 10 --no-color \
  --report junit --report-dir "$work/report") || status=$?

if ! stop_server; then
  status=1
else
  trap - EXIT
fi
if grep -q '"level":"error"\|\[error\]\|internal error' "$log"; then
  echo "schemathesis test: the gateway logged errors:" >&2
  grep '"level":"error"\|\[error\]\|internal error' "$log" | head -n 20 >&2
  status=1
fi
exit "$status"

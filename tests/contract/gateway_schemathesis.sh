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
name="the gateway"
. "$repo/tests/contract/server.sh"
start_server env KAFKA_ENABLED=false KAFKA_TOPIC_PREFIX=contract \
  "$cli" gateway --config "$work/gateway.json" --listen 127.0.0.1:0 --db "$work/gateway.db"

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

finish "$status"

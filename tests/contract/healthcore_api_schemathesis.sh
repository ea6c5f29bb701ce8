#!/usr/bin/env bash
# The example API against its own OpenAPI document: starts healthcore_api on a free loopback port
# (a fresh database, the embedded mock Kafka cluster), runs Schemathesis on the document the
# server serves at /api/openapi.json, and fails on any 5xx, any status, content type or body the
# document does not state, or a server that does not stop cleanly afterwards.
#
#   healthcore_api_schemathesis.sh HEALTHCORE_API WORK_DIR
#
# Bounded: SCHEMATHESIS_MAX_EXAMPLES cases per operation and phase (default 30), a fixed seed
# (SCHEMATHESIS_SEED, default 20), one worker; the server gets 20 s to say its port, 20 s to stop.
set -euo pipefail

[[ $# -eq 2 ]] || { echo "usage: $0 HEALTHCORE_API WORK_DIR" >&2; exit 2; }
api=$1
work=$2
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# No silent skip: without the tools the test fails and says how to get them.
"$repo/scripts/python-tools.sh" --check
tools=$("$repo/scripts/python-tools.sh")

rm -rf "$work" && mkdir -p "$work" && work=$(cd "$work" && pwd)
log="$work/server.log"
name=healthcore_api
. "$repo/tests/contract/server.sh"
start_server "$api" --port 0 --db "$work/api.db"

status=0
# The checks the document can state honestly: no 5xx; only documented statuses, content types,
# headers (Location on 201) and bodies; what the document calls invalid is refused; a method a
# path does not take is 405 with a true Allow; a deleted patient is gone and a created one there.
# Not positive_data_acceptance: a schema cannot say "a date not after today" or "no 30 February",
# which the server refuses with a documented 400.
# From the work folder: Schemathesis keeps its replay data (.schemathesis/) in the current one.
(cd "$work" && "$tools/schemathesis" run "http://127.0.0.1:$port/api/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,unsupported_method,allow_header_conformance,use_after_free,ensure_resource_availability \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-30}" --seed "${SCHEMATHESIS_SEED:-20}" --workers 1 \
  --generation-database none --request-timeout 10 --no-color \
  --report junit --report-dir "$work/report") || status=$?

finish "$status"

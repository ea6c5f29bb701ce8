#!/usr/bin/env bash
# The fault-injection suite at full size (tests/chaos, docs/reliability.md): builds if needed,
# starts a Kafka broker of its own (the scenarios that kill brokers start their own instances
# too), runs every scenario, stops the brokers, prints the figures as a Markdown table.
#
#   scripts/chaos.sh                  full sizes: 200,000 events, 20 kills, 3 broker restarts
#   scripts/chaos.sh --quick          the CTest sizes (what CI runs under the `chaos` label)
#   scripts/chaos.sh --filter GLOB    only the scenarios whose test name matches (gtest filter)
#
# Environment: CHAOS_SEED (default 20261123), CHAOS_KAFKA_NAME (instance name prefix, default
# `chaos`), CHAOS_TIMEOUT (seconds for the whole run, default 900); the figures are also written
# to build/chaos/figures.md.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command="scripts/chaos.sh${*:+ $*}"
build="$repo/build"
quick=0
filter="*"

usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --quick) quick=1; shift ;;
    --filter)
      [[ $# -ge 2 ]] || { echo "chaos.sh: --filter needs a value" >&2; exit 2; }
      filter="*$2*"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "chaos.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

export CHAOS_SEED=${CHAOS_SEED:-20261123}
export CHAOS_KAFKA_NAME=${CHAOS_KAFKA_NAME:-chaos}
if ((quick == 0)); then
  export CHAOS_EVENTS=200000 CHAOS_KILLS=20 CHAOS_BROKER_RESTARTS=3 CHAOS_WRITER_EVENTS=20000
fi

echo "== build ($build)"
cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDOMAIN_EVENTS_WERROR=ON >/dev/null
cmake --build "$build" --parallel "$(nproc)" --target domain_events_chaos_tests

single="$CHAOS_KAFKA_NAME-single"
stop_broker() {
  "$repo/scripts/kafka.sh" stop --name "$single" >&2 || true
  # Instances a crashed scenario could not stop itself (`<prefix>-<what>-<pid>`).
  local leftover
  for leftover in "${DOMAIN_EVENTS_KAFKA_STATE:-$repo/.cache/kafka/run}/$CHAOS_KAFKA_NAME"-{broker,cluster}-*/; do
    [[ -d "$leftover" ]] && "$repo/scripts/kafka.sh" stop --name "$(basename "$leftover")" >&2 || true
  done
}
trap stop_broker EXIT
echo "== starting Kafka ($single)"
broker_env=$(KAFKA_AUTO_CREATE_TOPICS=false "$repo/scripts/kafka.sh" start --name "$single")
KAFKA_BOOTSTRAP_SERVERS=$(sed -n 's/^KAFKA_BOOTSTRAP_SERVERS=//p' <<<"$broker_env")
KAFKA_VERSION=$(sed -n 's/^KAFKA_VERSION=//p' <<<"$broker_env")
export KAFKA_BOOTSTRAP_SERVERS

mkdir -p "$build/chaos"
report="$build/chaos/results.tsv"
figures="$build/chaos/figures.md"
log="$build/chaos/run.log"
: >"$report"
started=$(date -u '+%Y-%m-%d %H:%M UTC')
echo "== scenarios (events=${CHAOS_EVENTS:-default} kills=${CHAOS_KILLS:-default} seed=$CHAOS_SEED; log: $log)"
set +e
CHAOS_REPORT="$report" timeout --kill-after=30 "${CHAOS_TIMEOUT:-900}" \
  "$build/tests/chaos/domain_events_chaos_tests" --gtest_filter="$filter" 2>&1 | tee "$log" |
  grep -E '^\[ chaos|^\[ +(RUN|OK|FAILED|PASSED) |Failure$'
statuses=("${PIPESTATUS[@]}")
set -e
status=${statuses[0]}
stop_broker
trap - EXIT

{
  echo "Command: \`$command\` (CHAOS_SEED=$CHAOS_SEED), $started;" \
    "Kafka $KAFKA_VERSION, $(nproc) cores."
  echo
  echo "| scenario | committed | delivered | lost | duplicates (unexplained) | reorders | effects twice | effects missed | faults | seconds | figures |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  while IFS=$'\t' read -r name committed delivered lost dups unexplained reorders twice missed faults seconds _seed result _notes; do
    echo "| $name | $committed | $delivered | $lost | $dups ($unexplained) | $reorders | $twice | $missed | $faults | $seconds | $result |"
  done <"$report"
  echo
  while IFS=$'\t' read -r name _ _ _ _ _ _ _ _ _ _ _ _ notes; do
    echo "- $name: $notes"
  done <"$report"
} >"$figures"
echo
cat "$figures"
if ((status != 0)); then
  echo "chaos.sh: a scenario failed (exit $status); see $log" >&2
  exit "$status"
fi
echo "chaos.sh: every scenario passed"

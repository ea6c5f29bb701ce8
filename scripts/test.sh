#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what is missing, builds with -Werror, starts
# a real Kafka broker and a three-node cluster, runs every tier (unit, hermetic, package, kafka,
# then chaos in its shortened form), stops the brokers (also when tests fail), then runs
# unit+hermetic under ASan+UBSan and TSan, then each libFuzzer target for a bounded time
# (clang build; FUZZ_SECONDS each, default 60).
#
#   scripts/test.sh                       everything
#   scripts/test.sh --no-sanitize         skip the sanitizer and fuzzing passes
#   scripts/test.sh --sanitize thread     only unit+hermetic under TSan (or address,undefined)
#   scripts/test.sh --fuzz                only the fuzzing pass
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=$(nproc)
sanitize_passes=("address,undefined" "thread")
sanitize_only=""
fuzz=1
fuzz_only=0
fuzz_seconds=${FUZZ_SECONDS:-60}

usage() { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --no-sanitize) sanitize_passes=(); fuzz=0; shift ;;
    --fuzz) fuzz_only=1; shift ;;
    --sanitize)
      [[ $# -ge 2 ]] || { echo "test.sh: --sanitize needs a value (address,undefined or thread)" >&2; exit 2; }
      sanitize_only="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "test.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

"$repo/scripts/install-deps.sh"

build() {  # build DIR [extra cmake args...]
  local dir=$1; shift
  cmake -S "$repo" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDOMAIN_EVENTS_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" --parallel "$jobs"
}

sanitized_tiers() {  # sanitizer-list
  local dir="$repo/build-$(echo "$1" | tr ',' '-')"
  echo "== unit + hermetic under -fsanitize=$1 ($dir)"
  build "$dir" -DDOMAIN_EVENTS_SANITIZE="$1" -DDOMAIN_EVENTS_BUILD_BENCH=OFF
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$repo/tests/tsan.supp" \
    ctest --test-dir "$dir" -L 'unit|hermetic' --output-on-failure --parallel "$jobs" --timeout 300
}

# Fuzzing: runs on a scratch copy of the corpus so the seeds stay as committed; a finding is
# written to build-fuzz/findings/ and fails the run (docs/development.md says how to keep it).
fuzz_targets() {
  local dir="$repo/build-fuzz"
  echo "== fuzzing with libFuzzer, ${fuzz_seconds}s per target ($dir)"
  CC=clang CXX=clang++ cmake -S "$repo" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDOMAIN_EVENTS_WERROR=ON -DDOMAIN_EVENTS_FUZZ=ON \
    -DDOMAIN_EVENTS_BUILD_BENCH=OFF >/dev/null
  local corpus target
  for corpus in "$repo"/tests/fuzz/corpus/*/; do
    target=$(basename "$corpus")
    cmake --build "$dir" --parallel "$jobs" --target "fuzz_$target"
    rm -rf "$dir/work/$target" && mkdir -p "$dir/work/$target" "$dir/findings"
    "$dir/tests/fuzz/fuzz_$target" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$dir/findings/$target-" "$dir/work/$target" "$corpus" ||
      { echo "test.sh: fuzz_$target found a failing input in $dir/findings/" >&2; exit 1; }
  done
}

if ((fuzz_only)); then
  fuzz_targets
  exit 0
fi

if [[ -n "$sanitize_only" ]]; then
  sanitized_tiers "$sanitize_only"
  exit 0
fi

echo "== build ($repo/build)"
build "$repo/build"

single=test-single
cluster=test-cluster
stop_brokers() {
  "$repo/scripts/kafka.sh" stop --name "$single" >&2 || true
  "$repo/scripts/kafka.sh" stop --name "$cluster" >&2 || true
  # Instances a crashed chaos scenario could not stop itself (`test-chaos-<what>-<pid>`).
  local leftover
  for leftover in "${DOMAIN_EVENTS_KAFKA_STATE:-$repo/.cache/kafka/run}"/test-chaos-*/; do
    [[ -d "$leftover" ]] && "$repo/scripts/kafka.sh" stop --name "$(basename "$leftover")" >&2 || true
  done
}
trap stop_brokers EXIT

echo "== starting a single-node Kafka broker and a three-node cluster"
# Auto-creation off: every topic the tests use exists because the relay (or a test) created it.
single_env=$(KAFKA_AUTO_CREATE_TOPICS=false "$repo/scripts/kafka.sh" start --name "$single")
cluster_env=$(KAFKA_AUTO_CREATE_TOPICS=false "$repo/scripts/kafka.sh" start --nodes 3 --name "$cluster")
KAFKA_BOOTSTRAP_SERVERS=$(sed -n 's/^KAFKA_BOOTSTRAP_SERVERS=//p' <<<"$single_env")
KAFKA_VERSION=$(sed -n 's/^KAFKA_VERSION=//p' <<<"$single_env")
KAFKA_CLUSTER_BOOTSTRAP_SERVERS=$(sed -n 's/^KAFKA_BOOTSTRAP_SERVERS=//p' <<<"$cluster_env")
export KAFKA_BOOTSTRAP_SERVERS KAFKA_CLUSTER_BOOTSTRAP_SERVERS KAFKA_CLUSTER_NAME=$cluster
echo "Kafka $KAFKA_VERSION broker at $KAFKA_BOOTSTRAP_SERVERS; cluster at $KAFKA_CLUSTER_BOOTSTRAP_SERVERS"

echo "== all tiers: unit, hermetic, package, kafka"
status=0
ctest --test-dir "$repo/build" -LE chaos --output-on-failure --parallel "$jobs" --timeout 600 || status=$?
# The fault-injection scenarios in their shortened form (scripts/chaos.sh runs the full sizes),
# one at a time so their kills land where they aim; those that kill brokers start their own.
echo "== chaos (shortened; full sizes: scripts/chaos.sh)"
CHAOS_KAFKA_NAME=test-chaos ctest --test-dir "$repo/build" -L chaos --output-on-failure --timeout 600 || status=$?
stop_brokers
trap - EXIT
((status == 0)) || { echo "test.sh: tests failed (ctest exit $status)" >&2; exit "$status"; }

for pass in "${sanitize_passes[@]}"; do
  sanitized_tiers "$pass"
done
((fuzz == 0)) || fuzz_targets
echo "test.sh: every tier passed"

#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what is missing, builds with -Werror, starts
# a real Kafka broker and a three-node cluster, runs every tier (unit, hermetic, package, kafka,
# then chaos in its shortened form), stops the brokers (also when tests fail), then runs
# unit+hermetic under ASan+UBSan (clang, the build the fuzzers use too) and under TSan (g++),
# then each libFuzzer target for a bounded time (FUZZ_SECONDS each, default 60). Prints the wall
# time of every phase at the end, in one table (also when a phase fails).
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

usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --no-sanitize) sanitize_passes=(); fuzz=0; shift ;;
    --fuzz) fuzz_only=1; shift ;;
    --sanitize)
      [[ $# -ge 2 ]] || { echo "test.sh: --sanitize needs a value (address,undefined or thread)" >&2; exit 2; }
      case "$2" in address,undefined|thread) ;; *)
        echo "test.sh: --sanitize '$2': expected address,undefined or thread" >&2; exit 2 ;; esac
      sanitize_only="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "test.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

# --- phase timings ------------------------------------------------------------------------
phase_names=()
phase_seconds=()
started_at=$SECONDS
phase_name=""
phase_started=0
phase() {  # phase NAME: ends the running phase (if any) and starts NAME
  end_phase
  phase_name=$1
  phase_started=$SECONDS
  echo "== $phase_name"
}
end_phase() {
  [[ -n "$phase_name" ]] || return 0
  phase_names+=("$phase_name")
  phase_seconds+=($((SECONDS - phase_started)))
  phase_name=""
}
print_phases() {
  end_phase
  local i
  echo "== phase timings (wall clock)"
  printf '%-70s %9s\n' "phase" "time"
  for i in "${!phase_names[@]}"; do
    printf '%-70s %6dm%02ds\n' "${phase_names[$i]}" $((phase_seconds[i] / 60)) $((phase_seconds[i] % 60))
  done
  printf '%-70s %6dm%02ds\n' "total" $(((SECONDS - started_at) / 60)) $(((SECONDS - started_at) % 60))
}

# --- builds ------------------------------------------------------------------------------
# Every build goes through Ninja and, when installed, ccache (CMake sets it up: cmake/BuildSpeed.cmake)
# with its cache outside the clone, so a clone in another folder reuses what earlier builds compiled.
export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/domain_events/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}

configure() {  # configure DIR [extra cmake args...]
  local dir=$1; shift
  cmake -S "$repo" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDOMAIN_EVENTS_WERROR=ON "$@" >/dev/null
}
build() {  # build DIR [targets...]
  local dir=$1; shift
  local targets=()
  (($# == 0)) || targets=(--target "$@")
  cmake --build "$dir" --parallel "$jobs" "${targets[@]}"
}

# The sanitizer and fuzz builds compile at -O1 with line tables only (-g1): about half the time
# of -O2 -g, with the file and line in every report (docs/development.md, "Build times").
sanitizer_flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG"
                 -DDOMAIN_EVENTS_BUILD_BENCH=OFF)
# ASan+UBSan: clang with libFuzzer's coverage (DOMAIN_EVENTS_FUZZ), one build for the tiers and
# the fuzzers. TSan: g++.
sanitizer_dir() {  # sanitizer_dir LIST
  case "$1" in address,undefined) echo "$repo/build-fuzz" ;; thread) echo "$repo/build-thread" ;; esac
}
configure_sanitized() {  # configure_sanitized LIST
  local dir; dir=$(sanitizer_dir "$1")
  case "$1" in
    address,undefined) CC=clang CXX=clang++ configure "$dir" -DDOMAIN_EVENTS_FUZZ=ON "${sanitizer_flags[@]}" ;;
    thread) configure "$dir" -DDOMAIN_EVENTS_SANITIZE=thread "${sanitizer_flags[@]}" ;;
  esac
}

sanitized_tiers() {  # sanitized_tiers LIST
  local dir; dir=$(sanitizer_dir "$1")
  phase "build for unit + hermetic under -fsanitize=$1 ($(basename "$dir"))"
  configure_sanitized "$1"
  build "$dir" domain_events_unit_hermetic_programs
  phase "unit + hermetic under -fsanitize=$1"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$repo/tests/tsan.supp" \
    ctest --test-dir "$dir" -L 'unit|hermetic|hostile' --output-on-failure --parallel "$jobs" --timeout 300
}

# Fuzzing: runs on a scratch copy of the corpus so the seeds stay as committed; a finding is
# written to build-fuzz/findings/ and fails the run (docs/development.md says how to keep it).
fuzz_targets() {
  local dir; dir=$(sanitizer_dir address,undefined)
  local corpus target fuzzers=()
  for corpus in "$repo"/tests/fuzz/corpus/*/; do fuzzers+=("fuzz_$(basename "$corpus")"); done
  phase "build the libFuzzer targets ($(basename "$dir"))"
  configure_sanitized address,undefined
  build "$dir" "${fuzzers[@]}"
  phase "fuzzing, ${fuzz_seconds}s per target"
  for corpus in "$repo"/tests/fuzz/corpus/*/; do
    target=$(basename "$corpus")
    rm -rf "$dir/work/$target" && mkdir -p "$dir/work/$target" "$dir/findings"
    "$dir/tests/fuzz/fuzz_$target" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$dir/findings/$target-" "$dir/work/$target" "$corpus" ||
      { echo "test.sh: fuzz_$target found a failing input in $dir/findings/" >&2; exit 1; }
  done
}

# --- brokers -----------------------------------------------------------------------------
single=test-single
cluster=test-cluster
brokers_started=0
stop_brokers() {
  ((brokers_started)) || return 0
  "$repo/scripts/kafka.sh" stop --name "$single" >&2 || true
  "$repo/scripts/kafka.sh" stop --name "$cluster" >&2 || true
  # Instances a crashed chaos scenario could not stop itself (`test-chaos-<what>-<pid>`).
  local leftover
  for leftover in "${DOMAIN_EVENTS_KAFKA_STATE:-$repo/.cache/kafka/run}"/test-chaos-*/; do
    [[ -d "$leftover" ]] && "$repo/scripts/kafka.sh" stop --name "$(basename "$leftover")" >&2 || true
  done
  brokers_started=0
}
on_exit() {
  local status=$?
  stop_brokers
  print_phases
  exit "$status"
}
trap on_exit EXIT

phase "install what is missing"
"$repo/scripts/install-deps.sh"
"$repo/scripts/python-tools.sh" >/dev/null  # Schemathesis for the contract tier (tests/python/)

if ((fuzz_only)); then
  fuzz_targets
  exit 0
fi

if [[ -n "$sanitize_only" ]]; then
  sanitized_tiers "$sanitize_only"
  exit 0
fi

phase "build ($repo/build)"
configure "$repo/build" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
build "$repo/build"

phase "start a single-node Kafka broker and a three-node cluster"
brokers_started=1
# Auto-creation off: every topic the tests use exists because the relay (or a test) created it.
single_env=$(KAFKA_AUTO_CREATE_TOPICS=false "$repo/scripts/kafka.sh" start --name "$single")
cluster_env=$(KAFKA_AUTO_CREATE_TOPICS=false "$repo/scripts/kafka.sh" start --nodes 3 --name "$cluster")
KAFKA_BOOTSTRAP_SERVERS=$(sed -n 's/^KAFKA_BOOTSTRAP_SERVERS=//p' <<<"$single_env")
KAFKA_VERSION=$(sed -n 's/^KAFKA_VERSION=//p' <<<"$single_env")
KAFKA_CLUSTER_BOOTSTRAP_SERVERS=$(sed -n 's/^KAFKA_BOOTSTRAP_SERVERS=//p' <<<"$cluster_env")
export KAFKA_BOOTSTRAP_SERVERS KAFKA_CLUSTER_BOOTSTRAP_SERVERS KAFKA_CLUSTER_NAME=$cluster
echo "Kafka $KAFKA_VERSION broker at $KAFKA_BOOTSTRAP_SERVERS; cluster at $KAFKA_CLUSTER_BOOTSTRAP_SERVERS"

phase "tiers unit, hermetic, package, kafka"
status=0
ctest --test-dir "$repo/build" -LE chaos --output-on-failure --parallel "$jobs" --timeout 600 || status=$?
# The fault-injection scenarios in their shortened form (scripts/chaos.sh runs the full sizes),
# one at a time so their kills land where they aim; those that kill brokers start their own.
phase "chaos (shortened; full sizes: scripts/chaos.sh)"
CHAOS_KAFKA_NAME=test-chaos ctest --test-dir "$repo/build" -L chaos --output-on-failure --timeout 600 || status=$?
phase "stop the brokers"
stop_brokers
((status == 0)) || { echo "test.sh: tests failed (ctest exit $status)" >&2; exit "$status"; }

for pass in "${sanitize_passes[@]}"; do
  sanitized_tiers "$pass"
done
((fuzz == 0)) || fuzz_targets
end_phase
echo "test.sh: every tier passed"

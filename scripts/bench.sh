#!/usr/bin/env bash
# Runs every benchmark with fixed sizes, RUNS times each, on the mock cluster and on a real
# broker it starts (and stops), and writes the medians with their ratios into the generated
# section of docs/benchmarks.md. About 10 minutes on 2 cores.
#
#   scripts/bench.sh                 everything, 3 runs each, rewrites docs/benchmarks.md
#   scripts/bench.sh --runs 5        more runs per benchmark
#   scripts/bench.sh --no-broker     mock cluster only (the real-broker rows say "not run")
#   scripts/bench.sh --no-write      print the table, leave docs/benchmarks.md alone
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=3
broker=1
write=1
usage() { sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --runs)
      [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]?$ ]] || { echo "bench.sh: --runs needs a number from 1 to 99" >&2; exit 2; }
      runs=$2; shift 2 ;;
    --no-broker) broker=0; shift ;;
    --no-write) write=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

# Fixed sizes: the targets' own (DESIGN.md), so a figure reads directly against its target.
readonly SAVE_ARGS=(--ops 5000 --rounds 7)
readonly DRAIN_ARGS=(--events 1000000)
readonly LATENCY_ARGS=(--rate 1000 --seconds 10)
readonly CONSUME_ARGS=(--events 1000000)  # the topic size issue 6 names
# The mock cluster keeps only the newest ~15,000 events of each of the 3 partitions.
readonly CONSUME_MOCK_ARGS=(--events 40000)

"$repo/scripts/install-deps.sh"
build="$repo/build-bench"
cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DDOMAIN_EVENTS_BUILD_TESTS=OFF \
  -DDOMAIN_EVENTS_BUILD_EXAMPLES=OFF -DDOMAIN_EVENTS_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --parallel "$(nproc)" --target bench_save_path bench_relay_drain bench_commit_to_ack bench_consume

out=$(mktemp -d)
cleanup() {
  rm -rf "$out"
  ((broker == 0)) || "$repo/scripts/kafka.sh" stop --name bench >&2 || true
}
trap cleanup EXIT
bootstrap=""
kafka_version="not run"
if ((broker)); then
  broker_env=$(KAFKA_AUTO_CREATE_TOPICS=false "$repo/scripts/kafka.sh" start --name bench)
  bootstrap=$(sed -n 's/^KAFKA_BOOTSTRAP_SERVERS=//p' <<<"$broker_env")
  kafka_version=$(sed -n 's/^KAFKA_VERSION=//p' <<<"$broker_env")
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)

# run NAME BINARY ARGS...: RUNS runs, each run's output in $out/NAME.N
run() {
  local name=$1 binary=$2; shift 2
  local n
  for ((n = 1; n <= runs; n++)); do
    echo "== $name, run $n of $runs: bench_$binary $*" >&2
    "$build/bench/bench_$binary" "$@" | tee "$out/$name.$n" >&2
  done
}

# figure NAME SED-EXPRESSION: that figure from every run of NAME, one per line
figure() {
  local n
  for ((n = 1; n <= runs; n++)); do sed -n "$2" "$out/$1.$n"; done
}
median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "n/a"; else print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
all_runs() { paste -sd' ' - | sed 's/ /, /g'; }
# row LABEL COMMAND BASELINE LIBRARY RATIOS TARGET MET
row() { printf '| %s | `%s` | %s | %s | %s | %s | %s |\n' "$@"; }
meets() { awk -v v="$1" "BEGIN {exit !(v $2)}" && echo yes || echo no; }

run save save_path "${SAVE_ARGS[@]}"
run drain_mock relay_drain "${DRAIN_ARGS[@]}"
run latency_mock commit_to_ack "${LATENCY_ARGS[@]}"
run consume_mock consume "${CONSUME_MOCK_ARGS[@]}"
if ((broker)); then
  run drain_real relay_drain "${DRAIN_ARGS[@]}" --bootstrap-servers "$bootstrap"
  run latency_real commit_to_ack "${LATENCY_ARGS[@]}" --bootstrap-servers "$bootstrap"
  run consume_real consume "${CONSUME_ARGS[@]}" --bootstrap-servers "$bootstrap"
fi
elapsed=$(($(date +%s) - started))

rows() {
  local base lib ratios r
  base=$(figure save 's/.*hand-written transaction *: *\([0-9.]*\).*/\1/p' | median)
  lib=$(figure save 's/.*save + event (library) *: *\([0-9.]*\).*/\1/p' | median)
  ratios=$(figure save 's/.*ratio library\/baseline *: *\([0-9.]*\).*/\1/p')
  r=$(median <<<"$ratios")
  row "save + event vs hand-written transaction" "bench_save_path ${SAVE_ARGS[*]}" "$base ns/op" "$lib ns/op" \
    "**$r** ($(all_runs <<<"$ratios"))" "≤ 1.30" "$(meets "$r" '<= 1.30')"

  local kind target
  for kind in mock real; do
    [[ -s "$out/drain_$kind.1" ]] || { row "relay drain, $kind" "—" "" "" "not run (--no-broker)" "" ""; continue; }
    target=$([[ $kind == mock ]] && echo 250000 || echo 100000)
    base=$(figure "drain_$kind" 's/.*raw librdkafka producer *: *\([0-9.]*\).*/\1/p' | median)
    lib=$(figure "drain_$kind" 's/.*relay (outbox -> Kafka) *: *\([0-9.]*\).*/\1/p' | median)
    ratios=$(figure "drain_$kind" 's/.*ratio relay\/raw *: *\([0-9.]*\).*/\1/p')
    r=$(median <<<"$ratios")
    row "relay drain, $kind" "bench_relay_drain ${DRAIN_ARGS[*]}$([[ $kind == real ]] && echo ' --bootstrap-servers $B')" \
      "raw producer $base ev/s" "relay $lib ev/s" "**$r** ($(all_runs <<<"$ratios"))" "≥ $target ev/s and ≥ 0.60" \
      "$( [[ $(meets "$lib" ">= $target") == yes && $(meets "$r" '>= 0.60') == yes ]] && echo yes || echo no)"
  done

  local p50 p99 raw50 raw99
  for kind in mock real; do
    [[ -s "$out/latency_$kind.1" ]] || { row "commit → ack, $kind" "—" "" "" "not run (--no-broker)" "" ""; continue; }
    p50=$(figure "latency_$kind" 's/.*relay, commit -> ack *: p50 *\([0-9.]*\) ms.*/\1/p')
    p99=$(figure "latency_$kind" 's/.*relay, commit -> ack *:.*p99 *\([0-9.]*\) ms.*/\1/p')
    raw50=$(figure "latency_$kind" 's/.*raw producer, produce -> ack *: p50 *\([0-9.]*\) ms.*/\1/p' | median)
    raw99=$(figure "latency_$kind" 's/.*raw producer, produce -> ack *:.*p99 *\([0-9.]*\) ms.*/\1/p' | median)
    ratios=$(figure "latency_$kind" 's/.*ratio relay\/raw *: p50 *\([0-9.]*\).*/\1/p')
    row "commit → ack at 1,000 ev/s, $kind" "bench_commit_to_ack ${LATENCY_ARGS[*]}$([[ $kind == real ]] && echo ' --bootstrap-servers $B')" \
      "raw producer p50 $raw50 ms, p99 $raw99 ms" \
      "p50 $(median <<<"$p50") ms ($(all_runs <<<"$p50")), p99 $(median <<<"$p99") ms ($(all_runs <<<"$p99"))" \
      "p50 **$(median <<<"$ratios")** ($(all_runs <<<"$ratios"))" "p50 < 2 ms, p99 < 10 ms" \
      "$( [[ $(meets "$(median <<<"$p50")" '< 2') == yes && $(meets "$(median <<<"$p99")" '< 10') == yes ]] && echo yes || echo no)"
  done

  for kind in mock real; do
    [[ -s "$out/consume_$kind.1" ]] || { row "idempotent consumer, $kind" "—" "" "" "not run (--no-broker)" "" ""; continue; }
    base=$(figure "consume_$kind" 's/.*bare librdkafka consumer: *\([0-9.]*\) events\/s.*/\1/p' | median)
    lib=$(figure "consume_$kind" 's/.*idempotent consumer: *\([0-9.]*\) events\/s.*/\1/p' | median)
    ratios=$(figure "consume_$kind" 's/.*idempotent consumer: *[0-9.]* events\/s (\([0-9.]*\)x of bare.*/\1/p')
    row "idempotent consumer vs bare consumer, $kind" \
      "bench_consume $([[ $kind == real ]] && echo "${CONSUME_ARGS[*]} --bootstrap-servers \$B" || echo "${CONSUME_MOCK_ARGS[*]}")" \
      "bare $base ev/s" "idempotent $lib ev/s" "**$(median <<<"$ratios")** ($(all_runs <<<"$ratios"))" "≥ 100,000 ev/s" \
      "$(meets "$lib" '>= 100000')"
  done
}

section=$(
  echo "<!-- generated by scripts/bench.sh: edit the script, not this section -->"
  echo "Latest \`scripts/bench.sh --runs $runs\`: $(date -u +%Y-%m-%d), $elapsed s in all. Each figure is the median of"
  echo "$runs runs (every run's ratio in brackets); each ratio compares the library with its baseline"
  echo "measured in the same process and run. \`\$B\` is the broker \`scripts/kafka.sh start --name bench\` started."
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)," \
    "$( . /etc/os-release && echo "$PRETTY_NAME"), g++ $(g++ -dumpfullversion), Release build," \
    "librdkafka $(pkg-config --modversion rdkafka), SQLite $(pkg-config --modversion sqlite3)," \
    "Apache Kafka $kafka_version$( ((broker)) && echo " (one KRaft node, \`scripts/kafka.sh\`)"); load average before the run: $load_before."
  echo
  echo "| benchmark | command | baseline | library | ratio | target | met |"
  echo "|---|---|---|---|---|---|---|"
  rows
  echo "<!-- end of scripts/bench.sh's section -->"
)
echo "$section"

if ((write)); then
  doc="$repo/docs/benchmarks.md"
  begin='<!-- generated by scripts/bench.sh'
  end='<!-- end of scripts/bench.sh'
  grep -q "^$begin" "$doc" && grep -q "^$end" "$doc" ||
    { echo "bench.sh: $doc lacks the generated section's markers ('$begin', '$end')" >&2; exit 1; }
  awk -v section="$section" -v begin="$begin" -v end="$end" '
    index($0, begin) == 1 {print section; skipping = 1; next}
    index($0, end) == 1 {skipping = 0; next}
    !skipping' "$doc" >"$doc.new"
  mv "$doc.new" "$doc"
  echo "bench.sh: wrote the table into $doc" >&2
fi

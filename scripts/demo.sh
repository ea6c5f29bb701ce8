#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the demo end to end.
# Extra arguments go to the demo (e.g. --patients 50).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/install-deps.sh"
cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$repo/build" --parallel "$(nproc)" --target healthcore_demo
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$repo/build/examples/healthcore_demo" --db "$work/healthcore.db" "$@"

#!/usr/bin/env bash
# Installs the Python test tools (tests/python/requirements.txt, exact versions, from PyPI: Schemathesis,
# confluent-kafka, the CloudEvents SDK) into
# a virtual environment under .cache/python-tools (ignored by git). Idempotent and quiet when the
# environment already holds what the requirements file says; prints the environment's bin folder.
#
#   scripts/python-tools.sh            install what is missing, print the bin folder
#   scripts/python-tools.sh --check    exit 1 (saying what to run) unless it is installed
#
# PYTHON_TOOLS_DIR moves the environment (default: <repo>/.cache/python-tools); PYTHON picks
# the interpreter that creates it (default: python3; Debian needs python3-venv, which
# scripts/install-deps.sh installs).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
requirements="$repo/tests/python/requirements.txt"
venv=${PYTHON_TOOLS_DIR:-$repo/.cache/python-tools}
python=${PYTHON:-python3}
# What is installed is recorded as a copy of the requirements it came from: equal means done.
stamp="$venv/installed-requirements.txt"

installed() { [[ -x "$venv/bin/python" && -f "$stamp" ]] && cmp -s "$requirements" "$stamp"; }

case "${1:-}" in
  "") ;;
  --check)
    installed && exit 0
    echo "python-tools: the Python test tools are not installed (or are older than $requirements):" \
         "run scripts/python-tools.sh" >&2
    exit 1 ;;
  -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "python-tools: unknown argument '$1'" >&2; exit 2 ;;
esac

if ! installed; then
  mkdir -p "$(dirname "$venv")"
  # One install at a time: two test processes may ask at once.
  exec 9>"$venv.lock"
  flock 9
fi
if ! installed; then
  echo "python-tools: installing $(grep -c '^[A-Za-z]' "$requirements") packages into $venv" >&2
  # A half-made environment (an interrupted install) is made again from nothing.
  rm -rf "$venv"
  "$python" -m venv "$venv" || {
    echo "python-tools: '$python -m venv' failed; on Debian run scripts/install-deps.sh (python3-venv)" >&2
    exit 1
  }
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --requirement "$requirements"
  cp "$requirements" "$stamp"
  echo "python-tools: done" >&2
fi
echo "$venv/bin"

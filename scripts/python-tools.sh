#!/usr/bin/env bash
# The Python test tools (scripts/python-requirements.txt: confluent-kafka, the CloudEvents SDK)
# in a virtual environment under .cache/python, installed from PyPI when missing or when the
# requirements changed. Prints the environment's python on stdout; its log goes to stderr.
#
#   scripts/python-tools.sh            install if needed, print the interpreter's path
#
# DOMAIN_EVENTS_PYTHON_TOOLS sets another folder for the environment.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
requirements="$repo/scripts/python-requirements.txt"
venv="${DOMAIN_EVENTS_PYTHON_TOOLS:-$repo/.cache/python}"
stamp="$venv/requirements.installed"

if ! cmp -s "$requirements" "$stamp" 2>/dev/null; then
  mkdir -p "$(dirname "$venv")"
  # One install at a time: two test processes may ask at once.
  exec 9>"$venv.lock"
  flock 9
  if ! cmp -s "$requirements" "$stamp" 2>/dev/null; then
    echo "python-tools: installing $(grep -cv '^#' "$requirements") packages into $venv" >&2
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements" >&2
    cp "$requirements" "$stamp"
  fi
fi
echo "$venv/bin/python"

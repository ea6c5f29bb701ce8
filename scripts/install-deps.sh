#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the broker script need, and only those
# that are missing. Quiet and fast when everything is there; runs `apt-get update` once otherwise.
set -euo pipefail

packages=(
  g++ make cmake ninja-build ccache mold pkg-config git python3 python3-venv
  librdkafka-dev libsqlite3-dev nlohmann-json3-dev uuid-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libcli11-dev libmicrohttpd-dev libcpp-httplib-dev
  clang libclang-rt-14-dev
  openjdk-17-jre-headless maven
  prometheus curl jq
  wrk  # the HTTP load tool of bench/gateway (scripts/bench-gateway.sh)
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done" >&2

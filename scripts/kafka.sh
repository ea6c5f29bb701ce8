#!/usr/bin/env bash
# Runs a real Apache Kafka broker (KRaft, 1 or 3 nodes) on 127.0.0.1: scripts/kafka/kafka_broker.py
# (Python standard library), templates in scripts/kafka/templates/. Usage: scripts/kafka.sh --help
command -v python3 >/dev/null 2>&1 || { echo "kafka.sh: error: python3 not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
exec python3 -B "$(dirname "${BASH_SOURCE[0]}")/kafka/kafka_broker.py" "$@"

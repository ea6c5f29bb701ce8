"""Plays `java` for scripts/kafka.sh in tests: `kafka.tools.StorageTool format -t ID -c PROPS` writes
the node's meta.properties; `kafka.Kafka PROPS` serves fake_kafka.FakeKafka on the node's
listener, listing every node of the instance (from the ports file beside PROPS), for at most
LIFETIME seconds. FAKE_KAFKA_EXIT_NODE=N makes node N exit at once instead; FAKE_KAFKA_FORMAT_FAILS=1
makes the format fail."""

import os
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_kafka import FakeKafka  # noqa: E402

LIFETIME = 120.0


def properties(path: str) -> dict:
    values = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key] = value
    return values


def format_storage(args: list) -> int:
    if os.environ.get("FAKE_KAFKA_FORMAT_FAILS") == "1":
        print("fake StorageTool: failing as FAKE_KAFKA_FORMAT_FAILS asks")
        return 1
    cluster_id, config = args[args.index("-t") + 1], properties(args[args.index("-c") + 1])
    log_dir = Path(config["log.dirs"])
    log_dir.mkdir(parents=True, exist_ok=True)
    (log_dir / "meta.properties").write_text(
        f"version=1\nnode.id={config['node.id']}\ncluster.id={cluster_id}\n", encoding="utf-8")
    print(f"Formatting metadata directory {log_dir} (fake)")
    return 0


def broker(properties_path: str) -> int:
    config = properties(properties_path)
    node = int(config["node.id"])
    if os.environ.get("FAKE_KAFKA_EXIT_NODE") == str(node):
        print(f"fake broker {node}: exiting as FAKE_KAFKA_EXIT_NODE asks", flush=True)
        return 1
    ports = properties(str(Path(properties_path).with_name("ports")))
    brokers = [(int(key[4:-7]), "127.0.0.1", int(value)) for key, value in ports.items() if key.endswith(".broker")]
    own_port = next(port for node_id, _, port in brokers if node_id == node)
    FakeKafka(brokers=lambda: brokers, port=own_port).serve(LIFETIME)
    return 0


def main(args: list) -> int:
    if "kafka.tools.StorageTool" in args:
        return format_storage(args)
    if "kafka.Kafka" in args:
        return broker(args[-1])
    print(f"fake java: unexpected arguments {args}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A client of our topics that we did not write: confluent-kafka with the official CloudEvents SDK
for Python (its Kafka protocol binding), as a Python service would use them. Run by
tests/kafka/interop_python_test.cpp with the interpreter scripts/python-tools.sh installs.

  read  --bootstrap B --topic T --count N --output FILE   one JSON line per CloudEvent read
  write --bootstrap B --topic T --type TYPE --output FILE  one event in each content mode

Every wait is bounded (--timeout seconds); exit status 0 only when all was read or sent.
"""
import argparse
import json
import sys
import time
import uuid
from datetime import datetime, timezone

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from confluent_kafka import Consumer, KafkaError, Producer

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def as_text(value):
    """An attribute as JSON can hold it: a time as RFC 3339 in UTC with microseconds."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def read(args):
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": f"python-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([args.topic])
    lines = []
    deadline = time.monotonic() + args.timeout
    try:
        while len(lines) < args.count and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            if message.error():
                if message.error().code() in (KafkaError._PARTITION_EOF, KafkaError.UNKNOWN_TOPIC_OR_PART):
                    continue
                raise RuntimeError(str(message.error()))
            headers = {name: value for name, value in (message.headers() or [])}
            event = ce_kafka.from_kafka(
                ce_kafka.KafkaMessage(headers=headers, key=message.key(), value=message.value()), JSONFormat())
            lines.append({"mode": "binary" if any(h.startswith("ce_") for h in headers) else "structured",
                          "attributes": {k: as_text(v) for k, v in event.get_attributes().items()},
                          "data": event.get_data()})
    finally:
        consumer.close()
    with open(args.output, "w", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line) + "\n")
    print(f"read {len(lines)} of {args.count} CloudEvents from {args.topic}", file=sys.stderr)
    return 0 if len(lines) == args.count else 1


def write(args):
    producer = Producer({"bootstrap.servers": args.bootstrap, "acks": "all"})
    sent = []
    for mode, subject in (("binary", "py-1"), ("structured", "py-2")):
        event = CloudEvent(
            attributes={"id": str(uuid.uuid4()), "source": "/python-sdk", "type": args.type, "subject": subject,
                        "time": datetime.now(timezone.utc), "datacontenttype": "application/json",
                        "aggregatetype": "order", "aggregateversion": 1, "schemaversion": "1.0",
                        "partitionkey": subject, "traceparent": TRACEPARENT},
            data={"total": 5, "mode": mode})
        to_kafka = ce_kafka.to_binary if mode == "binary" else ce_kafka.to_structured
        message = to_kafka(event, JSONFormat())
        producer.produce(args.topic, key=message.key, value=message.value, headers=list(message.headers.items()))
        sent.append({"mode": mode, "id": event.get_id(), "subject": subject})
    left = producer.flush(args.timeout)
    with open(args.output, "w", encoding="utf-8") as out:
        for line in sent:
            out.write(json.dumps(line) + "\n")
    print(f"sent {len(sent)} CloudEvents to {args.topic}, {left} unacknowledged", file=sys.stderr)
    return 0 if left == 0 else 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["read", "write"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--type", default="")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    return read(args) if args.command == "read" else write(args)


if __name__ == "__main__":
    sys.exit(main())

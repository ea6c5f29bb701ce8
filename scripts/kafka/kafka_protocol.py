"""Readiness over the Kafka wire protocol, without a JVM: the brokers a cluster's metadata lists,
and which of them answer ApiVersions.

Requests use header v1 and non-flexible versions: ApiVersions v0 (every broker answers it, even
to say it wants another version) and Metadata v4 (the lowest Kafka 4 still accepts, KIP-896).
Every read is bounded: one deadline per exchange and at most MAX_RESPONSE_BYTES per response.
"""

import socket
import struct
import time

API_METADATA = 3
API_VERSIONS = 18
METADATA_VERSION = 4
MAX_RESPONSE_BYTES = 1 << 20
MAX_ARRAY_LENGTH = 10_000
CLIENT_ID = b"kafka.sh"


class ProtocolError(Exception):
    """A reply that is not what the protocol says (truncated, oversized, wrong correlation id)."""


class UnsupportedBroker(Exception):
    """The broker answers but does not accept the Metadata version the probe sends."""


def encode_request(api_key: int, api_version: int, correlation_id: int, body: bytes) -> bytes:
    header = struct.pack(">hhih", api_key, api_version, correlation_id, len(CLIENT_ID)) + CLIENT_ID
    return struct.pack(">i", len(header) + len(body)) + header + body


class Reader:
    """Reads big-endian fields from one response; running past its end is a ProtocolError."""

    def __init__(self, data: bytes):
        self._data, self._at = data, 0

    def _take(self, size: int) -> bytes:
        if size < 0 or self._at + size > len(self._data):
            raise ProtocolError(f"response truncated at byte {self._at} (wanted {size} more of {len(self._data)})")
        chunk = self._data[self._at : self._at + size]
        self._at += size
        return chunk

    def int8(self) -> int:
        return struct.unpack(">b", self._take(1))[0]

    def int16(self) -> int:
        return struct.unpack(">h", self._take(2))[0]

    def int32(self) -> int:
        return struct.unpack(">i", self._take(4))[0]

    def nullable_string(self):
        size = self.int16()
        return None if size == -1 else self._take(size).decode("utf-8", "replace")

    def string(self) -> str:
        value = self.nullable_string()
        if value is None:
            raise ProtocolError("null where the protocol has a string")
        return value

    def array_length(self) -> int:
        size = self.int32()
        if not 0 <= size <= MAX_ARRAY_LENGTH:
            raise ProtocolError(f"array length {size} outside 0..{MAX_ARRAY_LENGTH}")
        return size


def _receive_exactly(sock: socket.socket, size: int, deadline: float) -> bytes:
    chunks, remaining = [], size
    while remaining > 0:
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out reading the response")
        sock.settimeout(left)
        chunk = sock.recv(min(remaining, 65536))
        if not chunk:
            raise ProtocolError(f"connection closed with {remaining} of {size} bytes unread")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def exchange(address, api_key: int, api_version: int, body: bytes, timeout: float) -> Reader:
    """One request on a fresh connection; returns the response after its correlation id."""
    correlation_id = int(time.monotonic_ns() & 0x7FFFFFFF)
    deadline = time.monotonic() + timeout
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        sock.sendall(encode_request(api_key, api_version, correlation_id, body))
        (size,) = struct.unpack(">i", _receive_exactly(sock, 4, deadline))
        if not 4 <= size <= MAX_RESPONSE_BYTES:
            raise ProtocolError(f"response size {size} outside 4..{MAX_RESPONSE_BYTES}")
        reply = Reader(_receive_exactly(sock, size, deadline))
    answered = reply.int32()
    if answered != correlation_id:
        raise ProtocolError(f"correlation id {answered}, expected {correlation_id}")
    return reply


def api_versions(address, timeout: float) -> dict:
    """{api key: (min version, max version)} the broker at `address` accepts."""
    reply = exchange(address, API_VERSIONS, 0, b"", timeout)
    error_code = reply.int16()
    if error_code != 0:
        raise ProtocolError(f"ApiVersions answered error code {error_code}")
    versions = {}
    for _ in range(reply.array_length()):
        key, lowest, highest = reply.int16(), reply.int16(), reply.int16()
        versions[key] = (lowest, highest)
    return versions


def metadata_brokers(address, timeout: float) -> list:
    """[(node id, host, port)] of the brokers the metadata of the broker at `address` lists."""
    no_topics_no_auto_creation = struct.pack(">ib", 0, 0)
    reply = exchange(address, API_METADATA, METADATA_VERSION, no_topics_no_auto_creation, timeout)
    reply.int32()  # throttle_time_ms
    brokers = []
    for _ in range(reply.array_length()):
        node_id, host, port = reply.int32(), reply.string(), reply.int32()
        reply.nullable_string()  # rack
        brokers.append((node_id, host, port))
    return brokers


def parse_bootstrap(servers: str) -> list:
    """'127.0.0.1:9092,127.0.0.1:9093' as [(host, port)]."""
    addresses = []
    for item in filter(None, servers.split(",")):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"bootstrap address '{item}' is not host:port")
        addresses.append((host, int(port)))
    return addresses


def count_ready_brokers(bootstrap: list, timeout: float) -> int:
    """How many brokers the metadata (of the first bootstrap broker that answers) lists and that
    themselves answer ApiVersions. 0 while nothing answers. Raises UnsupportedBroker when a broker
    answers but refuses Metadata v4, which waiting would not change."""
    brokers = None
    for address in bootstrap:
        try:
            accepted = api_versions(address, timeout).get(API_METADATA)
            if accepted is None or not accepted[0] <= METADATA_VERSION <= accepted[1]:
                raise UnsupportedBroker(f"broker {address[0]}:{address[1]} accepts Metadata versions "
                                        f"{accepted}, not v{METADATA_VERSION}")
            brokers = metadata_brokers(address, timeout)
            break
        except (OSError, ProtocolError):
            continue
    if brokers is None:
        return 0
    ready = 0
    for _node_id, host, port in brokers:
        try:
            api_versions((host, port), timeout)
            ready += 1
        except (OSError, ProtocolError):
            pass
    return ready

"""A stand-in Kafka broker on 127.0.0.1 that answers the two requests scripts/kafka.sh's readiness
probe sends (ApiVersions v0, Metadata v4), or misbehaves in one chosen way, for tests only."""

import socket
import socketserver
import struct
import threading

API_METADATA = 3
API_VERSIONS = 18
CONNECTION_TIMEOUT = 5.0


def _string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack(">h", len(data)) + data


def api_versions_body(metadata_versions=(0, 12), error_code=0) -> bytes:
    keys = [(0, 0, 11), (API_METADATA, *metadata_versions), (API_VERSIONS, 0, 4)]
    return struct.pack(">hi", error_code, len(keys)) + b"".join(struct.pack(">hhh", *k) for k in keys)


def metadata_body(brokers) -> bytes:
    body = struct.pack(">ii", 0, len(brokers))  # throttle_time_ms, brokers
    for node_id, host, port in brokers:
        body += struct.pack(">i", node_id) + _string(host) + struct.pack(">i", port) + struct.pack(">h", -1)
    return body + _string("fake-cluster") + struct.pack(">i", 1) + struct.pack(">i", 0)  # cluster id, controller, topics


class FakeKafka:
    """behaviour: "answer" (default), "silent" (accepts, never replies), "close" (closes at once),
    "oversized" (announces a 2 GiB response), "wrong-correlation"."""

    def __init__(self, brokers=None, port=0, behaviour="answer", metadata_versions=(0, 12), api_versions_error=0):
        self.brokers = brokers if brokers is not None else (lambda: [(1, "127.0.0.1", self.port)])
        self.behaviour, self.metadata_versions, self.api_versions_error = behaviour, metadata_versions, api_versions_error
        self.requests = []  # (api key, api version) of every request read
        self._stopped = threading.Event()
        fake = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                self.request.settimeout(CONNECTION_TIMEOUT)
                fake._serve(self.request)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self.stop()

    def serve(self, seconds: float) -> None:
        """Serves in the calling thread for at most `seconds` (the fake broker process)."""
        self._thread.start()
        self._stopped.wait(seconds)
        self.stop()

    def stop(self) -> None:
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()

    def _serve(self, sock: socket.socket) -> None:
        if self.behaviour == "close":
            return
        try:
            while not self._stopped.is_set():
                head = self._read(sock, 4)
                if head is None:
                    return
                request = self._read(sock, struct.unpack(">i", head)[0])
                if request is None:
                    return
                api_key, api_version, correlation_id = struct.unpack(">hhi", request[:8])
                self.requests.append((api_key, api_version))
                if self.behaviour == "silent":
                    self._stopped.wait(CONNECTION_TIMEOUT)
                    return
                if self.behaviour == "oversized":
                    sock.sendall(struct.pack(">i", 0x7FFFFFFF))
                    return
                if self.behaviour == "wrong-correlation":
                    correlation_id += 1
                if api_key == API_VERSIONS:
                    body = api_versions_body(self.metadata_versions, self.api_versions_error)
                elif api_key == API_METADATA:
                    body = metadata_body(self.brokers())
                else:
                    return
                reply = struct.pack(">i", correlation_id) + body
                sock.sendall(struct.pack(">i", len(reply)) + reply)
        except OSError:
            return

    @staticmethod
    def _read(sock: socket.socket, size: int):
        data = b""
        while len(data) < size:
            chunk = sock.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return data

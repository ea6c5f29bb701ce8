"""One named Kafka instance on disk and in the process table: its state folder
($DOMAIN_EVENTS_KAFKA_STATE/NAME), its nodes' pid files, and the JVMs they name.

A pid counts as node I of an instance only while that process is alive and its command line
holds both `kafka.Kafka` and the instance's node-I.properties, so a recycled pid (another
session's broker, anything else) is never signalled.
"""

import contextlib
import errno
import fcntl
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from settings import Failure, log

DATA_MARKER = ".domain-events-kafka"
POLL_SECONDS = 0.2
LAUNCH_TIMEOUT = 10
EXEC_WINDOW = 1.0


@contextlib.contextmanager
def file_lock(path: Path, timeout: float, holder: str):
    """An exclusive flock on `path`, waited for at most `timeout` seconds (polled, never blocking)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise Failure(f"cannot lock {path}: {e.strerror}") from None
            if time.monotonic() >= deadline:
                raise Failure(f"{holder} is in progress (waited {int(timeout)}s for {path})")
            time.sleep(POLL_SECONDS)
        yield


def port_open(port, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", int(port)), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def pick_ports(count: int) -> list:
    """`count` distinct free ports on 127.0.0.1, below the ephemeral range when it leaves room, so
    that no outgoing connection (the brokers' own included) takes one between picking and binding."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as f:
            ephemeral_low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768
    candidates = list(range(20000, ephemeral_low)) if ephemeral_low > 21000 else []
    random.shuffle(candidates)
    held, ports = [], []
    try:
        for port in candidates[:5000]:
            if len(ports) == count:
                break
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                sock.close()
                continue
            held.append(sock)
            ports.append(port)
        while len(ports) < count:  # fall back to ports the kernel assigns
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(sock)
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
    finally:
        for sock in held:
            sock.close()
    return ports


def _command_line(pid: int) -> str:
    """The command line of a live process, "" when it is gone or a zombie. It also reads empty
    while the process is inside exec (the kernel sets it late; a launcher that execs again, such
    as a wrapper script, passes through that window after start), so an empty read of a process
    that is neither gone nor a zombie is retried for up to EXEC_WINDOW seconds."""
    deadline = time.monotonic() + EXEC_WINDOW
    while True:
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open(f"/proc/{pid}/stat", "rb") as f:
                zombie = f.read().rpartition(b")")[2].split()[:1] == [b"Z"]
        except OSError:
            return ""
        if command or zombie or time.monotonic() >= deadline:
            return "" if zombie else command
        time.sleep(0.01)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


class Instance:
    def __init__(self, state_root: Path, name: str):
        self.name = name
        self.state_root = state_root
        self.state = state_root / name

    def path(self, file: str) -> Path:
        return self.state / file

    def node_file(self, i: int, suffix: str) -> Path:
        return self.state / f"node-{i}.{suffix}"

    def lock(self):
        return file_lock(self.state_root / f".{self.name}.lock", 60, f"another start/stop of instance '{self.name}'")

    def node_count(self) -> int:
        text = _read(self.path("nodes"))
        return int(text) if text.isdigit() else 0

    def port_of(self, i: int, kind: str) -> str:
        prefix = f"node{i}.{kind}="
        for line in _read(self.path("ports")).splitlines():
            if line.startswith(prefix):
                return line[len(prefix):]
        return ""

    def pid_is_node(self, pid: int, i: int) -> bool:
        command = _command_line(pid)
        return "kafka.Kafka" in command and str(self.node_file(i, "properties")) in command

    def recorded_pid(self, i: int):
        text = _read(self.node_file(i, "pid"))
        return int(text) if text.isdigit() else None

    def node_pid(self, i: int):
        """The pid of node i while it is alive and is this instance's broker, else None."""
        pid = self.recorded_pid(i)
        return pid if pid is not None and self.pid_is_node(pid, i) else None

    def any_alive(self) -> bool:
        return any(self.node_pid(i) is not None for i in range(1, self.node_count() + 1))

    def wait_gone(self, pid: int, i: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.pid_is_node(pid, i):
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)
        return True

    def launch(self, i: int, java_command: list) -> None:
        """Starts node i in a session of its own (no signal to the caller's process group reaches
        it), output appended to node-I.out, and records its exact pid."""
        pid_file = self.node_file(i, "pid")
        pid_file.unlink(missing_ok=True)
        with open(self.node_file(i, "out"), "ab") as out:
            process = subprocess.Popen(java_command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True, close_fds=True)
        partial = pid_file.with_suffix(".pid.tmp")
        partial.write_text(f"{process.pid}\n", encoding="ascii")
        partial.replace(pid_file)
        # Popen returns once exec has closed the close-on-exec descriptors, which the kernel does
        # before it sets the new command line: until then /proc/PID/cmdline reads empty, and the
        # node would look gone. Wait (bounded) until it reads as this node or the process ends.
        deadline = time.monotonic() + LAUNCH_TIMEOUT
        while not self.pid_is_node(process.pid, i) and process.poll() is None:
            if time.monotonic() >= deadline:
                raise Failure(f"node {i} (pid {process.pid}) did not show its command line in {LAUNCH_TIMEOUT}s")
            time.sleep(0.01)

    def print_log_tail(self, i: int, lines: int = 40) -> None:
        for path in (self.node_file(i, "log"), self.node_file(i, "out")):
            try:
                if path.stat().st_size == 0:
                    continue
                with open(path, "rb") as f:
                    f.seek(max(0, path.stat().st_size - 256 * 1024))
                    tail = f.read().decode("utf-8", "replace").splitlines()[-lines:]
            except OSError:
                continue
            log(f"---- last {lines} lines of {path} ----")
            print("\n".join(tail), file=sys.stderr, flush=True)

    def make_data_dir(self) -> Path:
        data = Path(tempfile.mkdtemp(prefix=f"domain-events-kafka-{self.name}."))
        (data / DATA_MARKER).touch()
        self.path("datadir").write_text(f"{data}\n", encoding="utf-8")
        return data

    def remove_data_dir(self) -> None:
        """Deletes only what start created: a folder carrying the marker file."""
        recorded = _read(self.path("datadir"))
        if recorded and Path(recorded).is_dir() and (Path(recorded) / DATA_MARKER).is_file():
            shutil.rmtree(recorded, ignore_errors=True)
        self.path("datadir").unlink(missing_ok=True)

    def stop(self, stop_timeout: float) -> None:
        """SIGTERM to every live node, SIGKILL to those still there after `stop_timeout`; then the
        data folder, pid files and env.sh are removed (logs and configuration stay)."""
        running = [(i, pid) for i in range(1, self.node_count() + 1) if (pid := self.node_pid(i)) is not None]
        if running:
            log(f"stopping instance '{self.name}' (pids {' '.join(str(pid) for _, pid in running)})")
            for _, pid in running:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + stop_timeout
            while any(self.pid_is_node(pid, i) for i, pid in running) and time.monotonic() < deadline:
                time.sleep(POLL_SECONDS)
            for i, pid in running:
                if self.pid_is_node(pid, i):
                    log(f"node {i} (pid {pid}) did not stop in {int(stop_timeout)}s; sending SIGKILL")
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                    if not self.wait_gone(pid, i, 10):
                        log(f"warning: pid {pid} still present")
        self.remove_data_dir()
        for pid_file in self.state.glob("node-*.pid"):
            pid_file.unlink(missing_ok=True)
        self.path("env.sh").unlink(missing_ok=True)

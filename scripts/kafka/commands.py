"""The commands of scripts/kafka.sh: start, stop, status, kill-node, restart-node, env, classpath.
Each returns its exit code or raises Failure / UsageError (settings.py)."""

import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid

from instance import Instance, pick_ports, port_open
from kafka_protocol import UnsupportedBroker, count_ready_brokers, parse_bootstrap
from maven_jars import ensure_libs, tools_log4j
from settings import Failure, UsageError, log, render, seconds_text

# Client-side JVM flags for the short-lived tool invocations (fast startup).
TOOL_JVM_FLAGS = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"]
FORMAT_TIMEOUT = 120
READY_POLL_SECONDS = 0.25
PROBE_TIMEOUT = 2.0


def _tool_command(settings, log4j, tool_class: str, *args) -> list:
    return ["java", *TOOL_JVM_FLAGS, f"-Dlog4j.configuration=file:{log4j}", "-cp", f"{settings.libs_dir}/*",
            tool_class, *args]


def _broker_command(settings, instance: Instance, i: int) -> list:
    return ["java", *settings.heap_flags(), "-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
            "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent", "-Djava.awt.headless=true",
            f"-Dlog4j.configuration=file:{instance.node_file(i, 'log4j.properties')}",
            f"-Dkafka.logs.dir={instance.state}", "-cp", f"{settings.libs_dir}/*", "kafka.Kafka",
            str(instance.node_file(i, "properties"))]


def new_cluster_id() -> str:
    """A KRaft cluster id as StorageTool random-uuid makes them: url-safe base64, not starting with '-'."""
    for _ in range(100):
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")
        if not text.startswith("-"):
            return text
    raise Failure("could not make a cluster id")


def server_properties(settings, name: str, i: int, nodes: int, data, voters: str, broker_port: int,
                      controller_port: int) -> str:
    text = render("server.properties", {
        "instance": name, "node": i, "nodes": nodes, "voters": voters, "broker_port": broker_port,
        "controller_port": controller_port, "data_dir": data, "replication_factor": 3 if nodes == 3 else 1,
        "min_insync_replicas": 2 if nodes == 3 else 1, "auto_create_topics": settings.auto_create_topics()})
    extra = settings.extra_server_properties()
    return text + (f"# from KAFKA_SERVER_PROPS\n{extra}\n" if extra else "")


def wait_ready(instance: Instance, watched: list, bootstrap: str, expected: int, timeout: float, during: str,
               not_ready: str) -> None:
    """Polls until `expected` brokers answer metadata and ApiVersions, failing at once when a
    watched node's process is gone and after `timeout` seconds otherwise."""
    addresses = parse_bootstrap(bootstrap)
    deadline = time.monotonic() + timeout
    seen = 0
    while True:
        for i in watched:
            if instance.node_pid(i) is None:
                instance.print_log_tail(i)
                raise Failure(f"node {i} of instance '{instance.name}' exited during {during}")
        left = deadline - time.monotonic()
        if left <= 0:
            for i in watched:
                instance.print_log_tail(i)
            raise Failure(f"{not_ready} not ready after {seconds_text(timeout)}s "
                          f"({seen}/{expected} brokers answered metadata)")
        try:
            seen = count_ready_brokers(addresses, min(PROBE_TIMEOUT, left))
        except UnsupportedBroker as e:
            raise Failure(f"{e}; scripts/kafka/kafka_protocol.py cannot probe this Kafka version") from None
        if seen >= expected:
            return
        time.sleep(min(READY_POLL_SECONDS, max(deadline - time.monotonic(), 0)))


def _format_storage(settings, instance: Instance, nodes: int, cluster_id: str, data, log4j) -> None:
    """Formats every node's storage with one cluster id, the nodes in parallel."""
    running = []
    for i in range(1, nodes + 1):
        with open(instance.node_file(i, "format.log"), "wb") as out:
            command = _tool_command(settings, log4j, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c",
                                    str(instance.node_file(i, "properties")))
            running.append((i, subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out,
                                                stderr=subprocess.STDOUT)))
    deadline = time.monotonic() + FORMAT_TIMEOUT
    failed = None
    for i, process in running:
        try:
            status = process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            status = f"timed out after {FORMAT_TIMEOUT}s"
        if status != 0 and failed is None:
            failed = (i, status if isinstance(status, str) else f"exit {status}")
    for i in range(1, nodes + 1):
        if failed is None and not _formatted(data / f"node-{i}" / "meta.properties", i, cluster_id):
            failed = (i, f"no meta.properties with node.id={i} and cluster.id={cluster_id} in {data / f'node-{i}'}")
    if failed is not None:
        i, status = failed
        log_path = instance.node_file(i, "format.log")
        print(log_path.read_text(encoding="utf-8", errors="replace"), file=sys.stderr, end="", flush=True)
        raise Failure(f"formatting storage of node {i} failed ({status}; log: {log_path})")


def _formatted(meta_properties, i: int, cluster_id: str) -> bool:
    try:
        lines = set(meta_properties.read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return False
    return f"node.id={i}" in lines and f"cluster.id={cluster_id}" in lines


def _launch_and_wait(settings, instance: Instance, name: str, nodes: int, log4j) -> str:
    data = instance.make_data_dir()
    instance.path("nodes").write_text(f"{nodes}\n", encoding="ascii")
    instance.path("version").write_text(f"{settings.kafka_version}\n", encoding="ascii")
    ports = pick_ports(2 * nodes)
    broker_ports, controller_ports = ports[0::2], ports[1::2]
    instance.path("ports").write_text("".join(
        f"node{i}.broker={b}\nnode{i}.controller={c}\n"
        for i, (b, c) in enumerate(zip(broker_ports, controller_ports), start=1)), encoding="ascii")
    voters = ",".join(f"{i}@127.0.0.1:{c}" for i, c in enumerate(controller_ports, start=1))
    bootstrap = ",".join(f"127.0.0.1:{b}" for b in broker_ports)
    for i in range(1, nodes + 1):
        instance.node_file(i, "properties").write_text(server_properties(
            settings, name, i, nodes, data, voters, broker_ports[i - 1], controller_ports[i - 1]), encoding="utf-8")
        instance.node_file(i, "log4j.properties").write_text(
            render("log4j.properties", {"log_file": instance.node_file(i, "log")}), encoding="utf-8")

    cluster_id = new_cluster_id()
    instance.path("cluster-id").write_text(f"{cluster_id}\n", encoding="ascii")
    log(f"formatting KRaft storage (cluster id {cluster_id}, {nodes} node(s)) in {data}")
    _format_storage(settings, instance, nodes, cluster_id, data, log4j)

    for i in range(1, nodes + 1):
        instance.launch(i, _broker_command(settings, instance, i))
    pids = " ".join(str(instance.recorded_pid(i)) for i in range(1, nodes + 1))
    timeout = settings.start_timeout()
    log(f"started {nodes} node(s): pids {pids} ; waiting for metadata (<= {seconds_text(timeout)}s)")
    wait_ready(instance, list(range(1, nodes + 1)), bootstrap, nodes, timeout, "startup", f"instance '{name}'")
    instance.path("env.sh").write_text(
        f"export KAFKA_BOOTSTRAP_SERVERS={bootstrap}\nexport KAFKA_VERSION={settings.kafka_version}\n", encoding="ascii")
    return bootstrap


def start(settings, name: str, nodes: int) -> int:
    settings.auto_create_topics()  # a wrong setting fails before anything starts
    settings.heap_flags()
    settings.start_timeout()
    ensure_libs(settings)
    log4j = tools_log4j(settings)
    instance = Instance(settings.state_root, name)
    settings.state_root.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with instance.lock():
        if instance.state.is_dir():
            if instance.any_alive():
                raise Failure(f"instance '{name}' is already running (see: kafka.sh status --name {name})")
            log(f"cleaning stale state of instance '{name}'")
            instance.remove_data_dir()
            shutil.rmtree(instance.state)
        instance.state.mkdir(parents=True)
        try:
            bootstrap = _launch_and_wait(settings, instance, name, nodes, log4j)
        except BaseException:
            # SIGINT/SIGTERM too: nothing of a failed start is left running.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            log(f"start failed; stopping what was started (logs kept in {instance.state})")
            instance.stop(settings.stop_timeout())
            raise
        log(f"instance '{name}' ready: {nodes} broker(s) in {int(time.monotonic() - started)}s; "
            f"logs in {instance.state}")
        print(f"KAFKA_BOOTSTRAP_SERVERS={bootstrap}")
        print(f"KAFKA_VERSION={settings.kafka_version}", flush=True)
    return 0


def stop(settings, name: str) -> int:
    instance = Instance(settings.state_root, name)
    if not instance.state.is_dir():
        log(f"instance '{name}' is not running")
        return 0
    with instance.lock():
        if not instance.any_alive():
            log(f"instance '{name}' is not running")
        instance.stop(settings.stop_timeout())
    log(f"instance '{name}' stopped")
    return 0


def status(settings, name: str) -> int:
    instance = Instance(settings.state_root, name)
    nodes = instance.node_count()
    if not instance.state.is_dir() or nodes == 0:
        print(f"instance {name}: not started")
        return 3
    version = (instance.path("version").read_text(encoding="utf-8").strip()
               if instance.path("version").is_file() else "?")
    print(f"instance {name}: {nodes} node(s), kafka {version}, state {instance.state}")
    up = 0
    for i in range(1, nodes + 1):
        broker, controller = instance.port_of(i, "broker"), instance.port_of(i, "controller")
        pid = instance.node_pid(i)
        if pid is None:
            recorded = instance.recorded_pid(i)
            print(f"node {i}: stopped pid {recorded if recorded is not None else '-'} broker 127.0.0.1:{broker} "
                  f"controller 127.0.0.1:{controller}")
        elif port_open(broker):
            print(f"node {i}: running pid {pid} broker 127.0.0.1:{broker} controller 127.0.0.1:{controller}")
            up += 1
        else:
            print(f"node {i}: starting pid {pid} broker 127.0.0.1:{broker} (not listening) "
                  f"controller 127.0.0.1:{controller}")
    return 0 if up == nodes else 3


def _started_node(instance: Instance, command: str, node: str) -> int:
    """The node number `node` names, once the instance is known to have been started."""
    nodes = instance.node_count()
    if not instance.state.is_dir() or nodes == 0:
        raise Failure(f"instance '{instance.name}' is not started")
    if not re.fullmatch(r"[0-9]{1,3}", node) or not 1 <= int(node) <= nodes:
        raise UsageError(f"{command}: node must be 1..{nodes}, got '{node}'")
    return int(node)


def kill_node(settings, name: str, node: str) -> int:
    instance = Instance(settings.state_root, name)
    i = _started_node(instance, "kill-node", node)
    pid = instance.node_pid(i)
    if pid is None:
        log(f"node {i} of instance '{name}' is not running")
        return 0
    log(f"killing node {i} (pid {pid}) with SIGKILL")
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    if not instance.wait_gone(pid, i, 30):
        raise Failure(f"node {i} (pid {pid}) still present after 30s")
    log(f"node {i} is gone")
    return 0


def restart_node(settings, name: str, node: str) -> int:
    instance = Instance(settings.state_root, name)
    if not instance.path("datadir").is_file():
        raise Failure(f"instance '{name}' is not started")
    i = _started_node(instance, "restart-node", node)
    timeout = settings.start_timeout()
    ensure_libs(settings)
    tools_log4j(settings)
    with instance.lock():
        if instance.node_pid(i) is not None:
            raise Failure(f"node {i} of instance '{name}' is already running")
        env_file = instance.path("env.sh")
        match = re.search(r"^export KAFKA_BOOTSTRAP_SERVERS=(\S+)$",
                          env_file.read_text(encoding="utf-8") if env_file.is_file() else "", re.MULTILINE)
        if match is None:
            raise Failure(f"no KAFKA_BOOTSTRAP_SERVERS in {env_file}: instance '{name}' never became ready")
        log(f"restarting node {i} of instance '{name}' on its kept data")
        instance.launch(i, _broker_command(settings, instance, i))
        wait_ready(instance, [i], match.group(1), instance.node_count(), timeout, "restart", f"node {i}")
    log(f"node {i} of instance '{name}' is back")
    return 0


def env(settings, name: str) -> int:
    env_file = Instance(settings.state_root, name).path("env.sh")
    try:
        text = env_file.read_text(encoding="utf-8")
    except OSError:
        raise Failure(f"instance '{name}' is not running (no {env_file})") from None
    print(text, end="", flush=True)
    return 0


def classpath(settings) -> int:
    print(f"{ensure_libs(settings)}/*", flush=True)
    return 0

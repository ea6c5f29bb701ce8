"""scripts/kafka.sh as its callers use it (scripts/test.sh, the chaos suite, the kafka tier): its
commands, printed lines and exit codes, run for real with a fake `java` (tests/scripts/fake_java.py)
first on PATH, so that no JVM starts and every broker is a fake on loopback. Standard library only."""

import hashlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.dont_write_bytecode = True  # nothing written into the source tree
HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SCRIPT = REPO / "scripts" / "kafka.sh"
sys.path.insert(0, str(REPO / "scripts" / "kafka"))

import maven_jars  # noqa: E402
import settings  # noqa: E402

COMMAND_TIMEOUT = 60
VERSION = "3.9.2"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


class CommandsTest(unittest.TestCase):
    def setUp(self):
        folder = tempfile.TemporaryDirectory(prefix="kafka-script-test.")
        self.addCleanup(folder.cleanup)
        self.root = Path(folder.name)
        fake_bin = self.root / "bin"
        fake_bin.mkdir()
        java = fake_bin / "java"
        java.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{HERE / "fake_java.py"}" "$@"\n', encoding="utf-8")
        java.chmod(0o755)
        # A complete jar cache as maven_jars.ensure_libs leaves it, so no Maven runs.
        cache = self.root / "cache" / VERSION
        (cache / "libs").mkdir(parents=True)
        pom = maven_jars.pom_text(VERSION)
        (cache / "pom.xml").write_text(pom, encoding="utf-8")
        (cache / ".fetched").write_text(hashlib.sha256(pom.encode()).hexdigest() + "\n", encoding="ascii")
        for jar in (f"kafka_{settings.SCALA_BINARY}-{VERSION}.jar", f"kafka-tools-{VERSION}.jar"):
            (cache / "libs" / jar).touch()
        self.state = self.root / "state"
        # The fake java first; then this interpreter, which the kafka.sh wrapper runs as python3.
        path = f"{fake_bin}:{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"
        self.env = dict(os.environ, PATH=path, TMPDIR=str(self.root),
                        DOMAIN_EVENTS_KAFKA_STATE=str(self.state), DOMAIN_EVENTS_KAFKA_CACHE=str(self.root / "cache"),
                        DOMAIN_EVENTS_KAFKA_VERSION=VERSION, KAFKA_START_TIMEOUT="20", KAFKA_STOP_TIMEOUT="5",
                        KAFKA_AUTO_CREATE_TOPICS="false")
        self.addCleanup(self.kill_leftovers)

    def kafka(self, *args, **extra_env):
        return subprocess.run([str(SCRIPT), *args], env=dict(self.env, **extra_env), capture_output=True, text=True,
                              timeout=COMMAND_TIMEOUT, check=False)

    def pids(self, name):
        return {int(p.read_text()) for p in (self.state / name).glob("node-*.pid")}

    def kill_leftovers(self):
        for pid_file in self.state.glob("*/node-*.pid"):
            try:
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
            except (OSError, ValueError):
                pass

    def wait_gone(self, pids):
        for _ in range(100):
            if not any(pid_alive(pid) for pid in pids):
                return True
            time.sleep(0.05)
        return False

    def test_usage_errors_exit_2_and_say_what_is_wrong(self):
        for args, message in ((["bogus"], "unknown command 'bogus'"),
                              (["start", "--nodes", "2"], "option '--nodes' must be 1 or 3, got '2'"),
                              (["stop", "--nodes", "3"], "option '--nodes' is only valid for 'start'"),
                              (["status", "--name", "a/b"], "invalid --name 'a/b'"),
                              (["kill-node"], "kill-node needs a node number (1-based)"),
                              (["status", "extra"], "unexpected argument 'extra' for 'status'"),
                              ([], "Usage: scripts/kafka.sh COMMAND")):
            with self.subTest(args=args):
                run = self.kafka(*args)
                self.assertEqual(run.returncode, 2)
                self.assertIn(message, run.stderr)
        self.assertEqual(self.kafka("--help").returncode, 0)

    def test_commands_on_an_instance_never_started(self):
        status = self.kafka("status", "--name", "none")
        self.assertEqual((status.returncode, status.stdout), (3, "instance none: not started\n"))
        self.assertEqual(self.kafka("stop", "--name", "none").returncode, 0)
        env = self.kafka("env", "--name", "none")
        self.assertEqual(env.returncode, 1)
        self.assertIn(f"no {self.state / 'none' / 'env.sh'}", env.stderr)
        self.assertEqual(self.kafka("kill-node", "1", "--name", "none").returncode, 1)
        self.assertEqual(self.kafka("restart-node", "1", "--name", "none").returncode, 1)

    def test_a_cluster_starts_loses_a_node_gets_it_back_and_stops(self):
        gitignore = (REPO / ".gitignore").read_bytes()
        start = self.kafka("start", "--nodes", "3", "--name", "c")
        self.assertEqual(start.returncode, 0, start.stderr)
        lines = start.stdout.splitlines()
        self.assertRegex(lines[0], r"^KAFKA_BOOTSTRAP_SERVERS=127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$")
        self.assertEqual(lines[1:], [f"KAFKA_VERSION={VERSION}"])
        env = self.kafka("env", "--name", "c")
        self.assertEqual(env.stdout, f"export {lines[0]}\nexport KAFKA_VERSION={VERSION}\n")
        self.assertIn("auto.create.topics.enable=false\n", (self.state / "c" / "node-1.properties").read_text())

        status = self.kafka("status", "--name", "c")
        self.assertEqual(status.returncode, 0, status.stdout)
        self.assertEqual(len(re.findall(r"^node \d: running pid \d+ broker 127\.0\.0\.1:\d+ controller", status.stdout,
                                        re.MULTILINE)), 3)

        node_2 = int((self.state / "c" / "node-2.pid").read_text())
        kill = self.kafka("kill-node", "2", "--name", "c")
        self.assertEqual(kill.returncode, 0, kill.stderr)
        self.assertFalse(pid_alive(node_2))
        status = self.kafka("status", "--name", "c")
        self.assertEqual(status.returncode, 3)
        self.assertIn(f"node 2: stopped pid {node_2} ", status.stdout)
        self.assertEqual(self.kafka("kill-node", "4", "--name", "c").returncode, 2)

        restart = self.kafka("restart-node", "2", "--name", "c")
        self.assertEqual(restart.returncode, 0, restart.stderr)
        self.assertEqual(self.kafka("status", "--name", "c").returncode, 0)
        self.assertEqual(self.kafka("restart-node", "2", "--name", "c").returncode, 1)  # already running

        again = self.kafka("start", "--name", "c")
        self.assertEqual(again.returncode, 1)
        self.assertIn("instance 'c' is already running", again.stderr)

        pids = self.pids("c")
        data = Path((self.state / "c" / "datadir").read_text().strip())
        stop = self.kafka("stop", "--name", "c")
        self.assertEqual(stop.returncode, 0, stop.stderr)
        self.assertTrue(self.wait_gone(pids))
        self.assertFalse(data.exists())
        self.assertEqual(self.kafka("status", "--name", "c").returncode, 3)
        self.assertEqual((REPO / ".gitignore").read_bytes(), gitignore)

    def test_a_node_that_dies_while_starting_fails_the_start_and_nothing_is_left_running(self):
        start = self.kafka("start", "--nodes", "3", "--name", "d", FAKE_KAFKA_EXIT_NODE="2")
        self.assertEqual(start.returncode, 1)
        self.assertEqual(start.stdout, "")
        self.assertIn("node 2 of instance 'd' exited during startup", start.stderr)
        self.assertIn("fake broker 2: exiting as FAKE_KAFKA_EXIT_NODE asks", start.stderr)  # its output, shown
        self.assertEqual(self.pids("d"), set())  # stop removed the pid files of what it stopped
        self.assertFalse(any(self.root.glob("domain-events-kafka-d.*")))  # nor the data

    def test_a_failed_format_fails_the_start_showing_the_tool_output_and_starts_no_broker(self):
        start = self.kafka("start", "--name", "f", FAKE_KAFKA_FORMAT_FAILS="1")
        self.assertEqual(start.returncode, 1)
        self.assertIn("fake StorageTool: failing as FAKE_KAFKA_FORMAT_FAILS asks", start.stderr)
        self.assertIn(f"formatting storage of node 1 failed (exit 1; log: {self.state / 'f' / 'node-1.format.log'})",
                      start.stderr)
        self.assertNotIn("started 1 node(s)", start.stderr)
        self.assertFalse(any(self.root.glob("domain-events-kafka-f.*")))


if __name__ == "__main__":
    unittest.main()

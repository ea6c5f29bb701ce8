"""scripts/kafka/ piece by piece: its templates, its settings, and its readiness probe against
fake brokers on loopback (tests/scripts/fake_kafka.py). Standard library only."""

import socket
import struct
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

sys.dont_write_bytecode = True  # nothing written into the source tree
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "scripts" / "kafka"))
sys.path.insert(0, str(HERE))

import commands  # noqa: E402
import kafka_protocol  # noqa: E402
import maven_jars  # noqa: E402
import settings  # noqa: E402
from fake_kafka import FakeKafka  # noqa: E402

PROBE_TIMEOUT = 0.5  # each exchange; a silent fake must not hold a test longer


def property_lines(text: str) -> dict:
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


class TemplateTest(unittest.TestCase):
    def test_the_pom_pins_the_kafka_version_and_the_scala_build(self):
        pom = maven_jars.pom_text("3.9.2")
        self.assertIn("<artifactId>kafka_2.13</artifactId>\n      <version>3.9.2</version>", pom)
        self.assertIn("<artifactId>kafka-tools</artifactId>\n      <version>3.9.2</version>", pom)
        self.assertIn("<artifactId>maven-dependency-plugin</artifactId>\n        <version>3.6.1</version>", pom)
        self.assertNotIn("$", pom)

    def test_three_nodes_replicate_three_ways_with_two_in_sync_and_know_every_voter(self):
        config = settings.Settings({"KAFKA_AUTO_CREATE_TOPICS": "false", "KAFKA_SERVER_PROPS": "log.retention.ms=1000"})
        text = commands.server_properties(config, "c", 2, 3, "/data", "1@127.0.0.1:1,2@127.0.0.1:2,3@127.0.0.1:3",
                                          9093, 2)
        lines = property_lines(text)
        self.assertEqual(lines["node.id"], "2")
        self.assertEqual(lines["controller.quorum.voters"], "1@127.0.0.1:1,2@127.0.0.1:2,3@127.0.0.1:3")
        self.assertEqual(lines["listeners"], "PLAINTEXT://127.0.0.1:9093,CONTROLLER://127.0.0.1:2")
        self.assertEqual(lines["log.dirs"], "/data/node-2")
        self.assertEqual(lines["default.replication.factor"], "3")
        self.assertEqual(lines["min.insync.replicas"], "2")
        self.assertEqual(lines["transaction.state.log.min.isr"], "2")
        self.assertEqual(lines["auto.create.topics.enable"], "false")
        self.assertTrue(text.endswith("# from KAFKA_SERVER_PROPS\nlog.retention.ms=1000\n"))

    def test_one_node_replicates_once_and_creates_topics_unless_told_not_to(self):
        lines = property_lines(commands.server_properties(settings.Settings({}), "s", 1, 1, "/d", "1@127.0.0.1:2",
                                                          1, 2))
        self.assertEqual((lines["default.replication.factor"], lines["min.insync.replicas"]), ("1", "1"))
        self.assertEqual(lines["auto.create.topics.enable"], "true")

    def test_the_broker_log4j_file_writes_to_the_node_log(self):
        lines = property_lines(settings.render("log4j.properties", {"log_file": "/state/node-1.log"}))
        self.assertEqual(lines["log4j.appender.file.File"], "/state/node-1.log")

    def test_a_placeholder_without_a_value_or_a_value_without_a_placeholder_names_the_template(self):
        with tempfile.TemporaryDirectory() as folder, mock.patch.object(settings, "TEMPLATE_DIR", Path(folder)):
            (Path(folder) / "t.properties").write_text("a=${alpha}\nb=${beta}\n", encoding="utf-8")
            with self.assertRaises(settings.Failure) as caught:
                settings.render("t.properties", {"alpha": 1, "gamma": 2})
            self.assertIn(str(Path(folder) / "t.properties"), str(caught.exception))
            self.assertIn("['beta']", str(caught.exception))
            self.assertIn("['gamma']", str(caught.exception))
            self.assertEqual(settings.render("t.properties", {"alpha": 1, "beta": "x"}), "a=1\nb=x\n")


class SettingsTest(unittest.TestCase):
    def test_each_wrong_setting_is_refused_naming_its_variable(self):
        cases = [({"KAFKA_AUTO_CREATE_TOPICS": "yes"}, "auto_create_topics", "KAFKA_AUTO_CREATE_TOPICS"),
                 ({"KAFKA_START_TIMEOUT": "soon"}, "start_timeout", "KAFKA_START_TIMEOUT"),
                 ({"KAFKA_STOP_TIMEOUT": "-1"}, "stop_timeout", "KAFKA_STOP_TIMEOUT"),
                 ({"KAFKA_HEAP": "lots"}, "heap_flags", "KAFKA_HEAP")]
        for env, method, variable in cases:
            with self.subTest(variable=variable), self.assertRaises(settings.Failure) as caught:
                getattr(settings.Settings(env), method)()
            self.assertIn(variable, str(caught.exception))
        with self.assertRaises(settings.Failure) as caught:
            settings.Settings({"DOMAIN_EVENTS_KAFKA_VERSION": "../3.9"})
        self.assertIn("DOMAIN_EVENTS_KAFKA_VERSION", str(caught.exception))

    def test_the_heap_is_a_size_or_the_flags_themselves(self):
        self.assertEqual(settings.Settings({}).heap_flags(), ["-Xmx512m", "-Xms512m"])
        self.assertEqual(settings.Settings({"KAFKA_HEAP": "384m"}).heap_flags(), ["-Xmx384m", "-Xms384m"])
        self.assertEqual(settings.Settings({"KAFKA_HEAP": "-Xmx1g -XX:+UseG1GC"}).heap_flags(),
                         ["-Xmx1g", "-XX:+UseG1GC"])

    def test_instance_names_cannot_leave_the_state_folder(self):
        for name in ("a/b", "..", ".", "", "x y"):
            with self.subTest(name=name), self.assertRaises(settings.UsageError):
                settings.check_instance_name(name)
        self.assertEqual(settings.check_instance_name("test-chaos-broker-42"), "test-chaos-broker-42")


class ProbeTest(unittest.TestCase):
    def test_requests_are_framed_as_the_protocol_says(self):
        self.assertEqual(kafka_protocol.encode_request(18, 0, 7, b""),
                         struct.pack(">ihhih", 18, 18, 0, 7, 8) + b"kafka.sh")

    def test_every_broker_the_metadata_lists_and_that_answers_is_counted(self):
        fakes = [FakeKafka(brokers=lambda: listed) for _ in range(3)]
        listed = [(i + 1, "127.0.0.1", fake.port) for i, fake in enumerate(fakes)]
        with fakes[0], fakes[1], fakes[2]:
            bootstrap = [("127.0.0.1", fakes[0].port)]
            self.assertEqual(kafka_protocol.count_ready_brokers(bootstrap, PROBE_TIMEOUT), 3)
            self.assertIn((3, 4), fakes[0].requests)  # Metadata v4
            self.assertIn((18, 0), fakes[2].requests)  # ApiVersions v0
            fakes[2].stop()
            self.assertEqual(kafka_protocol.count_ready_brokers(bootstrap, PROBE_TIMEOUT), 2)

    def test_the_next_bootstrap_broker_is_asked_when_the_first_does_not_answer(self):
        with FakeKafka() as live:
            self.assertEqual(kafka_protocol.count_ready_brokers([("127.0.0.1", unused_port()),
                                                                 ("127.0.0.1", live.port)], PROBE_TIMEOUT), 1)

    def test_a_broker_that_says_nothing_closes_lies_or_errs_counts_as_not_ready(self):
        for behaviour in ("silent", "close", "oversized", "wrong-correlation"):
            with self.subTest(behaviour=behaviour), FakeKafka(behaviour=behaviour) as fake:
                self.assertEqual(kafka_protocol.count_ready_brokers([("127.0.0.1", fake.port)], PROBE_TIMEOUT), 0)
        with FakeKafka(api_versions_error=35) as fake:
            self.assertEqual(kafka_protocol.count_ready_brokers([("127.0.0.1", fake.port)], PROBE_TIMEOUT), 0)

    def test_an_oversized_or_mismatched_reply_is_a_protocol_error_not_a_read_of_two_gigabytes(self):
        for behaviour, words in (("oversized", "outside 4.."), ("wrong-correlation", "correlation id")):
            with self.subTest(behaviour=behaviour), FakeKafka(behaviour=behaviour) as fake:
                with self.assertRaises(kafka_protocol.ProtocolError) as caught:
                    kafka_protocol.api_versions(("127.0.0.1", fake.port), PROBE_TIMEOUT)
                self.assertIn(words, str(caught.exception))

    def test_a_broker_refusing_metadata_v4_is_reported_rather_than_waited_for(self):
        with FakeKafka(metadata_versions=(5, 13)) as fake, self.assertRaises(kafka_protocol.UnsupportedBroker):
            kafka_protocol.count_ready_brokers([("127.0.0.1", fake.port)], PROBE_TIMEOUT)

    def test_bootstrap_lists_are_host_port_pairs(self):
        self.assertEqual(kafka_protocol.parse_bootstrap("127.0.0.1:1,127.0.0.1:2"),
                         [("127.0.0.1", 1), ("127.0.0.1", 2)])
        for wrong in ("127.0.0.1", "127.0.0.1:x", ":9092", "h:70000"):
            with self.subTest(wrong=wrong), self.assertRaises(ValueError):
                kafka_protocol.parse_bootstrap(wrong)


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    unittest.main()

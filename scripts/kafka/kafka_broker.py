#!/usr/bin/env python3
"""scripts/kafka.sh: runs a real Apache Kafka broker (KRaft, 1 or 3 nodes) on 127.0.0.1 from jars
Maven fetches from Maven Central. Command line and exit codes: see USAGE (`kafka.sh --help`)."""

import signal
import sys

import commands
from settings import PROG, Failure, Interrupted, Settings, UsageError, check_instance_name, log

USAGE = """\
Usage: scripts/kafka.sh COMMAND [OPTIONS]

Runs Apache Kafka {version} (KRaft, broker+controller per node) on 127.0.0.1
from jars fetched by Maven into {libs}/.

Commands:
  start [--nodes 1|3] [--name NAME]  start an instance (default: 1 node, name 'default');
                                     prints KAFKA_BOOTSTRAP_SERVERS=... and
                                     KAFKA_VERSION=... on stdout once every broker
                                     answers metadata requests
  stop [--name NAME]                 stop the instance (SIGTERM, then SIGKILL after
                                     {stop_timeout}s) and delete its data; exit 0 if not running
  status [--name NAME]               show each node; exit 0 if all nodes are up, 3 otherwise
  kill-node I [--name NAME]          SIGKILL node I (1-based) and wait until it is gone
  restart-node I [--name NAME]       start node I again on its kept data (after kill-node)
                                     and wait until every node answers metadata requests
  env [--name NAME]                  print the instance's env.sh (export lines)
  classpath                          fetch the jars if needed and print the java
                                     classpath ('<libs>/*') for the Kafka tool classes
  help, --help, -h                   this text

Readiness: every broker is listed by a Metadata request and answers ApiVersions,
both sent over the Kafka protocol by this program (scripts/kafka/kafka_protocol.py).
Templates of the POM, server.properties and log4j files: scripts/kafka/templates/.

Environment:
  DOMAIN_EVENTS_KAFKA_STATE   state root (default: <repo>/.cache/kafka/run); an
                              instance lives in $DOMAIN_EVENTS_KAFKA_STATE/NAME/
  DOMAIN_EVENTS_KAFKA_CACHE   jar cache root (default: <repo>/.cache/kafka); the jars
                              of version V live in $DOMAIN_EVENTS_KAFKA_CACHE/V/libs/
  KAFKA_AUTO_CREATE_TOPICS    true (default) or false -> auto.create.topics.enable
  KAFKA_HEAP                  broker heap: a size (e.g. 1g) or JVM flags
                              (default: -Xmx512m -Xms512m)
  KAFKA_SERVER_PROPS          extra server.properties lines appended to every node
  KAFKA_START_TIMEOUT         readiness wait in seconds (default 90)
  KAFKA_STOP_TIMEOUT          graceful stop wait in seconds (default 30)
  DOMAIN_EVENTS_KAFKA_VERSION Kafka version to fetch (default {version})

Exit codes: 0 ok, 1 failure, 2 usage error, 3 (status) not all nodes up, 130 interrupted.
"""

COMMANDS = ("start", "stop", "status", "kill-node", "restart-node", "env", "classpath")


def _usage(settings) -> str:
    return USAGE.format(version=settings.kafka_version, libs=settings.libs_dir,
                        stop_timeout=settings.stop_timeout_text())


class Arguments:
    def __init__(self, command: str):
        self.command, self.name, self.nodes, self.node, self.help = command, "default", 1, None, False


def parse(argv: list) -> Arguments:
    """The command line as the bash script read it: options in any order after the command."""
    command, rest = argv[0], list(argv[1:])
    if command in ("-h", "--help", "help"):
        args = Arguments(command)
        args.help = True
        return args
    if command not in COMMANDS:
        raise UsageError(f"unknown command '{command}'")
    args = Arguments(command)
    while rest:
        word = rest.pop(0)
        if word in ("-h", "--help"):
            args.help = True
            return args
        if word == "--name" or word.startswith("--name="):
            args.name = _option_value(word, rest, "--name")
        elif word == "--nodes" or word.startswith("--nodes="):
            if command != "start":
                raise UsageError("option '--nodes' is only valid for 'start'")
            value = _option_value(word, rest, "--nodes")
            if value not in ("1", "3"):
                raise UsageError(f"option '--nodes' must be 1 or 3, got '{value}'")
            args.nodes = int(value)
        elif word.startswith("-"):
            raise UsageError(f"unknown option '{word}' for '{command}'")
        elif command in ("kill-node", "restart-node") and args.node is None:
            args.node = word
        else:
            raise UsageError(f"unexpected argument '{word}' for '{command}'")
    if command in ("kill-node", "restart-node") and args.node is None:
        raise UsageError(f"{command} needs a node number (1-based)")
    return args


def _option_value(word: str, rest: list, option: str) -> str:
    if word.startswith(option + "="):
        return word[len(option) + 1:]
    if not rest:
        raise UsageError(f"option '{option}' needs a value")
    return rest.pop(0)


def run(argv: list) -> int:
    settings = Settings()
    if not argv:
        print(_usage(settings), end="", file=sys.stderr)
        return 2
    args = parse(argv)
    if args.help:
        print(_usage(settings), end="")
        return 0
    if args.command == "classpath":
        return commands.classpath(settings)
    name = check_instance_name(args.name)
    if args.command == "start":
        return commands.start(settings, name, args.nodes)
    if args.command in ("kill-node", "restart-node"):
        return getattr(commands, args.command.replace("-", "_"))(settings, name, args.node)
    return getattr(commands, args.command)(settings, name)


def _interrupted(signum, _frame):
    raise Interrupted(f"interrupted by signal {signum}")


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        return run(sys.argv[1:])
    except UsageError as e:
        log(str(e))
        log(f"try '{PROG} --help'")
        return e.exit_code
    except (Failure, Interrupted) as e:
        log(f"error: {e}")
        return e.exit_code
    except OSError as e:  # a state or cache file that cannot be written or read: the message names it
        log(f"error: {e}")
        return Failure.exit_code
    except KeyboardInterrupt:
        log("error: interrupted")
        return Interrupted.exit_code


if __name__ == "__main__":
    sys.exit(main())

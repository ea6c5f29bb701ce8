"""What scripts/kafka.sh runs with: pinned versions, its folders, the environment it reads, its
templates, and how it reports (lines on stderr, exit codes)."""

import os
import re
import string
import sys
from pathlib import Path

PROG = "kafka.sh"
DEFAULT_KAFKA_VERSION = "3.9.2"
SCALA_BINARY = "2.13"
SLF4J_VERSION = "1.7.36"  # matches slf4j-api used by kafka 3.9.x
RELOAD4J_VERSION = "1.2.25"  # what the kafka 3.9.x distribution ships
DEPENDENCY_PLUGIN_VERSION = "3.6.1"

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
REPO_ROOT = Path(__file__).resolve().parent.parent.parent

_NAME = re.compile(r"[A-Za-z0-9._-]+")
_VERSION = re.compile(r"[A-Za-z0-9._+-]{1,40}")
_MAX_SECONDS = 24 * 3600.0


class Failure(Exception):
    """The command failed (exit 1); the message says what and where."""

    exit_code = 1


class UsageError(Exception):
    """The command line is wrong (exit 2)."""

    exit_code = 2


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived (exit 130)."""

    exit_code = 130


def log(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def seconds_text(value: float) -> str:
    """90 for 90.0, 2.5 for 2.5: how the usage and messages print a timeout."""
    return str(int(value)) if value == int(value) else str(value)


def _seconds(env, name: str, default: float) -> float:
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= _MAX_SECONDS:
        raise Failure(f"{name} must be a number of seconds in (0, {int(_MAX_SECONDS)}], got '{raw}'")
    return value


def _directory(env, name: str, default: Path) -> Path:
    raw = env.get(name, "")
    return Path(raw).absolute() if raw else default


class Settings:
    """The environment, read once; each value is checked where a command first needs it, so that
    e.g. a bad KAFKA_HEAP does not stop `stop` from stopping."""

    def __init__(self, env=None):
        self._env = dict(os.environ if env is None else env)
        self.kafka_version = self._env.get("DOMAIN_EVENTS_KAFKA_VERSION", "") or DEFAULT_KAFKA_VERSION
        if not _VERSION.fullmatch(self.kafka_version):
            raise Failure(f"DOMAIN_EVENTS_KAFKA_VERSION must be a version such as 3.9.2, got '{self.kafka_version}'")
        cache_root = _directory(self._env, "DOMAIN_EVENTS_KAFKA_CACHE", REPO_ROOT / ".cache" / "kafka")
        self.cache_dir = cache_root / self.kafka_version
        self.libs_dir = self.cache_dir / "libs"
        self.state_root = _directory(self._env, "DOMAIN_EVENTS_KAFKA_STATE", REPO_ROOT / ".cache" / "kafka" / "run")

    def start_timeout(self) -> float:
        return _seconds(self._env, "KAFKA_START_TIMEOUT", 90.0)

    def stop_timeout(self) -> float:
        return _seconds(self._env, "KAFKA_STOP_TIMEOUT", 30.0)

    def stop_timeout_text(self) -> str:
        """For the usage text, which must print even when the variable is wrong."""
        try:
            return seconds_text(self.stop_timeout())
        except Failure:
            return self._env.get("KAFKA_STOP_TIMEOUT", "")

    def auto_create_topics(self) -> str:
        value = self._env.get("KAFKA_AUTO_CREATE_TOPICS", "") or "true"
        if value not in ("true", "false"):
            raise Failure(f"KAFKA_AUTO_CREATE_TOPICS must be true or false (got '{value}')")
        return value

    def heap_flags(self) -> list:
        """KAFKA_HEAP: empty for 512 MiB, a size such as 1g, or the JVM flags themselves."""
        value = self._env.get("KAFKA_HEAP", "").strip()
        if value == "":
            return ["-Xmx512m", "-Xms512m"]
        if value.startswith("-"):
            return value.split()
        if not re.fullmatch(r"[0-9]+[kKmMgG]?", value):
            raise Failure(f"KAFKA_HEAP must be a size such as 512m or JVM flags starting with '-', got '{value}'")
        return [f"-Xmx{value}", f"-Xms{value}"]

    def extra_server_properties(self) -> str:
        return self._env.get("KAFKA_SERVER_PROPS", "")


def check_instance_name(name: str) -> str:
    if not _NAME.fullmatch(name) or name in (".", ".."):
        raise UsageError(f"invalid --name '{name}' (allowed: letters, digits, . _ -)")
    return name


def render(template: str, values: dict) -> str:
    """templates/<template> with each ${placeholder} replaced; a placeholder without a value, or a
    value without a placeholder, is an error naming the template (the two have drifted apart)."""
    path = TEMPLATE_DIR / template
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise Failure(f"cannot read template {path}: {e.strerror}") from None
    parsed = string.Template(text)
    names = set()
    for match in parsed.pattern.finditer(text):
        if match.group("invalid") is not None:
            raise Failure(f"template {path} has a '$' that is not a ${{placeholder}}")
        if match.group("named") or match.group("braced"):
            names.add(match.group("named") or match.group("braced"))
    missing, unused = sorted(names - values.keys()), sorted(values.keys() - names)
    if missing or unused:
        raise Failure(f"template {path}: placeholders without a value {missing}, values without a placeholder {unused}")
    return parsed.substitute({key: str(value) for key, value in values.items()})

"""The broker's and tools' jars: fetched once by Maven (templates/pom.xml, maven-dependency-plugin's
copy-dependencies) into <cache>/<version>/libs, with Java and Maven from Debian when missing.

The fetch is complete when `.fetched` holds the sha256 of the pom.xml it was made from and the
two main jars are there; a changed template or version therefore fetches again.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from instance import file_lock
from settings import (DEPENDENCY_PLUGIN_VERSION, RELOAD4J_VERSION, SCALA_BINARY, SLF4J_VERSION, TEMPLATE_DIR, Failure,
                      log, render)

APT_TIMEOUT = 900
MAVEN_TIMEOUT = 900
FETCH_LOCK_TIMEOUT = 600


def _run_to_stderr(command: list, timeout: float, what: str, cwd=None) -> None:
    try:
        status = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=sys.stderr, cwd=cwd, timeout=timeout,
                                check=False).returncode
    except subprocess.TimeoutExpired:
        raise Failure(f"{what} did not finish in {timeout}s") from None
    except OSError as e:
        raise Failure(f"{what}: cannot run {command[0]}: {e.strerror}") from None
    if status != 0:
        raise Failure(f"{what} failed (exit {status})")


def apt_install(packages: list) -> None:
    sudo = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            raise Failure(f"need root or sudo to install: {' '.join(packages)}")
        sudo = ["sudo"]
    apt = sudo + ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]
    log("apt-get update")
    _run_to_stderr(apt + ["update", "-qq"], APT_TIMEOUT, "apt-get update")
    log(f"apt-get install -y {' '.join(packages)}")
    _run_to_stderr(apt + ["install", "-y", "-qq"] + packages, APT_TIMEOUT, f"apt-get install {' '.join(packages)}")


def ensure_java() -> None:
    if shutil.which("java") is None:
        apt_install(["openjdk-17-jre-headless"])


def ensure_maven() -> None:
    ensure_java()
    if shutil.which("mvn") is None:
        apt_install(["openjdk-17-jre-headless", "maven"])


def pom_text(kafka_version: str) -> str:
    return render("pom.xml", {"kafka_version": kafka_version, "scala_binary": SCALA_BINARY,
                              "slf4j_version": SLF4J_VERSION, "reload4j_version": RELOAD4J_VERSION,
                              "dependency_plugin_version": DEPENDENCY_PLUGIN_VERSION})


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def libs_complete(cache_dir: Path, kafka_version: str, pom: str) -> bool:
    libs = cache_dir / "libs"
    try:
        fetched = (cache_dir / ".fetched").read_text(encoding="ascii").strip()
        current = (cache_dir / "pom.xml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return (current == pom and fetched == _sha256(pom)
            and (libs / f"kafka_{SCALA_BINARY}-{kafka_version}.jar").is_file()
            and (libs / f"kafka-tools-{kafka_version}.jar").is_file())


def ensure_libs(settings) -> Path:
    """The folder of jars for settings.kafka_version, fetched first if needed; returns it."""
    ensure_java()
    cache, libs, version = settings.cache_dir, settings.libs_dir, settings.kafka_version
    pom = pom_text(version)
    if libs_complete(cache, version, pom):
        return libs
    # Serialise concurrent fetches (e.g. two instances started in parallel).
    with file_lock(cache / ".lock", FETCH_LOCK_TIMEOUT, f"another fetch of {cache}"):
        if libs_complete(cache, version, pom):
            return libs
        ensure_maven()
        (cache / "pom.xml").write_text(pom, encoding="utf-8")
        (cache / ".fetched").unlink(missing_ok=True)
        staging = libs.with_name("libs.tmp")
        shutil.rmtree(libs, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
        log(f"fetching Kafka {version} jars with Maven into {libs} ...")
        started = time.monotonic()
        try:
            _run_to_stderr(["mvn", "-q", "-B", "-f", "pom.xml",
                            f"org.apache.maven.plugins:maven-dependency-plugin:{DEPENDENCY_PLUGIN_VERSION}:copy-dependencies",
                            "-DincludeScope=runtime", f"-DoutputDirectory={staging}"],
                           MAVEN_TIMEOUT, f"Maven fetching the Kafka {version} jars ({cache / 'pom.xml'})", cwd=cache)
        except Failure:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        staging.rename(libs)
        (cache / ".fetched").write_text(_sha256(pom) + "\n", encoding="ascii")
        log(f"fetched {len(list(libs.glob('*.jar')))} jars in {int(time.monotonic() - started)}s")
    return libs


def tools_log4j(settings) -> Path:
    """The log4j configuration of the short-lived tool JVMs (warnings only, on stderr)."""
    target = settings.cache_dir / "tools-log4j.properties"
    text = (TEMPLATE_DIR / "tools-log4j.properties").read_text(encoding="utf-8")
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return target

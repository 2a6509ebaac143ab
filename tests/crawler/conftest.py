"""Crawler test fixtures: the sample site in-process, `scrapy crawl medqa` as a real subprocess,
and a real redis-server on loopback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from crawler.samplesite import SampleSite, serve
from tests.conftest import REPO_ROOT, free_port

SCRAPY = str(Path(sys.executable).with_name("scrapy"))


@dataclass
class CrawlRun:
    """One finished (or killed) `scrapy crawl medqa` process and what it left behind."""

    returncode: int
    log: str
    feed: Path
    summary: dict = field(default_factory=dict)

    def records(self) -> list[dict]:
        if not self.feed.exists():
            return []
        text = self.feed.read_text(encoding="utf-8")
        assert text == "" or text.endswith("\n"), f"{self.feed} ends with a torn line"
        return [json.loads(line) for line in text.splitlines()]

    def keys(self) -> list[tuple[str, str]]:
        return [(r["source"], r["qid"]) for r in self.records()]


class Crawler:
    """Builds and runs `scrapy crawl medqa` commands against one sample site and work folder."""

    def __init__(self, site: SampleSite, workdir: Path) -> None:
        self.site, self.workdir = site, workdir
        self.seen = workdir / "seen.sqlite"
        self.runs = 0

    def command(self, *args: str, fast: bool = True, **settings) -> tuple[list[str], Path, Path]:
        self.runs += 1
        name = f"run{self.runs}"
        feed, stats = self.workdir / f"{name}.jsonl", self.workdir / f"{name}.stats.json"
        values = {
            "MEDQA_FEED": str(feed),
            "MEDQA_STATS_FILE": str(stats),
            "MEDQA_SEEN_STORE": str(self.seen),
            "LOG_FILE": str(self.workdir / f"{name}.log"),
            "MEDQA_FAST_LOCAL": "1" if fast else "0",
            **{k: str(v) for k, v in settings.items()},
        }
        values = {k: v for k, v in values.items() if v != "None"}  # None: the spider's default
        cmd = [SCRAPY, "crawl", "medqa", "-a", f"base_url={self.site.url}", *args]
        for key, value in values.items():
            cmd += ["-s", f"{key}={value}"]
        return cmd, feed, stats

    def start(
        self, *args: str, fast: bool = True, **settings
    ) -> tuple[subprocess.Popen, Path, Path]:
        cmd, feed, stats = self.command(*args, fast=fast, **settings)
        return subprocess.Popen(cmd, cwd=REPO_ROOT), feed, stats

    def finish(
        self, process: subprocess.Popen, feed: Path, stats: Path, timeout: float = 120
    ) -> CrawlRun:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        log_path = feed.with_suffix(".log")
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
        summary = json.loads(stats.read_text(encoding="utf-8")) if stats.exists() else {}
        if summary.get("feed"):  # -o/-O put it elsewhere
            feed = Path(summary["feed"])
        return CrawlRun(process.returncode, log, feed, summary)

    def run(self, *args: str, fast: bool = True, timeout: float = 120, **settings) -> CrawlRun:
        """Run a crawl to the end; fail with its log if it crashed."""
        run = self.finish(*self.start(*args, fast=fast, **settings), timeout=timeout)
        assert run.returncode == 0, run.log[-4000:]
        assert "Traceback" not in run.log, run.log[-4000:]
        return run


def wait_for_lines(path: Path, count: int, process: subprocess.Popen, timeout: float = 60) -> None:
    """Block until ``path`` has ``count`` complete lines (or the process ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists() and path.read_bytes().count(b"\n") >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"{path} did not reach {count} lines (process rc={process.poll()})")


@pytest.fixture
def sample_site():
    """A fresh sample site (no robots Crawl-delay; fault counters at zero)."""
    site = serve(0, crawl_delay=0)
    yield site
    site.stop()


@pytest.fixture
def crawler(sample_site, tmp_path) -> Crawler:
    return Crawler(sample_site, tmp_path)


@pytest.fixture(scope="module")
def module_site():
    site = serve(0, crawl_delay=0)
    yield site
    site.stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real redis-server on 127.0.0.1 (Debian package `redis-server`), no persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install -y redis-server)")
    import redis

    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)
    yield url
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)

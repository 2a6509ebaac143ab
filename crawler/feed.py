"""The run's JSON Lines feed: one UTF-8 file per run, each record written whole.

Scrapy's own feed exporter buffers output, so a killed crawl can lose exported items or leave half
a line. This writer appends each record with a single ``os.write`` on an ``O_APPEND`` descriptor:
after SIGTERM or SIGKILL the file holds only whole lines, and every line it holds is on disk
as far as the process is concerned (``fsync`` on close covers power loss for finished runs).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

from medqa.io import dumps_line

DEFAULT_FEED = "data/raw/%(site)s-%(time)s.jsonl"
FEED_PARAMS = ("site", "time", "name", "worker")
_PARAM = re.compile(r"%\((\w+)\)s")


def feed_path(template: str, params: dict[str, str]) -> Path:
    """Fill ``%(site)s``, ``%(time)s``, ``%(name)s``, ``%(worker)s`` … in a feed path template."""
    missing = sorted(set(_PARAM.findall(template)) - set(params))
    if missing:
        raise ValueError(
            f"feed path {template!r} uses unknown parameter(s) {missing}; known: {sorted(params)}"
        )
    if template.startswith("file://"):
        template = template[len("file://") :]
    return Path(template % params)


def run_params(sites: list[str], spider_name: str, worker: str) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "site": "+".join(sites),
        "time": now.strftime("%Y-%m-%dT%H-%M-%S"),
        "name": spider_name,
        "worker": worker,
    }


class FeedFile:
    """An append-only JSON Lines file written one whole record per system call."""

    def __init__(self, path: Path, overwrite: bool = False, encoding: str = "utf-8") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        if overwrite:
            flags |= os.O_TRUNC
        self.path, self.encoding = path, encoding
        self.count = 0
        self._fd: int | None = os.open(path, flags, 0o644)

    @classmethod
    def create_new(cls, path: Path, encoding: str = "utf-8") -> FeedFile:
        """Open a file that did not exist: ``name.jsonl``, else ``name-1.jsonl``, ``name-2.jsonl``…"""
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate, n = path, 0
        while True:
            try:
                os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
                return cls(candidate, encoding=encoding)
            except FileExistsError:
                n += 1
                candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")

    def write(self, record: dict) -> None:
        data = dumps_line(record).encode(self.encoding)
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self.count += 1

    def close(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None

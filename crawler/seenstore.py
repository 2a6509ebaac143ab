"""The persistent seen-store: which (source, qid) pairs earlier runs already exported.

Two backends, chosen by the ``MEDQA_SEEN_STORE`` setting:

* a SQLite file (default ``data/raw/.medqa-seen.sqlite``; WAL journal, one row per question),
  shared safely by several processes on one machine;
* ``redis`` — a set per source in the Redis that distributed mode already uses
  (``REDIS_URL``), shared by workers on many machines.

The feed writer marks a question seen *after* its line is written. A run that is killed between
the two leaves a written-but-unmarked line; so every run registers its feed file, and the next
run re-reads the feeds of runs that died (their process is gone) and marks what they wrote.
Memory: nothing is cached in the process; each check is one indexed lookup.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

HOST = socket.gethostname()


class SeenStore(Protocol):
    """What the spider and pipelines need from a seen-store."""

    location: str

    def contains(self, source: str, qid: str) -> bool: ...
    def add(self, source: str, qid: str) -> None: ...
    def add_many(self, keys: list[tuple[str, str]]) -> None: ...
    def begin_run(self, feed: str) -> None: ...
    def end_run(self, feed: str) -> None: ...
    def dead_runs(self) -> list[str]: ...
    def forget_run(self, feed: str) -> None: ...
    def close(self) -> None: ...


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SqliteSeenStore:
    """A seen-store in one SQLite file."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS seen (source TEXT NOT NULL, qid TEXT NOT NULL,"
            " seen_at REAL NOT NULL, PRIMARY KEY (source, qid)) WITHOUT ROWID"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS runs (feed TEXT PRIMARY KEY, host TEXT NOT NULL,"
            " pid INTEGER NOT NULL, started REAL NOT NULL)"
        )

    def contains(self, source: str, qid: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM seen WHERE source = ? AND qid = ?", (source, qid)
        ).fetchone()
        return row is not None

    def add(self, source: str, qid: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", (source, qid, time.time()))

    def add_many(self, keys: list[tuple[str, str]]) -> None:
        now = time.time()
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", [(s, q, now) for s, q in keys]
            )

    def begin_run(self, feed: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?)",
            (feed, HOST, os.getpid(), time.time()),
        )

    def end_run(self, feed: str) -> None:
        self._db.execute("DELETE FROM runs WHERE feed = ?", (feed,))

    forget_run = end_run

    def dead_runs(self) -> list[str]:
        """Feeds of runs on this host whose process no longer exists."""
        rows = self._db.execute("SELECT feed, host, pid FROM runs").fetchall()
        return [feed for feed, host, pid in rows if host == HOST and not pid_alive(pid)]

    def count(self, source: str | None = None) -> int:
        if source is None:
            return self._db.execute("SELECT COUNT(*) FROM seen").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM seen WHERE source = ?", (source,)).fetchone()[
            0
        ]

    def close(self) -> None:
        self._db.close()


class RedisSeenStore:
    """A seen-store in Redis: one set per source, one hash of running feeds."""

    def __init__(self, server, prefix: str = "medqa") -> None:
        self.server = server
        self.prefix = prefix
        self.location = f"redis:{prefix}:seen:*"
        self._runs = f"{prefix}:runs"

    def _key(self, source: str) -> str:
        return f"{self.prefix}:seen:{source}"

    def contains(self, source: str, qid: str) -> bool:
        return bool(self.server.sismember(self._key(source), qid))

    def add(self, source: str, qid: str) -> None:
        self.server.sadd(self._key(source), qid)

    def add_many(self, keys: list[tuple[str, str]]) -> None:
        with self.server.pipeline() as pipe:
            for source, qid in keys:
                pipe.sadd(self._key(source), qid)
            pipe.execute()

    def begin_run(self, feed: str) -> None:
        self.server.hset(self._runs, feed, json.dumps({"host": HOST, "pid": os.getpid()}))

    def end_run(self, feed: str) -> None:
        self.server.hdel(self._runs, feed)

    forget_run = end_run

    def dead_runs(self) -> list[str]:
        dead = []
        for feed, raw in self.server.hgetall(self._runs).items():
            info = json.loads(raw)
            feed = feed.decode() if isinstance(feed, bytes) else feed
            if info["host"] == HOST and not pid_alive(int(info["pid"])):
                dead.append(feed)
        return dead

    def close(self) -> None:
        pass


def feed_keys(path: str | os.PathLike) -> Iterator[tuple[str, str]]:
    """(source, qid) of every complete line of a feed file (a torn last line is skipped)."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                break
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and "source" in record and "qid" in record:
                yield str(record["source"]), str(record["qid"])


def trim_torn_tail(path: str | os.PathLike, chunk: int = 65536) -> int:
    """Cut a last line that has no newline (a write interrupted by a crash); return bytes cut."""
    with open(path, "rb+") as handle:
        size = handle.seek(0, os.SEEK_END)
        end = size
        while end > 0:
            start = max(0, end - chunk)
            handle.seek(start)
            block = handle.read(end - start)
            if end == size and block.endswith(b"\n"):
                return 0
            cut = block.rfind(b"\n")
            if cut >= 0:
                handle.truncate(start + cut + 1)
                return size - (start + cut + 1)
            end = start
        handle.truncate(0)
        return size


def recover_dead_runs(store: SeenStore) -> dict[str, int]:
    """Mark what killed runs wrote before they could mark it; returns {feed: lines recovered}."""
    recovered = {}
    for feed in store.dead_runs():
        if Path(feed).is_file():
            trim_torn_tail(feed)
            keys = list(feed_keys(feed))
            store.add_many(keys)
            recovered[feed] = len(keys)
        store.forget_run(feed)
    return recovered


def open_store(spec: str, settings=None) -> SeenStore | None:
    """``spec``: a SQLite path, ``redis`` (uses ``REDIS_URL``/``REDIS_PARAMS`` settings), or an
    empty string / ``none`` for no cross-run memory."""
    if not spec or spec.lower() == "none":
        return None
    if spec.lower() == "redis":
        from scrapy_redis import connection

        return RedisSeenStore(
            connection.from_settings(settings), settings.get("MEDQA_REDIS_PREFIX", "medqa")
        )
    return SqliteSeenStore(spec)

"""The seen-store (SQLite and Redis) with crash recovery, and the line-at-a-time feed file."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from crawler.feed import FeedFile, feed_path
from crawler.seenstore import RedisSeenStore, SqliteSeenStore, recover_dead_runs, trim_torn_tail


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_sqlite_store_remembers_across_processes(tmp_path):
    store = SqliteSeenStore(tmp_path / "seen.sqlite")
    store.add("xywy", "1")
    store.add("xywy", "1")
    store.close()
    again = SqliteSeenStore(tmp_path / "seen.sqlite")
    assert again.contains("xywy", "1")
    assert not again.contains("120ask", "1")
    assert again.count() == 1


def write_feed(path, qids, torn: bool) -> None:
    lines = "".join(json.dumps({"source": "xywy", "qid": q}) + "\n" for q in qids)
    path.write_text(lines + ('{"source": "xywy", "qid": "tor' if torn else ""), encoding="utf-8")


def test_a_killed_runs_feed_is_trimmed_and_marked(tmp_path):
    store = SqliteSeenStore(tmp_path / "seen.sqlite")
    killed, alive = tmp_path / "killed.jsonl", tmp_path / "alive.jsonl"
    write_feed(killed, ["1", "2"], torn=True)
    write_feed(alive, ["3"], torn=False)
    store.begin_run(str(alive))  # this process: alive
    store._db.execute("UPDATE runs SET pid = ? WHERE feed = ?", (dead_pid(), str(alive)))
    store.begin_run(str(killed))
    store._db.execute("UPDATE runs SET pid = ? WHERE feed = ?", (dead_pid(), str(killed)))
    store.begin_run(str(tmp_path / "running.jsonl"))
    assert recover_dead_runs(store) == {str(alive): 1, str(killed): 2}
    assert killed.read_text().endswith('"2"}\n')
    assert all(store.contains("xywy", q) for q in "123")
    assert not store.contains("xywy", "tor")
    assert store.dead_runs() == []  # the live run (this process) is left alone


def test_trim_torn_tail_handles_long_lines(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"a" * 100 + b"\n" + b"b" * 200_000)
    assert trim_torn_tail(path, chunk=4096) == 200_000
    assert path.read_bytes() == b"a" * 100 + b"\n"
    assert trim_torn_tail(path) == 0


def test_redis_store_shares_seen_ids_and_runs(redis_url):
    import redis

    server = redis.Redis.from_url(redis_url)
    server.flushdb()
    one, two = RedisSeenStore(server, "t"), RedisSeenStore(server, "t")
    one.add("120ask", "7")
    assert two.contains("120ask", "7") and not two.contains("xywy", "7")
    one.begin_run("/x/feed.jsonl")
    assert two.dead_runs() == []
    one.end_run("/x/feed.jsonl")
    assert server.hlen("t:runs") == 0


def test_feed_file_writes_whole_lines_and_never_reuses_a_name(tmp_path):
    target = feed_path(str(tmp_path / "%(site)s-%(time)s.jsonl"), {"site": "xywy", "time": "T"})
    first = FeedFile.create_new(target)
    second = FeedFile.create_new(target)
    assert (first.path.name, second.path.name) == ("xywy-T.jsonl", "xywy-T-1.jsonl")
    first.write({"title": "头痛", "n": 1})
    first.write({"title": "发烧"})
    first.close()
    second.close()
    assert first.path.read_text(encoding="utf-8") == '{"title":"头痛","n":1}\n{"title":"发烧"}\n'
    overwrite = FeedFile(first.path, overwrite=True)
    overwrite.close()
    assert first.path.read_text() == ""
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['host'\]"):
        feed_path("data/%(host)s.jsonl", {"site": "x"})

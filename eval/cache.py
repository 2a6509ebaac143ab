"""Response cache: one JSON line per answered request, keyed by model + request + decoding.

An interrupted run resumes where it stopped and a re-run sends nothing for what is cached. Lines
are appended and flushed as answers arrive; a run killed mid-write leaves at most one torn last
line, which is skipped (and counted) when the cache is opened again. Only successful answers are
stored, so failed items are retried by the next run.

The key hashes the model identity (id, plus the weights path when the server reports one), the
request kind, the messages or prompt, and every decoding parameter. LLaMA-Factory serves any
weights under the same model name, so give each model its own run folder (the default cache lives
there) or its own ``--cache`` file.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import IO, Any

import orjson


def cache_key(identity: dict[str, Any], kind: str, request: Any, params: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of what determines an answer."""
    blob = orjson.dumps(
        {"identity": identity, "kind": kind, "request": request, "params": params},
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(blob).hexdigest()


class ResponseCache:
    """Append-only JSONL map ``key -> response record`` (module docs)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.entries: dict[str, dict] = {}
        self.torn_lines = 0
        self._handle: IO[bytes] | None = None
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        with open(self.path, "rb") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    obj = orjson.loads(line)
                    self.entries[obj["key"]] = obj["response"]
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    self.torn_lines += 1

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def get(self, key: str) -> dict | None:
        return self.entries.get(key)

    def put(self, key: str, response: dict) -> None:
        """Store and append one answer (flushed at once, fsynced on close)."""
        if key in self.entries:
            return
        self.entries[key] = response
        handle = self._open()
        handle.write(orjson.dumps({"key": key, "response": response}) + b"\n")
        handle.flush()

    def _open(self) -> IO[bytes]:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            needs_newline = False
            if self.path.exists() and self.path.stat().st_size:
                with open(self.path, "rb") as handle:
                    handle.seek(-1, os.SEEK_END)
                    needs_newline = handle.read(1) != b"\n"
            self._handle = open(self.path, "ab")  # noqa: SIM115 - held open for the run
            if needs_newline:  # a torn line from a killed run: start ours on a fresh line
                self._handle.write(b"\n")
        return self._handle

    def close(self) -> None:
        if self._handle is not None:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class NullCache(ResponseCache):
    """``--no-cache``: remembers nothing."""

    def __init__(self) -> None:
        self.path = Path(os.devnull)
        self.entries = {}
        self.torn_lines = 0
        self._handle = None

    def put(self, key: str, response: dict) -> None:
        return None

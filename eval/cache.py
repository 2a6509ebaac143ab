"""Response cache: one JSON line per answered request, keyed by model + request + decoding.

An interrupted run resumes where it stopped and a re-run sends nothing for what is cached. Lines
are appended and flushed as answers arrive; a run killed mid-write leaves at most one torn last
line, which is skipped (and counted) when the cache is opened again. Only successful answers are
stored, so failed items are retried by the next run.

The key hashes the model identity (id, the weights path when the server reports one, and the
fingerprint of what is served under that name: eval.fingerprint), the request kind, the messages
or prompt, and every decoding parameter. Each line also names the model and fingerprint it came
from, so a run can tell the user that the cache holds answers of another model served under the
same name (a retrained model): those are never used, and come back into use if that model is
served again.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
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
        self.by_fingerprint: Counter[tuple[str | None, str | None]] = Counter()
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
                    self.by_fingerprint[(obj.get("model"), obj.get("fingerprint"))] += 1
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    self.torn_lines += 1

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def get(self, key: str) -> dict | None:
        return self.entries.get(key)

    def put(self, key: str, response: dict, identity: dict | None = None) -> None:
        """Store and append one answer (flushed at once, fsynced on close); ``identity`` names
        the model and fingerprint it came from."""
        if key in self.entries:
            return
        self.entries[key] = response
        line = {"key": key, "response": response}
        if identity:
            line.update(model=identity.get("model"), fingerprint=identity.get("fingerprint"))
            self.by_fingerprint[(line["model"], line["fingerprint"])] += 1
        handle = self._open()
        handle.write(orjson.dumps(line) + b"\n")
        handle.flush()

    def other_fingerprints(self, model: str, fingerprint: str | None) -> dict[str | None, int]:
        """Answers cached for ``model`` under other fingerprints: ``{fingerprint: count}``."""
        return {
            fp: n
            for (name, fp), n in self.by_fingerprint.items()
            if name == model and fp != fingerprint
        }

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
        self.by_fingerprint = Counter()
        self._handle = None

    def put(self, key: str, response: dict, identity: dict | None = None) -> None:
        return None

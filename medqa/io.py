"""Small I/O helpers every stage shares: atomic writes and JSON Lines with line numbers."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8"
) -> Iterator[IO]:
    """Open a temp file beside ``path``; on success fsync and rename it over ``path``.

    A crash or exception leaves ``path`` untouched (the old content, or nothing) and no temp file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    binary = "b" in mode
    try:
        with os.fdopen(fd, mode, encoding=None if binary else encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def dumps_line(record: Any) -> str:
    """One JSON Lines line: UTF-8 text (no \\uXXXX escapes), stable key order as given."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_jsonl(path: str | os.PathLike, records: Iterable[Any]) -> int:
    """Atomically write ``records`` as JSON Lines; return how many were written."""
    count = 0
    with atomic_write(path) as handle:
        for record in records:
            handle.write(dumps_line(record))
            count += 1
    return count


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Atomically write ``obj`` as indented UTF-8 JSON."""
    with atomic_write(path) as handle:
        json.dump(obj, handle, ensure_ascii=False, indent=2)
        handle.write("\n")


class JsonlError(ValueError):
    """A JSON Lines file has a line that is not a JSON object."""

    def __init__(self, path: str | os.PathLike, line_no: int, reason: str) -> None:
        super().__init__(f"{path}:{line_no}: {reason}")
        self.path, self.line_no, self.reason = str(path), line_no, reason


def iter_jsonl(path: str | os.PathLike, strict: bool = True) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_no, object)`` for each non-blank line (1-based line numbers).

    With ``strict`` a malformed line raises :class:`JsonlError`; otherwise it yields
    ``(line_no, JsonlError)`` so the caller can quarantine it and go on. A UTF-8 byte order
    mark (files saved by Windows editors) is skipped.
    """
    with open(path, encoding="utf-8-sig") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                err = JsonlError(path, line_no, f"invalid JSON ({exc.msg} at column {exc.colno})")
                if strict:
                    raise err from exc
                yield line_no, err
                continue
            yield line_no, obj

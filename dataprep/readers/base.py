"""The reader interface: ``units()`` in the main process, ``parse()`` in the workers."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import orjson

from dataprep.readers.files import (
    csv_header,
    detect_encoding,
    first_char,
    iter_csv_rows,
    iter_json_array,
    iter_lines,
)
from dataprep.records import Reject

Parsed = list  # list[dict | Reject | Skip]


def _passing_rejects(parse):
    @functools.wraps(parse)
    def wrapped(self, line_no: int, payload: Any) -> Parsed:
        return [payload] if isinstance(payload, Reject) else parse(self, line_no, payload)

    return wrapped


class Reader:
    """Turns one input into canonical records. Subclasses set ``format`` and ``kind`` ("qa" or
    "mcq"), declare their options in ``OPTIONS`` (name -> default) and implement ``convert``.

    Readers are pickled to the worker processes, so they hold paths and options, never open
    files. A unit that is already a :class:`Reject` (a structural fault found while splitting
    the file: an unbalanced CSV quote, an undecodable or too deeply nested array item) is
    returned as it is by every reader's ``parse``."""

    format: ClassVar[str] = ""
    kind: ClassVar[str] = "qa"
    OPTIONS: ClassVar[dict[str, Any]] = {}

    def __init__(self, path: Path, options: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        options = dict(options or {})
        unknown = sorted(set(options) - set(self.OPTIONS) - {"source"})
        if unknown:
            known = ", ".join(sorted(self.OPTIONS)) or "none"
            raise ValueError(
                f"input {self.path}: unknown option {unknown[0]!r} for format "
                f"{self.format!r} (known: {known}, source)"
            )
        self.options = {**self.OPTIONS, **options}
        self.source = str(options.get("source") or self.default_source())
        self.stem = self.path.stem
        self.id_stem = self.stem  # made unique per run by readers.disambiguate_ids

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "parse" in cls.__dict__:
            cls.parse = _passing_rejects(cls.__dict__["parse"])

    def default_source(self) -> str:
        return self.path.stem

    def rid(self, line_no: int, suffix: str = "") -> str:
        """A record id that names the input (source and file) and line."""
        if self.source == self.stem:
            return f"{self.id_stem}:{line_no}{suffix}"
        return f"{self.source}:{self.id_stem}:{line_no}{suffix}"

    def lines_file(self) -> Path:
        """The file that the units' line numbers refer to (named in rejects.jsonl)."""
        return self.path

    def units(self) -> Iterator[tuple[int, Any]]:
        """``(line_no, payload)`` for each input unit (a JSON line, array item or CSV row)."""
        raise NotImplementedError

    def line_based(self) -> bool:
        """True if every unit is one raw line (JSON Lines): workers may then read byte spans
        of the file themselves."""
        return False

    def parse(self, line_no: int, payload: Any) -> Parsed:
        """Records (or Reject/Skip markers) from one unit; runs in a worker."""
        raise NotImplementedError


class JsonReader(Reader):
    """JSON Lines, or a top-level JSON array; ``convert(obj, line_no)`` builds records."""

    def line_based(self) -> bool:
        return first_char(self.path) != "["

    def units(self) -> Iterator[tuple[int, Any]]:
        if first_char(self.path) == "[":
            return iter_json_array(self.path)
        return iter_lines(self.path)

    def parse(self, line_no: int, payload: Any) -> Parsed:
        obj = decode_object(payload)
        return [obj] if isinstance(obj, Reject) else self.convert(obj, line_no)

    def convert(self, obj: dict, line_no: int) -> Parsed:
        raise NotImplementedError


class CsvReader(Reader):
    """CSV with a header row, any encoding (detected); ``convert_row(row, line_no)``."""

    def __init__(self, path: Path, options: dict[str, Any] | None = None) -> None:
        super().__init__(path, options)
        self.encoding = self.options.get("encoding") or detect_encoding(self.path)
        self.header = csv_header(self.path, self.encoding)
        self.columns = {name: i for i, name in enumerate(self.header)}

    def units(self) -> Iterator[tuple[int, Any]]:
        return iter_csv_rows(self.path, self.encoding)

    def parse(self, line_no: int, payload: Any) -> Parsed:
        if len(payload) != len(self.header):
            return [Reject(f"expected {len(self.header)} CSV columns, got {len(payload)}")]
        if any("\ufffd" in cell for cell in payload):
            return [Reject("undecodable bytes in this row (wrong or mixed encoding)")]
        return self.convert_row(payload, line_no)

    def cell(self, row: list[str], name: str) -> str:
        return row[self.columns[name]].strip()

    def convert_row(self, row: list[str], line_no: int) -> Parsed:
        raise NotImplementedError


def decode_object(payload: Any) -> dict | Reject:
    """A JSON object from a raw line (bytes) or an already decoded array item."""
    if isinstance(payload, Reject):
        return payload
    if isinstance(payload, bytes):
        try:
            payload = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            return Reject(f"invalid JSON ({str(exc).split(':')[0]})")
    if not isinstance(payload, dict):
        return Reject(f"expected a JSON object, got {type(payload).__name__}")
    return payload

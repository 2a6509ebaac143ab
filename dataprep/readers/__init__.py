"""Readers: every supported input format → canonical QA or MCQ records.

An input is ``PATH`` (format detected from the extension and the first record or header) or
``FORMAT:PATH``; in a recipe, ``{path, format?, source?, <format options>}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataprep.readers.base import Reader, decode_object
from dataprep.readers.chat import AlpacaReader, ShareGptReader
from dataprep.readers.files import (
    InputError,
    csv_header,
    detect_encoding,
    first_char,
    iter_json_array,
    iter_lines,
)
from dataprep.readers.mcq import CmmluReader, McqReader, MedqaReader
from dataprep.readers.raw import RawCrawlReader
from dataprep.readers.tabular import CmdCsvReader, CmedqaReader, GenericReader

READERS: dict[str, type[Reader]] = {
    cls.format: cls
    for cls in (
        RawCrawlReader,
        CmdCsvReader,
        ShareGptReader,
        AlpacaReader,
        CmedqaReader,
        GenericReader,
        MedqaReader,
        CmmluReader,
        McqReader,
    )
}

__all__ = [
    "READERS",
    "InputError",
    "InputSpec",
    "Reader",
    "detect_format",
    "disambiguate_ids",
    "open_input",
]


@dataclass
class InputSpec:
    """One input: a path, an optional format name and the reader's options."""

    path: Path
    format: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> InputSpec:
        """``PATH`` or ``FORMAT:PATH`` (as given to ``--input``)."""
        head, sep, rest = text.partition(":")
        if sep and head in READERS:
            return cls(Path(rest), head)
        return cls(Path(text))


def open_input(spec: InputSpec) -> Reader:
    """The reader for ``spec`` (format detected when not given)."""
    if not spec.path.exists():
        raise InputError(f"input {spec.path} does not exist")
    name = spec.format or detect_format(spec.path)
    if name not in READERS:
        raise InputError(
            f"input {spec.path}: unknown format {name!r} (known: {', '.join(READERS)})"
        )
    if spec.path.is_dir() and name != "cmedqa":
        raise InputError(f"input {spec.path} is a folder; format {name!r} reads a file")
    options = dict(spec.options)
    if name == "generic" and "fields" not in options:
        options["fields"] = _guess_fields(spec.path)  # None: the reader's question/answer
    return READERS[name](spec.path, options)


def disambiguate_ids(readers: list[Reader]) -> None:
    """Give inputs whose record ids would collide (same source and file name, e.g.
    ``a/train.jsonl`` and ``b/train.jsonl``) distinct id stems: the parent folder's name is
    prepended (``a/train``), then a counter if that still collides."""
    by_key: dict[tuple[str, str], list[Reader]] = {}
    for reader in readers:
        by_key.setdefault((reader.source, reader.stem), []).append(reader)
    taken = {(r.source, r.stem) for r in readers}
    for (source, stem), group in by_key.items():
        if len(group) < 2:
            continue
        for reader in group:
            base = name = f"{reader.path.resolve().parent.name}/{stem}"
            k = 2
            while (source, name) in taken:
                name, k = f"{base}#{k}", k + 1
            taken.add((source, name))
            reader.id_stem = name


def detect_format(path: Path) -> str:
    """The format of ``path`` from its layout, header or first record."""
    if path.is_dir():
        if (path / "question.csv").is_file() or (path / "questions.csv").is_file():
            return "cmedqa"
        raise InputError(f"{path} is a folder but not a cMedQA folder (question.csv + answer.csv)")
    if first_char(path) == "":
        raise InputError(f"{path} is empty (nothing to detect a format from)")
    if path.suffix.lower() in (".csv", ".tsv"):
        return _csv_format(path, csv_header(path, detect_encoding(path)))
    keys = _first_keys(path)
    if {"qid", "answers"} <= keys:
        return "raw"
    if "conversations" in keys or "messages" in keys:
        return "sharegpt"
    if {"instruction", "output"} <= keys:
        return "alpaca"
    if "options" in keys and ("answer_idx" in keys or "answer" in keys):
        return "medqa" if "answer_idx" in keys else "mcq"
    if _guess_fields(path, keys):
        return "generic"
    raise InputError(
        f"{path}: cannot detect the format (first record has keys {sorted(keys)}); "
        f"name it as FORMAT:PATH, e.g. generic:{path} with a field mapping"
    )


def _csv_format(path: Path, header: list[str]) -> str:
    if {"department", "title", "ask", "answer"} <= set(header):
        return "cmd"
    if {"Question", "A", "B", "Answer"} <= set(header):
        return "cmmlu"
    if _guess_fields(path, set(header)):
        return "generic"
    raise InputError(f"{path}: cannot detect the CSV format from its header {header}")


_FIELD_GUESSES = (
    {"question": "question", "answer": "answer"},
    {"question": "ask", "answer": "answer", "title": "title", "department": "department"},
    {"question": "问", "answer": "答"},
    {"question": "query", "answer": "response"},
)


def _guess_fields(path: Path, keys: set[str] | None = None) -> dict[str, str] | None:
    if keys is None:
        keys = set(csv_header(path, detect_encoding(path))) if path.suffix == ".csv" else None
        keys = keys if keys is not None else _first_keys(path)
    for guess in _FIELD_GUESSES:
        if set(guess.values()) <= keys or {guess["question"], guess["answer"]} <= keys:
            mapping = {k: v for k, v in guess.items() if v in keys}
            if "department" in keys:
                mapping.setdefault("department", "department")
            if "id" in keys:
                mapping.setdefault("id", "id")
            return mapping
    return None


def _first_keys(path: Path) -> set[str]:
    units = iter_json_array(path) if first_char(path) == "[" else iter_lines(path)
    for _, unit in units:
        obj = decode_object(unit)
        if isinstance(obj, dict):
            return set(obj)
    return set()

"""File-level iteration shared by readers: JSON Lines, JSON arrays, CSV with encoding detection.

These run in the main process and yield ``(line_no, payload)`` units; parsing a unit into
records happens in the workers. Line numbers are 1-based physical lines of the file.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import sys
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from dataprep.records import Reject

_SAMPLE_BYTES = 1 << 20
_IDEOGRAPH_RE = re.compile("[\u4e00-\u9fff]")
csv.field_size_limit(min(sys.maxsize, 1 << 30))


class InputError(ValueError):
    """An input cannot be read at all (unknown format, undecodable, bad header)."""


def detect_encoding(path: Path) -> str:
    """The text encoding of ``path``: a BOM; else UTF-8 or GB18030 (a superset of GBK/GB2312)
    if the first MiB decodes strictly (Big5/cp950 instead when that decodes too and reads as
    more plausible Chinese), or with under 1% undecodable characters (a file with a
    few lines in another encoding: those rows get rejected); else charset-normalizer's guess."""
    with open(path, "rb") as handle:
        sample = handle.read(_SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        if encoding == "gb18030":
            return _gb18030_or_big5(sample, text)
        return encoding
    for encoding in ("utf-8", "gb18030"):
        text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample)
        if text.count("\ufffd") < 0.01 * max(len(text), 1):
            return encoding
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        raise InputError(f"{path}: cannot detect the text encoding (not UTF-8 or GB18030)")
    return best.encoding


def _gb18030_or_big5(sample: bytes, gb_text: str) -> str:
    """Big5 (traditional Chinese) bytes nearly always decode as GB18030 too, into a jumble of
    rare characters, kana and symbols; when the sample is also valid Big5 (cp950), pick the
    decoding in which more of the non-ASCII characters are CJK ideographs."""
    try:
        big5_text = codecs.getincrementaldecoder("cp950")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "cp950" if _ideograph_share(big5_text) > _ideograph_share(gb_text) else "gb18030"


def _ideograph_share(text: str) -> float:
    wide = sum(1 for c in text if ord(c) > 0x7F)
    return len(_IDEOGRAPH_RE.findall(text)) / wide if wide else 0.0


def first_char(path: Path) -> str:
    """The first non-whitespace character of a text file after any UTF-8 BOM ('' if none)."""
    with open(path, "rb") as handle:
        for k, chunk in enumerate(iter(lambda: handle.read(4096), b"")):
            stripped = (chunk.removeprefix(codecs.BOM_UTF8) if k == 0 else chunk).lstrip()
            if stripped:
                return stripped[:1].decode("ascii", errors="replace")
    return ""


def iter_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Non-blank raw lines (bytes, decoded later by the worker) with line numbers."""
    with open(path, "rb") as handle:
        for line_no, line in enumerate(handle, start=1):
            if line_no == 1:
                line = line.removeprefix(codecs.BOM_UTF8)
            if line.strip():
                yield line_no, line


def iter_spans(path: Path, size: int = 1 << 19) -> Iterator[tuple[int, int, int]]:
    """Split a line-based file into ``(start, end, first_line_no)`` byte spans of about
    ``size`` bytes that end on a newline, without decoding anything (workers read them)."""
    with open(path, "rb") as handle:
        start, line_no, carry = 0, 1, b""
        while True:
            block = handle.read(size)
            if not block:
                break
            data = carry + block
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                carry = data
                continue
            end = start + cut
            yield start, end, line_no
            line_no += data.count(b"\n", 0, cut)
            start, carry = end, data[cut:]
        if carry.strip():
            yield start, start + len(carry), line_no


def read_span(path: Path, start: int, end: int, first_line_no: int) -> list[tuple[int, bytes]]:
    """The non-blank lines of one span, with their line numbers."""
    with open(path, "rb") as handle:
        handle.seek(start)
        data = handle.read(end - start)
    if start == 0:
        data = data.removeprefix(codecs.BOM_UTF8)
    lines = data.split(b"\n")
    return [(first_line_no + k, line) for k, line in enumerate(lines) if line.strip()]


def iter_json_array(path: Path, encoding: str = "utf-8-sig") -> Iterator[tuple[int, object]]:
    """Items of a top-level JSON array, decoded incrementally (the file is never held whole),
    each with the line it starts on. An item with bytes that are not UTF-8, or nested too deep
    for the decoder, is rejected and the array goes on; a syntax error rejects the rest."""
    decoder = json.JSONDecoder()
    with open(path, encoding=encoding, errors="surrogateescape") as handle:
        buf, pos, line_no, eof, started = "", 0, 1, False, False
        while True:
            rest = buf[pos:].lstrip(" \t\r\n," if started else " \t\r\n")
            line_no += buf.count("\n", pos, len(buf) - len(rest))
            buf, pos = rest, 0
            if len(buf) < 2 and not eof:
                chunk = handle.read(1 << 16)
                eof, buf = not chunk, buf + chunk
                continue
            if not buf:
                if started:
                    yield line_no, Reject("truncated JSON array (no closing ']')")
                return
            if not started:
                if buf[0] != "[":
                    raise InputError(f"{path}:{line_no}: expected a JSON array")
                started, pos = True, 1
                continue
            if buf[0] == "]":
                return
            obj, end, complete = _decode_item(decoder, buf, eof)
            if not complete:
                chunk = handle.read(1 << 16)
                eof, buf = not chunk, buf + chunk
                continue
            if isinstance(obj, json.JSONDecodeError):
                reason = f"invalid JSON ({obj.msg}); the rest of the array is not read"
                yield line_no + obj.lineno - 1, Reject(reason)
                return
            if isinstance(obj, Reject):
                yield line_no, obj
            elif _NOT_UTF8_RE.search(buf, 0, end):
                yield line_no, Reject("bytes that are not UTF-8 in this item (wrong encoding?)")
            else:
                yield line_no, obj
            line_no += buf.count("\n", 0, end)
            pos = end


_NOT_UTF8_RE = re.compile("[\udc80-\udcff]")  # undecodable bytes under surrogateescape
TOO_DEEP = "nested deeper than the JSON decoder allows (RecursionError); item skipped"


def _decode_item(decoder: json.JSONDecoder, buf: str, eof: bool) -> tuple[object, int, bool]:
    """``(item, end, complete)`` for the value at the start of ``buf``: the item (or the
    JSONDecodeError, or a Reject for a value nested too deep), where it ends, and whether
    ``buf`` held all of it (else more input is needed)."""
    try:
        obj, end = decoder.raw_decode(buf)
        return obj, end, end < len(buf) or eof
    except json.JSONDecodeError as exc:
        return exc, 0, eof
    except RecursionError:
        end = value_end(buf)
        if end is None:
            if eof:
                return json.JSONDecodeError("unterminated, deeply nested value", buf, 0), 0, True
            return None, 0, False
        return Reject(TOO_DEEP), end, True


def value_end(text: str, start: int = 0) -> int | None:
    """Where the JSON array or object starting at ``text[start]`` ends, found by counting
    brackets outside strings (no recursion, whatever the depth); None if it does not end."""
    depth, k, n = 0, start, len(text)
    while k < n:
        c = text[k]
        if c == '"':
            k += 1
            while k < n and text[k] != '"':
                k += 2 if text[k] == "\\" else 1
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return k + 1
        k += 1
    return None


def csv_header(path: Path, encoding: str) -> list[str]:
    """The header row of a CSV file (BOM and surrounding spaces stripped)."""
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        header = next(csv.reader(handle, delimiter=_delimiter(path)), None)
    if not header:
        raise InputError(f"{path}: empty CSV file (no header row)")
    return [cell.strip().lstrip("\ufeff") for cell in header]


def iter_csv_rows(path: Path, encoding: str) -> Iterator[tuple[int, list[str] | Reject]]:
    """``(line_no, fields)`` of each non-blank data row (the line the row starts on).
    Undecodable bytes become U+FFFD; readers reject such rows. A quote that is never closed
    (or closes rows later) would swallow the lines after it into one field: such a row is
    yielded as a Reject naming the line range, and the lines after its first are read again."""
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        yield from _CsvRows(handle, _delimiter(path)).rows()


class _CsvRows:
    """CSV rows over a line feed that can push lines back (to re-read after a bad quote)."""

    def __init__(self, handle, delimiter: str) -> None:
        self.handle, self.delimiter = handle, delimiter
        self.pending: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []  # lines consumed by the row being read
        self.line_no = 0

    def _feed(self) -> Iterator[str]:
        while True:
            if self.pending:
                item = self.pending.popleft()
            else:
                text = self.handle.readline()
                if not text:
                    return
                self.line_no += 1
                item = (self.line_no, text)
            self.taken.append(item)
            yield item[1]

    def _reader(self):
        return csv.reader(self._feed(), delimiter=self.delimiter)

    def rows(self) -> Iterator[tuple[int, list[str] | Reject]]:
        reader = self._reader()
        self.width = len(next(reader, None) or [])
        self.taken = []
        while True:
            error = None
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                row, error = None, str(exc)
            taken, self.taken = self.taken, []
            if not taken:
                return
            first = taken[0][0]
            if len(taken) > 1 and (row is None or len(row) != self.width or self._rows_in(taken)):
                yield first, Reject(_bad_quote(first, taken[-1][0]))
                self.pending.extendleft(reversed(taken[1:]))
                reader = self._reader()
            elif row is None:
                yield first, Reject(f"malformed CSV row ({error})")
            elif any(cell.strip() for cell in row):
                yield first, row

    def _rows_in(self, taken: list[tuple[int, str]]) -> bool:
        """True if a line swallowed into this row's quoted field reads as a whole row of its
        own (as many fields as the header, no quotes): the quote ran past the row's end."""
        for _, text in taken[1:]:
            if '"' in text:
                continue
            fields = text.rstrip("\r\n").split(self.delimiter)
            if len(fields) == self.width and all(f.strip() for f in fields):
                return True
        return False


def _bad_quote(first: int, last: int) -> str:
    count = last - first + 1
    return (
        f"unbalanced quote: the row starting on line {first} would run to line {last} "
        f"({count} lines, swallowing what reads as separate rows); line {first} is rejected "
        f"and the {count - 1} lines after it are read again as rows"
    )


def _delimiter(path: Path) -> str:
    """Tab for ``.tsv`` files, else comma."""
    return "\t" if Path(path).suffix.lower() == ".tsv" else ","

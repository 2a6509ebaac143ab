"""The multiple-choice record reader shared by eval (exams) and dataprep (MCQ inputs and the
contamination check's reference exams).

Files: JSON Lines, a JSON array, CSV/TSV (UTF-8 or GB18030), XLSX (first sheet; needs openpyxl).
Records become ``{"id", "question", "options": {"A": …}, "answer": "C" | "ACE", "explanation"?,
"subject"?}`` (DESIGN.md §3). What each field may look like:

- options (letters A–L): a mapping (``{"A": …}``, keys like ``"A."`` or ``"选项A"`` too), a list
  of texts, of lettered strings (``["A. 肝", "B. 肾"]``) or of ``{"key": "A", "value": "肝"}``
  items, one string with ``(A)``/``A.``/``A、``/``A:`` markers (``"(A) 肝\\n(B) 肾"``), or
  per-letter columns (``A``…, ``opa``…, ``选项A``); texts are kept as published, empty options
  are dropped;
- answer: letters with any brackets or separators (``"C"``, ``"(D)"``, ``"<D>"``, ``"A、C"``,
  ``["A", "C"]``), an option's text, or an integer index (0-based unless ``index_base: 1``);
- field names: common English and Chinese ones are recognised (``question``/``题目``/``题干``,
  ``options``/``选项``, ``answer_idx``/``answer``/``答案``, ``explanation``/``解析``,
  ``subject``/``meta_info``/``科目``, ``id``/``编号``); a ``fields`` mapping names others.

Every error names the file, the line/item/row, the field, what was found and an example of what
is expected.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

LETTERS = "ABCDEFGHIJKL"
FIELD_KEYS = ("question", "options", "answer", "explanation", "subject", "id", "index_base")
CANDIDATES: dict[str, tuple[str, ...]] = {
    "question": (
        "question",
        "Question",
        "题目",
        "题干",
        "问题",
        "stem",
        "qtext",
        "question_text",
        "query",
        "试题",
    ),
    "options": ("options", "Options", "option", "choices", "选项", "options_text"),
    "answer": (
        "answer_idx",
        "answer",
        "Answer",
        "答案",
        "正确答案",
        "标准答案",
        "label",
        "gold",
        "correct_answer",
        "correct",
        "target",
        "ans",
        "anwer",  # sic: FreedomIntelligence's XMedBench/Apollo exam files
    ),
    "explanation": (
        "explanation",
        "Explanation",
        "analysis",
        "解析",
        "答案解析",
        "rationale",
        "exp",
    ),
    "subject": ("subject", "Subject", "meta_info", "科目", "学科", "category", "subject_name"),
    "id": ("id", "ID", "Id", "qid", "编号", "题号", "Number", "number", "index", ""),
}
OPTIONS_EXAMPLE = '{"A": "肝", "B": "肾"}, ["A. 肝", "B. 肾"] or "(A) 肝\\n(B) 肾"'
ANSWER_EXAMPLE = '"C", "AC", "(D)", an option\'s text, or an index'
_LETTER_KEY = re.compile(
    r"^\s*(?:选项|option[_ ]?|op)?\s*[(（]?([A-La-l])[)）]?\s*[.．、:：]?\s*(?:选项)?$", re.I
)
_ANSWER = re.compile(
    r"^[\s(（\[【<＜〈《{\"'“‘]*(?:(?:正确|标准)?答案\s*[:：]?\s*)?"
    r"([A-La-l](?:[\s,，、/;；和及与+]*[A-La-l])*)[\s)）\]】>＞〉》}\"'”’.。]*$"
)
_ITEM_KEYS = ("key", "label", "letter", "option", "id")
_ITEM_TEXTS = ("value", "text", "content", "option_text")
_FULLWIDTH = str.maketrans("ＡＢＣＤＥＦＧＨＩＪＫＬ（）．：、", "ABCDEFGHIJKL().:、")


class McqError(ValueError):
    """A record or file that cannot be read; the message says where, what and what is expected
    (``where`` is set on the errors ``iter_records(errors="yield")`` hands back)."""

    where: str = ""


def _found(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _marker(letter: str, style: str) -> re.Pattern:
    """Where option ``letter`` starts inside one options string, in marker ``style``: "paren"
    for ``(A)``, "plain" for ``A.``/``A、``/``A:``/``A)`` after a space or the start, "line" for a
    letter and a space at the start of a line."""
    if style == "paren":
        return re.compile(rf"[(（]\s*{letter}\s*[)）]")
    if style == "line":  # CMExam's "A 左心房\nB 左心室": a letter and a space opening a line
        return re.compile(rf"(?:^|(?<=\n))[ \t]*{letter}[ \t]+(?=\S)")
    return re.compile(rf"(?:^|(?<=[\s;；,，。]))\s*{letter}\s*[.．、:：)）]")


def options_from_text(text: str) -> dict[str, str]:
    """Options of one string with ``(A) … (B) …`` / ``A. …\nB. …`` markers, in letter order;
    the style of A's marker is kept for the rest (so "(B) C." is option B's text "C.")."""
    folded = text.translate(_FULLWIDTH)  # one char for one: positions match ``text``
    for style in ("paren", "plain", "line"):
        spans: list[tuple[str, int, int]] = []
        start = 0
        for letter in LETTERS:
            match = _marker(letter, style).search(folded, start)
            if not match:
                break
            spans.append((letter, match.start(), match.end()))
            start = match.end()
        if len(spans) >= 2:
            break
    options = {}
    for i, (letter, _, end) in enumerate(spans):
        stop = spans[i + 1][1] if i + 1 < len(spans) else len(text)
        options[letter] = text[end:stop].strip().strip(";；,，").strip()
    return options


def parse_options(value: Any, where: str, field: str = "options") -> dict[str, str]:
    """Options as ``{"A": text, …}`` from any accepted shape (module docs)."""
    options: dict[str, str] = {}
    if isinstance(value, Mapping):
        for key, text in value.items():
            match = _LETTER_KEY.match(str(key))
            if not match:
                raise McqError(
                    f"{where}: field {field!r}: key {_found(key)} is not an option letter; "
                    f"expected e.g. {OPTIONS_EXAMPLE}"
                )
            options[match.group(1).upper()] = "" if text is None else str(text).strip()
    elif isinstance(value, list | tuple) and value and all(isinstance(v, Mapping) for v in value):
        for n, item in enumerate(value):  # [{"key": "A", "value": "肝"}, …]
            key = next((item[k] for k in _ITEM_KEYS if k in item), None)
            text = next((item[k] for k in _ITEM_TEXTS if k in item), None)
            if key is None or text is None:
                raise McqError(
                    f"{where}: field {field!r}: item {n + 1} {_found(item)} has no key/value; "
                    f'expected e.g. {OPTIONS_EXAMPLE} or [{{"key": "A", "value": "肝"}}]'
                )
            options[str(key)] = text
        return parse_options(options, where, field)
    elif isinstance(value, list | tuple) and all(isinstance(v, str | int | float) for v in value):
        texts = [str(v).strip() for v in value]
        lettered = options_from_text("\n".join(texts))
        if len(lettered) == len(texts):
            options = lettered
        else:
            options = dict(zip(LETTERS, texts, strict=False))
    elif isinstance(value, str):
        options = options_from_text(value)
    options = {k: v for k, v in sorted(options.items()) if v}
    if len(options) < 2:
        raise McqError(
            f"{where}: field {field!r}: found {_found(value)}, which gives fewer than two "
            f"options; expected e.g. {OPTIONS_EXAMPLE}"
        )
    return options


def _index(value: int, options: dict[str, str], base: int) -> str | None:
    letters = list(options)
    return letters[value - base] if 0 <= value - base < len(letters) else None


def _one_answer(value: Any, options: dict[str, str], base: int) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _index(value, options, base)
    if isinstance(value, float) and value.is_integer():
        return _index(int(value), options, base)
    if not isinstance(value, str):
        return None
    text = value.strip().translate(_FULLWIDTH)
    match = _ANSWER.match(text)
    if match:
        return "".join(sorted(set(re.sub(r"[^A-L]", "", match.group(1).upper()))))
    if text.isdigit():
        return _index(int(text), options, base)
    same = [k for k, v in options.items() if v == text]
    return same[0] if len(same) == 1 else None


def parse_answer(
    value: Any, options: dict[str, str], where: str, field: str = "answer", index_base: int = 0
) -> str:
    """Answer letters, sorted and unique ("CA" → "AC"), each among ``options`` (module docs)."""
    parts = value if isinstance(value, list | tuple) else [value]
    found = [_one_answer(v, options, index_base) for v in parts]
    if not parts or any(f is None for f in found):
        raise McqError(
            f"{where}: field {field!r}: found {_found(value)}, which is not option letters, "
            f"an option's text or an index; expected e.g. {ANSWER_EXAMPLE}"
        )
    letters = "".join(sorted(set("".join(found))))
    missing = [c for c in letters if c not in options]
    if not letters or missing:
        raise McqError(
            f"{where}: field {field!r}: found {_found(value)}, which names option "
            f"{missing[0] if missing else '?'}, but the options are {', '.join(options)}"
        )
    return letters


def check_fields(fields: Mapping[str, Any] | None, where: str) -> dict[str, Any]:
    """A ``fields`` mapping with its keys checked (names the unknown key)."""
    fields = dict(fields or {})
    unknown = sorted(set(fields) - set(FIELD_KEYS))
    if unknown:
        raise McqError(
            f"{where}: unknown key 'fields.{unknown[0]}' (known: {', '.join(FIELD_KEYS)})"
        )
    if fields.get("index_base", 0) not in (0, 1):
        raise McqError(f"{where}: 'fields.index_base' must be 0 or 1, got {fields['index_base']!r}")
    return fields


def _pick(obj: Mapping[str, Any], name: str, fields: Mapping[str, Any]) -> tuple[str | None, Any]:
    """The (key, value) of field ``name``: the mapped key, else the first known name with a
    value (else the first known name present, empty)."""
    if name in fields:
        key = fields[name]
        return key, obj.get(key)
    present = [key for key in CANDIDATES[name] if key in obj]
    for key in present:
        if obj[key] is not None and obj[key] != "":
            return key, obj[key]
    return (present[0], obj[present[0]]) if present else (None, None)


def _letter_columns(obj: Mapping[str, Any]) -> dict[str, Any]:
    columns = {}
    for key, value in obj.items():
        match = _LETTER_KEY.match(str(key))
        if match and value is not None and str(value).strip():
            columns[match.group(1).upper()] = value
    return columns


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).replace("\u3000", " ").strip()
    return text or None


def record_from_mapping(
    obj: Mapping[str, Any],
    where: str,
    fields: Mapping[str, Any] | None = None,
    rid: str = "",
    keep: tuple[str, ...] = (),
) -> dict[str, Any]:
    """One canonical MCQ record from a JSON object, CSV row or sheet row (module docs); keys in
    ``keep`` (e.g. eval's ``gold_passages``) are copied through when present."""
    if not isinstance(obj, Mapping):
        raise McqError(
            f"{where}: expected an object with question/options/answer, got {_found(obj)}"
        )
    fields = fields or {}
    key, question = _pick(obj, "question", fields)
    if not isinstance(question, str | int | float) or not str(question).strip():
        shown = key or "/".join(CANDIDATES["question"][:3])
        raise McqError(
            f"{where}: field {shown!r}: found {_found(question)}; expected the question text "
            f"(other names: map them with fields.question)"
        )
    key, options = _pick(obj, "options", fields)
    if options is None:
        key, options = "A…L columns", _letter_columns(obj)
    options = parse_options(options, where, key or "options")
    key, answer = _pick(obj, "answer", fields)
    if answer is None:
        raise McqError(
            f"{where}: no answer field (looked for {', '.join(CANDIDATES['answer'][:4])}, …); "
            f'expected e.g. "answer": "C" (other names: map them with fields.answer)'
        )
    answer = parse_answer(answer, options, where, key or "answer", int(fields.get("index_base", 0)))
    record: dict[str, Any] = {"id": rid, "question": str(question).strip(), "options": options}
    record["answer"] = answer
    _, given_id = _pick(obj, "id", fields)
    if _text(given_id):
        record["id"] = _text(given_id)
    for name in ("explanation", "subject"):
        value = _text(_pick(obj, name, fields)[1])
        if value:
            record[name] = value
    record.update({k: obj[k] for k in keep if obj.get(k)})
    return record


def _csv_rows(path: Path) -> Iterator[tuple[str, dict]]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            with open(path, encoding=encoding, newline="") as handle:
                reader = csv.reader(handle, delimiter=delimiter)
                header = [h.strip() for h in next(reader, [])]
                rows = []
                for row in reader:
                    if not any(cell.strip() for cell in row):
                        continue
                    where = f"{path}:{reader.line_num}"
                    if len(row) != len(header):
                        raise McqError(
                            f"{where}: expected {len(header)} columns as in the header, "
                            f"found {len(row)}"
                        )
                    rows.append((where, dict(zip(header, row, strict=True))))
            yield from rows
            return
        except UnicodeDecodeError:
            continue
    raise McqError(f"{path}: not UTF-8 or GB18030 text; save the file as UTF-8 CSV")


_KNOWN_HEADERS = {name for names in CANDIDATES.values() for name in names if name}


def _is_header(cells: list[str], mapped: set[str]) -> bool:
    """A row naming at least two known (or mapped) fields; a title row above it is not one."""
    names = _KNOWN_HEADERS | mapped
    return sum(c in names or bool(_LETTER_KEY.match(c)) for c in cells if c) >= 2


def _sheet_rows(path: Path, sheet, mapped: set[str]) -> Iterator[tuple[str, dict]]:
    """A sheet's rows under its header: the first of its first ten rows naming known fields."""
    header: list[str] | None = None
    for row_no, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [str(c).strip() if c is not None else "" for c in row]
        if not any(cells):
            continue
        if header is None:
            if _is_header(cells, mapped):
                header = cells
            elif row_no > 10:
                return
            continue
        yield f"{path} (sheet {sheet.title!r}) row {row_no}", dict(zip(header, row, strict=False))


def _xlsx_rows(path: Path, mapped: set[str]) -> Iterator[tuple[str, dict]]:
    """Rows of every sheet with a recognisable header (a notes sheet is passed over); a workbook
    where no sheet has one is an error naming what its first sheet starts with."""
    try:
        import openpyxl
    except ImportError:
        raise McqError(f"{path}: reading .xlsx needs openpyxl (pip install openpyxl)") from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException
        raise McqError(f"{path}: not a readable .xlsx workbook ({exc})") from None
    try:
        found = False
        for sheet in book.worksheets:
            for where, values in _sheet_rows(path, sheet, mapped):
                found = True
                yield where, values
        if not found:
            first = next(book.worksheets[0].iter_rows(values_only=True), ())
            raise McqError(
                f"{path}: no sheet has a header row naming the question, options and answer "
                f"(first sheet starts {_found([c for c in first if c is not None][:6])}); "
                "expected e.g. 题干 | A | B | C | D | 答案, or map the names with fields"
            )
    finally:
        book.close()


def _json_units(path: Path) -> Iterator[tuple[str, Any]]:
    with open(path, "rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        try:
            items = json.loads(path.read_text(encoding="utf-8-sig"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise McqError(f"{path}: not a valid JSON array ({exc})") from None
        for n, item in enumerate(items, start=1):
            yield f"{path}: item {n}", item
        return
    with open(path, encoding="utf-8-sig") as handle:
        try:
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield f"{path}:{line_no}", json.loads(line)
                except json.JSONDecodeError as exc:
                    raise McqError(
                        f"{path}:{line_no}: invalid JSON ({exc.msg} at column {exc.colno}); "
                        "expected one JSON object per line or one JSON array"
                    ) from None
        except UnicodeDecodeError:
            raise McqError(f"{path}: not UTF-8 text; save the file as UTF-8") from None


def iter_units(path: str | Path, mapped: set[str] = frozenset()) -> Iterator[tuple[str, Any]]:
    """``(where, raw record)`` for every record of an exam file, by its suffix (``mapped``: the
    field names a ``fields`` mapping gives, so a sheet's header using them is recognised)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return _csv_rows(path)
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(path, set(mapped))
    if suffix == ".xls":
        raise McqError(f"{path}: old .xls workbooks are not read; save it as .xlsx or CSV")
    return _json_units(path)


def _subject_from_name(path: Path) -> str:
    return re.sub(r"^(test|dev|val|train)_", "", path.stem)


def iter_records(
    path: str | Path,
    fields: Mapping[str, Any] | None = None,
    errors: str = "raise",
    keep: tuple[str, ...] = (),
) -> Iterator[dict[str, Any] | McqError]:
    """Records of one exam file; with ``errors="yield"`` bad records come back as McqError (the
    caller quarantines them) instead of stopping the read. CSV files named like CMMLU's
    ``test_<subject>.csv`` give their subject when rows have none."""
    path = Path(path)
    if not path.is_file():
        raise McqError(f"exam file {path} does not exist")
    fields = check_fields(fields, str(path))
    csv_subject = _subject_from_name(path) if path.suffix.lower() in (".csv", ".tsv") else None
    mapped = {str(v) for k, v in fields.items() if k != "index_base"}
    for n, (where, obj) in enumerate(iter_units(path, mapped), start=1):
        try:
            record = record_from_mapping(obj, where, fields, f"{path.stem}:{n}", keep)
        except McqError as exc:
            if errors == "raise":
                raise
            exc.where = where
            yield exc
            continue
        if csv_subject and "subject" not in record:
            record["subject"] = csv_subject
        if csv_subject and not record["id"].startswith(csv_subject):
            record["id"] = f"{csv_subject}:{record['id']}"
        yield record


def read_exam(
    path: str | Path,
    fields: Mapping[str, Any] | None = None,
    split: str = "test",
    keep: tuple[str, ...] = (),
    skipped: list[McqError] | None = None,
) -> list[dict[str, Any]]:
    """Every record of an exam file, or of a CMMLU-style folder of ``<split>_<subject>.csv``
    files. The first bad record raises McqError, unless a ``skipped`` list is given: bad records
    are then appended to it (each names where it is) and the read goes on."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob(f"{split}_*.csv")) or sorted(path.glob(f"{split}/*.csv"))
        if not files:
            raise McqError(f"{path}: no {split}_<subject>.csv files (CMMLU layout) in this folder")
    elif path.exists():
        files = [path]
    else:
        raise McqError(f"exam file {path} does not exist")
    errors = "raise" if skipped is None else "yield"
    records = []
    for item in (r for f in files for r in iter_records(f, fields, errors, keep)):
        if isinstance(item, McqError):
            skipped.append(item)
        else:
            records.append(item)
    if not records:
        raise McqError(f"{path}: no readable questions in this file")
    return records

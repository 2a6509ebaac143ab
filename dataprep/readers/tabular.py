"""Chinese-medical-dialogue-data CSV, cMedQA-style joined files and the generic field-mapped reader."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dataprep.readers.base import CsvReader, Parsed, Reader, decode_object
from dataprep.readers.files import (
    InputError,
    csv_header,
    detect_encoding,
    first_char,
    iter_csv_rows,
    iter_json_array,
    iter_lines,
)
from dataprep.records import Reject, join_title, qa_record

_CMD_COLUMNS = ("department", "title", "ask", "answer")


class CmdCsvReader(CsvReader):
    """Chinese-medical-dialogue-data: ``department,title,ask,answer`` in GB18030 (any encoding
    works: it is detected). The question is the title joined with the patient's description."""

    format = "cmd"
    OPTIONS = {"encoding": None}

    def __init__(self, path, options=None) -> None:
        super().__init__(path, options)
        missing = [c for c in _CMD_COLUMNS if c not in self.columns]
        if missing:
            raise InputError(f"{self.path}: CMD CSV lacks column {missing[0]!r} ({self.header})")

    def default_source(self) -> str:
        return "cmd"

    def convert_row(self, row: list[str], line_no: int) -> Parsed:
        question = join_title(self.cell(row, "title"), self.cell(row, "ask"))
        answer = self.cell(row, "answer")
        if not question or not answer:
            return [Reject("empty question or answer")]
        department = self.cell(row, "department")
        return [
            qa_record(
                self.rid(line_no), self.source, question, answer, [department] if department else []
            )
        ]


_CMEDQA_FILES = (("question.csv", "answer.csv"), ("questions.csv", "answers.csv"))


class CmedqaReader(Reader):
    """cMedQA/cMedQA2 layout: a folder with ``question.csv`` (question_id, content) and
    ``answer.csv`` (ans_id, question_id, content), joined by question id. ``answers``: "first"
    (the first answer of each question in file order) or "all"."""

    format = "cmedqa"
    OPTIONS = {"answers": "first", "encoding": None}

    def __init__(self, path, options=None) -> None:
        super().__init__(path, options)
        folder = self.path if self.path.is_dir() else self.path.parent
        pair = next(
            ((folder / q, folder / a) for q, a in _CMEDQA_FILES if (folder / q).is_file()), None
        )
        if pair is None or not pair[1].is_file():
            raise InputError(f"{self.path}: expected question.csv and answer.csv in {folder}")
        self.questions_path, self.answers_path = pair
        self.encoding = self.options["encoding"] or detect_encoding(self.answers_path)
        for file, needed in ((pair[0], ("question_id", "content")), (pair[1], _ANSWER_COLUMNS)):
            header = csv_header(file, self.encoding)
            if not all(c in header for c in needed):
                raise InputError(f"{file}: expected columns {', '.join(needed)}, got {header}")

    def default_source(self) -> str:
        return "cmedqa"

    def lines_file(self) -> Path:
        return self.answers_path

    def units(self) -> Iterator[tuple[int, Any]]:
        questions = self._questions()
        header = csv_header(self.answers_path, self.encoding)
        at = {name: header.index(name) for name in _ANSWER_COLUMNS}
        seen: set[str] = set()
        for line_no, row in iter_csv_rows(self.answers_path, self.encoding):
            if isinstance(row, Reject):
                yield line_no, row
                continue
            if len(row) != len(header):
                yield line_no, Reject(f"expected {len(header)} CSV columns, got {len(row)}")
                continue
            qid = row[at["question_id"]].strip()
            if qid not in questions:
                yield line_no, Reject(f"answer refers to unknown question_id {qid!r}")
                continue
            if self.options["answers"] == "first" and qid in seen:
                continue
            seen.add(qid)
            yield line_no, (qid, questions[qid], row[at["ans_id"]].strip(), row[at["content"]])

    def _questions(self) -> dict[str, str]:
        header = csv_header(self.questions_path, self.encoding)
        qid_at, text_at = header.index("question_id"), header.index("content")
        return {
            row[qid_at].strip(): row[text_at]
            for _, row in iter_csv_rows(self.questions_path, self.encoding)
            if not isinstance(row, Reject) and len(row) == len(header)
        }

    def parse(self, line_no: int, payload: Any) -> Parsed:
        qid, question, ans_id, answer = payload
        if "\ufffd" in question + answer:
            return [Reject("undecodable bytes in this row (wrong or mixed encoding)")]
        if not question.strip() or not answer.strip():
            return [Reject("empty question or answer")]
        meta = {"group": f"{self.source}-{qid}", "qid": qid, "ans_id": ans_id}
        return [qa_record(f"{self.source}-{qid}-{ans_id}", self.source, question, answer, [], meta)]


_ANSWER_COLUMNS = ("ans_id", "question_id", "content")
GENERIC_FIELDS = ("question", "answer", "title", "department", "id", "system")


class GenericReader(Reader):
    """Any JSON Lines / JSON array / CSV file, with ``fields`` mapping canonical names
    (question, answer and optionally title, department, id, system) to the file's own keys."""

    format = "generic"
    OPTIONS = {"fields": None, "encoding": None}

    def __init__(self, path, options=None) -> None:
        super().__init__(path, options)
        fields = self.options["fields"] or {"question": "question", "answer": "answer"}
        if not isinstance(fields, dict):
            raise ValueError(f"input {self.path}: 'fields' must map canonical names to keys")
        for name in fields:
            if name not in GENERIC_FIELDS:
                raise ValueError(
                    f"input {self.path}: unknown field mapping key {name!r} in 'fields' "
                    f"(known: {', '.join(GENERIC_FIELDS)})"
                )
        for name in ("question", "answer"):
            if name not in fields:
                raise ValueError(f"input {self.path}: 'fields' must map {name!r}")
        self.fields = dict(fields)
        self.is_csv = self.path.suffix.lower() in (".csv", ".tsv")
        if self.is_csv:
            self.encoding = self.options["encoding"] or detect_encoding(self.path)
            self.header = csv_header(self.path, self.encoding)
        self._check_keys(self._first_keys())

    def _first_keys(self) -> set[str]:
        if self.is_csv:
            return set(self.header)
        for _, unit in self.units():
            obj = decode_object(unit)
            return set(obj) if isinstance(obj, dict) else set()
        return set()

    def _check_keys(self, keys: set[str]) -> None:
        for name, key in self.fields.items():
            if key not in keys and name in ("question", "answer"):
                raise ValueError(
                    f"input {self.path}: field mapping fields.{name} = {key!r} names a key the "
                    f"file does not have (first record has: {', '.join(sorted(keys))}); "
                    "map them in a recipe input: {path: …, format: generic, fields: "
                    "{question: KEY, answer: KEY}}"
                )

    def line_based(self) -> bool:
        return not self.is_csv and first_char(self.path) != "["

    def units(self) -> Iterator[tuple[int, Any]]:
        if self.is_csv:
            return iter_csv_rows(self.path, self.encoding)
        if first_char(self.path) == "[":
            return iter_json_array(self.path)
        return iter_lines(self.path)

    def parse(self, line_no: int, payload: Any) -> Parsed:
        if self.is_csv:
            if len(payload) != len(self.header):
                return [Reject(f"expected {len(self.header)} CSV columns, got {len(payload)}")]
            payload = dict(zip(self.header, payload, strict=True))
        else:
            parsed = decode_object(payload)
            if isinstance(parsed, Reject):
                return [parsed]
            payload = parsed
        return self.convert(payload, line_no)

    def convert(self, obj: dict, line_no: int) -> Parsed:
        values = {}
        for name, key in self.fields.items():
            value = obj.get(key)
            if value is not None and not isinstance(value, str | int | float | list):
                return [Reject(f"field {key!r} has an unsupported type {type(value).__name__}")]
            values[name] = value
        question, answer = values.get("question"), values.get("answer")
        if not isinstance(question, str) or not isinstance(answer, str):
            missing = self.fields["question" if not isinstance(question, str) else "answer"]
            return [Reject(f"missing or non-text field {missing!r}")]
        if isinstance(values.get("title"), str):
            question = join_title(values["title"], question)
        if "\ufffd" in question + answer and self.is_csv:
            return [Reject("undecodable bytes in this row (wrong or mixed encoding)")]
        department = values.get("department")
        labels = department if isinstance(department, list) else [department] if department else []
        rid = f"{self.source}-{values['id']}" if values.get("id") else self.rid(line_no)
        system = values.get("system")
        meta = {"system": system} if isinstance(system, str) and system.strip() else {}
        return [qa_record(rid, self.source, question, answer, [str(x) for x in labels], meta)]

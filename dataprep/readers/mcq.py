"""Multiple-choice exams → MCQ records: MedQA JSONL, CMMLU CSV, and single/multi-answer exams in
general. Options, answers and field names are read by the shared reader ``medqa.mcq`` (every shape
it knows: a mapping, a lettered list, one marked string or letter columns; letters in any
brackets, option text or an index), so prep and eval accept the same files."""

from __future__ import annotations

import re
from typing import Any

from dataprep.readers.base import CsvReader, JsonReader, Parsed, Reader, decode_object
from dataprep.readers.tabular import GenericReader
from dataprep.records import Reject, mcq_record, qa_record, require_text
from medqa.mcq import FIELD_KEYS, LETTERS, McqError, iter_units, record_from_mapping
from medqa.mcq import parse_answer as _core_answer
from medqa.mcq import parse_options as _core_options


def _reason(exc: McqError) -> str:
    """The core reader's message without its location (rejects carry file and line)."""
    return str(exc).split(": ", 1)[-1]


def parse_answer(value: Any, options: dict[str, str]) -> str | Reject:
    """Answer letters, sorted and unique ("CA" → "AC"), all among ``options``."""
    try:
        return _core_answer(value, options, "")
    except McqError as exc:
        return Reject(_reason(exc))


def parse_options(value: Any) -> dict[str, str] | Reject:
    """Options as ``{"A": text}`` from any shape ``medqa.mcq`` reads."""
    try:
        return _core_options(value, "")
    except McqError as exc:
        return Reject(_reason(exc))


class McqReaderMixin:
    """Shared by MCQ readers: ``to_sft`` turns each question into a QA training record."""

    kind = "mcq"

    def emit(self, rid: str, question: str, options, answer, explanation=None, subject=None):
        if isinstance(question, Reject):
            return [question]
        options = parse_options(options)
        if isinstance(options, Reject):
            return [options]
        letters = parse_answer(answer, options)
        if isinstance(letters, Reject):
            return [letters]
        record = mcq_record(rid, question, options, letters, explanation or None, subject or None)
        return [mcq_as_qa(record, self.source) if self.options.get("to_sft") else record]


def mcq_as_qa(record: dict, source: str) -> dict:
    """An MCQ as an SFT example: stem + lettered options → "答案：X. …" (+ 解析)."""
    options = "\n".join(f"{k}. {v}" for k, v in record["options"].items())
    chosen = "；".join(f"{k}. {record['options'][k]}" for k in record["answer"])
    answer = f"答案：{chosen}"
    if record.get("explanation"):
        answer += f"\n解析：{record['explanation']}"
    meta = {"mcq_answer": record["answer"], "subject": record.get("subject")}
    return qa_record(record["id"], source, f"{record['question']}\n{options}", answer, [], meta)


class MedqaReader(McqReaderMixin, JsonReader):
    """MedQA JSONL: ``{question, options{A..E}, answer (text), answer_idx (letter), meta_info}``."""

    format = "medqa"
    OPTIONS = {"to_sft": False}

    def convert(self, obj: dict, line_no: int) -> Parsed:
        answer = obj.get("answer_idx")
        if not answer and isinstance(obj.get("options"), dict):
            answer = next((k for k, v in obj["options"].items() if v == obj.get("answer")), None)
        if not answer:
            return [Reject("missing field 'answer_idx' (and 'answer' matches no option)")]
        subject = obj.get("meta_info") if isinstance(obj.get("meta_info"), str) else None
        return self.emit(
            self.rid(line_no),
            require_text(obj, "question"),
            obj.get("options"),
            answer,
            obj.get("explanation"),
            subject,
        )


class CmmluReader(McqReaderMixin, CsvReader):
    """CMMLU CSV: ``,Question,A,B,C,D,Answer``; the subject comes from the file name."""

    format = "cmmlu"
    OPTIONS = {"to_sft": False, "encoding": None}

    def __init__(self, path, options=None) -> None:
        super().__init__(path, options)
        for column in ("Question", "A", "B", "Answer"):
            if column not in self.columns:
                raise ValueError(f"{self.path}: CMMLU CSV lacks column {column!r}")
        self.subject = re.sub(r"^(test|dev|val)_", "", self.stem)

    def convert_row(self, row: list[str], line_no: int) -> Parsed:
        options = {k: self.cell(row, k) for k in LETTERS if k in self.columns}
        question = self.cell(row, "Question") or Reject("empty question")
        return self.emit(
            self.rid(line_no), question, options, self.cell(row, "Answer"), None, self.subject
        )


MCQ_FIELDS = FIELD_KEYS


class McqReader(McqReaderMixin, Reader):
    """Any exam file (JSONL/JSON/CSV/XLSX). ``fields`` maps question/options/answer/explanation/
    subject/id (and index_base) to the file's keys, as a task YAML's ``fields`` does; without it
    the usual English and Chinese names are found (medqa.mcq)."""

    format = "mcq"
    OPTIONS = {"to_sft": False, "fields": None, "encoding": None}

    def __init__(self, path, options=None) -> None:
        super().__init__(path, options)
        fields = {name: name for name in MCQ_FIELDS}
        for name, key in (self.options["fields"] or {}).items():
            if name not in MCQ_FIELDS:
                raise ValueError(
                    f"input {self.path}: unknown field mapping key {name!r} in 'fields' "
                    f"(known: {', '.join(MCQ_FIELDS)})"
                )
            fields[name] = key
        self.fields = fields
        self.mapped = dict(self.options["fields"] or {})  # what the recipe named; else usual names
        self.sheet = self.path.suffix.lower() in (".xlsx", ".xlsm")
        mapping = {"question": fields["question"], "answer": fields["answer"]}
        self.table = (
            None
            if self.sheet
            else GenericReader(self.path, {"fields": mapping, "encoding": self.options["encoding"]})
        )

    def units(self):
        if self.sheet:  # XLSX: the shared reader's rows (row numbers of the sheet)
            mapped = {str(v) for k, v in self.mapped.items() if k != "index_base"}
            try:
                rows = list(iter_units(self.path, mapped))
            except McqError as exc:
                raise ValueError(str(exc)) from None
            return ((int(re.search(r"(\d+)$", where).group(1)), row) for where, row in rows)
        return self.table.units()

    def line_based(self) -> bool:
        return False if self.sheet else self.table.line_based()

    def parse(self, line_no: int, payload: Any) -> Parsed:
        if self.table is not None and self.table.is_csv:
            if len(payload) != len(self.table.header):
                return [Reject(f"expected {len(self.table.header)} CSV columns")]
            obj = dict(zip(self.table.header, payload, strict=True))
        else:
            obj = decode_object(payload)
            if isinstance(obj, Reject):
                return [obj]
        try:
            record = record_from_mapping(obj, "", self.mapped, self.rid(line_no))
        except McqError as exc:
            return [Reject(_reason(exc))]
        if record["id"] != self.rid(line_no):
            record["id"] = f"{self.source}-{record['id']}"
        return self.emit(
            record["id"],
            record["question"],
            record["options"],
            record["answer"],
            record.get("explanation"),
            record.get("subject"),
        )

"""Multiple-choice exams → MCQ records: MedQA JSONL, CMMLU CSV, and single/multi-answer exams in
general (options as a dict, a list, "A. …" lines or A–H columns; answers like "C", "AC", "A,C")."""

from __future__ import annotations

import re
from typing import Any

from dataprep.readers.base import CsvReader, JsonReader, Parsed, Reader, decode_object
from dataprep.readers.tabular import GenericReader
from dataprep.records import Reject, mcq_record, qa_record, require_text

LETTERS = "ABCDEFGH"
_OPTION_LINE_RE = re.compile(r"^\s*[(（]?([A-H])[)）.．、:：\s]\s*(.*)$")
_ANSWER_RE = re.compile(r"^[\s(（\[]*([A-H](?:[\s,，、/;；]*[A-H])*)[\s)）\]]*$")


def parse_answer(value: Any, options: dict[str, str]) -> str | Reject:
    """Answer letters, sorted and unique ("CA" → "AC"), all among ``options``."""
    if isinstance(value, list):
        value = "".join(str(v) for v in value)
    if not isinstance(value, str):
        return Reject(f"answer must be letters, got {type(value).__name__}")
    match = _ANSWER_RE.match(value.strip().upper())
    if not match:
        return Reject(f"answer {value!r} is not option letters")
    letters = "".join(sorted(set(re.sub(r"[^A-H]", "", match.group(1)))))
    missing = [letter for letter in letters if letter not in options]
    if missing:
        return Reject(f"answer {value!r} names option {missing[0]} that does not exist")
    return letters


def parse_options(value: Any) -> dict[str, str] | Reject:
    """Options from a dict, a list (lettered A, B, …) or a string of "A. …" lines."""
    if isinstance(value, dict):
        options = {str(k).strip().upper(): str(v).strip() for k, v in value.items()}
    elif isinstance(value, list):
        options = {LETTERS[i]: str(v).strip() for i, v in enumerate(value[: len(LETTERS)])}
    elif isinstance(value, str):
        options = {}
        for line in re.split(r"\n|(?=\s[(（]?[B-H][)）.．、:：])", value):
            match = _OPTION_LINE_RE.match(line)
            if match:
                options[match.group(1)] = match.group(2).strip()
    else:
        return Reject("options must be a dict, a list or 'A. …' lines")
    if len(options) < 2 or any(k not in LETTERS for k in options):
        return Reject(f"need at least two options lettered A–H, got {sorted(options)}")
    return dict(sorted(options.items()))


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


MCQ_FIELDS = ("question", "options", "answer", "explanation", "subject", "id")


class McqReader(McqReaderMixin, Reader):
    """Any exam file (JSONL/JSON/CSV). ``fields`` maps question/options/answer/explanation/
    subject/id to the file's keys; CSV files may give options as A–H columns instead."""

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
        mapping = {"question": fields["question"], "answer": fields["answer"]}
        self.table = GenericReader(
            self.path, {"fields": mapping, "encoding": self.options["encoding"]}
        )

    def units(self):
        return self.table.units()

    def line_based(self) -> bool:
        return self.table.line_based()

    def parse(self, line_no: int, payload: Any) -> Parsed:
        if self.table.is_csv:
            if len(payload) != len(self.table.header):
                return [Reject(f"expected {len(self.table.header)} CSV columns")]
            obj = dict(zip(self.table.header, payload, strict=True))
        else:
            obj = decode_object(payload)
            if isinstance(obj, Reject):
                return [obj]
        f = self.fields
        options = obj.get(f["options"])
        if options is None:
            options = {k: obj[k] for k in LETTERS if isinstance(obj.get(k), str) and obj[k]}
        rid = f"{self.source}-{obj[f['id']]}" if obj.get(f["id"]) else self.rid(line_no)
        return self.emit(
            rid,
            require_text(obj, f["question"]),
            options,
            obj.get(f["answer"]),
            obj.get(f["explanation"]),
            obj.get(f["subject"]),
        )

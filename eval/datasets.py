"""Readers for what eval scores: exams (MCQ), open QA sets and LLaMA-Factory predictions.

Exams: canonical MCQ JSONL (DESIGN.md §3: ``{"id", "question", "options": {"A": ..}, "answer":
"C" | "AC", "explanation"?, "subject"?}``), MedQA JSONL (``answer_idx``, ``meta_info`` as the
subject), CMMLU CSV (``,Question,A,B,C,D,Answer``; a file, or a folder of ``test_<subject>.csv``
/ ``dev_<subject>.csv``). Open QA: alpaca JSONL (``instruction`` + ``input`` → question, ``output``
→ reference, ``system``) or canonical QA JSONL (``question``/``answer``). A bad record raises
``DataError`` naming file, line and field.

(dataprep has fuller readers for training data; these are the small ones eval needs.)
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medqa.io import JsonlError, iter_jsonl

LETTERS = "ABCDEFGH"
_ANSWER = re.compile(r"^[\s(（\[]*([A-H](?:[\s,，、/;；]*[A-H])*)[\s)）\]]*$")


class DataError(ValueError):
    """A record eval cannot use; the message names the file, line and field."""


@dataclass
class McqItem:
    """One multiple-choice question."""

    id: str
    question: str
    options: dict[str, str]
    answer: str  # sorted option letters, "C" or "ACE"
    subject: str | None = None
    explanation: str | None = None
    gold_passages: list[str] = field(default_factory=list)


@dataclass
class QaItem:
    """One open question with its reference answer."""

    id: str
    question: str
    reference: str
    system: str | None = None
    subject: str | None = None
    gold_passages: list[str] = field(default_factory=list)


def parse_answer(value: Any, options: dict[str, str], where: str) -> str:
    """Answer letters, sorted and unique ("CA" → "AC"), each among ``options``."""
    if isinstance(value, list):
        value = "".join(map(str, value))
    match = _ANSWER.match(str(value).upper()) if isinstance(value, str) else None
    if not match:
        raise DataError(f"{where}: field 'answer' {value!r} is not option letters")
    letters = "".join(sorted(set(re.sub(r"[^A-H]", "", match.group(1)))))
    missing = [c for c in letters if c not in options]
    if missing:
        raise DataError(f"{where}: answer {value!r} names option {missing[0]}, which is absent")
    return letters


def _options(value: Any, where: str) -> dict[str, str]:
    if isinstance(value, list):
        value = dict(zip(LETTERS, value, strict=False))
    if not isinstance(value, dict) or len(value) < 2:
        raise DataError(f"{where}: field 'options' must map at least two letters to texts")
    options = {str(k).strip().upper(): str(v).strip() for k, v in value.items()}
    bad = [k for k in options if k not in LETTERS]
    if bad:
        raise DataError(f"{where}: option key {bad[0]!r} is not a letter A–H")
    return dict(sorted(options.items()))


def _text(obj: dict, key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"{where}: field {key!r} is missing or empty")
    return value.strip()


def _gold(obj: dict) -> list[str]:
    gold = obj.get("gold_passages") or obj.get("gold_sources") or []
    return [gold] if isinstance(gold, str) else [str(g) for g in gold]


def _jsonl(path: Path) -> Iterator[tuple[int, dict, str]]:
    try:
        for line_no, obj in iter_jsonl(path):
            where = f"{path}:{line_no}"
            if not isinstance(obj, dict):
                raise DataError(f"{where}: expected a JSON object")
            yield line_no, obj, where
    except JsonlError as exc:
        raise DataError(str(exc)) from None


def _mcq_from_json(obj: dict, line_no: int, where: str, stem: str) -> McqItem:
    options = _options(obj.get("options"), where)
    if "answer_idx" in obj:  # MedQA: "answer" is the option text, "answer_idx" the letter
        answer = parse_answer(obj["answer_idx"], options, where)
    elif obj.get("answer") in options.values() and obj.get("answer") not in options:
        answer = next(k for k, v in options.items() if v == obj["answer"])
    else:
        answer = parse_answer(obj.get("answer"), options, where)
    subject = obj.get("subject") or obj.get("meta_info")
    return McqItem(
        id=str(obj.get("id") or f"{stem}:{line_no}"),
        question=_text(obj, "question", where),
        options=options,
        answer=answer,
        subject=str(subject).replace("\u3000", " ").strip() if subject else None,
        explanation=obj.get("explanation") or None,
        gold_passages=_gold(obj),
    )


def _mcq_from_csv(path: Path, subject: str) -> Iterator[McqItem]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows, [])
        missing = [c for c in ("Question", "A", "B", "Answer") if c not in header]
        if missing:
            raise DataError(f"{path}:1: CSV header lacks column {missing[0]!r} (CMMLU layout)")
        col = {name: i for i, name in enumerate(header)}
        for line_no, row in enumerate(rows, start=2):
            where = f"{path}:{line_no}"
            if len(row) != len(header):
                raise DataError(f"{where}: expected {len(header)} columns, got {len(row)}")
            options = {k: row[col[k]].strip() for k in LETTERS if k in col}
            question = row[col["Question"]].strip()
            if not question:
                raise DataError(f"{where}: field 'Question' is empty")
            yield McqItem(
                id=f"{subject}:{row[0] or line_no}",
                question=question,
                options=options,
                answer=parse_answer(row[col["Answer"]], options, where),
                subject=subject,
            )


def _cmmlu_files(folder: Path, split: str) -> list[tuple[Path, str]]:
    files = sorted(folder.glob(f"{split}_*.csv")) or sorted(folder.glob(f"{split}/*.csv"))
    if not files:
        raise DataError(f"{folder}: no {split}_<subject>.csv files (CMMLU layout)")
    return [(p, re.sub(rf"^{split}_", "", p.stem)) for p in files]


def load_mcq(path: str | Path, split: str = "test") -> list[McqItem]:
    """Every question in ``path`` (JSONL/CSV file, or a CMMLU folder using ``split``)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"exam file {path} does not exist")
    if path.is_dir():
        return [
            item for p, subject in _cmmlu_files(path, split) for item in _mcq_from_csv(p, subject)
        ]
    if path.suffix.lower() == ".csv":
        subject = re.sub(r"^(test|dev|val)_", "", path.stem)
        return list(_mcq_from_csv(path, subject))
    return [_mcq_from_json(obj, n, where, path.stem) for n, obj, where in _jsonl(path)]


def load_qa(path: str | Path) -> list[QaItem]:
    """Open questions with references from alpaca or canonical QA JSONL."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"QA file {path} does not exist")
    items = []
    for line_no, obj, where in _jsonl(path):
        if "instruction" in obj:
            question = _text(obj, "instruction", where)
            if isinstance(obj.get("input"), str) and obj["input"].strip():
                question = f"{question}\n{obj['input'].strip()}"
            reference = _text(obj, "output", where)
        else:
            question, reference = _text(obj, "question", where), _text(obj, "answer", where)
        department = obj.get("department")
        subject = department[0] if isinstance(department, list) and department else department
        items.append(
            QaItem(
                id=str(obj.get("id") or f"{path.stem}:{line_no}"),
                question=question,
                reference=reference,
                system=obj.get("system") or None,
                subject=str(subject) if subject else None,
                gold_passages=_gold(obj),
            )
        )
    return items


def load_predictions(path: str | Path) -> list[dict[str, str]]:
    """LLaMA-Factory's ``generated_predictions.jsonl``: ``{"prompt", "predict", "label"}``."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"predictions file {path} does not exist")
    rows = []
    for _, obj, where in _jsonl(path):
        for key in ("predict", "label"):
            if not isinstance(obj.get(key), str):
                raise DataError(
                    f"{where}: field {key!r} is missing (not a generated_predictions file?)"
                )
        rows.append(
            {"prompt": str(obj.get("prompt", "")), "predict": obj["predict"], "label": obj["label"]}
        )
    return rows

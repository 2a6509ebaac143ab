"""Readers for what eval scores: exams (MCQ), open QA sets and LLaMA-Factory predictions.

Exams are read by the shared multiple-choice reader (``medqa.mcq``: JSONL, JSON arrays, CSV/TSV,
XLSX, a CMMLU folder; every option and answer shape it knows; a task's ``fields`` mapping).
Open QA: alpaca JSONL (``instruction`` + ``input`` → question, ``output`` → reference,
``system``) or canonical QA JSONL (``question``/``answer``). A bad record raises ``DataError``
naming file, line and field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medqa.io import JsonlError, iter_jsonl
from medqa.mcq import McqError, read_exam

DataError = McqError  # one error type for every file eval reads


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


def load_mcq(
    path: str | Path,
    split: str = "test",
    fields: Mapping[str, Any] | None = None,
    skipped: list[McqError] | None = None,
) -> list[McqItem]:
    """Every question in ``path`` (an exam file, or a CMMLU folder using ``split``); with a
    ``skipped`` list, bad records go there instead of stopping the read."""
    return [
        McqItem(
            id=r["id"],
            question=r["question"],
            options=r["options"],
            answer=r["answer"],
            subject=r.get("subject"),
            explanation=r.get("explanation"),
            gold_passages=_gold(r),
        )
        for r in read_exam(path, fields, split, ("gold_passages", "gold_sources"), skipped)
    ]


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

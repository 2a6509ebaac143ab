"""Contamination check: drop training records that overlap evaluation questions (MCQ exams
given here or as inputs, and this run's own test split) by character n-gram overlap."""

from __future__ import annotations

from dataclasses import dataclass, field

from dataprep.textutil import MAX_NGRAM


@dataclass
class DecontaminateParams:
    """``exams``: exam files (any MCQ format) whose questions no training record may contain;
    MCQ inputs of the run are added. ``missing_ok``: warn instead of failing when a listed exam
    file is absent. ``ngram``/``min_overlap``: a record is contaminated when it contains at
    least ``min_overlap`` of an exam question's distinct character ``ngram``-grams.
    ``field``: what is checked, "question" or "qa". ``test_split``: also drop train/val
    records overlapping this run's test questions."""

    exams: list[str] = field(default_factory=list)
    missing_ok: bool = True
    ngram: int = 8
    min_overlap: float = 0.5
    field: str = "question"
    test_split: bool = True

    def __post_init__(self) -> None:
        if self.field not in ("question", "qa"):
            raise ValueError("field must be 'question' or 'qa'")
        if not 1 <= self.ngram <= MAX_NGRAM:
            raise ValueError(f"ngram must be 1..{MAX_NGRAM}, not {self.ngram}")
        if not 0.0 < self.min_overlap <= 1.0:
            raise ValueError("min_overlap must be in (0, 1]")


def checked_text(record: dict, which: str) -> str:
    """The text of a record the check looks at."""
    return (
        record["question"] if which == "question" else f"{record['question']}\n{record['answer']}"
    )

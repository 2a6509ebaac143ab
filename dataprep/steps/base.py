"""What every step shares: per-step counters and the record text accessors."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass
class StepStats:
    """How many records a step saw, kept and dropped (by reason), plus step-specific counts."""

    seen: int = 0
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)
    counts: Counter = field(default_factory=Counter)

    def drop(self, reason: str, n: int = 1) -> None:
        self.dropped[reason] += n

    def merge(self, other: StepStats) -> None:
        self.seen += other.seen
        self.kept += other.kept
        self.dropped.update(other.dropped)
        self.counts.update(other.counts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seen": self.seen,
            "kept": self.kept,
            "dropped": dict(sorted(self.dropped.items())),
            "counts": dict(sorted(self.counts.items())),
        }


class RecordStep:
    """A per-record step: ``apply`` edits a canonical QA record in place and returns ``None`` to
    keep it or a short drop reason. Steps are built from validated recipe params."""

    name: ClassVar[str] = ""

    def apply(self, record: dict, stats: StepStats) -> str | None:  # pragma: no cover - interface
        raise NotImplementedError


def map_texts(record: dict, fn: Callable[[str], str]) -> None:
    """Apply ``fn`` to every text of a QA record: question, answer and each turn's content."""
    turns = record.get("turns")
    if turns:
        for turn in turns:
            turn["content"] = fn(turn["content"])
        sync_from_turns(record)
    else:
        record["question"] = fn(record["question"])
        record["answer"] = fn(record["answer"])


def sync_from_turns(record: dict) -> None:
    """Set question/answer of a multi-turn record to its last user and last assistant turn."""
    turns = record["turns"]
    record["question"] = next(t["content"] for t in reversed(turns) if t["role"] == "user")
    record["answer"] = next(t["content"] for t in reversed(turns) if t["role"] == "assistant")

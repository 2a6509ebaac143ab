"""Canonical records (DESIGN.md §3) and the markers readers return for unusable input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reject:
    """Malformed input (bad JSON, missing or mistyped field): quarantined to rejects.jsonl."""

    reason: str


@dataclass(frozen=True)
class Skip:
    """Well-formed input that yields no training record (e.g. a question with no answer);
    counted in the funnel under the ``read`` step."""

    reason: str


def qa_record(
    rid: str,
    source: str,
    question: str,
    answer: str,
    department: list[str] | None = None,
    meta: dict[str, Any] | None = None,
    turns: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """A canonical QA record; ``turns`` (user/assistant, alternating) for multi-turn dialogues,
    whose last user/assistant contents are also ``question``/``answer``."""
    record: dict[str, Any] = {
        "id": rid,
        "source": source,
        "department": list(department or []),
        "question": question,
        "answer": answer,
        "meta": dict(meta or {}),
    }
    if turns:
        record["turns"] = turns
    return record


def mcq_record(
    rid: str,
    question: str,
    options: dict[str, str],
    answer: str,
    explanation: str | None = None,
    subject: str | None = None,
) -> dict[str, Any]:
    """A canonical multiple-choice record; ``answer`` is one or more option letters ("C", "AC")."""
    record: dict[str, Any] = {"id": rid, "question": question, "options": options, "answer": answer}
    if explanation:
        record["explanation"] = explanation
    if subject:
        record["subject"] = subject
    return record


def require_text(obj: dict, key: str, allow_empty: bool = False) -> str | Reject:
    """``obj[key]`` if it is a string (non-blank unless ``allow_empty``), else a Reject."""
    if key not in obj:
        return Reject(f"missing field {key!r}")
    value = obj[key]
    if value is None and allow_empty:
        return ""
    if not isinstance(value, str):
        return Reject(f"field {key!r} is {type(value).__name__}, expected a string")
    if not allow_empty and not value.strip():
        return Reject(f"field {key!r} is empty")
    return value


def join_title(title: str, body: str) -> str:
    """A patient's question from a title and a description, without repeating the title."""
    title, body = title.strip(), body.strip()
    if not title:
        return body
    if not body or title in body:
        return body or title
    return f"{title}\n{body}"

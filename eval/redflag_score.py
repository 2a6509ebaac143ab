"""Score the red-flag rules on a labelled message set (JSONL: id, text, urgent, category, self_harm).

Used by ``bench/redflag_eval.py`` (figures per category) and the regression tests on the blind
development and final sets. A self-harm message counts as caught only when it raises a crisis flag
(the banner with the hotline numbers).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from eval.redflag_rules import RED_FLAGS, RedFlag
from eval.safety import detect_red_flags, needs_crisis_support


@dataclass
class Message:
    id: str
    text: str
    urgent: bool
    category: str
    self_harm: bool


def read_messages(path: Path) -> list[Message]:
    """The labelled messages of ``path``; a malformed line raises ValueError naming it."""
    messages = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            messages.append(
                Message(
                    str(row["id"]),
                    str(row["text"]),
                    bool(row["urgent"]),
                    str(row.get("category") or ("urgent" if row["urgent"] else "routine")),
                    bool(row.get("self_harm", False)),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: {exc!r}") from None
    return messages


def read_real_consultations(root: Path) -> list[str]:
    """The distinct patient questions of the real consultation sets under ``root`` (the shared
    ``data/real`` folder: CMD internal medicine and MedicalGPT's 1k consultations), title and
    question joined; [] when the folder is absent. They carry no labels: nearly all are routine,
    so the share that raises a flag bounds the false-alarm rate on real patients' wording."""
    sources = (
        (root / "toyhom_cmd" / "qa_pairs.jsonl", ("title", "ask")),
        (root / "medicalgpt" / "qa_pairs.jsonl", ("question",)),
    )
    seen: dict[str, None] = {}
    for path, fields in sources:
        if not path.exists():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: {exc!r}") from None
            text = "，".join(str(row.get(field) or "") for field in fields).strip("，")
            if text:
                seen.setdefault(text, None)
    return list(seen)


@dataclass
class Score:
    """Counts of one labelled set under the rules."""

    per_category: dict[str, list[int]]  # category -> [flagged, total]
    urgent: list[int]
    routine: list[int]
    self_harm: list[int]  # [crisis flag raised, total]
    misses: list[Message]
    false_alarms: list[tuple[Message, list[str]]]
    self_harm_misses: list[Message]

    @property
    def recall(self) -> float:
        return self.urgent[0] / self.urgent[1] if self.urgent[1] else float("nan")

    @property
    def false_alarm_rate(self) -> float:
        return self.routine[0] / self.routine[1] if self.routine[1] else float("nan")

    @property
    def self_harm_recall(self) -> float:
        return self.self_harm[0] / self.self_harm[1] if self.self_harm[1] else float("nan")


def score(
    messages: list[Message], flags: tuple[RedFlag, ...] = RED_FLAGS, model: bool | None = None
) -> Score:
    """Run ``detect_red_flags`` (with ``flags``; ``model``: the learned second opinion, on by
    default with all the rules) over ``messages`` and count hits per category."""
    per_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    result = Score({}, [0, 0], [0, 0], [0, 0], [], [], [])
    for message in messages:
        raised = detect_red_flags(message.text, flags, model)
        flagged = bool(raised)
        per_category[message.category][0] += flagged
        per_category[message.category][1] += 1
        bucket = result.urgent if message.urgent else result.routine
        bucket[0] += flagged
        bucket[1] += 1
        if message.urgent and not flagged:
            result.misses.append(message)
        if not message.urgent and flagged:
            result.false_alarms.append((message, [f.key for f in raised]))
        if message.self_harm:
            result.self_harm[1] += 1
            if needs_crisis_support(raised):
                result.self_harm[0] += 1
            else:
                result.self_harm_misses.append(message)
    result.per_category = dict(per_category)
    return result

"""Score a de-identifier on a labelled set: recall and precision per kind, hard negatives kept.

A labelled set is JSON Lines: ``{"id", "text", "identifiers": [{"kind", "value"}], "negatives":
[span, ...]}``; every value and negative is a substring of ``text``.

- An identifier is **caught** when every non-space character of every occurrence of its value
  in the text lies inside a replaced span (of any kind: what matters is that it is gone);
  ``kind_agree`` counts the caught ones whose covering span has the labelled kind.
- A replaced span is **correct** when it overlaps a labelled identifier; precision per kind is
  over the spans the engine gave that kind.
- A hard negative is **intact** when no replaced span touches any of its occurrences.

The engine keeps province, city and district (clinically useful, and a bare city is no
identifier); labelled sets differ on whether an address value includes them. With
``admin_prefix_kept=True`` an address counts as caught when everything after that prefix
(``广州市天河区`` in ``广州市天河区天河北路233号``) is replaced.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

# text -> [(kind, start, end)]
Finder = Callable[[str], Iterable[tuple[str, int, int]]]


@dataclass
class Score:
    """Counts behind the figures, per kind."""

    gold: Counter = field(default_factory=Counter)
    caught: Counter = field(default_factory=Counter)
    kind_agree: Counter = field(default_factory=Counter)
    spans: Counter = field(default_factory=Counter)
    correct: Counter = field(default_factory=Counter)
    negatives: int = 0
    negatives_intact: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (id, kind, value)
    false_spans: list[tuple[str, str, str]] = field(default_factory=list)  # (id, kind, text)
    broken_negatives: list[tuple[str, str]] = field(default_factory=list)  # (id, negative)

    def recall(self, kind: str | None = None) -> float:
        gold = sum(self.gold.values()) if kind is None else self.gold[kind]
        caught = sum(self.caught.values()) if kind is None else self.caught[kind]
        return caught / gold if gold else 1.0

    def precision(self, kind: str | None = None) -> float:
        spans = sum(self.spans.values()) if kind is None else self.spans[kind]
        correct = sum(self.correct.values()) if kind is None else self.correct[kind]
        return correct / spans if spans else 1.0

    def table(self) -> list[dict]:
        """One row per kind (labelled or predicted) and a total row."""
        rows = []
        for kind in sorted(set(self.gold) | set(self.spans)):
            rows.append(
                {
                    "kind": kind,
                    "gold": self.gold[kind],
                    "recall": round(self.recall(kind), 3),
                    "kind_agree": self.kind_agree[kind],
                    "spans": self.spans[kind],
                    "precision": round(self.precision(kind), 3),
                }
            )
        rows.append(
            {
                "kind": "ALL",
                "gold": sum(self.gold.values()),
                "recall": round(self.recall(), 3),
                "kind_agree": sum(self.kind_agree.values()),
                "spans": sum(self.spans.values()),
                "precision": round(self.precision(), 3),
            }
        )
        return rows


def load_set(path: str | Path) -> list[dict]:
    """The cases of a labelled set; ValueError naming the line for a malformed one."""
    cases = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            case = json.loads(line)
            for item in case.get("identifiers", []):
                if item["value"] not in case["text"]:
                    raise ValueError(f"{path}:{number}: value {item['value']!r} not in text")
            cases.append(case)
    return cases


def _occurrences(text: str, value: str) -> list[tuple[int, int]]:
    out, pos = [], text.find(value)
    while pos >= 0:
        out.append((pos, pos + len(value)))
        pos = text.find(value, pos + 1)
    return out


_ADMIN_PREFIX = re.compile(r"^(?:[\u4e00-\u9fff]{1,7}?(?:省|自治区|市|自治州|地区|区|县|旗))+")


def _required(kind: str, value: str, admin_prefix_kept: bool) -> int:
    """How many leading characters of ``value`` may stay (an address's administrative prefix)."""
    if kind != "address" or not admin_prefix_kept:
        return 0
    prefix = _ADMIN_PREFIX.match(value)
    return prefix.end() if prefix and prefix.end() < len(value) else 0


def score(cases: Iterable[dict], finder: Finder, admin_prefix_kept: bool = False) -> Score:
    """Score ``finder`` on ``cases`` (see the module doc for what counts)."""
    result = Score()
    for case in cases:
        text, cid = case["text"], str(case.get("id", ""))
        spans = [(k, a, b) for k, a, b in finder(text)]
        covered = [""] * len(text)
        for kind, a, b in spans:
            for i in range(a, b):
                covered[i] = kind
        gold_ranges = []
        for item in case.get("identifiers", []):
            kind, value = item["kind"], item["value"]
            result.gold[kind] += 1
            places = _occurrences(text, value)
            gold_ranges.extend(places)
            skip = _required(kind, value, admin_prefix_kept)
            chars = [i for a, b in places for i in range(a + skip, b) if not text[i].isspace()]
            if all(covered[i] for i in chars):
                result.caught[kind] += 1
                if all(covered[i] == kind for i in chars):
                    result.kind_agree[kind] += 1
            else:
                result.misses.append((cid, kind, value))
        for kind, a, b in spans:
            result.spans[kind] += 1
            if any(a < gb and ga < b for ga, gb in gold_ranges):
                result.correct[kind] += 1
            else:
                result.false_spans.append((cid, kind, text[a:b]))
        for negative in case.get("negatives", []):
            result.negatives += 1
            places = _occurrences(text, negative)
            if any(covered[i] for a, b in places for i in range(a, b)):
                result.broken_negatives.append((cid, negative))
            else:
                result.negatives_intact += 1
    return result


def format_table(result: Score) -> str:
    """The per-kind table as aligned text, with the hard-negative line."""
    lines = [f"{'kind':<16}{'gold':>6}{'recall':>8}{'kind ok':>9}{'spans':>7}{'precision':>10}"]
    for row in result.table():
        lines.append(
            f"{row['kind']:<16}{row['gold']:>6}{row['recall']:>8.3f}{row['kind_agree']:>9}"
            f"{row['spans']:>7}{row['precision']:>10.3f}"
        )
    lines.append(f"hard negatives intact: {result.negatives_intact}/{result.negatives}")
    return "\n".join(lines)

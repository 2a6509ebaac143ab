"""Score a de-identifier on a labelled set: recall and precision per kind, hard negatives kept.

A labelled set is JSON Lines: ``{"id", "text", "identifiers": [{"kind", "value"}], "negatives":
[span, ...]}``; every value and negative is a substring of ``text``.

- An identifier is **caught** when its identifying core is gone: every core character of every
  occurrence of its value lies inside a replaced span (of any kind: what matters is that it is
  gone); ``kind_agree`` counts the caught ones whose covering spans have the labelled kind.
- The **core** of a value is the value less what identifies no one, which writers of labelled
  sets include or leave out as they please (one rule, the same for every set and every finder):
  spaces and punctuation anywhere; for an address, the administrative prefix (province, city,
  district, county: ``广州市天河区`` in ``广州市天河区天河北路233号``, which the engine's policy
  keeps) and the words that join its parts (``对面的``, ``附近的``, ``后面的`` in
  ``小寨东路91号万达广场对面的长安小区``); for a bed, the ward or unit before the bed number
  (``ICU`` in ``ICU 6床``, ``抢救室`` in ``抢救室2床``, ``产房`` in ``产房3床``, ``709房`` in ``709房2床``:
  Latin capitals, a word ending in 科, 区, 房, 室, 诊 or 中心, or a room number) and the words
  床号/床位; for a date of birth, the words that say it is one or
  name its calendar (``出生``, ``生人``, ``生的``, ``农历`` in ``1979年出生``, ``农历三月二十九``).
  ``core=False`` scores the whole value.
- A replaced span is **correct** when it overlaps a labelled identifier, or is attached to one:
  separated from it only by punctuation, spaces and at most one link word (``提取码``, ``密码``,
  ``或``), as a share link's code or an id repeated in another spelling is. Precision per kind
  is over the spans the finder gave that kind.
- A hard negative is **intact** when no replaced span touches any of its occurrences.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from medqa.deid.fold import simplified

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
_ADDRESS_JOINS = re.compile(
    r"(?<=.)(?:斜?对面|对过|后面|前面|背后|旁边|边上|附近|隔壁|楼下|楼上|里面|里边)的?|(?<=.)的(?=.)"
)
_WARD_PREFIX = re.compile(  # a ward or unit: ICU, 急诊抢救室, 产房, 二病区, 心内科3病区, 心外ICU, 709房, RICU的
    r"^(?:(?:[\u4e00-\u9fff]{0,4}[A-Z]{2,5}的?|[\u4e00-\u9fff]{0,8}?(?:科|区|房|室|诊|中心)|[0-9]{1,4}(?:房|室)) ?)?"
    r"(?:[0-9一二三四五六七八九十]{1,2} ?病区)?"
    r"(?=\s*(?:[第加]|加床)?\s*[A-Za-z]?[0-9０-９一二三四五六七八九十])"
)
_BED_WORDS = re.compile(r"床位号|病床号|床号|床位")  # 床号18: the word, not the number
_BIRTH_WORDS = re.compile(
    r"出生的?|生人|生的|的?生日(?:是)?|农历|阴历|阳历|公历"
)  # 1979年出生, 农历…
_NOT_CORE = re.compile(r"[\s\W_]")
_ATTACHED_GAP = re.compile(
    r"^[\s,，:：;；()（）/、.。-]*(?:提取码|访问码|分享码|密码|或者|或|即)?[\s,，:：()（）/、-]*$"
)


def core_offsets(kind: str, value: str) -> list[int]:
    """Offsets in ``value`` of its identifying core (see the module doc)."""
    keep = [not _NOT_CORE.match(char) for char in value]
    spare: list[tuple[int, int]] = []
    if kind == "address":
        prefix = _ADMIN_PREFIX.match(simplified(value))  # 台北市大安區 as 台北市大安区
        if prefix and prefix.end() < len(value):
            spare.append(prefix.span())
        spare.extend(m.span() for m in _ADDRESS_JOINS.finditer(value))
    elif kind == "date_of_birth":
        spare.extend(m.span() for m in _BIRTH_WORDS.finditer(value))
    elif kind == "bed":
        ward = _WARD_PREFIX.match(value)
        if ward:
            spare.append(ward.span())
        spare.extend(m.span() for m in _BED_WORDS.finditer(value))
    for a, b in spare:
        keep[a:b] = [False] * (b - a)
    core = [i for i, kept in enumerate(keep) if kept]
    return core or [i for i, char in enumerate(value) if not char.isspace()]


def _attached(text: str, a: int, b: int, gold: list[tuple[int, int]]) -> bool:
    """A span next to a labelled identifier, only punctuation and a link word between."""
    for ga, gb in gold:
        gap = text[gb:a] if gb <= a else text[b:ga] if b <= ga else None
        if gap is not None and len(gap) <= 6 and _ATTACHED_GAP.match(gap):
            return True
    return False


def score(cases: Iterable[dict], finder: Finder, core: bool = True) -> Score:
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
            offsets = (
                core_offsets(kind, value)
                if core
                else [i for i, char in enumerate(value) if not char.isspace()]
            )
            chars = [a + i for a, _ in places for i in offsets]
            if all(covered[i] for i in chars):
                result.caught[kind] += 1
                if all(covered[i] == kind for i in chars):
                    result.kind_agree[kind] += 1
            else:
                result.misses.append((cid, kind, value))
        for kind, a, b in spans:
            result.spans[kind] += 1
            if any(a < gb and ga < b for ga, gb in gold_ranges) or _attached(
                text, a, b, gold_ranges
            ):
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


def spans_from_output(
    text: str, output: str, placeholders: dict[str, str]
) -> list[tuple[str, int, int]]:
    """The spans a stage replaced, read back from its output (``placeholders``: kind → text), so
    a whole stage (the crawler's pipeline, a prep step) is scored by what it writes. Where two
    placeholders touch, the boundary between them is a guess (what was replaced is not)."""
    kind_of = {written: kind for kind, written in placeholders.items()}
    marker = re.compile("|".join(map(re.escape, sorted(kind_of, key=len, reverse=True))))
    kinds = [kind_of[m.group()] for m in marker.finditer(output)]
    if not kinds:
        return []
    literals = marker.split(output)
    shape = "(.+?)".join(map(re.escape, literals))
    match = re.fullmatch(shape, text, re.S)
    if match is None:
        raise ValueError(f"output is not the text with spans replaced: {output[:80]!r}")
    return [(kind, match.start(i + 1), match.end(i + 1)) for i, kind in enumerate(kinds)]


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

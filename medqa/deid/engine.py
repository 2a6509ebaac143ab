"""The de-identification engine: find identifier spans, merge overlaps, replace, count.

:class:`Deidentifier` is what the crawler's pipeline and dataprep's ``deidentify`` step both
call: the same text gives the same output whichever stage runs it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from medqa.deid.address import ADDRESS_RULES
from medqa.deid.birth import births_from_ids
from medqa.deid.echo import corrections
from medqa.deid.fold import fold, has_traditional, simplified
from medqa.deid.namemodel import MODEL_RULES_TEXT, find_names
from medqa.deid.names import CONTEXT_NAME_RULES, LATIN_NAME_RULES, NAME_RULES, SIGNATURE_AT_END
from medqa.deid.rules import ALL_RULES, ENCLOSED_RUN, Rule, trie_pattern
from medqa.deid.vocabulary import KINDS, PLACEHOLDER_RE, PLACEHOLDERS, canonical_kind

FOLDED_RULES: tuple[Rule, ...] = (*ALL_RULES, *ADDRESS_RULES)  # run on the folded view
TEXT_RULES: tuple[Rule, ...] = (
    *NAME_RULES,
    *LATIN_NAME_RULES,
    *CONTEXT_NAME_RULES,
    *MODEL_RULES_TEXT,
    ENCLOSED_RUN,
)  # run on the text as written (一 is a name character)
# Every folded rule needs one of these in the text as written; texts without any skip them
# (and the folding): a digit or Latin letter of any width, "@", a run of Chinese numerals, or a
# road, building or address word.
_FOLDED_GATES = (  # each a plain class or word list, which re scans fast
    re.compile(r"[0-9A-Za-z０-９Ａ-Ｚａ-ｚ@＠①-⑨❶-❾➀-➈⓪]"),
    re.compile(
        "路|街|巷|弄|村|栋|幢|单元|地址|住址|住在|家住|家在|寄到|送到|昵称|账号|微信名|网名|用户名|简书|up主|UP主|博主|群友|老用户|搜|"
        "微博|抖音|小红书|红书|红薯|哔哩|知乎|快手|视频号|豆瓣|头条|推特|闲鱼|贴吧|陌陌|斗鱼|虎牙|"
        # a bed in Chinese numerals, with no digit in the text: 床号：十二床, 他在十二床
        "床号|床位|病床|加床|十床|一床|二床|三床|四床|五床|六床|七床|八床|九床|"
        # a date of birth in Chinese numerals: 九六年五月二号生的
        "号生|日生|号出生|日出生|年出生|年生|月生|民国|民國|属鼠|属牛|属虎|属兔|属龙|属蛇|属马|属羊|属猴|属鸡|属狗|属猪"
    ),
    # (spoken in groups: 幺五九 两三七六 八零幺四)
    re.compile(
        r"[〇零一二三四五六七八九壹贰叁肆伍陆柒捌玖幺两](?: ?[〇零一二三四五六七八九壹贰叁肆伍陆柒捌玖幺两]){3}"
    ),
)
_GATE_CHARS, _GATE_WORDS, _GATE_NUMERALS = (gate.search for gate in _FOLDED_GATES)
MODEL_RANK = 44  # the name model's spans yield to every rule's (a doctor's name stays a doctor's)
_SPACE_BETWEEN = re.compile(r"[0-9A-Za-z@._:#\-] [0-9A-Za-z@._:#\-]")
# Overlaps are merged; the merged span takes the kind of its best-ranked part, so "微信
# 13812345678" is one WeChat id, not a WeChat id and a phone number.


@dataclass(frozen=True)
class Span:
    """One identifier: its kind and where it is in the text (``text[start:end]``)."""

    kind: str
    start: int
    end: int


class Deidentifier:
    """Replace identifiers of the chosen ``kinds`` (all by default) with placeholders.

    ``keep_doctor_names`` leaves doctors' names in place (their spans still shield them from
    the person-name rules). ``placeholders`` overrides the text written for a kind.
    """

    def __init__(
        self,
        kinds: Iterable[str] | None = None,
        *,
        keep_doctor_names: bool = False,
        placeholders: dict[str, str] | None = None,
    ) -> None:
        chosen = KINDS if kinds is None else tuple(canonical_kind(k) for k in kinds)
        if keep_doctor_names:
            chosen = tuple(k for k in chosen if k != "doctor_name")
        self.kinds = frozenset(chosen)
        self.placeholders = dict(PLACEHOLDERS)
        for name, text in (placeholders or {}).items():
            self.placeholders[canonical_kind(name)] = text

    def find(self, text: str) -> list[Span]:
        """Spans of the chosen kinds in ``text``, in order, never overlapping."""
        if not text:
            return []
        return find_all(text, self.kinds)

    def redact(self, text: str, counts: Counter[str] | None = None) -> str:
        """``text`` with identifiers replaced; ``counts`` (if given) gains one per replacement."""
        spans = self.find(text)
        if not spans:
            return text
        out, pos = [], 0
        for span in spans:
            out.append(text[pos : span.start])
            out.append(self.placeholders[span.kind])
            pos = span.end
            if counts is not None:
                counts[span.kind] += 1
        out.append(text[pos:])
        return "".join(out)


def find_all(text: str, kinds: frozenset[str] = frozenset(KINDS)) -> list[Span]:
    """Identifier spans of ``kinds`` in ``text``, overlaps merged (see the module doc).

    Doctors' names are always looked for: with ``doctor_name`` off they still keep the
    person-name rules away from a doctor's name, and are then left in the text."""
    found: list[tuple[int, int, int, str]] = []  # (start, end, rank, kind)
    view = None  # the folded text, where a gate let the folded rules run
    if _GATE_CHARS(text) or _GATE_WORDS(text) or _GATE_NUMERALS(text):
        view = fold(text)
        compact, shifts = _compact(view)
        _collect(_FOLDED_SCANNER, compact, found)
        if shifts:
            found[:] = [(_back(a, shifts), _back(b - 1, shifts) + 1, r, k) for a, b, r, k in found]
    # the name rules see an ideographic space as a space (——头颈外科\u3000主任医师\u3000陆承泽)
    spaced = text.replace("\u3000", " ") if "\u3000" in text else text
    if has_traditional(spaced):  # the name rules and model know simplified characters: 陳雅婷
        spaced = simplified(spaced)
    _collect(_TEXT_SCANNER, spaced, found)
    # a pinyin name needs Latin letters, which a text the folded rules skipped has none of
    names = find_names(spaced, latin=view is not None)
    found.extend((a, b, MODEL_RANK, "person_name") for a, b in names)
    # a signature is looked for in the last characters only, and only where the text ends in a
    # Chinese character (a name's last), as most answers end in a full stop
    last = text[-1:] if not text[-1:].isspace() else text.rstrip()[-1:]
    if "\u4e00" <= last <= "\u9fff":
        _keep(SIGNATURE_AT_END, _tail_matches(SIGNATURE_AT_END, spaced, 16), spaced, found)
    if not found:
        return []
    _shield_placeholders(text, found)
    found = [f for f in found if f[3] in kinds or f[3] == "doctor_name"]
    if not found:
        return []
    spans = _merge(found)
    triples = [(s.kind, s.start, s.end) for s in spans]
    second = corrections(view if view is not None else text, triples)
    if any(kind == "id_card" for kind, _, _ in triples):  # the view was folded: digits
        second += births_from_ids(view, triples + second)
    if second:
        spans = sorted(spans + [Span(k, a, b) for k, a, b in second], key=lambda s: s.start)
    return [s for s in _repeat_names(text, spans) if s.kind in kinds]


_NAME_KINDS = ("person_name", "doctor_name")
_HANDLE_KINDS = ("social_handle", "wechat")


def _repeat_names(text: str, spans: list[Span]) -> list[Span]:
    """Every other place a found name or handle is written is that name too (姓名 邓晓琳 …
    邓晓琳你好; 小红书 @骨科小林医生 … 我是“骨科小林医生”, where the handle swallows the
    doctor's name found inside it)."""
    names = {text[s.start : s.end]: s.kind for s in spans if s.kind in _NAME_KINDS}
    names = {name: kind for name, kind in names.items() if len(name) >= 2}
    handles = set()
    for span in spans:
        if span.kind in _HANDLE_KINDS:
            handle = text[span.start : span.end].lstrip("@")
            # a handle in Chinese, or an id with a digit or underscore (not @Service in code)
            if (len(handle) >= 3 and _HAN.search(handle)) or _ID_LIKE.fullmatch(handle):
                handles.add(handle)
                names.setdefault(handle, span.kind)
    if not names:
        return spans
    spans = list(spans)
    changed = False
    for name, kind in names.items():
        pos = text.find(name)
        while pos >= 0:
            end = pos + len(name)
            inside = [s for s in spans if pos < s.end and s.start < end]
            if not inside or (
                name in handles
                and all(pos <= s.start and s.end <= end for s in inside)
                and any(s.start > pos or s.end < end for s in inside)
            ):
                spans = [s for s in spans if s not in inside] + [Span(kind, pos, end)]
                changed = True
            pos = text.find(name, end)
    return sorted(spans, key=lambda s: s.start) if changed else spans


_HAN = re.compile("[\u4e00-\u9fff]")
_ID_LIKE = re.compile(r"(?=[A-Za-z0-9_\-.]*[0-9_])[A-Za-z0-9_\-.]{5,}")
_META = set("[](){}*+?^$.|")


def _literal_words(pattern: str) -> list[str] | None:
    """The words of an anchor that is a plain alternation of words, else None."""
    if pattern.startswith("(?:") and pattern.endswith(")") and pattern.count("(") == 1:
        pattern = pattern[3:-1]
    words = []
    for piece in pattern.split("|"):
        plain = re.sub(r"\\.", "", piece)
        if not piece or _META & set(plain):
            return None
        words.append(re.sub(r"\\(.)", r"\1", piece))
    return words


def _overlaps(words: set[str]) -> set[str]:
    """Every word two anchor words make when the second starts inside the first and runs past
    it (女儿 + 儿叫 = 女儿叫): the one pass takes the longest word at a position and goes on
    after it, so without the joined word the second would never be found there. A joined word
    stands for the anchors of both (see ``owners``)."""
    by_prefix: dict[str, list[str]] = {}
    for word in words:
        for k in range(1, len(word)):
            by_prefix.setdefault(word[:k], []).append(word)
    return {
        first[:i] + second
        for first in words
        for i in range(1, len(first))
        for second in by_prefix.get(first[i:], ())
    }


class _Scanner:
    """Finds the anchors of a rule set: every anchor that is a list of words in one pass of
    one regex (longest word first), the others (runs of digits, a year) one pass each."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        rules = tuple(rules)
        self.unanchored = [r for r in rules if r.anchor is None]
        self.rules_near: dict[re.Pattern, list[Rule]] = {}
        for rule in rules:
            if rule.anchor is not None:
                self.rules_near.setdefault(rule.anchor.pattern, []).append(rule)
        patterns = list(self.rules_near)
        literal = {p: _literal_words(p.pattern) for p in patterns}
        self.others = [p for p in patterns if literal[p] is None]
        # sorted: the regex (its branch order) is the same in every process, whatever the hash seed
        plain = {w for ws in literal.values() if ws for w in ws}
        words = sorted(plain | _overlaps(plain), key=lambda w: (-len(w), w))
        self.words = re.compile(trie_pattern(words)) if words else None
        # a word found stands for every anchor one of whose words it contains
        self.owners = {
            word: [p for p, ws in literal.items() if ws and any(w in word for w in ws)]
            for word in words
        }

    def spots(self, view: str) -> dict[re.Pattern, list[tuple[int, int]]]:
        found: dict[re.Pattern, list[tuple[int, int]]] = {}
        if self.words is not None:
            for match in self.words.finditer(view):
                for pattern in self.owners[match.group()]:
                    found.setdefault(pattern, []).append(match.span())
        for pattern in self.others:
            spans = [m.span() for m in pattern.finditer(view)]
            if spans:
                found[pattern] = spans
        return found


def _collect(scanner: _Scanner, view: str, found: list[tuple[int, int, int, str]]) -> None:
    for rule in scanner.unanchored:
        _keep(rule, rule.pattern.finditer(view), view, found)
    for pattern, spots in scanner.spots(view).items():
        for rule in scanner.rules_near[pattern]:
            _keep(rule, _near(rule, view, spots), view, found)


def _tail_matches(rule: Rule, text: str, size: int) -> list[re.Match]:
    """``rule``'s match in the last ``size`` characters of ``text``, if any."""
    match = rule.pattern.search(text, max(0, len(text) - size))
    return [match] if match else []


def _keep(
    rule: Rule, matches: Iterable[re.Match], view: str, found: list[tuple[int, int, int, str]]
) -> None:
    """Add the matches ``rule``'s check accepts to ``found`` (value span, trimmed)."""
    for match in matches:
        start, end = match.span("v") if match.groupdict().get("v") else match.span()
        start, end = _trim(view, start, end)
        if end <= start:
            continue
        if rule.check is not None and not rule.check(view[start:end], view, start):
            continue
        found.append((start, end, rule.rank, rule.kind))


_FOLDED_SCANNER = _Scanner(FOLDED_RULES)
_TEXT_SCANNER = _Scanner(TEXT_RULES)
# A space next to a lone Latin letter, digit or sign is spelling-out ("Q Q 2 7 7 6", "z h a o
# @ 1 6 3 . c o m", "w x : abc"): the view the folded rules see drops it, except between a
# spelt-out number and a word after it ("QQ 1 0 3 9 2 8 4 7 5 6 ABA训练中", "… 7 5 B站").
_SPELLED_GAP = re.compile(
    r"(?:(?:(?<=^[0-9A-Za-z@._:#\-])|(?<=[^0-9A-Za-z@._:#\-][0-9A-Za-z@._:#\-])) (?=[0-9A-Za-z@._:#\-])"
    r"|(?<=[0-9A-Za-z@._:#\-]) (?=[0-9A-Za-z@._:#\-](?:$|[^0-9A-Za-z@._:#\-])))"
    r"(?!(?<=[0-9] )[A-Za-z](?:[A-Za-z]|[^\x00-\x7f]))"
)


def _compact(folded: str) -> tuple[str, list[int]]:
    """``folded`` without spelling-out spaces, and where they were (see :func:`_back`)."""
    if _SPACE_BETWEEN.search(folded) is None:
        return folded, []
    gaps = [m.start() for m in _SPELLED_GAP.finditer(folded)]
    if not gaps:
        return folded, []
    pieces, pos = [], 0
    for gap in gaps:
        pieces.append(folded[pos:gap])
        pos = gap + 1
    pieces.append(folded[pos:])
    return "".join(pieces), [gap - i for i, gap in enumerate(gaps)]


def _back(pos: int, shifts: list[int]) -> int:
    """The position in the folded text of position ``pos`` of the compacted view."""
    return pos + bisect_right(shifts, pos)


def _near(rule: Rule, view: str, spots: list[tuple[int, int]]) -> Iterable[re.Match]:
    """Matches of ``rule`` that start near an anchor, each checked against the whole text
    (so lookaheads see past the window), every start once, in order."""
    assert rule.anchor is not None
    before, after, size = rule.anchor.before, rule.anchor.after, len(view)
    windows: list[list[int]] = []
    for start, end in spots:
        lo, hi = max(0, start - before), min(size, end + after)
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], hi)
        else:
            windows.append([lo, hi])
    last_end = -1
    for lo, hi in windows:
        pos = lo if rule.check is not None else max(lo, last_end)
        while pos < hi:
            found = rule.pattern.search(view, pos, hi)
            if found is None:
                break
            whole = rule.pattern.match(view, found.start()) or found
            yield whole
            last_end = whole.end()
            # a rule with a check may refuse this match: then a later start must still be tried
            # (谢谢吴医生: 谢吴医生 is refused, 吴医生 is not)
            pos = found.start() + 1 if rule.check is not None else max(whole.end(), pos + 1)


_TRIM_START = " .,-:;!?)/"
_TRIM_END = " .,-:;!?("


def _trim(view: str, start: int, end: int) -> tuple[int, int]:
    """Drop separators a pattern took at either end (a URL's closing full stop, an unopened
    closing bracket)."""
    while start < end and view[start] in _TRIM_START:
        start += 1
    while end > start and (
        view[end - 1] in _TRIM_END or (view[end - 1] == ")" and "(" not in view[start:end])
    ):
        end -= 1
    return start, end


def _shield_placeholders(text: str, found: list[tuple[int, int, int, str]]) -> None:
    """Drop spans that touch a placeholder already in the text (a second run changes nothing)."""
    if "[" not in text:
        return
    taken = [m.span() for m in PLACEHOLDER_RE.finditer(text)]
    if taken:
        found[:] = [f for f in found if not any(f[0] < b and a < f[1] for a, b in taken)]


def _merge(found: list[tuple[int, int, int, str]]) -> list[Span]:
    found.sort()
    spans: list[Span] = []
    start, end, rank, kind = found[0]
    for s, e, r, k in found[1:]:
        if s < end:  # overlap: one span, the best-ranked kind
            end = max(end, e)
            if r < rank:
                rank, kind = r, k
            continue
        spans.append(Span(kind, start, end))
        start, end, rank, kind = s, e, r, k
    spans.append(Span(kind, start, end))
    return spans

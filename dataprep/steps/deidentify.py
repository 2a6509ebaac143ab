"""De-identify: phone, ID-card, email, QQ/WeChat, URL, bed and record numbers → typed placeholders."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from dataprep.steps.base import RecordStep, StepStats, map_texts

# type -> (trigger, pattern), in priority order: when two matches overlap, the one starting
# first wins, and on a tie the type listed first. A pattern's optional ``label`` group (the
# keyword before the value, e.g. "QQ号：") stays in the text; only the value is replaced. The
# trigger is a cheap regex every match needs, so most texts never run the full patterns.
_PATTERNS: dict[str, tuple[str, str]] = {
    "url": (
        r"www\.|://|\.(?:com|cn|net|org|cc|top|info|vip|xyz)",
        r"(?:https?://|www\.)[^\s，。；！？、（）()<>\"'【】\[\]]+"
        r"|(?<![A-Za-z0-9@.])[A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63})*"
        r"\.(?:com|cn|net|org|cc|top|info|vip|xyz)(?![A-Za-z])(?:/[^\s，。；！？、（）()]*)?",
    ),
    "email": (
        "@",
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    ),
    "wechat": (
        r"微信|威信|薇信|[Vv]信|[Vv][Xx]|[Ww][Xx]|(?i:weixin|wechat)",
        r"(?P<label>(?:微信|威信|薇信|[Vv]信|[Vv][Xx]|[Ww][Xx]|(?i:weixin|wechat))(?:号码|号)?"
        r"\s*(?:是|为)?\s*[:：(（]?\s*)"
        r"(?:[A-Za-z][-_A-Za-z0-9]{5,19}|1[3-9]\d{9})(?![-_A-Za-z0-9])",
    ),
    "qq": (
        r"[Qq][Qq]|扣扣|企鹅",
        r"(?P<label>(?:QQ|qq|Qq|扣扣|企鹅)(?:号码|号|群)?\s*(?:是|为)?\s*[:：]?\s*)[1-9]\d{4,10}(?!\d)",
    ),
    "record_no": (
        "号",
        r"(?P<label>(?:住院病历号|住院号|门诊号|病案号|病历号|就诊卡号|就诊号|登记号|检查号)"
        r"\s*(?:是|为)?\s*[:：]?\s*)[A-Za-z]{0,3}\d{4,15}(?![\dA-Za-z])",
    ),
    "bed": (
        "床",
        r"(?P<label>(?:床号|床位号|病床号)\s*[:：]?\s*)[A-Za-z]?\d{1,4}(?!\d)"
        r"|(?<![\dA-Za-z])[A-Za-z]?\d{1,4}\s*号(?:病)?床"
        r"|(?:(?<=[科区室楼，,。；;\s])|^)\s*\d{1,4}\s*床(?![上下单双被垫头位棉])",
    ),
    "id_card": (
        r"\d{17}",
        r"(?<![\dA-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])"
        r"(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])",
    ),
    "phone": (
        r"\d{3}[-－\s)）]?\d{4}",
        r"(?<![\d.])(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?![\d.])"
        r"(?!\s*(?:[Cc]opies|拷贝|[Ii][Uu]\b|/[mMuμ]?[Ll]))"  # not a viral load (copies/ml)
        r"|(?<![\d.])[48]00[-\s]?\d{3}[-\s]?\d{4}(?![\d.])"
        r"|(?<![\d.\-/])(?:\+86[-\s]?(?:[(（]\d{2,3}[)）]|\d{2,3})|[(（]0\d{2,3}[)）]|0\d{2,3})"
        r"[-－\s]?(?:\d{7,8}|\d{3,4}[-\s]\d{4})(?![\d.])",
    ),
}
_ASCII_ALNUM = re.compile(r"[0-9A-Za-z@]")
DEFAULT_PLACEHOLDERS: dict[str, str] = {
    "url": "[网址]",
    "email": "[邮箱]",
    "wechat": "[微信号]",
    "qq": "[QQ号]",
    "record_no": "[病历号]",
    "bed": "[床号]",
    "id_card": "[身份证号]",
    "phone": "[电话]",
}


@dataclass
class DeidentifyParams:
    """``types``: which kinds to replace (all by default); ``placeholders``: type → text."""

    types: list[str] = field(default_factory=lambda: list(DEFAULT_PLACEHOLDERS))
    placeholders: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in [*self.types, *self.placeholders]:
            if name not in DEFAULT_PLACEHOLDERS:
                known = ", ".join(DEFAULT_PLACEHOLDERS)
                raise ValueError(f"unknown de-identification type {name!r} (known: {known})")


class Deidentify(RecordStep):
    """Replace personal identifiers with typed placeholders and count them per type."""

    name = "deidentify"

    def __init__(self, params: DeidentifyParams) -> None:
        self.params = params
        self.placeholders = {**DEFAULT_PLACEHOLDERS, **params.placeholders}
        chosen = {k: v for k, v in _PATTERNS.items() if k in params.types}
        self.rules = [(k, re.compile(t), re.compile(p)) for k, (t, p) in chosen.items()]

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """``(type, start, end)`` of every identifier value in ``text`` (labels excluded)."""
        if _ASCII_ALNUM.search(text) is None:
            return []  # every identifier has an ASCII letter, digit or "@"
        found = []
        for priority, (kind, trigger, pattern) in enumerate(self.rules):
            if trigger.search(text) is None:
                continue
            for match in pattern.finditer(text):
                found.append((match.start(), priority, match.end(), kind, _value_start(match)))
        spans, pos = [], 0
        for start, _, end, kind, value_start in sorted(found):
            if start >= pos:
                spans.append((kind, value_start, end))
                pos = end
        return spans

    def text(self, text: str, counts: Counter | None = None) -> str:
        """``text`` with identifiers replaced; ``counts`` (if given) gains one per replacement."""
        spans = self.find(text)
        if not spans:
            return text
        out, pos = [], 0
        for kind, start, end in spans:
            out.append(text[pos:start])
            out.append(self.placeholders[kind])
            pos = end
            if counts is not None:
                counts[kind] += 1
        out.append(text[pos:])
        return "".join(out)

    def apply(self, record: dict, stats: StepStats) -> str | None:
        map_texts(record, lambda text: self.text(text, stats.counts))
        return None


def _value_start(match: re.Match) -> int:
    """Where the identifier value starts: after the keyword label if the pattern has one."""
    if "label" in match.re.groupindex and match.group("label") is not None:
        return match.end("label")
    return match.start()

"""Normalise text: safe NFKC, full-width ASCII → half-width, HTML, control chars, whitespace, t2s."""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from dataclasses import dataclass

from dataprep.steps.base import RecordStep, StepStats, map_texts
from dataprep.textutil import CJK_CLASS

# Chinese punctuation that NFKC would turn into ASCII; Chinese text keeps the full-width forms.
KEEP_FULLWIDTH = frozenset("，！？：；（）")
# Compatibility forms whose NFKC loses meaning: superscripts/subscripts (10⁹/L would become
# 109/L, m² m2, CO₂ CO2) and circled numbers used as list markers (①口服 would become 1口服).
_KEEP_DECOMPOSITIONS = ("<super>", "<sub>", "<circle>")
_ZERO_WIDTH = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"
_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]{0,300})?/?>")
_BREAK_TAG_RE = re.compile(r"<(?:br|/p|/div|/li|/h[1-6])\s*/?>", re.IGNORECASE)
_SPACES_RE = re.compile(r"[ \t\u00a0]+")
_CJK_PUNCT = f"{CJK_CLASS}，。！？；：、（）“”‘’《》【】"
_CJK_SPACE_RE = re.compile(f"(?<=[{_CJK_PUNCT}]) (?=[{_CJK_PUNCT}])")
_LINES_RE = re.compile(r" *\n[\n ]*")


@functools.cache
def _translation() -> tuple[dict[int, str | None], re.Pattern]:
    """The code-point table (NFKC where safe, control/zero-width chars removed) and a regex
    that finds any character the table changes, so clean text skips ``str.translate``."""
    table: dict[int, str | None] = {}
    for cp in range(0x80, 0x10000):
        char = chr(cp)
        category = unicodedata.category(char)
        if category == "Cs" or char in KEEP_FULLWIDTH:
            continue
        if category == "Cc" or char in _ZERO_WIDTH:
            table[cp] = None
            continue
        if unicodedata.decomposition(char).startswith(_KEEP_DECOMPOSITIONS):
            continue
        norm = unicodedata.normalize("NFKC", char)
        if norm != char and not any(unicodedata.category(c).startswith("M") for c in norm):
            table[cp] = norm
    for cp in list(range(0x00, 0x20)) + [0x7F]:
        if chr(cp) not in "\n\t":
            table[cp] = None
    table[0x2028] = table[0x2029] = "\n"
    chars = "".join(re.escape(chr(cp)) for cp in sorted(table))
    return table, re.compile(f"[{chars}]")


@dataclass
class NormalizeParams:
    """``nfkc``: NFKC where safe (keeps ，！？：；（）) incl. full-width ASCII → half-width;
    ``html``: unescape entities and strip tags; ``whitespace``: collapse spaces, drop spaces
    between CJK characters, one newline between lines; ``t2s``: traditional → simplified."""

    nfkc: bool = True
    html: bool = True
    whitespace: bool = True
    t2s: bool = False


class Normalize(RecordStep):
    """Canonical text form. Never drops a record (empty results are caught by the filters)."""

    name = "normalize"

    def __init__(self, params: NormalizeParams) -> None:
        self.params = params
        self._converter = None

    def text(self, text: str) -> str:
        """The normalised form of one text."""
        p = self.params
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if p.html:
            if "<" in text:
                text = _TAG_RE.sub("", _BREAK_TAG_RE.sub("\n", text))
            if "&" in text:
                text = html.unescape(text)
        if p.nfkc:
            table, needs = _translation()
            if needs.search(text):
                text = text.translate(table)
        if p.t2s:
            text = self._opencc().convert(text)
        if p.whitespace:
            if " " in text or "\t" in text or "\u00a0" in text:
                text = _CJK_SPACE_RE.sub("", _SPACES_RE.sub(" ", text))
            if "\n" in text:
                text = _LINES_RE.sub("\n", text)
        return text.strip()

    def _opencc(self):
        if self._converter is None:
            import opencc

            self._converter = opencc.OpenCC("t2s")
        return self._converter

    def apply(self, record: dict, stats: StepStats) -> str | None:
        map_texts(record, self.text)
        return None

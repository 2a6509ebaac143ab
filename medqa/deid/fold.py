"""A same-length view of a text for matching: every character maps to exactly one character.

Digits people write to dodge filters become ASCII digits (full-width ``１``, circled ``①``,
mathematical ``𝟏``, and Chinese ``一``/``壹``/``幺``/``〇`` inside a run of digits), full-width
Latin letters and signs become ASCII,
dashes and dots of every width become ``-`` and ``.``. Because the view has the same length,
a match found in it is a span of the original text.
"""

from __future__ import annotations

import re
from pathlib import Path

_DIGIT_FORMS = {
    "0": "０⓪⁰₀𝟎𝟘𝟢𝟬𝟶",
    "1": "１①⑴⒈❶➀➊¹₁𝟏𝟙𝟣𝟭𝟷",
    "2": "２②⑵⒉❷➁➋²₂𝟐𝟚𝟤𝟮𝟸",
    "3": "３③⑶⒊❸➂➌³₃𝟑𝟛𝟥𝟯𝟹",
    "4": "４④⑷⒋❹➃➍⁴₄𝟒𝟜𝟦𝟰𝟺",
    "5": "５⑤⑸⒌❺➄➎⁵₅𝟓𝟝𝟧𝟱𝟻",
    "6": "６⑥⑹⒍❻➅➏⁶₆𝟔𝟞𝟨𝟲𝟼",
    "7": "７⑦⑺⒎❼➆➐⁷₇𝟕𝟟𝟩𝟳𝟽",
    "8": "８⑧⑻⒏❽➇➑⁸₈𝟖𝟠𝟪𝟴𝟾",
    "9": "９⑨⑼⒐❾➈➒⁹₉𝟗𝟡𝟫𝟵𝟿",
}
# Chinese numerals are digits only in a run of three or more of them (一三八 六六八二, 二〇二四)
# or mixed with digits (1八6 0二1三):
# alone they are words (四川, 一天, 三月) and stay, or "。四川" would end a phone number with a 4.
_CHINESE_DIGITS = {
    "0": "〇零",
    "1": "一壹幺",
    "2": "二贰两",
    "3": "三叁",
    "4": "四肆",
    "5": "五伍",
    "6": "六陆",
    "7": "七柒",
    "8": "八捌",
    "9": "九玖",
}
_SIGN_FORMS = {
    "-": "－‐‑‒–—―﹣−",
    ".": "．。·•・﹒",
    "@": "＠",
    "#": "＃",
    ":": "：",
    "/": "／",
    "_": "＿",
    " ": "\u3000\u00a0\u2002\u2003\u2009\t",
    "(": "（",
    ")": "）",
    "+": "＋",
}


def _traditional() -> dict[str, str]:
    """Traditional characters and their simplified forms (``t2s_chars.txt``: opencc's t2s,
    character by character, so the view keeps its length): 陳雅婷 is 陈雅婷, 號 is 号."""
    pairs = Path(__file__).with_name("t2s_chars.txt").read_text(encoding="utf-8").splitlines()
    return {line[0]: line[1] for line in pairs if len(line) == 2}


TRADITIONAL = _traditional()


def _table() -> dict[int, str]:
    table: dict[int, str] = {ord(t): s for t, s in TRADITIONAL.items()}
    for target, forms in _SIGN_FORMS.items():
        table.update((ord(c), target) for c in forms)
    for digit, forms in _DIGIT_FORMS.items():
        table.update((ord(c), digit) for c in forms)
    for code in range(0xFF21, 0xFF3B):  # Ａ-Ｚ
        table[code] = chr(code - 0xFEE0)
    for code in range(0xFF41, 0xFF5B):  # ａ-ｚ
        table[code] = chr(code - 0xFEE0)
    return table


FOLD_TABLE = _table()
_FOLDED = {chr(code): target for code, target in FOLD_TABLE.items()}


def _char_class(codes: list[int]) -> str:
    """A character class of ``codes``, runs of consecutive code points as ranges."""
    parts, start = [], None
    for i, code in enumerate(codes):
        if start is None:
            start = code
        if i + 1 == len(codes) or codes[i + 1] != code + 1:
            parts.append(
                re.escape(chr(start)) + ("-" + re.escape(chr(code)) if code > start else "")
            )
            start = None
    return "[" + "".join(parts) + "]"


# Only the few characters that change are touched: much faster than str.translate on CJK text.
# The basic-plane characters form one class (re looks each character up in one table); with the
# mathematical digits (above U+FFFF) in it, re would compare every character with the whole list.
_TO_FOLD = re.compile(_char_class(sorted(code for code in FOLD_TABLE if code <= 0xFFFF)))
_TO_FOLD_ASTRAL = re.compile(_char_class(sorted(code for code in FOLD_TABLE if code > 0xFFFF)))
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_CHINESE = {c: digit for digit, forms in _CHINESE_DIGITS.items() for c in forms}
_CN = "".join(_CHINESE)
_CHINESE_RUN = re.compile(f"[{_CN}](?:[ .\\-]?[{_CN}]){{2,}}")
# Chinese numerals mixed one by one with digits (1八6 0二1三 3四5七): a run of five or more,
# spaces or dashes between, two of each at least (not 028-85422114。四川: a full stop ends it)
_MIXED_RUN = re.compile(f"[0-9{_CN}](?:[ \\-]?[0-9{_CN}]){{4,}}")
_MIXED_GATE = re.compile(f"[{_CN}][0-9]")  # a numeral right before a digit: 1八6, 0二1三
_CHINESE_TABLE = str.maketrans(_CHINESE)


def _folded_char(match: re.Match) -> str:
    return _FOLDED[match.group()]


def fold(text: str) -> str:
    """The matching view of ``text`` (same length, see the module doc)."""
    text = _TO_FOLD.sub(_folded_char, text)
    if _ASTRAL.search(text):
        text = _TO_FOLD_ASTRAL.sub(_folded_char, text)
    text = _CHINESE_RUN.sub(_to_digits, text)
    if _MIXED_GATE.search(text) is None:
        return text
    return _MIXED_RUN.sub(_mixed_to_digits, text)


def _to_digits(match: re.Match) -> str:
    return match.group().translate(_CHINESE_TABLE)


def _mixed_to_digits(match: re.Match) -> str:
    """Digits for the Chinese numerals of a run that holds two digits and two numerals at
    least (三十五 alone stays words unless :data:`_CHINESE_RUN` took it)."""
    run = match.group()
    digits = sum(c.isdigit() for c in run)
    numerals = sum(c in _CHINESE for c in run)
    return run.translate(_CHINESE_TABLE) if digits >= 2 and numerals >= 2 else run


_TO_SIMPLIFIED = re.compile(_char_class(sorted(map(ord, TRADITIONAL))))
has_traditional = _TO_SIMPLIFIED.search


def _simplified_char(match: re.Match) -> str:
    return TRADITIONAL[match.group()]


def simplified(text: str) -> str:
    """``text`` with traditional characters written simplified (same length)."""
    return _TO_SIMPLIFIED.sub(_simplified_char, text)

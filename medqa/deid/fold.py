"""A same-length view of a text for matching: every character maps to exactly one character.

Digits people write to dodge filters become ASCII digits (full-width ``１``, circled ``①``,
Chinese ``一``/``壹``/``幺``, ``〇``/``零``), full-width Latin letters and signs become ASCII,
dashes and dots of every width become ``-`` and ``.``. Because the view has the same length,
a match found in it is a span of the original text.
"""

from __future__ import annotations

import re

_DIGIT_FORMS = {
    "0": "０⓪〇零⁰₀",
    "1": "１①⑴⒈❶➀➊一壹幺¹₁",
    "2": "２②⑵⒉❷➁➋二贰²₂",
    "3": "３③⑶⒊❸➂➌三叁³₃",
    "4": "４④⑷⒋❹➃➍四肆⁴₄",
    "5": "５⑤⑸⒌❺➄➎五伍⁵₅",
    "6": "６⑥⑹⒍❻➅➏六陆⁶₆",
    "7": "７⑦⑺⒎❼➆➐七柒⁷₇",
    "8": "８⑧⑻⒏❽➇➑八捌⁸₈",
    "9": "９⑨⑼⒐❾➈➒九玖⁹₉",
}
_SIGN_FORMS = {
    "-": "－‐‑‒–—―﹣−一",  # 一 is overridden below: it is a digit
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


def _table() -> dict[int, str]:
    table: dict[int, str] = {}
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
# Only the few characters that change are touched: much faster than str.translate on CJK text.
_TO_FOLD = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(FOLD_TABLE)) + "]")


def fold(text: str) -> str:
    """The matching view of ``text`` (same length, see the module doc)."""
    return _TO_FOLD.sub(lambda match: _FOLDED[match.group()], text)

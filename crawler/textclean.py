"""Text normalisation and de-identification for crawled Q&A text.

:func:`normalise` fixes what HTML leaves behind (entities that were escaped twice, non-breaking
and full-width spaces, zero-width characters, ragged line breaks, full-width digits and Latin
letters). :func:`deidentify` replaces contact details with placeholders and counts them per type.
Run it after :func:`normalise`, so ``１３８…`` in full-width digits is caught as a phone number.
"""

from __future__ import annotations

import html
import re
from collections import Counter

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACES = {ord(c): " " for c in "\u00a0\u3000\u2002\u2003\u2009\t\r\f\v"}
_FULL_WIDTH_ALNUM = {
    code: code - 0xFEE0
    for start, end in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for code in range(start, end + 1)
}
_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_RUN_OF_SPACES = re.compile(r" {2,}")
_TRANSLATION = {**_ZERO_WIDTH, **_SPACES, **_FULL_WIDTH_ALNUM}


def normalise(text: str | None) -> str:
    """Unescape stray entities, unify spaces, drop zero-width characters and blank lines."""
    if not text:
        return ""
    for _ in range(2):  # pages often escape entities twice: "&amp;nbsp;"
        if "&" not in text or not _ENTITY.search(text):
            break
        text = html.unescape(text)
    text = text.translate(_TRANSLATION)
    lines = (_RUN_OF_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


# (type, pattern, replacement). Order matters: e-mails before URLs (their domain), both before the
# digit patterns inside them, ID numbers before phone numbers, labelled WeChat/QQ ids before bare numbers.
_ASCII_BEFORE = r"(?<![A-Za-z0-9_])"
_DEID_RULES: tuple[tuple[str, re.Pattern, str], ...] = (
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"), "[邮箱]"),
    (
        "url",
        re.compile(
            r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+"
            r"|"
            + _ASCII_BEFORE
            + r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:com|cn|net|org|cc|top|info|me)"
            r"(?:/[A-Za-z0-9\-._~/?#=&%]*)?(?![A-Za-z0-9])",
            re.I,
        ),
        "[网址]",
    ),
    (
        "id_card",
        re.compile(
            r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
            r"\d{3}[\dXx](?![0-9A-Za-z])"
        ),
        "[身份证号]",
    ),
    (
        "wechat",
        re.compile(
            r"((?:微信|威信|薇信|V信|v信|(?<![A-Za-z])(?:vx|VX|Vx|wx|WX|weixin|wechat|WeChat)(?![A-Za-z]))"
            r"(?:号码|号)?\s*(?:是|为)?\s*[:：]?\s*)"
            r"([A-Za-z][-_A-Za-z0-9]{5,19}|1[3-9]\d{9})(?![-_A-Za-z0-9])"
        ),
        r"\1[微信号]",
    ),
    (
        "qq",
        re.compile(
            r"((?<![A-Za-z])(?:QQ|qq|Qq|扣扣)(?:号码|号|群)?\s*(?:是|为)?\s*[:：]?\s*)([1-9]\d{4,11})(?!\d)"
        ),
        r"\1[QQ号]",
    ),
    ("mobile", re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d)"), "[手机号]"),
    (
        "landline",
        # area code plain or in brackets; the local number whole or split 3/4 + 4
        re.compile(
            r"(?<![\d.])(?:(?:[(（]0\d{2,3}[)）]\s?|0\d{2,3}[-\s]?)(?:\d{7,8}|\d{3,4}[-\s]\d{4})"
            r"|400-?\d{3}-?\d{4})(?![\d.])"
        ),
        "[电话]",
    ),
)
DEID_TYPES: tuple[str, ...] = tuple(kind for kind, _, _ in _DEID_RULES)


def deidentify(text: str, counts: Counter[str] | None = None) -> str:
    """Replace URLs, e-mails, ID-card numbers, WeChat/QQ ids and phone numbers with placeholders
    (``[手机号]``, ``[微信号]``, …); add how many of each type were found to ``counts``."""
    if not text:
        return text
    for kind, pattern, replacement in _DEID_RULES:
        text, found = pattern.subn(replacement, text)
        if found and counts is not None:
            counts[kind] += found
    return text

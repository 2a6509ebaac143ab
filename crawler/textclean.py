"""Text normalisation for crawled Q&A text.

:func:`normalise` fixes what HTML leaves behind (entities that were escaped twice, non-breaking
and full-width spaces, zero-width characters, ragged line breaks, full-width digits and Latin
letters). De-identification is not done here: the pipeline calls the shared engine
(:mod:`medqa.deid`), the same one dataprep runs.
"""

from __future__ import annotations

import html
import re

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

"""Turns that carry no answer: closings, acknowledgements and platform solicitations.

A doctor's "嗯", "收到！", "不客气，祝您早日康复！" or "如果满意请给个好评，也可以关注我" answers
nothing. At the end of a dialogue such an exchange is trimmed (the medical turns before it are
kept); as the whole answer of a single exchange it is no answer. A sentence asking the patient to
rate or follow the doctor on the platform is removed from a reply that says something else too.
"""

from __future__ import annotations

import re

# Letters only (CJK, Latin, digits): what is left of a reply once punctuation is gone.
_LETTERS_RE = re.compile(r"[\u3400-\u9fffA-Za-z0-9]+")


def letters_of(text: str) -> str:
    """``text`` with only its CJK ideographs, Latin letters and digits (no spaces, punctuation
    or symbols): its letter runs joined, about twice as fast as substituting the gaps away."""
    return "".join(_LETTERS_RE.findall(text))


# Acknowledgements, fillers and courtesies that answer nothing, as whole words of a reply.
_ACK_WORDS_RE = re.compile(
    r"(?:嗯|恩|哦|噢|喔|啊|呃|额|哈|OK|Ok|ok|好的|好|行|收到|明白了|明白|知道了|了解了|了解"
    r"|稍等一会儿|稍等一会|稍等一下|稍等|等一下|在的|在|你好|您好|不客气|不用客气|不用谢|客气了"
    r"|谢谢|感谢|再见|拜拜|88)+"
)
# A sentence asking the patient to rate or follow the doctor on the consultation platform.
_SOLICIT_RE = re.compile(
    r"(?=[好很五送加成关点给帮对评请予写做])(?:"  # cheap first-character gate
    r"好评|很满意|五星|送心意|(?:加|成为)(?:一下)?我的粉丝|关注(?:一下|下)?我"
    r"|点(?:击)?(?:一下)?(?:我的)?头像|(?:给|帮|对)(?:我|我的服务)[^。！？!?\n]{0,10}评价"
    r"|评价(?:按钮|一下我|我的)|点击[^。！？!?\n]{0,12}(?:评价|关注)"
    r"|(?:给予|请予|予以|写出|做个|做一下|给个|点个)[^。！？!?\n]{0,4}评价)"
)
_SENTENCE_RE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+|\n|$)")


def is_acknowledgement(text: str) -> bool:
    """True if ``text`` is only acknowledgements, fillers or courtesies ("嗯嗯", "好的，收到！",
    "不客气~"), or nothing at all."""
    letters = letters_of(text)
    return not letters or _ACK_WORDS_RE.fullmatch(letters) is not None


def strip_solicitation(text: str) -> str:
    """``text`` without its sentences that ask for a rating or a follow ("方便的话给个好评",
    "可以点击头像关注我"); unchanged when it has none."""
    if _SOLICIT_RE.search(text) is None:
        return text
    kept = [s for s in _SENTENCE_RE.findall(text) if s and _SOLICIT_RE.search(s) is None]
    return "".join(kept).strip()

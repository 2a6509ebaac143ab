"""Answer extraction: option letters from a model's free-text answer to a multiple-choice question.

``extract_choice(text, options, multi=False)`` returns the chosen letters (sorted, e.g. "C" or
"ACE") or None when the answer cannot be read. Steps:

1. ``<think>…</think>`` blocks are removed (and everything before a lone ``</think>``; an answer
   still inside an unclosed ``<think>`` is unparsed). Full-width letters and punctuation are
   normalised, markdown emphasis and LaTeX ``\\boxed{}`` unwrapped.
2. Ordered patterns, strongest first; for each, the *last* match in the text wins (a final
   answer follows the reasoning): explicit statements (答案是C / 正确答案：C、E / 答案为(C) /
   Answer: C / 【答案】C / 答：C), choice verbs (故选C / 本题选C / 应选择C项 / 我选C), "C选项正确" /
   "正确的是C", a reply that is only letters ("C", "(C)", "C.", "AC"), a reply that starts with a
   lettered option ("C. 24小时内").
3. Option text instead of the letter: an answer statement (答案是…, 最合适的药物是…) or the whole
   reply naming exactly one option's text (the longest when one option's text contains another's).

It never falls back to "any letter anywhere": "维生素A缺乏……" yields None. Only letters among the
question's options count; a multi-answer reading of a single-answer question is returned as read
(and scored wrong).
"""

from __future__ import annotations

import re
from functools import lru_cache

_FULLWIDTH = str.maketrans(
    "ＡＢＣＤＥＦＧＨａｂｃｄｅｆｇｈ（）：，、．　",
    "ABCDEFGHabcdefgh():,、. ",
)
_THINK = re.compile(r"<think>.*?</think>", re.S)
_BOXED = re.compile(r"\\boxed\{\s*(?:\\text\{)?([^{}]*?)\}?\s*\}")
_SEP = r"(?:\s*(?:[、,，/和与及]|and|以及)?\s*)"
# A letter followed by these is a medical term (A型血, B超, B族维生素, C反应蛋白), not an option.
_NOT_OPTION = r"\s*(?:型|超|族|类|组|级|期|肝|蛋白|受体|链|淋巴|细胞|群|因子|波|药|素)"


def strip_thinking(text: str) -> str | None:
    """The text after any thinking; None when the answer never leaves an open ``<think>``."""
    text = _THINK.sub("", text)
    if "</think>" in text:
        text = text.rsplit("</think>", 1)[1]
    if "<think>" in text:
        return None
    return text


def split_thinking(text: str) -> tuple[str, str]:
    """``(thinking, answer)`` of a reply, also while it streams: ``<think>…</think>`` blocks go to
    the first part; an unclosed ``<think>`` means everything after it is still thinking; a lone
    ``</think>`` (templates that open the block in the prompt) ends thinking begun at the start."""
    thoughts = [m.strip() for m in re.findall(r"<think>(.*?)</think>", text, re.S)]
    rest = _THINK.sub("", text)
    if "</think>" in rest:
        before, rest = rest.rsplit("</think>", 1)
        thoughts.insert(0, before.replace("<think>", "").strip())
    if "<think>" in rest:
        rest, open_thought = rest.split("<think>", 1)
        thoughts.append(open_thought.strip())
    return "\n\n".join(t for t in thoughts if t), rest.strip()


def normalize(text: str) -> str:
    """Full-width → half-width, markdown emphasis and ``\\boxed{X}`` removed."""
    text = text.translate(_FULLWIDTH)
    text = _BOXED.sub(r"\1", text)
    return re.sub(r"\*\*|__|`|\$", "", text)


@lru_cache(maxsize=64)
def _patterns(letters: str) -> tuple[re.Pattern, ...]:
    """Patterns for the option letters ``letters`` (e.g. "ABCDE"), strongest first."""
    L = f"[{letters}]"
    group = rf"({L}(?:{_SEP}{L})*)(?![A-Za-z]|{_NOT_OPTION})"
    low = f"[{letters.lower()}{letters}]"
    lower_group = rf"({low}(?:{_SEP}{low})*)(?![A-Za-z]|{_NOT_OPTION})"
    cue = r"(?:(?:最终|正确|最佳|标准|参考)?答案[】\]」]?|答(?=\s*:)|(?:我的)?选择(?=\s*(?:是|为)))"
    lead = r"\s*(?:应该|应当|应|可能|最可能|就|则|即)?\s*(?:是|为|选|选择|选项|:)?\s*(?:是|为)?\s*"
    opt = r"[:：]?\s*(?:选项|选)?\s*[(\[【「]?\s*"
    verb_lead = r"(?:故|所以|因此|因而|综上所述|综上|结论\s*:|我|应|应该|应当|则|答)"
    topic = r"(?:本题|此题|这题|该题|这道题)"
    return tuple(
        re.compile(p, re.I if i in (0, 1) else 0)
        for i, p in enumerate(
            (
                rf"{cue}{lead}{opt}{lower_group}",
                rf"(?:the\s+)?(?:correct\s+|final\s+)?answer\s*(?:is|:)\s*(?:option\s*)?\(?{lower_group}",
                rf"(?:{verb_lead}[,，]?\s*(?:{topic})?|{topic})\s*(?:应)?\s*(?:选择|选用|选)\s*[:：]?\s*(?:选项)?\s*[(\[【]?\s*{group}",
                rf"(?:正确|最佳|最合适|符合题意|最恰当)的?(?:选项|答案|一项|是)?\s*(?:是|为|:)\s*(?:选项)?\s*[(\[【]?\s*{group}",
                rf"(?:最可能|最有可能|首选|首先考虑|应首选|最恰当|最适宜|最合适|最佳)的?[\u4e00-\u9fff]{{0,8}}(?:是|为)\s*[:：]?\s*(?:选项)?\s*[(\[【]?\s*{group}",
                rf"(?:选项\s*|(?<![A-Za-z0-9\u4e00-\u9fff]))[(\[【]?{group}[)\]】]?\s*(?:选项|项)?\s*(?:是|为)?\s*(?:正确|最佳|最合适|符合题意|最恰当|对)(?!.{{0,2}}(?:吗|否))",
                rf"^\s*(?:选项|选)?\s*[(\[【]?\s*{group}\s*[)\]】]?\s*[.。:：]?\s*$",
                rf"^\s*(?:选项|选)?\s*[(\[【]?{group}(?:\s*[)\]】.。,，:：、]|\s+(?=\S))",
            )
        )
    )


def _letters(found: str, letters: str) -> str:
    return "".join(sorted(set(c for c in found.upper() if c in letters)))


_TEXT_CUE = re.compile(
    r"(?:(?:最终|正确|最佳)?答案\s*(?:应该|应|可能)?\s*(?:是|为|:)|(?:故|所以|因此|应)\s*选(?:择)?"
    r"|(?:最合适|最佳|首选|最可能|最有可能|最恰当|最适宜)的?[\u4e00-\u9fff]{0,8}?(?:是|为))\s*[:：]?\s*"
    r"[\"'“‘「『《]?(.+?)[\"'”’」』》]?\s*(?:[。\n；;]|$)"
)


def _clean_option(text: str) -> str:
    return re.sub(r"[\s。.,，;；:：!！\"'“”‘’「」『』《》()（）]", "", text)


def _by_option_text(text: str, options: dict[str, str]) -> str | None:
    """The one option whose text the answer names (statement or the whole reply)."""
    candidates = [m.group(1) for m in _TEXT_CUE.finditer(text)]
    candidates = candidates[-1:] + [text]
    cleaned = {k: _clean_option(v) for k, v in options.items() if _clean_option(v)}
    for candidate in candidates:
        said = _clean_option(candidate)
        if not said:
            continue
        exact = [k for k, v in cleaned.items() if v == said]
        if len(exact) == 1:
            return exact[0]
        if candidate is text:
            continue  # the whole reply must equal an option text, not merely contain it
        inside = [k for k, v in cleaned.items() if v in said]
        longest = max(inside, key=lambda k: len(cleaned[k]), default=None)
        if longest and all(cleaned[k] in cleaned[longest] for k in inside):
            return longest
    return None


def extract_choice(text: str | None, options: dict[str, str], multi: bool = False) -> str | None:
    """Letters chosen in ``text`` (sorted), or None when no answer can be read (module docs)."""
    if not text:
        return None
    body = strip_thinking(text)
    if body is None or not body.strip():
        return None
    body = normalize(body).strip()
    letters = "".join(sorted(k for k in options if len(k) == 1 and k.isalpha())).upper()
    if not letters:
        return None
    for pattern in _patterns(letters):
        matches = list(pattern.finditer(body))
        if matches:
            found = _letters(matches[-1].group(1), letters)
            if found:
                return found
    return _by_option_text(body, options)

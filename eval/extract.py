"""Answer extraction: option letters from a model's free-text answer to a multiple-choice question.

``read_choice(text, options, multi=False)`` returns a ``Reading``: the chosen letters (sorted,
"C" or "ACE", or None when no answer can be read) and the *form* they were read from, so a run
can count how its answers were read. ``extract_choice`` returns the letters only. Steps:

1. ``<think>…</think>`` blocks are removed (and everything before a lone ``</think>``); an answer
   still inside an unclosed ``<think>`` is unparsed. Full-width letters and punctuation are
   normalised, markdown emphasis removed. Quoted passages longer than a few words (a quoted
   other question, a textbook sentence) are blanked out.
2. Explicit commitments, wherever they stand — 答案是C / 正确答案：C、E / 答：<B> / ``<{D}>`` /
   Answer: C / ``{"answer": "B"}`` / \\boxed{C} / 故选C / 我决定选A / 对应选项C / C为正确答案:
   the **last** one in the text wins (a final answer follows the reasoning, and a cut-off
   reasoning's latest decision is its current one). A commitment in a hypothetical or reported
   clause (如果选A…, 很多考试的标准答案是B, 答案是A吗？) is not one.
3. Only when there is none: evaluations (正确的是C, 最可能的诊断是C, C选项正确, 不属于…的是选项B),
   again the last wins; then the reply's shape (only letters: "C", "(C)", "AC"; or starting with a
   lettered option: "C. 24小时内"); then an option's text (答案是24小时内, or the whole reply).

It never falls back to "any letter anywhere": "维生素A缺乏……" yields None. Only letters among the
question's options count; a multi-answer reading of a single-answer question is returned as read
(and scored wrong).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_FULLWIDTH = str.maketrans(
    "ＡＢＣＤＥＦＧＨＩＪＫＬａｂｃｄｅｆｇｈｉｊｋｌ（）：，、．　＜＞‹›｛｝［］",
    "ABCDEFGHIJKLabcdefghijkl():,、. <><>{}[]",
)
_SPECIAL_TOKEN = re.compile(r"<\|[a-z_]+\|>")
_THINK = re.compile(r"<think>.*?</think>", re.S)
_BOXED = re.compile(r"\\boxed\{\s*(?:\\text\{)?([^{}]*?)\}?\s*\}")
_SEP = r"(?:\s*(?:[、,，/和与及+]|and|以及)?\s*)"
# A letter followed by these is a medical term (A型血, B超, B族维生素, C反应蛋白), not an option.
_NOT_OPTION = r"\s*(?:型|超|族|类|组|级|期|肝|蛋白|受体|链|淋巴|细胞|群|因子|波|药|素)"
# A clause with these is hypothetical or reported, not the model's own commitment.
_NOT_MINE = re.compile(
    r"如果|假如|假设|倘若|要是|万一|若|有人|很多|许多|有些|一些|部分|网上|题库|教材|是否|或者|"
    r"还是|并非|而非|难道|以为|误选|容易选|不能选|不应选|不选|或许|也许|期望|出题者|\bif\b|\bsuppose\b",
    re.I,
)
# A paragraph that cites another question (真题, 例题, 示例 …) reports that question's answer.
_OTHER_QUESTION = re.compile(
    r"真题|例题|一道题|另一道|另一题|有一题|有题|题里|题中|模拟题|考试网|文库|百度|网上|示例|例子|"
    r"例如|比如|类似题|原题|同类题|有些地方|有的地方|考试题|考过"
)
_CUT_SHORT = re.compile(rf"{_SEP}[A-Z](?![A-Za-z\u4e00-\u9fff])")
_CUT_LEFT = re.compile(r"(?<![A-Za-z])[A-Z]\s*[、,，/和与及+]\s*$")
# … but a turn after the marker (很多考试的答案是B，但结合本题，我决定选A) ends it.
_TURN = re.compile(r"但|不过|然而|可是|所以|因此|故|综上|最终|结合本题|对于本题")
_QUESTIONED = re.compile(r"^\s*[)\]】>]?\s*(?:吗|呢|？|\?|还是|或|or\b)")
_SENTENCE_END = re.compile(r"[。！？!?\n；;]")
# Every quote pair is consumed (so ASCII quotes pair up left to right); long ones are blanked.
_QUOTED = re.compile(r"“[^”]{0,800}”|「[^」]{0,800}」|『[^』]{0,800}』|\"[^\"\n]{0,300}\"")
_LONG_QUOTE = 15

UNPARSED = "unparsed"
_BLANK = "\x00"  # fills a blanked quote; an answer right after one is the quoted question's
_AFTER_QUOTE = re.compile(rf"{_BLANK}[\s:：,，。]*$")
_OPEN_QUOTE_BEFORE = re.compile(r"[“「『][^”」』]{0,6}$")


@dataclass(frozen=True)
class Reading:
    """What was read from one reply: letters (None: nothing) and the form they came from."""

    letters: str | None
    form: str


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
    """Full-width → half-width, markdown emphasis removed (``\\boxed{}`` is kept)."""
    text = _SPECIAL_TOKEN.sub("", text.translate(_FULLWIDTH))
    return re.sub(r"\*\*|__|`|\$", "", text)


def _blank_quotes(text: str) -> str:
    """Long quoted passages blanked out with ``_BLANK`` (positions kept)."""
    return _QUOTED.sub(
        lambda m: _BLANK * len(m.group(0)) if len(m.group(0)) >= _LONG_QUOTE else m.group(0), text
    )


@lru_cache(maxsize=64)
def _patterns(letters: str) -> tuple[tuple[tuple[str, re.Pattern], ...], ...]:
    """``(form, pattern)`` tiers for the option letters ``letters``, strongest tier first; each
    pattern's group 1 holds the letters."""
    L = f"[{letters}]"
    end = rf"(?![A-Za-z0-9]|{_NOT_OPTION})"
    group = rf"({L}(?:{_SEP}{L})*){end}"
    low = f"[{letters.lower()}{letters}]"
    lower_group = rf"({low}(?:{_SEP}{low})*){end}"
    bracket_group = rf"({L}(?:{_SEP}{L})*|[{letters.lower()}](?:{_SEP}[{letters.lower()}])*){end}"
    cue = (
        r"(?:(?:最终|正确|最佳|标准|参考|最后)?的?答案[】\]」]?|答[】\]」]|答(?=\s*[:<(\[【])"
        r"|(?:我的|最终的?)?选择(?=\s*(?:是|为|:))|结论(?=\s*[:是为]))"
    )
    lead = (
        r"\s*(?:应该|应当|应|可能|最可能|就|则|即|确定|选定)?\s*(?:是|为|选|选择|选项|包括|包含|:)?"
        r"\s*(?:是|为)?"
    )
    opt = r"\s*[:：]?\s*(?:[-–—•]\s*)?(?:选项|选)?\s*[(\[【「<{]?\s*[{(\[]?\s*"
    verb_lead = (
        r"(?:(?<![不未没别再能可所若])(?:故|所以|因此|因而|综上所述|综上|结论\s*:|我|应|应该|应当|则|答"
        r"|决定|最终|只能|倾向于?|会|就|宜|当|本题|此题|这题|该题|这道题|笔者|还是应?)"
        r"[,，]?\s*(?:本题|此题|这题|该题|这道题)?\s*(?:应|要|会|可以)?\s*)"
    )
    explicit = (
        ("statement", rf"{cue}{lead}{opt}{lower_group}"),
        (
            "english",
            rf"(?:the\s+)?(?:correct\s+|final\s+|best\s+)?answer\s*(?:is|:|should be)\s*"
            rf"(?:option\s*)?[(\[]?\s*{lower_group}",
        ),
        (
            "i-choose",
            rf"\bI(?:\s+would|\s+will|'d|'ll)?\s+(?:choose|pick|select|go\s+with)\s+"
            rf"(?:option\s*)?[(\[]?\s*{group}",
        ),
        (
            "answer-tag",
            rf"<answer>\s*(?:选项|option)?\s*[(\[]?\s*{lower_group}\s*[)\]]?\s*[.。]?\s*</answer>",
        ),
        ("json", rf"[\"']?(?:answer|final_answer|答案)[\"']?\s*[:=]\s*[\"'\[]\s*{lower_group}"),
        ("boxed", rf"\\boxed\{{\s*(?:\\text\{{)?\s*(?:选项)?\s*{group}"),
        (
            "brackets",
            rf"<\s*[{{(\[]?\s*(?:选项\s*)?{bracket_group}\s*[}})\]]?\s*"
            r"(?:[.、:：]\s*[^<>\n]{0,60})?>",
        ),
        (
            "choice-verb",
            rf"{verb_lead}(?:选择|选用|选)\s*[:：]?\s*(?:选项|答案)?\s*[(\[【<]?\s*{group}",
        ),
        ("names-option", rf"(?:对应|即为?|就是|应为|应是)(?:的)?\s*选项\s*[(\[【]?\s*{group}"),
        (
            "is-correct-answer",
            rf"(?<![A-Za-z0-9])(?<!可能)(?<!也许)[(\[【]?{group}[)\]】]?\s*(?:选项|项)?\s*(?:是|为)\s*"
            r"(?:(?:正确|最佳|最合适|最恰当|最终)的?(?:答案|选项|选择)|(?:本题的?|正确的?)?答案(?![是为]))",
        ),
        (
            "options-are",
            rf"(?:的|认为)[\u4e00-\u9fff]{{0,6}}?选项(?:应该|应)?(?:是|为|包括)\s*[:：]?\s*{group}",
        ),
        (
            "correct-is",
            rf"(?:正确|最佳|最合适|符合题意|最恰当)的?(?:选项|答案|一项|是)?\s*(?:是|为|有|:)\s*"
            rf"[:：]?\s*(?:选项)?\s*[(\[【]?\s*{group}",
        ),
        (
            "most-likely",
            rf"(?:最可能|最有可能|首选|首先考虑|应首选|最恰当|最适宜|最合适|最佳)的?"
            rf"[\u4e00-\u9fff]{{0,8}}(?:是|为)\s*[:：]?\s*(?:选项)?\s*[(\[【]?\s*{group}",
        ),
    )
    evaluation = (
        ("the-one-is", rf"[的者](?:是|为)\s*(?:选项)\s*[(\[【]?\s*{group}"),
        (
            "text-and-letter",
            rf"(?:首选|选择?|答案(?:是|为)?|应为|应是|考虑)\s*[:：]?\s*(?P<text>[^\n，。；,;()（）]{{1,40}}?)"
            rf"\s*[(（]\s*(?P<L>{L}){end}\s*[)）]",
        ),
        (
            "option-correct",
            rf"(?:选项\s*|(?<![A-Za-z0-9\u4e00-\u9fff]))[(\[【]?{group}[)\]】]?\s*(?:选项|项)?\s*"
            rf"(?:是|为)?\s*(?:正确|最佳|最合适|符合题意|最恰当|对)(?!.{{0,2}}(?:吗|否))",
        ),
    )
    shape = (
        (
            "only-letters",
            rf"^\s*(?:选项|选)?\s*[(\[【<]?\s*{group}\s*[)\]】>]?\s*(?:选项|项)?\s*[.。:：]?\s*$",
        ),
        (
            "leading-letter",
            rf"^\s*(?:选项|选)?\s*[(\[【]?{group}(?:\s*[)\]】.。,，:：、]|\s+(?=\S))",
        ),
        (
            "last-line",
            rf"\n\s*(?:[-–—•>#]+\s*)?[(\[【<]?\s*{group}\s*[)\]】>]?\s*(?:[.。:：、]\s*)?"
            rf"(?P<said>[^\n]{{0,60}}?)\s*$",
        ),
    )
    flags = {"statement": re.I, "english": re.I, "json": re.I}
    return tuple(
        tuple((form, re.compile(p, flags.get(form, 0))) for form, p in tier)
        for tier in (explicit, evaluation, shape)
    )


def _letters(found: str, letters: str) -> str:
    return "".join(sorted(set(c for c in found.upper() if c in letters)))


def _li(match: re.Match) -> int | str:
    """Which group of ``match`` holds the letters (group 1, or "L" when a text comes first)."""
    return "L" if "L" in match.groupdict() else 1


def _own_commitment(text: str, match: re.Match, options: dict[str, str], letters: str) -> bool:
    """Not in a hypothetical/reported sentence or a paragraph citing another question, not asked
    as a question, not a list cut short on either side ("A,E,J" of A–E, "D、E、F…"), and on a
    last line, nothing after the letter but that option's text."""
    start = match.start()
    sentence_start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    markers = list(_NOT_MINE.finditer(text, sentence_start, start + 2))
    if markers and not _TURN.search(text, markers[-1].end(), start):
        return False
    paragraph_start = text.rfind("\n", 0, start) + 1
    if _OTHER_QUESTION.search(text, paragraph_start, start):
        return False
    if _QUESTIONED.match(text, match.end()) or _CUT_SHORT.match(text, match.end(_li(match))):
        return False
    if _CUT_LEFT.search(text[max(0, match.start(_li(match)) - 6) : match.start(_li(match))]):
        return False  # the letters are the tail of a longer list ("D、E、F是正确的")
    quoted = _OPEN_QUOTE_BEFORE.search(text, max(0, start - 8), start) is not None
    if quoted or _AFTER_QUOTE.search(text, max(0, start - 12), start):
        return False  # quoted (有“答：<E>”) or the answer of a quoted question
    if _names_other_text(text, match, options, letters):
        return False
    named = match.groupdict().get("text")
    if named is not None:
        found = _letters(match.group(_li(match)), letters)
        return len(found) == 1 and _clean_option(named) == _clean_option(options.get(found, ""))
    said = match.groupdict().get("said")
    if said:
        found = _letters(match.group(_li(match)), letters)
        return len(found) == 1 and _clean_option(said) == _clean_option(options.get(found, ""))
    return True


_SAID_TEXT = re.compile(r"\s*[.、:：]\s*([\u4e00-\u9fff][^,，。;；\n()（）]{1,30})")


def _names_other_text(text: str, match: re.Match, options: dict[str, str], letters: str) -> bool:
    """ "C. 每月" where option C is 年度汇总: the letter belongs to another question."""
    found = _letters(match.group(_li(match)), letters)
    said = _SAID_TEXT.match(text, match.end(_li(match)))
    if len(found) != 1 or not said or "said" in match.groupdict():
        return False
    said_text, option = _clean_option(said.group(1)), _clean_option(options.get(found, ""))
    if not option or said_text in option or option in said_text:
        return False
    return len(set(said_text) & set(option)) < 0.5 * min(len(set(said_text)), len(set(option)))


def _last(
    text: str, tier: tuple[tuple[str, re.Pattern], ...], options: dict[str, str], letters: str
) -> Reading | None:
    best: tuple[int, Reading] | None = None
    for form, pattern in tier:
        for match in pattern.finditer(text):
            found = _letters(match.group(_li(match)), letters)
            if not found or (best is not None and match.start() < best[0]):
                continue
            if _own_commitment(text, match, options, letters):
                best = (match.start(), Reading(found, form))
    return best[1] if best else None


_TEXT_CUE = re.compile(
    r"(?:(?:最终|正确|最佳)?答案\s*(?:应该|应|可能)?\s*(?:是|为|:)|(?:故|所以|因此|应)\s*选(?:择)?"
    r"|(?:最合适|最佳|首选|最可能|最有可能|最恰当|最适宜)的?[\u4e00-\u9fff]{0,8}?(?:是|为))\s*[:：]?\s*"
    r"[\"'“‘「『《]?(.+?)[\"'”’」』》]?\s*(?:[。\n；;]|$)"
)


def _clean_option(text: str) -> str:
    return re.sub(r"[\s。.,，;；:：!！\"'“”‘’「」『』《》()（）<>]", "", text)


def _by_option_text(text: str, options: dict[str, str]) -> str | None:
    """The one option whose text the answer names (statement or the whole reply)."""
    text = _BOXED.sub(r"\1", text)
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


def read_choice(text: str | None, options: dict[str, str], multi: bool = False) -> Reading:
    """The letters chosen in ``text`` and the form they were read from (module docs)."""
    if not text or not text.strip():
        return Reading(None, "empty")
    body = strip_thinking(text)
    if body is None:
        return Reading(None, "unfinished-thinking")
    body = _blank_quotes(normalize(body).replace("```", "").strip())
    letters = "".join(sorted(k for k in options if len(k) == 1 and k.isalpha())).upper()
    if not body.strip() or not letters:
        return Reading(None, "empty" if not body.strip() else UNPARSED)
    for tier in _patterns(letters):
        reading = _last(body, tier, options, letters)
        if reading:
            return reading
    by_text = _by_option_text(body, options)
    return Reading(by_text, "option-text") if by_text else Reading(None, UNPARSED)


def extract_choice(text: str | None, options: dict[str, str], multi: bool = False) -> str | None:
    """Letters chosen in ``text`` (sorted), or None when no answer can be read (module docs)."""
    return read_choice(text, options, multi).letters

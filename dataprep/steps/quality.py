"""Quality filters, each dropping with its own reason, and the quality score dedup keeps by."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dataprep.relevance import relevance, relevance_batch
from dataprep.steps.base import RecordStep, StepStats, sync_from_turns
from dataprep.steps.closings import is_acknowledgement, letters_of, strip_solicitation
from dataprep.steps.short_answers import (
    answers_consultation,
    answers_knowledge_question,
    has_substance,
)
from medqa.deid import CONTACT_PLACEHOLDERS, PLACEHOLDERS

# Greetings, pleasantries and template headings that carry no medical content.
_TEMPLATE_RE = re.compile(
    r"(?=[医你您根从就针这建感谢希期祝如请病指意问])(?:"  # cheap first-character gate
    r"(?:医生)?(?:你好|您好)[呀啊吖]?|根据(?:你|您)(?:的|所)?(?:描述|叙述|情况|提供的信息|所说)"
    r"|(?:从|就)(?:你|您)(?:描述|说)的(?:情况)?来看|针对(?:你|您)的(?:问题|情况)"
    r"|(?:你|您)的(?:情况|问题)(?:我)?(?:已经)?(?:了解|明白|清楚)了?"
    r"|(?:这种情况)?建议(?:你|您)?(?:及时|尽快|最好)?(?:去|到)?(?:正规|当地)?(?:的)?医院"
    r"(?:就诊|检查|看看|看一下|诊治|咨询|治疗)?"
    r"|(?:感谢|谢谢)(?:你|您)?(?:的)?(?:进行)?(?:咨询|提问|信任|支持)"
    r"|(?:希望|期望)(?:我的)?(?:回答|解答|解释|建议)(?:能)?对(?:你|您)有所?帮助"
    r"|祝(?:你|您)?(?:早日)?(?:康复|健康|身体健康|生活愉快|好运)"
    r"|如(?:有|果有)(?:其他|什么)?(?:疑问|问题)(?:请|可以|可)?(?:随时)?(?:追问|咨询|再问)"
    r"|请(?:详细)?(?:描述|说明|补充)(?:一下)?(?:你的|您的)?(?:情况|症状|病情)"
    r"|(?:病情分析|指导意见|意见建议|问题分析)[:：]?"
    r")"
)
_NON_CJK_RE = re.compile(r"[^\u3400-\u9fff]+")
_DIGITS_RE = re.compile(r"[0-9]+")
_LATIN_WORD_RE = re.compile(r"[A-Za-z][^\s\u3400-\u9fff]*")
_GLOSS_RE = re.compile(r"[（(][^（）()\u3400-\u9fff]*[）)]")  # a bracketed gloss without CJK
SHORT_TERM_LETTERS = 30
_OPTION_LINE_RE = re.compile(r"\n[A-Z][.．、]\s")  # where an MCQ's options start
_AD_RE = re.compile(
    r"(?=[加联咨预服私点免在到来我本包无优特])(?:"  # cheap first-character gate
    r"加(?:我|医生)?的?(?:微信|威信|[Vv]信|[Vv][Xx]|[Qq][Qq]|扣扣)"
    r"|(?:我院?|本院)的?联系(?:电话|方式)|(?:联系|咨询|预约|服务)(?:电话|方式|热线)\s*[:：是为]"
    r"|私信我|点击(?:链接|头像|下方|咨询)"
    r"|免费(?:咨询|领取|诊断|治疗)|在线咨询|(?:到|来)我院|我院(?:专家|采用|引进|特色)"
    r"|包治|无效退款|优惠活动|特价"
    r")"
)
_TRUNCATED_ENDINGS = (
    "…",
    "...",
    "。。。",
    "，",
    "、",
    "；",
    "：",
    "（",
    "“",
    "《",
    "(",
    ",",
    ";",
    ":",
)
_TRUNCATED_MARKERS = ("展开全部", "查看全文", "（未完）", "(未完)")


@dataclass
class QualityParams:
    """Bounds and switches; a filter set to ``null`` (or false) is off.

    Lengths are characters after normalisation. ``max_repetition``: the share of recurring
    character ``rep_ngram``-grams (see :func:`repetition`) above which an answer is spam or
    pasted twice (questions often repeat their title on purpose, so they are not checked).
    ``min_relevance``: the least question–answer relevance (see :mod:`dataprep.relevance`) an
    answer needs; off by default (read by hand on real data, most answers it dropped were on
    topic: see dataprep/README.md). ``truncated``: an answer that stops mid-sentence is cut
    back to its last complete sentence, and dropped only when too little of it is left.
    ``short_factual_answers``: an answer under ``min_answer_chars`` that states a fact asked
    for by a knowledge question is kept (see :mod:`dataprep.steps.short_answers`); false
    holds every answer to the floor. ``short_consultation_answers``: a short reply with content
    to a consultation ("挂呼吸科", "暂时不用") is kept, a bare acknowledgement, courtesy,
    placeholder or echo is not; false drops every short reply to a consultation.
    ``whole_dialogue_floors``: a multi-turn dialogue meets
    the minimum lengths when some user turn and some doctor turn do (a closing "好的"/"可以"
    is a conversation's turn, not a bad record); false holds its last exchange to them."""

    min_question_chars: int | None = 4
    max_question_chars: int | None = 2000
    min_answer_chars: int | None = 10
    max_answer_chars: int | None = 4000
    min_cjk_ratio: float | None = 0.3
    max_repetition: float | None = 0.5
    rep_ngram: int = 10
    template_only: bool = True
    min_content_chars: int = 10
    advertising: bool = True
    min_relevance: float | None = None
    truncated: bool = True
    short_factual_answers: bool = True
    short_consultation_answers: bool = True
    whole_dialogue_floors: bool = True


class Quality(RecordStep):
    """Drop low-quality records with a reason; store ``meta.quality`` (0–1, higher is better)
    and ``meta.relevance`` on the ones kept."""

    name = "quality"

    def __init__(self, params: QualityParams) -> None:
        self.params = params

    def apply(self, record: dict, stats: StepStats, score: bool = True) -> str | None:
        """The drop reason, or None and the scores stored. ``score=False`` (pass-1 workers)
        leaves the scores of a kept record to :meth:`score_records`, unless a filter needs
        them (``min_relevance``): ``meta.relevance`` and ``meta.quality`` are then reserved
        (None, in the same key order)."""
        if strip_solicitations(record):
            stats.counts["removed_solicitation"] += 1
        if trim_closing_exchange(record, self.params.min_content_chars):
            stats.counts["trimmed_closing_exchange"] += 1
        question, answer = record["question"], record["answer"]
        dialogue = len(record.get("turns") or ()) > 2
        exam = record["meta"].get("mcq_answer") is not None
        if dialogue and self.params.whole_dialogue_floors:
            reason = self._dialogue_length_reason(record["turns"])
        else:
            reason = self._length_reason(question, answer, dialogue, exam)
        reason = reason or self._content_reason(question, answer, exam)
        reason = reason or self._earlier_turns_reason(record)
        if reason is None and self.params.truncated and is_truncated(answer):
            reason = self._repair_truncated(record, stats, dialogue)
            answer = record["answer"]
        if reason:
            return reason
        low = self.params.min_relevance
        if not score and low is None:
            record["meta"]["relevance"] = record["meta"]["quality"] = None
            return None
        found = relevance(question, answer)
        if low is not None and found is not None and found < low:
            return "off_topic_answer"
        _store_scores(record, found)
        return None

    def defers_scores(self) -> bool:
        """Whether ``apply(..., score=False)`` leaves the scores to :meth:`score_records`."""
        return self.params.min_relevance is None

    def score_records(self, records: list[dict]) -> None:
        """Store the scores of records kept by ``apply(..., score=False)``: the values
        ``apply`` would have stored, with the relevance of all of them computed at once."""
        found = relevance_batch([r["question"] for r in records], [r["answer"] for r in records])
        for record, value in zip(records, found, strict=True):
            _store_scores(record, value)

    def _length_reason(
        self, question: str, answer: str, dialogue: bool, exam: bool = False
    ) -> str | None:
        """``dialogue``: the record is a multi-turn consultation, whose last answer is held to
        ``min_answer_chars`` unless it names the department asked for. ``exam``: the record
        is a multiple-choice question read with ``to_sft`` ("答案：C. 64" is its key, never
        too short)."""
        p = self.params
        for label, text, low, high in (
            ("question", question, p.min_question_chars, p.max_question_chars),
            ("answer", answer, p.min_answer_chars, p.max_answer_chars),
        ):
            if low is not None and len(text) < low:
                if label == "answer" and (
                    exam or self._short_answer_suffices(question, answer, dialogue)
                ):
                    continue
                return f"{label}_too_short"
            if high is not None and len(text) > high:
                return f"{label}_too_long"
        return None

    def _dialogue_length_reason(self, turns: list[dict]) -> str | None:
        """A dialogue's last exchange is held to the length caps (earlier turns are, in
        :meth:`_earlier_turns_reason`); the minimum lengths hold for the dialogue: its longest
        user turn must reach ``min_question_chars``, and some doctor turn must reach
        ``min_answer_chars`` or, shorter, say something ("吃点化痰药", "烧到几度了？"; not only
        "嗯", "不客气", a placeholder — see :func:`has_content`)."""
        p = self.params
        for turn in turns[-2:]:
            user = turn["role"] == "user"
            high = p.max_question_chars if user else p.max_answer_chars
            if high is not None and len(turn["content"]) > high:
                return "question_too_long" if user else "answer_too_long"
        users = [t["content"] for t in turns if t["role"] == "user"]
        low = p.min_question_chars
        if low is not None and max(map(len, users), default=0) < low:
            return "question_too_short"
        low = p.min_answer_chars
        if low is None:
            return None
        asked = ""
        for turn in turns:
            if turn["role"] == "user":
                asked = turn["content"]
            elif len(turn["content"]) >= low or has_content(asked, turn["content"]):
                return None
        return "answer_too_short"

    def _short_answer_suffices(self, question: str, answer: str, dialogue: bool) -> bool:
        """Whether an answer under ``min_answer_chars`` is still complete: it names the
        department a which-department question asks for ("眼科"), or, outside a dialogue, is
        a reply with content to a consultation (``short_consultation_answers``) or a fact
        answering a knowledge question (``short_factual_answers``; see
        :mod:`dataprep.steps.short_answers`)."""
        asks_department = _ASKS_DEPARTMENT_RE.search(question) is not None
        if asks_department and _DEPARTMENT_RE.search(answer):
            return True
        if dialogue:
            return False
        if self.params.short_consultation_answers and answers_consultation(question, answer):
            return True
        if not self.params.short_factual_answers:
            return False
        return answers_knowledge_question(question, answer, asks_department)

    def _content_reason(self, question: str, answer: str, exam: bool = False) -> str | None:
        """The first content filter that fires. ``exam``: a multiple-choice question's
        language is its stem's or its options' (its key may be "答案：D. HLA-D")."""
        p = self.params
        letters = letters_of(answer)
        if p.min_cjk_ratio is not None and self._is_low_cjk(question, answer, letters, exam):
            return "low_cjk_ratio"
        if p.max_repetition is not None and repetition(answer, p.rep_ngram) > p.max_repetition:
            return "repetitive"
        if p.advertising and is_advertising(answer):
            return "advertising"
        template = p.template_only and is_template_only(answer, letters, p.min_content_chars)
        if template and not names_asked_department(question, answer):
            return "template_only_answer"
        return None

    def _is_low_cjk(self, question: str, answer: str, letters: str, exam: bool) -> bool:
        least = self.params.min_cjk_ratio
        if exam:  # Chinese if its stem or its stem and options are
            stem = _OPTION_LINE_RE.split(question, 1)[0]
            return all(is_low_cjk("", text, letters_of(text), least) for text in (stem, question))
        return is_low_cjk(question, answer, letters, least)

    def _earlier_turns_reason(self, record: dict) -> str | None:
        """A dialogue's earlier turns are trained on too: each is held to the length caps and
        each doctor turn to the content filters, with the user turn before it as its question
        (not the minimum lengths: "好的" and "可以" are fine follow-ups; "OK" is no English
        text)."""
        p = self.params
        asked = ""
        for turn in (record.get("turns") or [])[:-2]:
            text, user = turn["content"], turn["role"] == "user"
            high = p.max_question_chars if user else p.max_answer_chars
            if high is not None and len(text) > high:
                return "question_too_long" if user else "answer_too_long"
            if user:
                asked = text
                continue
            reason = self._content_reason(asked, text)
            if reason and reason != "template_only_answer":
                return reason
        return None

    def _repair_truncated(
        self, record: dict, stats: StepStats, dialogue: bool = False
    ) -> str | None:
        """Cut a truncated answer back to its last complete sentence (counted as
        ``repaired_truncation``); a trailing comma that cannot be cut back becomes 。;
        otherwise "truncated" when less than half of it, or fewer than ``min_answer_chars``
        characters, would be left (a dialogue's last turn judged with ``whole_dialogue_floors``
        needs only the half: the floor is the dialogue's)."""
        answer = record["answer"]
        repaired = complete_sentences(answer)
        whole = dialogue and self.params.whole_dialogue_floors
        floor = 0 if whole else self.params.min_answer_chars or 0
        least = max(floor, len(answer) // 2)
        if (repaired is None or len(repaired) < least) and answer.endswith(("，", ",")):
            # Comma-spliced answers (common in real crawls, e.g. CMD) end on a comma after a
            # finished clause far more often than mid-thought (31 of 34 read by hand).
            repaired = answer[:-1] + "。"
        if repaired is None or len(repaired) < least:
            return "truncated"
        turns = record.get("turns")
        if turns and turns[-1]["role"] == "assistant" and turns[-1]["content"] == answer:
            turns[-1]["content"] = repaired
        record["answer"] = repaired
        stats.counts["repaired_truncation"] += 1
        return None


def _store_scores(record: dict, relevance_score: float | None) -> None:
    record["meta"]["relevance"] = None if relevance_score is None else round(relevance_score, 3)
    record["meta"]["quality"] = quality_score(record, relevance_score)


def is_low_cjk(question: str, answer: str, letters: str, least: float) -> bool:
    """True if ``answer`` is not Chinese text: under ``least`` of its letters (CJK ideographs
    and Latin letters; digits are neither) are CJK. ``letters``: the answer without spaces and
    punctuation. A short number ("0.005%-0.006%") is not judged, and a term ("Hellstr(o)m术",
    "MRI": under :data:`SHORT_TERM_LETTERS` letters, at most two Latin words) is judged with
    its question: a Latin-script name answering a Chinese question is Chinese data. Latin
    glosses in brackets ("百合甙（lilioside）") are not counted."""
    if cjk_share(letters) >= least:
        return False
    glossless = _GLOSS_RE.sub("", answer)
    if glossless != answer:
        bare = letters_of(glossless)
        if bare and cjk_share(bare) >= least:
            return False
    words = _DIGITS_RE.sub("", letters)
    if not words:
        return len(letters) >= SHORT_TERM_LETTERS
    if cjk_share(words) >= least:
        return False
    term = len(words) < SHORT_TERM_LETTERS and len(_LATIN_WORD_RE.findall(answer)) <= 2
    if not term or not question:
        return True
    return cjk_share(_DIGITS_RE.sub("", letters_of(question)) + words) < least


def cjk_share(letters: str) -> float:
    """Share of CJK ideographs among ``letters`` (the answer without spaces and punctuation:
    only CJK, 3 bytes each in UTF-8, and ASCII letters/digits, 1 byte, are left)."""
    if not letters:
        return 0.0
    return (len(letters.encode("utf-8")) - len(letters)) / 2 / len(letters)


def repetition(text: str, n: int) -> float:
    """Share of the character ``n``-grams sampled every ``n`` positions that occur more than
    once in ``text``: 0 for ordinary prose, ~1 for spam and for text pasted twice."""
    starts = range(0, len(text) - n + 1, n)
    if len(starts) < 2:
        return 0.0
    counts = list(map(text.count, [text[i : i + n] for i in starts]))  # each at least 1
    return (len(counts) - counts.count(1)) / len(starts)


def content_chars(answer: str, letters: str | None = None) -> int:
    """Letters/digits left after removing greetings, pleasantries and template headings
    (``letters``: the answer without spaces and punctuation, if already computed). Answers
    with 120 or more letters are counted as they are (never template-only in practice)."""
    if letters is None:
        letters = letters_of(answer)
    if len(letters) >= 120:
        return len(letters)
    removed = sum(len(letters_of(m.group())) for m in _TEMPLATE_RE.finditer(answer))
    return len(letters) - removed


def is_template_only(answer: str, letters: str, least: int) -> bool:
    """True if the answer is greetings and template headings with under ``least`` letters of
    anything else. A short answer without template phrases ("急性胰腺炎。") is not: length is
    the length filter's business."""
    if len(letters) >= 120 or _TEMPLATE_RE.search(answer) is None:
        return False
    return content_chars(answer, letters) < least


_ASKS_DEPARTMENT_RE = re.compile(r"科室|哪(?:个|一个|一)?科|什么科|挂(?:什么|哪)|(?:哪个|什么)部门")
_DEPARTMENT_RE = re.compile(r"[\u4e00-\u9fff]{1,8}科")


def has_content(question: str, reply: str) -> bool:
    """True if a short doctor ``reply`` to ``question`` says something: it names the
    department asked for, or it is not only acknowledgements, courtesies and placeholders and
    does not only repeat the question (see :func:`dataprep.steps.short_answers.has_substance`)."""
    return names_asked_department(question, reply) or has_substance(question, reply)


def names_asked_department(question: str, answer: str) -> bool:
    """True if the question asks which department to see and the answer names one: "建议挂
    医院的乳腺外科。" is then the whole answer, not a template."""
    return bool(_ASKS_DEPARTMENT_RE.search(question) and _DEPARTMENT_RE.search(answer))


_SENTENCE_END_RE = re.compile(r"[。！？!?；;]|\.(?!\d)")
# A site's section heading left dangling at the end ("…祝您早日康复。医生询问："): the section
# after it is missing, the text before it is whole.
_TRAILING_HEADING_RE = re.compile(
    r"(?:病情分析|指导意见|意见建议|问题分析|医生询问|医生建议|温馨提示)[:：]\s*$"
)
_REPEATED_STOPS_RE = re.compile(r"。{2,}$")  # "…饮食清淡。。。": emphatic, not cut off
_THANKS_RE = re.compile(r"谢谢|感谢|多谢|谢了")
CLOSING_ANSWER_CHARS = 60
ACK_CHARS = 6  # a user turn this short that asks nothing acknowledges ("好的", "知道了")
ACK_REPLY_LETTERS = 20  # a reply to an acknowledgement shorter than this closes the dialogue


def trim_closing_exchange(record: dict, least: int = 10) -> bool:
    """Drop the last exchanges of a multi-turn dialogue while they are only a closing (see
    :func:`is_closing_exchange`), so the medical turns before them are judged and kept; at
    least one exchange stays. ``least``: ``min_content_chars`` of a template-only reply."""
    turns = record.get("turns")
    trimmed = False
    while (
        turns
        and len(turns) >= 4
        and turns[-1]["role"] == "assistant"
        and turns[-2]["role"] == "user"
        and is_closing_exchange(turns[-2]["content"], turns[-1]["content"], least)
    ):
        del turns[-2:]
        trimmed = True
    if trimmed:
        sync_from_turns(record)
    return trimmed


def is_closing_exchange(user: str, reply: str, least: int) -> bool:
    """True if a dialogue's exchange only closes it: the user thanks without asking anything
    and the doctor answers in under :data:`CLOSING_ANSWER_CHARS` characters ("不客气，祝您早日
    康复！"), or the user only acknowledges ("好的", "嗯嗯知道了": at most :data:`ACK_CHARS`
    letters, no question) and the reply has under :data:`ACK_REPLY_LETTERS` letters ("嗯，按时
    吃药。"); or the doctor's reply is nothing but acknowledgements, greetings and courtesies
    ("收到！", "嗯嗯"; see :func:`~dataprep.steps.closings.is_acknowledgement` and
    :func:`is_template_only`), whatever the user said."""
    letters = letters_of(reply)
    if is_acknowledgement(reply) or is_template_only(reply, letters, least):
        return True
    if any(mark in user for mark in "？?吗呢"):
        return False
    if _THANKS_RE.search(user) is not None:
        return len(reply) < CLOSING_ANSWER_CHARS
    return len(letters_of(user)) <= ACK_CHARS and len(letters) < ACK_REPLY_LETTERS


def strip_solicitations(record: dict) -> bool:
    """Remove the sentences asking for a rating or a follow from the doctor's turns (or the
    answer of a single exchange): see :func:`~dataprep.steps.closings.strip_solicitation`.
    True if any was removed; a turn left empty is then trimmed as a closing. A turn that
    advertises (:func:`is_advertising`) is left whole, for that filter to drop."""
    turns = record.get("turns")
    texts = [t for t in turns if t["role"] == "assistant"] if turns else None
    changed = False
    if texts is None:
        if is_advertising(record["answer"]):
            return False
        stripped = strip_solicitation(record["answer"])
        changed, record["answer"] = stripped != record["answer"], stripped
        return changed
    for turn in texts:
        if is_advertising(turn["content"]):
            continue
        stripped = strip_solicitation(turn["content"])
        changed |= stripped != turn["content"]
        turn["content"] = stripped
    if changed:
        sync_from_turns(record)
    return changed


def complete_sentences(answer: str) -> str | None:
    """``answer`` without the unfinished clause it stops on ("…", a trailing comma, a "read
    more" marker); a trailing ；/;, a run of 。。。 or a colon after a closed list (等：) becomes
    。, a dangling section heading ("医生询问：") goes. None if no complete sentence is left."""
    cut = min((answer.find(m) for m in _TRUNCATED_MARKERS if m in answer), default=len(answer))
    text = answer[:cut].rstrip()
    heading = _TRAILING_HEADING_RE.search(text)
    if heading and text[: heading.start()].strip():
        text = text[: heading.start()].rstrip()
        return text if text.endswith(("。", "！", "？", "!", "?", ".")) else text + "。"
    if text.endswith(("；", ";", "等：", "等:")) or _REPEATED_STOPS_RE.search(text):
        return text.rstrip("；;。：:") + "。"  # "…比如维生素B1、B6等：": the list is closed
    if not text.endswith(_TRUNCATED_ENDINGS) and text:
        return text
    ends = [m.end() for m in _SENTENCE_END_RE.finditer(text.rstrip("。.…，,、；;：:（(“《 "))]
    if not ends:
        return None
    kept = text[: ends[-1]]
    return kept[:-1] + "。" if kept.endswith(("；", ";")) else kept


def is_truncated(answer: str) -> bool:
    """True if the answer stops mid-sentence or carries a "read more" marker."""
    return answer.endswith(_TRUNCATED_ENDINGS) or any(m in answer for m in _TRUNCATED_MARKERS)


def is_advertising(answer: str) -> bool:
    """True if the answer solicits contact: an ad phrase, or a placeholder the shared
    de-identification engine wrote for a phone, WeChat, QQ, e-mail or URL; a social handle
    only with a cue to contact it (加/关注/私信/搜/联系/粉丝): "@某医生 请解答" in a team's
    consultation mentions a colleague."""
    if _AD_RE.search(answer) is not None:
        return True
    if not any(c in answer for c in _CONTACT_OPENERS):  # no placeholder can be there
        return False
    if any(p in answer for p in _CONTACT_NOT_HANDLE):
        return True
    return _HANDLE in answer and _HANDLE_CUE_RE.search(answer) is not None


_HANDLE = PLACEHOLDERS["social_handle"]
_CONTACT_NOT_HANDLE = tuple(p for p in CONTACT_PLACEHOLDERS if p != _HANDLE)
_CONTACT_OPENERS = tuple(sorted({p[0] for p in CONTACT_PLACEHOLDERS}))  # "[" for all of them
_HANDLE_CUE_RE = re.compile(r"加|关注|私信|搜|联系|粉丝")


def quality_score(record: dict, relevance_score: float | None) -> float:
    """0–1: a longer (up to 400 chars), more relevant, accepted or liked answer scores higher."""
    meta = record["meta"]
    length = min(len(record["answer"]), 400) / 400
    rel = 0.5 if relevance_score is None else min(relevance_score * 2, 1.0)
    votes = min(int(meta.get("likes") or 0), 10) / 10
    accepted = 1.0 if meta.get("accepted") else 0.0
    return round(0.45 * length + 0.35 * rel + 0.1 * accepted + 0.1 * votes, 4)

"""Whether an answer below the length floor still answers its question.

A short entity, number or list is the whole answer to a knowledge question ("X的推荐药有些
什么？" → a drug name, "最可能的诊断是什么？" → a diagnosis, "45+67=?" → "112"). It is not such
an answer when the question asks for an explanation (什么是…, 介绍…) or asks nothing, nor when
the answer only repeats the question's own words, only says "无"/"不知道" to an open question, or
names a department the question did not ask for.

A consultation (the asker speaks of themselves or to the doctor, or asks what to do, whether
they may, how serious it is) is answered by a short reply with content ("挂呼吸科", "暂时不用",
"这个药一般不影响"), as a doctor answers a patient; not by an acknowledgement or courtesy ("嗯",
"收到！", "不客气"), a greeting or template phrase, a bare placeholder ("[医生姓名]"), advice that
fits any case ("多喝水") or an echo of the question's own words.
"""

from __future__ import annotations

import re

from dataprep.steps.closings import is_acknowledgement

# An ask for an entity, number, place, time, choice or yes/no.
_ASK_RE = re.compile(
    r"什么|啥|哪|何[种处时为]|多少|多[长久大高重]|几|是否|是不是|有没有|有无|能否|可否"
    r"|如何|怎么|怎样|还是|吗|[?？]|[=＝]"
)
# The asker speaks of themselves or their family, or addresses the doctor: a consultation.
_PERSONAL_RE = re.compile(
    r"我(?!国)|俺|本人|咱|您|大夫|医生[，,、!！你您好啊呀]|宝宝|宝贝|老公|老婆|爸妈|家人"
)
# Asks for advice, permission or reassurance: a one-liner does not do.
_ADVICE_RE = re.compile(
    r"怎么办|咋办|怎么回事|咋回事|怎么样|咋样|要紧|严重吗|好吗|好呢|行吗"
    r"|吃(?:什么|啥|点什么|哪种|哪些)|用(?:什么|啥)药"
    r"|(?:能|可以|可不可以|能不能|需不需要|要不要|用不用)[^，,。？?！!]{0,12}吗"
)
# Asks for an explanation or a description.
_EXPLAIN_RE = re.compile(r"什么是|是什么意思|什么意思|介绍|解释|讲解|简述|阐述|讲讲|谈谈|详细")
_YES_NO_RE = re.compile(r"是否|是不是|有没有|有无|能否|可否|吗")
# "A和B哪个…？", "…还是…？": the answer may repeat the option it picks.
_CHOICE_RE = re.compile(r"还是|[和与或及、][^，,。？?]{1,20}(?:哪|谁)")
_NON_ANSWER_RE = re.compile(
    r"无|没有|没|否|不是|不知道|不清楚|不详|未知|暂无|不确定|不好说|不一定|不能确定"
)
_DEPARTMENT_ONLY_RE = re.compile(r"(?:[\u4e00-\u9fff]{1,8}科[；;、，,/和及或\s]*)+")
_LETTERS_RE = re.compile(r"[^\u3400-\u9fffA-Za-z0-9]+")
# Advice that fits any case, as whole words of a short reply.
_GENERIC_ADVICE_RE = re.compile(
    r"(?:建议|可以|先|再|要|需要|应该|注意|多|还是|最好|尽快|及时|去|到|一下|看看|看|喝水|休息"
    r"|观察|对症|治疗|处理|调理|检查|就医|就诊|医院|医生|正规)+"
)
_ADVICE_CORE_RE = re.compile(r"喝水|休息|观察|治疗|处理|调理|检查|就医|就诊|医院|医生|看")
_PLACEHOLDER_RE = re.compile(r"\[[\u4e00-\u9fff]{1,6}\]")  # what de-identification wrote
# Greetings and courtesies that say nothing to a patient's case.
_TEMPLATE_WORDS_RE = re.compile(
    r"(?:医生)?(?:你好|您好)|祝(?:你|您)?(?:早日)?(?:康复|健康|身体健康)|(?:谢谢|感谢)(?:你|您)?"
    r"|不(?:用)?客气|希望(?:对(?:你|您))?有(?:所)?帮助"
)
_CLAUSE_RE = re.compile(r"[，,。；;！!？?\n]")
ECHO_MIN_RUN = 2  # shortest stretch of the question's text that counts as repeated


def answers_knowledge_question(question: str, answer: str, asks_department: bool) -> bool:
    """True if ``answer`` (shorter than the length floor) is a complete answer to ``question``:
    the question asks for a fact and is no consultation, and the answer says something the
    question did not (see the module docstring). ``asks_department``: the question asks which
    department to see (a department name is then an answer)."""
    letters = _LETTERS_RE.sub("", answer)
    if not letters or not is_knowledge_question(question):
        return False
    if _NON_ANSWER_RE.fullmatch(letters):
        return _YES_NO_RE.search(question) is not None
    if not asks_department and _DEPARTMENT_ONLY_RE.fullmatch(answer.strip(" 。.；;")):
        return False
    return not echoes_question(question, letters) or _CHOICE_RE.search(question) is not None


def answers_consultation(question: str, answer: str) -> bool:
    """True if ``answer`` (shorter than the length floor) is a reply with content to
    ``question``, a consultation (see the module docstring); False for any other question."""
    return is_consultation(question) and has_substance(question, answer)


def has_substance(question: str, reply: str) -> bool:
    """True if ``reply`` is not only acknowledgements, courtesies, greetings and placeholders,
    is not advice that fits any case ("多喝水", "先去检查一下", "注意休息，去医院看看") and does not
    only repeat words of ``question``."""
    if is_acknowledgement(reply):
        return False
    letters = _LETTERS_RE.sub("", _PLACEHOLDER_RE.sub("", _TEMPLATE_WORDS_RE.sub("", reply)))
    if not letters or (_GENERIC_ADVICE_RE.fullmatch(letters) and _ADVICE_CORE_RE.search(letters)):
        return False  # "可以", "需要" alone answer a yes/no question
    return not repeats(_LETTERS_RE.sub("", question), letters)


def is_consultation(question: str) -> bool:
    """True if ``question`` is a consultation: the asker speaks of themselves or their family
    or to the doctor, or asks what to do, whether they may, how serious it is."""
    return _PERSONAL_RE.search(question) is not None or _ADVICE_RE.search(question) is not None


def is_knowledge_question(question: str) -> bool:
    """True if ``question`` asks for a fact (an entity, number, choice, yes/no) and is neither
    a consultation nor a request for an explanation."""
    return (
        _ASK_RE.search(question) is not None
        and _PERSONAL_RE.search(question) is None
        and _ADVICE_RE.search(question) is None
        and _EXPLAIN_RE.search(question) is None
    )


def echoes_question(question: str, letters: str) -> bool:
    """True if every character of ``letters`` (the answer without punctuation) lies in a
    stretch of at least :data:`ECHO_MIN_RUN` characters that the question's ask (its last
    clause) also contains: "腰椎间盘突出" to "腰椎间盘突出的并发症有哪些？". A finding
    named earlier in a case description may well be the answer ("…脑脊液压力异常，…，实验室
    检查有哪些？" → "脑脊液压力")."""
    return repeats(_LETTERS_RE.sub("", ask_clause(question)), letters)


def repeats(text: str, letters: str) -> bool:
    """True if every character of ``letters`` lies in a stretch of at least
    :data:`ECHO_MIN_RUN` characters that ``text`` also contains."""
    covered = [False] * len(letters)
    start = 0
    while start < len(letters):
        end = start + ECHO_MIN_RUN
        if end > len(letters) or letters[start:end] not in text:
            start += 1
            continue
        while end < len(letters) and letters[start : end + 1] in text:
            end += 1
        covered[start:end] = [True] * (end - start)
        start += 1
    return all(covered)


def ask_clause(question: str) -> str:
    """The last clause of ``question`` with any letters in it: where it asks."""
    clauses = [c for c in _CLAUSE_RE.split(question) if _LETTERS_RE.sub("", c)]
    return clauses[-1] if clauses else question

"""Turn a question page into raw-record fields, driven by a :class:`SiteProfile`.

Works on an lxml tree (``response.selector.root`` in the spider, :func:`parse_html` in tests,
``medqa crawl try-profile`` and the benchmark) with the profile's precompiled XPaths. Asker names,
ids and profile links are never read: the patient fields keep only a gender and an age *group*.
Every field reports which of its selector alternatives matched (``matched``), for the crawl's
stats and for ``try-profile``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import lxml.html
import yaml
from lxml import etree

from crawler.items import age_group
from crawler.sites.fields import AnswerRule, DetailRule, FieldSpec, PageCheck, PatientPatterns

_BLOCK_TAGS = ("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "dd", "dt")
_DATE_TIME = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)
_INT = re.compile(r"\d+")
_SECTION_SEP = re.compile(r"^\s*([^:：]{1,20})\s*[:：]\s*", re.S)
_CLOSED = re.compile(rb"</(?:html|body)\s*>", re.I)
_TAIL_BYTES = 8192
_GENDER = {"男": "男", "女": "女"}


def parse_html(body: bytes | str, encoding: str | None = None) -> etree._Element:
    """Parse a page the way the spider sees it (bytes are decoded with ``encoding``)."""
    if isinstance(body, bytes):
        body = body.decode(encoding or "utf-8", errors="replace")
    return lxml.html.document_fromstring(body)


def block_text(node: Any) -> str:
    """Visible text of an element with line breaks for ``<br>`` and block elements
    (scripts and styles skipped); strings (attribute/text results) pass through."""
    if not isinstance(node, etree._Element):
        return str(node)
    if len(node) == 0:  # a leaf: its text is all there is
        return node.text or ""
    for el in node.iter("br", "script", "style", *_BLOCK_TAGS):
        if el.tag in ("script", "style"):
            el.text = None
        elif el is not node and not (el.tail or "").startswith("\n"):
            el.tail = "\n" + (el.tail or "")
    return etree.tostring(node, method="text", encoding="unicode", with_tail=False)


def _clean(spec: FieldSpec, texts: list[str]) -> list[str]:
    out = []
    for text in texts:
        for pattern in spec.cleanup:
            text = pattern.sub("", text)
        if spec.regex is not None:
            match = spec.regex.search(text)
            if match is None:
                continue
            if "value" in spec.regex.groupindex:
                text = match.group("value") or ""
            else:
                text = match.group(1 if spec.regex.groups else 0) or ""
        text = text.strip()
        if text and not any(p.search(text) for p in spec.exclude):
            out.append(text)
    return out[slice(*spec.slice)] if spec.slice else out


def _sections(labels: tuple[str, ...], texts: list[str]) -> list[str]:
    found: dict[str, str] = {}
    for text in texts:
        match = _SECTION_SEP.match(text)
        if match and match.group(1).strip() in labels:
            label = match.group(1).strip()
            body = text[match.end() :].strip()
            if body:
                found[label] = f"{found[label]}\n{body}" if label in found else body
    joined = "\n".join(found[label] for label in labels if label in found)
    return [joined] if joined else []


def _raw(result: Any) -> list:
    if isinstance(result, list):
        return result
    return [] if result is None or result is False or result == "" else [result]


def field_values(spec: FieldSpec | None, context: Any) -> tuple[list[str], int | None]:
    """The texts a field yields and the index of the alternative that yielded them."""
    if spec is None:
        return [], None
    for index, xpath in enumerate(spec.xpaths):
        texts = [block_text(n).strip() for n in _raw(xpath(context))]
        texts = _clean(spec, [t for t in texts if t])
        if spec.sections:
            texts = _sections(spec.sections, texts)
        if texts:
            return texts, index
    return [], None


@cache
def _default_patterns() -> PatientPatterns:
    from crawler.sites.profile import DEFAULTS_FILE  # the shared defaults file

    data = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))["patient_patterns"]
    return PatientPatterns(
        tuple(re.compile(p) for p in data["gender"]), tuple(re.compile(p) for p in data["age"])
    )


@cache
def _default_titles() -> tuple[str, ...]:
    from crawler.sites.profile import DEFAULTS_FILE

    titles = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))["doctor_titles"]
    return tuple(sorted(titles, key=len, reverse=True))


def patient_fields(
    texts: list[str], patterns: PatientPatterns | None = None
) -> dict[str, str | None]:
    """Gender and age group from the asker line, by the profile's patterns (defaults in
    ``defaults.yaml``): a user name containing 女 is not a gender, an exact age never survives."""
    patterns = patterns if patterns and (patterns.gender or patterns.age) else _default_patterns()
    line = " | ".join(texts)
    gender = group = None
    for pattern in patterns.gender:
        if match := pattern.search(line):
            gender = _GENDER.get(match.group("gender")[:1])
            break
    for pattern in patterns.age:
        if match := pattern.search(line):
            groups = match.groupdict()
            if groups.get("years"):
                group = age_group(f"{groups['years']}岁")
            elif groups.get("months"):
                group = age_group(f"{groups['months']}个月")
            if group:
                break
    return {"gender": gender, "age_group": group}


def normalise_time(text: str | None) -> str | None:
    """``"2026年11月1日 9:05"`` → ``"2026-11-01 09:05"``; None when there is no date."""
    if not text or not (match := _DATE_TIME.search(text)):
        return None
    year, month, day, hour, minute, second = match.groups()
    value = f"{year}-{int(month):02d}-{int(day):02d}"
    if hour is not None:
        value += f" {int(hour):02d}:{minute}" + (f":{second}" if second else "")
    return value


def doctor_title(text: str | None, titles: tuple[str, ...] = ()) -> str | None:
    """The longest title of the vocabulary mentioned in ``text`` (主治医师, 实习医生, …)."""
    if not text:
        return None
    return next((title for title in titles or _default_titles() if title in text), None)


def page_complete(check: PageCheck, body: bytes | None, root: Any) -> bool:
    """The document is closed, long enough, and carries the profile's marker (if any)."""
    if body is not None:
        if len(body) < check.min_bytes:
            return False
        if check.closed and not _CLOSED.search(body[-_TAIL_BYTES:]):
            return False
    return all(bool(x(root)) for x in check.marker) if check.marker else True


def is_deleted(rule: DetailRule, root: Any) -> bool:
    """The page carries a removed-question notice (an XPath or a text of the profile)."""
    xpaths, texts = rule.deleted
    if any(bool(x(root)) for x in xpaths):
        return True
    if not texts:
        return False
    visible = root.xpath("string(//body)") or root.xpath("string(.)")
    return any(t in visible for t in texts)


class _Matched(dict):
    """Field name → index of the alternative that matched (None: nothing matched)."""

    def note(self, name: str, index: int | None) -> None:
        if self.get(name) is None:
            self[name] = index


def _answer_fields(
    rule: AnswerRule, nodes: list, titles: tuple[str, ...], keep: bool, seen: _Matched
) -> dict[str, Any]:
    """One answer from its element(s): the card first, then the text element."""

    def first(spec: FieldSpec | None, name: str) -> str | None:
        for node in nodes:
            values, index = field_values(spec, node)
            if values:
                seen.note(name, index)
                return values[0] if name != "doctor_title" else " ".join(values)
        seen.note(name, None)
        return None

    likes = first(rule.likes, "answers.likes")
    likes_match = _INT.search(likes) if likes else None
    accepted = False
    if rule.accepted is not None:
        accepted = any(bool(x(n)) for x in rule.accepted.xpaths for n in nodes)
    answer: dict[str, Any] = {
        "doctor_title": doctor_title(first(rule.doctor_title, "answers.doctor_title"), titles),
        "text": "",
        "time": normalise_time(first(rule.time, "answers.time")),
        "accepted": accepted,
        "likes": int(likes_match.group()) if likes_match else 0,
    }
    if keep:
        answer["doctor_name"] = first(rule.doctor_name, "answers.doctor_name")
    return answer


def _document_order(root: Any) -> dict:
    return {el: i for i, el in enumerate(root.iter())}


def _paired_answers(rule: AnswerRule, root: Any, cards: list, seen: _Matched) -> list[tuple]:
    """(card, [text elements]) in page order: each text goes to the nearest card before it."""
    order = _document_order(root)
    for index, xpath in enumerate(rule.text.xpaths):
        texts = [n for n in _raw(xpath(root)) if isinstance(n, etree._Element)]
        if texts:
            seen.note("answers.text", index)
            break
    else:
        seen.note("answers.text", None)
        return [(card, []) for card in cards]
    cards = sorted(cards, key=lambda c: order.get(c, -1))
    pairs: list[tuple] = [(card, []) for card in cards]
    for text in texts:
        where = order.get(text, -1)
        owner = None
        for k, card in enumerate(cards):
            if order.get(card, -1) < where:
                owner = k
        if owner is not None:
            pairs[owner][1].append(text)
    return pairs


def extract_answers(
    rule: AnswerRule, root: Any, titles: tuple[str, ...], keep: bool, seen: _Matched
) -> tuple[list[dict[str, Any]], list]:
    """Every answer on the page in page order, and the answer elements (cards when paired)."""
    nodes, index = rule.each.select(root)
    seen.note("answers", index)
    answers = []
    if rule.paired:
        for card, texts in _paired_answers(rule, root, nodes, seen):
            answer = _answer_fields(rule, [card, *texts], titles, keep, seen)
            body = [block_text(t).strip() for t in texts]
            answer["text"] = "\n".join(_clean(rule.text, [t for t in body if t]))
            answers.append(answer)
        return answers, nodes
    for node in nodes:
        answer = _answer_fields(rule, [node], titles, keep, seen)
        values, text_index = field_values(rule.text, node)
        seen.note("answers.text", text_index)
        answer["text"] = "\n".join(values)
        answers.append(answer)
    return answers, nodes


def _turn_nodes(rule: DetailRule, root: Any, answer_nodes: list, seen: _Matched) -> list:
    assert rule.turns is not None
    if not rule.turns.within_answers:
        nodes, index = rule.turns.each.select(root)
        seen.note("turns", index)
        return nodes
    nodes = []
    for answer in answer_nodes:
        found, index = rule.turns.each.select(answer)
        seen.note("turns", index)
        nodes += found
    return nodes


def extract_turns(
    rule: DetailRule, root: Any, question: str, seen: _Matched, answer_nodes: list = ()
) -> list[dict]:
    """The consultation's turns in page order, the question first; [] without follow-ups."""
    if rule.turns is None:
        return []
    nodes = _turn_nodes(rule, root, list(answer_nodes), seen)
    turns = []
    for node in nodes:
        values, _ = field_values(rule.turns.text, node)
        if not values:
            continue
        patient = any(bool(x(node)) for x in rule.turns.patient.xpaths)
        turn = {"role": "patient" if patient else "doctor", "text": "\n".join(values)}
        stamp, _ = field_values(rule.turns.time, node)
        if stamp and (time := normalise_time(stamp[0])):
            turn["time"] = time
        turns.append(turn)
    if not turns:
        return []
    if turns[0]["role"] != "patient" or turns[0]["text"] != question:
        turns.insert(0, {"role": "patient", "text": question})
    return turns


def extract_detail(
    rule: DetailRule,
    root: Any,
    url_date: str | None = None,
    keep_doctor_names: bool = False,
    body: bytes | None = None,
) -> dict[str, Any]:
    """Record fields of one question page plus ``issues`` (``question_deleted``,
    ``truncated_page``), ``asked_on`` for the validation pipeline and ``matched`` (which
    selector alternative each field used). ``body`` (the raw bytes) enables the
    document-closed and length checks."""
    seen = _Matched()
    titles, index = field_values(rule.title, root)
    seen.note("title", index)
    questions, index = field_values(rule.question, root)
    seen.note("question", index)
    title, question = (titles[0] if titles else ""), "\n".join(questions)
    issues = []
    # a deleted question's page has no question on it: only then look for the notice
    if not (title and question) and is_deleted(rule, root):
        issues.append("question_deleted")
    elif not page_complete(rule.page, body, root):
        issues.append("truncated_page")
    department, index = field_values(rule.department, root)
    seen.note("department", index)
    patient_texts, index = field_values(rule.patient, root)
    seen.note("patient", index)
    asked_on = url_date
    if asked_on is None and rule.asked_on is not None:
        stamps, index = field_values(rule.asked_on, root)
        seen.note("asked_on", index)
        stamp = normalise_time(" ".join(stamps))
        asked_on = stamp[:10] if stamp else None
    answers, nodes = extract_answers(
        rule.answers, root, rule.doctor_titles, keep_doctor_names, seen
    )
    return {
        "department": department,
        "title": title,
        "question": question,
        "patient": patient_fields(patient_texts, rule.patient_patterns),
        "answers": answers,
        "turns": extract_turns(rule, root, question, seen, nodes),
        "issues": issues,
        "asked_on": asked_on,
        "matched": dict(seen),
    }

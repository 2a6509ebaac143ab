"""Turn a question page into raw-record fields, driven by a :class:`SiteProfile`.

Works on an lxml tree (``response.selector.root`` in the spider, :func:`parse_html` in tests and
the benchmark) with the profile's precompiled XPaths. Asker names, ids and profile links are never
read: the patient fields keep only a gender token and an age *group*.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.html
from lxml import etree

from crawler.items import age_group
from crawler.sites.profile import AnswerRule, DetailRule, FieldSpec

# Checked in this order: "副主任医师" must win over "主任医师".
DOCTOR_TITLES = (
    "副主任医师",
    "主任医师",
    "主治医师",
    "住院医师",
    "执业医师",
    "副主任药师",
    "主任药师",
    "主管药师",
    "药师",
    "主管护师",
    "护师",
    "医师",
)
_BLOCK_TAGS = ("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "dd", "dt")
_DATE_TIME = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)
_INT = re.compile(r"\d+")
_TOKEN_SPLIT = re.compile(r"[|｜/,，;；\s]+")
_GENDER = {"男": "男", "女": "女", "男性": "男", "女性": "女"}
_SECTION_SEP = re.compile(r"^\s*([^:：]{1,20})\s*[:：]\s*", re.S)


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
        elif el is not node:
            el.tail = "\n" + (el.tail or "")
    return etree.tostring(node, method="text", encoding="unicode", with_tail=False)


def _texts(xpath: etree.XPath | None, context: Any) -> list[str]:
    if xpath is None:
        return []
    result = xpath(context)
    if not isinstance(result, list):
        result = [result]
    texts = (block_text(n).strip() for n in result)
    return [t for t in texts if t]


def _first(xpath: etree.XPath | None, context: Any) -> str | None:
    texts = _texts(xpath, context)
    return texts[0] if texts else None


def _question(spec: FieldSpec, root: Any) -> str:
    texts = _texts(spec.xpath, root)
    if not spec.sections:
        return "\n".join(texts)
    found: dict[str, str] = {}
    for text in texts:
        match = _SECTION_SEP.match(text)
        if match and match.group(1).strip() in spec.sections:
            label = match.group(1).strip()
            body = text[match.end() :].strip()
            if body:
                found[label] = f"{found[label]}\n{body}" if label in found else body
    return "\n".join(found[label] for label in spec.sections if label in found)


def _department(spec: FieldSpec | None, root: Any) -> list[str]:
    if spec is None:
        return []
    texts = _texts(spec.xpath, root)
    return texts[slice(*spec.slice)] if spec.slice else texts


def patient_fields(texts: list[str]) -> dict[str, str | None]:
    """Gender and age group from whole tokens only (a user name containing 女 is not a gender)."""
    gender = group = None
    for text in texts:
        for token in _TOKEN_SPLIT.split(text):
            if gender is None and token in _GENDER:
                gender = _GENDER[token]
            elif group is None and (found := age_group(token)):
                group = found
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


def doctor_title(text: str | None) -> str | None:
    """The canonical professional title mentioned in ``text`` (主治医师, 副主任医师, …)."""
    if not text:
        return None
    return next((title for title in DOCTOR_TITLES if title in text), None)


def _answer(rule: AnswerRule, node: Any, keep_names: bool) -> dict[str, Any]:
    likes = _first(rule.likes, node)
    likes_match = _INT.search(likes) if likes else None
    answer: dict[str, Any] = {
        "doctor_title": doctor_title(" ".join(_texts(rule.doctor_title, node))),
        "text": "\n".join(_texts(rule.text, node)),
        "time": normalise_time(_first(rule.time, node)),
        "accepted": bool(rule.accepted(node)) if rule.accepted is not None else False,
        "likes": int(likes_match.group()) if likes_match else 0,
    }
    if keep_names:
        answer["doctor_name"] = _first(rule.doctor_name, node)
    return answer


def extract_detail(
    rule: DetailRule, root: Any, url_date: str | None = None, keep_doctor_names: bool = False
) -> dict[str, Any]:
    """Record fields of one question page plus ``issues`` (``question_deleted``,
    ``truncated_page``) and ``asked_on`` for the validation pipeline."""
    issues = []
    title = _first(rule.title.xpath, root) or ""
    question = _question(rule.question, root)
    # a deleted question's page has no question on it: only then look for the notice
    if not (title and question) and rule.deleted is not None and rule.deleted(root):
        issues.append("question_deleted")
    if rule.complete is not None and not rule.complete(root):
        issues.append("truncated_page")
    patient_texts = _texts(rule.patient.xpath, root) if rule.patient else []
    asked_on = url_date
    if asked_on is None and rule.asked_on is not None:
        stamp = normalise_time(" ".join(_texts(rule.asked_on.xpath, root)))
        asked_on = stamp[:10] if stamp else None
    return {
        "department": _department(rule.department, root),
        "title": title,
        "question": question,
        "patient": patient_fields(patient_texts),
        "answers": [
            _answer(rule.answers, node, keep_doctor_names) for node in rule.answers.each(root)
        ],
        "issues": issues,
        "asked_on": asked_on,
    }

"""The raw crawl record (``../shared/DESIGN.md`` §3) as a Scrapy item, plus age grouping.

Only the fields in :data:`RAW_FIELDS` are ever written, in that order, plus ``turns`` after
``answers`` when a consultation has follow-ups. ``issues`` and
``asked_on`` are internal: the parser notes problems (deleted question, truncated page) for the
validation pipeline, and the question date for ``since`` filtering. Nothing that identifies the
asker (user name, user id, profile URL, exact age) has a field here.
"""

from __future__ import annotations

import re

import scrapy

RAW_FIELDS: tuple[str, ...] = (
    "source",
    "qid",
    "url",
    "crawled_at",
    "department",
    "title",
    "question",
    "patient",
    "answers",
)
ANSWER_FIELDS: tuple[str, ...] = ("doctor_title", "text", "time", "accepted", "likes")
# written after ``answers`` only when the page has follow-ups (a multi-turn consultation)
TURNS_FIELD = "turns"


class QuestionItem(scrapy.Item):
    """One question page: the raw record fields plus two internal ones."""

    source = scrapy.Field()  # site profile name, e.g. "xywy"
    qid = scrapy.Field()  # the site's question id (string)
    url = scrapy.Field()  # canonical detail-page URL
    crawled_at = scrapy.Field()  # UTC, "2026-11-22T21:00:00Z"
    department = scrapy.Field()  # ["内科", "心血管内科"], top to sub
    title = scrapy.Field()
    question = scrapy.Field()
    patient = scrapy.Field()  # {"gender": "女"|"男"|None, "age_group": "30-39"|None}
    answers = scrapy.Field()  # [{doctor_title, text, time, accepted, likes}]
    turns = scrapy.Field()  # [{role: "patient"|"doctor", text, time?}] in page order, or []
    issues = scrapy.Field()  # internal: parser findings, e.g. ["question_deleted"]
    asked_on = scrapy.Field()  # internal: "YYYY-MM-DD" when known


def raw_record(item: QuestionItem | dict, keep_doctor_names: bool = False) -> dict:
    """The exported record: :data:`RAW_FIELDS` in order, answers trimmed to their fields."""
    record = {name: item.get(name) for name in RAW_FIELDS}
    answer_fields = ANSWER_FIELDS + (("doctor_name",) if keep_doctor_names else ())
    record["answers"] = [{k: a.get(k) for k in answer_fields} for a in item.get("answers") or []]
    turns = item.get(TURNS_FIELD) or []
    if turns:
        record[TURNS_FIELD] = [
            {k: t[k] for k in ("role", "text", "time") if t.get(k)} for t in turns if t.get("text")
        ]
    return record


_AGE_YEARS = re.compile(r"^(\d{1,3})\s*(?:岁|周岁)$")
_AGE_MONTHS = re.compile(r"^(\d{1,2})\s*(?:个月|月)$")


def age_group(token: str) -> str | None:
    """``"32岁"`` → ``"30-39"``; ``"8个月"`` → ``"0-9"``; decades, ``"90+"`` at the top.

    Exact ages are never stored: only the decade survives.
    """
    token = token.strip()
    if match := _AGE_YEARS.match(token):
        years = int(match.group(1))
    elif _AGE_MONTHS.match(token):
        years = 0
    else:
        return None
    if years > 120:
        return None
    if years >= 90:
        return "90+"
    low = years // 10 * 10
    return f"{low}-{low + 9}"

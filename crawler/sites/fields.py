"""The question-page part of a profile: field selectors and the rules built from them.

A field is an XPath, a list of XPath alternatives (tried in order; the first that yields text
wins, and the crawl counts which one), or a mapping::

    title:
      xpath: ["//h1[@id='d_askH1']", "//div[contains(@class,'b_askti')]/h1"]
      regex: '^(?:问题[:：])?(?P<value>.+)$'   # keep this group (or group 1, or the match)
      cleanup: ['\\s*\\(已解决\\)$']          # patterns deleted from the text
      exclude: ['^首页$']                     # texts dropped entirely
      slice: [0, 2]                           # keep these results (after exclude)
      sections: [病情描述, 想得到的帮助]       # labelled paragraphs to keep, in this order
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from crawler.sites.reader import Reader

FIELD_KEYS = ("xpath", "regex", "cleanup", "exclude", "slice", "sections", "required")


@dataclass(frozen=True)
class Selector:
    """XPath alternatives tried in order; the first that selects anything wins."""

    xpaths: tuple[etree.XPath, ...]
    sources: tuple[str, ...]

    def select(self, context: Any) -> tuple[list, int | None]:
        for index, xpath in enumerate(self.xpaths):
            result = xpath(context)
            if result:
                return (result if isinstance(result, list) else [result]), index
        return [], None


@dataclass(frozen=True)
class FieldSpec:
    """One record field: XPath alternatives plus the text steps applied to what they select."""

    xpaths: tuple[etree.XPath, ...]
    sources: tuple[str, ...]
    regex: re.Pattern | None = None
    cleanup: tuple[re.Pattern, ...] = ()
    exclude: tuple[re.Pattern, ...] = ()
    slice: tuple[int | None, int | None] | None = None
    sections: tuple[str, ...] = ()
    required: bool = False

    @property
    def xpath(self) -> etree.XPath:  # the first alternative (older callers)
        return self.xpaths[0]


@dataclass(frozen=True)
class PageCheck:
    """When a question page counts as complete: the document is closed (``</html>``/``</body>``
    near its end), it has at least ``min_bytes``, and any ``marker`` XPath matches."""

    closed: bool = True
    min_bytes: int = 1024
    marker: tuple[etree.XPath, ...] = ()


@dataclass(frozen=True)
class PatientPatterns:
    """Regexes for the asker line: ``gender`` (group ``gender``), ``age`` (``years``/``months``)."""

    gender: tuple[re.Pattern, ...]
    age: tuple[re.Pattern, ...]


@dataclass(frozen=True)
class AnswerRule:
    """Answers: ``each`` selects one element per answer and the fields are relative to it; or,
    with ``paired``, ``each`` selects doctor cards and ``text`` (page-wide) the answer texts,
    each text belonging to the card before it in the page. Card fields are read from the card,
    then from the text element."""

    each: Any  # Selector
    text: FieldSpec
    paired: bool = False
    doctor_title: FieldSpec | None = None
    doctor_name: FieldSpec | None = None
    time: FieldSpec | None = None
    likes: FieldSpec | None = None
    accepted: Any = None  # Selector of a boolean XPath
    required: bool = True


@dataclass(frozen=True)
class TurnRule:
    """A consultation's follow-ups in page order: ``each`` turn element (page-wide, or inside
    each answer with ``within: answers`` — follow-ups under an answer, and no page-wide scan),
    ``patient`` (a boolean XPath relative to it: true for the asker's turns), ``text``, ``time``."""

    each: Any  # Selector
    patient: Any  # Selector
    text: FieldSpec
    time: FieldSpec | None = None
    within_answers: bool = False  # ``each`` is relative to every answer element, in page order


@dataclass(frozen=True)
class DetailRule:
    """The question page: URL patterns (group ``qid`` required, ``date`` optional), the canonical
    URL template, page-state checks and the field selectors."""

    url: tuple[re.Pattern, ...]
    title: FieldSpec
    question: FieldSpec
    answers: AnswerRule
    canonical: str | None = None
    department: FieldSpec | None = None
    patient: FieldSpec | None = None
    asked_on: FieldSpec | None = None
    turns: TurnRule | None = None
    page: PageCheck = field(default_factory=PageCheck)
    deleted: tuple[tuple[etree.XPath, ...], tuple[str, ...]] = ((), ())
    doctor_titles: tuple[str, ...] = ()
    patient_patterns: PatientPatterns = field(default_factory=lambda: PatientPatterns((), ()))


def field_spec(reader: Reader, key: str, required: bool = True) -> FieldSpec | None:
    """Read a field written as an XPath, a list of alternatives, or a mapping (module docstring)."""
    if key not in reader.data and not required:
        return None
    if not isinstance(reader.data.get(key), dict):
        xpaths, sources = reader.xpaths(key)
        return FieldSpec(xpaths, sources, required=required)
    spec = reader.sub(key, FIELD_KEYS)
    bounds = spec.get("slice", None, kind=(list, type(None)))
    if bounds is not None and (
        len(bounds) != 2 or not all(b is None or type(b) is int for b in bounds)
    ):
        raise spec.fail("slice", "must be [start, stop] integers (or null)")
    regex = spec.regexes("regex", required=False)
    if len(regex) > 1:
        raise spec.fail("regex", "one pattern per field (use cleanup: for several deletions)")
    xpaths, sources = spec.xpaths("xpath")
    return FieldSpec(
        xpaths,
        sources,
        regex=regex[0] if regex else None,
        cleanup=spec.regexes("cleanup", required=False),
        exclude=spec.regexes("exclude", required=False),
        slice=tuple(bounds) if bounds else None,
        sections=spec.strings("sections", None),
        required=spec.get("required", required, kind=bool),
    )

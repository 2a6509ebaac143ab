"""Site profiles: a site's URL patterns and selectors, loaded from ``crawler/sites/<name>.yaml``.

A profile is data: where to start (``entries``), which links each page kind follows (``pages``),
how pagination works (``next``) and how a question page maps to the raw record (``detail``).
A new site needs a new YAML file, not a new spider. Every XPath and regex is compiled when the
profile loads, so a typo fails fast with a message naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from lxml import etree

SITES_DIR = Path(__file__).resolve().parent
DEPARTMENT_MODES = ("none", "match", "explore")
ENTRY_MODES = ("department", "date")


class ProfileError(ValueError):
    """A site profile is missing a key or has an invalid XPath/regex; the message names both."""


@dataclass(frozen=True)
class Entry:
    """A start page: ``path`` below the site root, its page ``kind``, and the crawl ``mode`` it
    serves (``department`` walks department lists, ``date`` walks day lists for ``since``)."""

    path: str
    kind: str
    mode: str = "department"


@dataclass(frozen=True)
class FollowRule:
    """Links (``<a>`` elements) selected by ``links`` lead to pages of ``kind``.

    ``departments``: ``match`` follows a link only when the department filter accepts its text
    (or an ancestor page did); ``explore`` follows every link but marks the accepted ones, so
    sub-department links below can still match; ``none`` ignores the filter. ``group`` (an
    XPath relative to the link) names the parent department when both levels share one page.
    """

    links: etree.XPath
    kind: str
    departments: str = "none"
    group: etree.XPath | None = None  # the parent department's name, relative to the link


@dataclass(frozen=True)
class PageRule:
    """A listing page kind: what it follows, its next-page link, and URL patterns (optional;
    a ``date`` group lets ``since`` skip day lists before reading them)."""

    kind: str
    follow: tuple[FollowRule, ...]
    next: etree.XPath | None = None
    url: tuple[re.Pattern, ...] = ()

    def url_groups(self, path: str) -> dict[str, str]:
        for pattern in self.url:
            if match := pattern.search(path):
                return {k: v for k, v in match.groupdict().items() if v}
        return {}


@dataclass(frozen=True)
class FieldSpec:
    """One record field: an XPath plus an optional slice of its results and, for the question,
    the labels of the sections to keep (in that order, labels dropped)."""

    xpath: etree.XPath
    slice: tuple[int | None, int | None] | None = None
    sections: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnswerRule:
    """How to find answers (``each``) and their fields, relative to each answer element."""

    each: etree.XPath
    text: etree.XPath
    doctor_title: etree.XPath | None = None
    doctor_name: etree.XPath | None = None
    time: etree.XPath | None = None
    likes: etree.XPath | None = None
    accepted: etree.XPath | None = None


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
    complete: etree.XPath | None = None
    deleted: etree.XPath | None = None


@dataclass(frozen=True)
class DetailLink:
    """A detail URL recognised by a profile."""

    qid: str
    url: str
    date: str | None = None  # "YYYY-MM-DD" when the URL carries it


@dataclass(frozen=True)
class SiteProfile:
    """Everything the spider knows about one site."""

    name: str
    title: str
    root: str
    encoding: str
    entries: tuple[Entry, ...]
    pages: dict[str, PageRule]
    detail: DetailRule
    login_patterns: tuple[re.Pattern, ...] = ()
    newest_first: bool = True
    source_file: str = field(default="", compare=False)

    def with_root(self, root: str) -> SiteProfile:
        """The same profile pointed at another host/prefix (a mirror or the sample site)."""
        return dataclasses.replace(self, root=normalise_root(root))

    def url(self, path: str) -> str:
        return self.root + path

    def relative(self, url: str) -> str | None:
        """``url`` relative to the site root (``/path?query``), or None when outside the site."""
        root = self.root
        if not url.startswith(root):
            return None
        rest = url[len(root) :]
        if rest and rest[0] not in "/?#":
            return None
        return rest or "/"

    def match_detail(self, url: str) -> DetailLink | None:
        """Recognise a question URL; return its qid, canonical URL and date (if any)."""
        rel = self.relative(url)
        if rel is None:
            return None
        path = rel.split("#", 1)[0]
        for pattern in self.detail.url:
            if match := pattern.search(path):
                groups = match.groupdict()
                canonical = url.split("#", 1)[0]
                if self.detail.canonical:
                    canonical = self.url(self.detail.canonical.format(**groups))
                return DetailLink(groups["qid"], canonical, _iso_date(groups.get("date")))
        return None

    def is_login_redirect(self, location: str) -> bool:
        return any(p.search(location) for p in self.login_patterns)


def normalise_root(root: str) -> str:
    parts = urlsplit(root)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ProfileError(f"site root {root!r} must be an absolute http(s) URL")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _iso_date(value: str | None) -> str | None:
    if not value:
        return None
    digits = re.sub(r"\D", "", value)
    if len(digits) != 8:
        return None
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"


class _Reader:
    """Typed access to a YAML mapping with errors that name the file and the key path."""

    def __init__(self, source: str, data: Any, where: str = "") -> None:
        if not isinstance(data, dict):
            raise ProfileError(f"{source}: {where or 'top level'} must be a mapping")
        self.source, self.data, self.where = source, data, where

    def _key(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, message: str) -> ProfileError:
        return ProfileError(f"{self.source}: {self._key(key)}: {message}")

    def get(self, key: str, default: Any = ..., kind: type | tuple = object) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "required key is missing")
            return default
        value = self.data[key]
        if not isinstance(value, kind):
            raise self.fail(key, f"expected {getattr(kind, '__name__', kind)}, got {value!r}")
        return value

    def sub(self, key: str) -> _Reader:
        return _Reader(self.source, self.get(key, kind=dict), self._key(key))

    def xpath(self, key: str, required: bool = True) -> etree.XPath | None:
        expr = self.get(key, ... if required else None, kind=(str, type(None)))
        if expr is None:
            return None
        try:
            return etree.XPath(expr)
        except etree.XPathSyntaxError as exc:
            raise self.fail(key, f"invalid XPath {expr!r} ({exc})") from exc

    def regexes(self, key: str, required: bool = True) -> tuple[re.Pattern, ...]:
        value = self.get(key, ... if required else [], kind=(str, list))
        patterns = [value] if isinstance(value, str) else value
        compiled = []
        for pattern in patterns:
            try:
                compiled.append(re.compile(pattern))
            except (re.error, TypeError) as exc:
                raise self.fail(key, f"invalid regex {pattern!r} ({exc})") from exc
        return tuple(compiled)


def _field(reader: _Reader, key: str, required: bool = True) -> FieldSpec | None:
    if key not in reader.data and not required:
        return None
    if isinstance(reader.data.get(key), str):
        return FieldSpec(reader.xpath(key))
    spec = reader.sub(key)
    bounds = spec.get("slice", None, kind=(list, type(None)))
    if bounds is not None and (
        len(bounds) != 2 or not all(isinstance(b, int | None) for b in bounds)
    ):
        raise spec.fail("slice", "must be [start, stop] integers")
    return FieldSpec(
        xpath=spec.xpath("xpath"),
        slice=tuple(bounds) if bounds else None,
        sections=tuple(spec.get("sections", [], kind=list)),
    )


def _answers(reader: _Reader) -> AnswerRule:
    return AnswerRule(
        each=reader.xpath("each"),
        text=reader.xpath("text"),
        doctor_title=reader.xpath("doctor_title", required=False),
        doctor_name=reader.xpath("doctor_name", required=False),
        time=reader.xpath("time", required=False),
        likes=reader.xpath("likes", required=False),
        accepted=reader.xpath("accepted", required=False),
    )


def _detail(reader: _Reader) -> DetailRule:
    urls = reader.regexes("url")
    for pattern in urls:
        if "qid" not in pattern.groupindex:
            raise reader.fail("url", f"pattern {pattern.pattern!r} has no (?P<qid>…) group")
    return DetailRule(
        url=urls,
        canonical=reader.get("canonical", None, kind=(str, type(None))),
        title=_field(reader, "title"),
        question=_field(reader, "question"),
        department=_field(reader, "department", required=False),
        patient=_field(reader, "patient", required=False),
        asked_on=_field(reader, "asked_on", required=False),
        complete=reader.xpath("complete", required=False),
        deleted=reader.xpath("deleted", required=False),
        answers=_answers(reader.sub("answers")),
    )


def _pages(reader: _Reader) -> dict[str, PageRule]:
    pages: dict[str, PageRule] = {}
    for kind in reader.data:
        page = reader.sub(kind)
        rules = []
        for i, raw in enumerate(page.get("follow", [], kind=list)):
            rule = _Reader(reader.source, raw, f"{page.where}.follow[{i}]")
            mode = rule.get("departments", "none", kind=str)
            if mode not in DEPARTMENT_MODES:
                raise rule.fail("departments", f"must be one of {DEPARTMENT_MODES}")
            rules.append(
                FollowRule(
                    rule.xpath("links"),
                    rule.get("kind", kind=str),
                    mode,
                    rule.xpath("group", required=False),
                )
            )
        pages[kind] = PageRule(
            kind, tuple(rules), page.xpath("next", required=False), page.regexes("url", False)
        )
    known = set(pages) | {"detail"}
    for kind, page in pages.items():
        for i, rule in enumerate(page.follow):
            if rule.kind not in known:
                raise reader.fail(f"{kind}.follow[{i}].kind", f"unknown page kind {rule.kind!r}")
    return pages


def load_profile_file(path: Path) -> SiteProfile:
    """Load and validate one profile YAML file."""
    source = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProfileError(f"{source}: not valid YAML ({exc})") from exc
    top = _Reader(source, data)
    pages = _pages(top.sub("pages"))
    entries = []
    for i, raw in enumerate(top.get("entries", kind=list)):
        entry = _Reader(source, raw, f"entries[{i}]")
        kind, mode = entry.get("kind", kind=str), entry.get("mode", "department", kind=str)
        if kind not in pages:
            raise entry.fail("kind", f"unknown page kind {kind!r}")
        if mode not in ENTRY_MODES:
            raise entry.fail("mode", f"must be one of {ENTRY_MODES}")
        entries.append(Entry(entry.get("path", kind=str), kind, mode))
    return SiteProfile(
        name=top.get("name", kind=str),
        title=top.get("title", kind=str),
        root=normalise_root(top.get("root", kind=str)),
        encoding=top.get("encoding", "utf-8", kind=str),
        entries=tuple(entries),
        pages=pages,
        detail=_detail(top.sub("detail")),
        login_patterns=top.regexes("login_patterns", required=False),
        newest_first=top.get("newest_first", True, kind=bool),
        source_file=source,
    )


def available_sites() -> list[str]:
    """Names of the bundled profiles (``crawler/sites/*.yaml``)."""
    return sorted(p.stem for p in SITES_DIR.glob("*.yaml"))


_CACHE: dict[str, SiteProfile] = {}


def load_profile(name: str) -> SiteProfile:
    """The bundled profile called ``name`` (e.g. ``xywy``, ``120ask``, ``39``)."""
    if name not in _CACHE:
        path = SITES_DIR / f"{name}.yaml"
        if not path.is_file():
            raise ProfileError(
                f"unknown site {name!r}; bundled profiles: {', '.join(available_sites())}"
            )
        profile = load_profile_file(path)
        if profile.name != name:
            raise ProfileError(f"{path}: name: {profile.name!r} must match the file name")
        _CACHE[name] = profile
    return _CACHE[name]

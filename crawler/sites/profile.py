"""Site profiles: a site's URL patterns and selectors, loaded from YAML.

A profile is data: where to start (``entries``), which links each page kind follows (``pages``),
how pagination works (``next``) and how a question page maps to the raw record (``detail``).
A new site needs a new YAML file, not a new spider; it may live in the user's own folder
(``-a profile=PATH.yaml`` or ``MEDQA_SITES_DIR``). Every key is checked (unknown keys fail with a
did-you-mean), every XPath and regex compiled when the profile loads. Any selector may be a list
of alternatives tried in order. Shared defaults (doctor titles, patient-line patterns, deleted
notices, the page-complete check) come from ``defaults.yaml`` beside this file.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from lxml import etree

from crawler.sites.fields import (
    FIELD_KEYS,
    AnswerRule,
    DetailRule,
    FieldSpec,
    PageCheck,
    PatientPatterns,
    Selector,
    TurnRule,
    field_spec,
)
from crawler.sites.reader import ProfileError, Reader, did_you_mean

__all__ = [
    "AnswerRule",
    "DetailRule",
    "FieldSpec",
    "ProfileError",
    "SiteProfile",
    "available_sites",
    "load_profile",
    "load_profile_file",
]

SITES_DIR = Path(__file__).resolve().parent
DEFAULTS_FILE = SITES_DIR / "defaults.yaml"
DEPARTMENT_MODES = ("none", "match", "explore")
ENTRY_MODES = ("department", "date")
TOP_KEYS = (
    "name", "title", "root", "hosts", "encoding", "newest_first", "login_patterns",
    "entries", "pages", "detail", "doctor_titles", "patient_patterns",
)  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """A start page: ``path`` below the site root, its page ``kind``, the crawl ``mode`` it serves
    (``department`` walks department lists, ``date`` walks day lists for ``since``), and whether it
    is a ``fallback``: requested only when the site's other entries of that mode failed or led
    nowhere."""

    path: str
    kind: str
    mode: str = "department"
    fallback: bool = False


@dataclass(frozen=True)
class FollowRule:
    """Links (``<a>`` elements) selected by ``links`` lead to pages of ``kind``.

    ``departments``: ``match`` follows a link only when the department filter accepts its text
    (or an ancestor page did); ``explore`` follows every link but marks the accepted ones, so
    sub-department links below can still match; ``none`` ignores the filter. ``group`` (an
    XPath relative to the link) names the parent department when both levels share one page.
    """

    links: Selector
    kind: str
    departments: str = "none"
    group: etree.XPath | None = None


@dataclass(frozen=True)
class PageRule:
    """A listing page kind: what it follows, its next-page link, and URL patterns (optional;
    a ``date`` group lets ``since`` skip day lists before reading them)."""

    kind: str
    follow: tuple[FollowRule, ...]
    next: Selector | None = None
    url: tuple[re.Pattern, ...] = ()

    def url_groups(self, path: str) -> dict[str, str]:
        for pattern in self.url:
            if match := pattern.search(path):
                return {k: v for k, v in match.groupdict().items() if v}
        return {}


@dataclass(frozen=True)
class DetailLink:
    """A detail URL recognised by a profile."""

    qid: str
    url: str
    date: str | None = None  # "YYYY-MM-DD" when the URL carries it


def _host_key(netloc: str) -> str:
    netloc = netloc.lower()
    return netloc[4:] if netloc.startswith("www.") else netloc


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
    hosts: tuple[str, ...] = ()  # more roots of the same site (https, bare/www, mobile host)
    login_patterns: tuple[re.Pattern, ...] = ()
    newest_first: bool = True
    source_file: str = field(default="", compare=False)
    # set by with_root: the real site's roots, whose absolute links are mapped onto the mirror
    mirror_of: tuple[str, ...] = ()

    def with_root(self, root: str) -> SiteProfile:
        """The same profile pointed at another host/prefix (a mirror or the sample site). Links
        to the real site's hosts map onto the mirror: a mirror crawl never leaves the mirror."""
        real = tuple(dict.fromkeys((self.root, *self.hosts, *self.mirror_of)))
        return dataclasses.replace(self, root=normalise_root(root), hosts=(), mirror_of=real)

    def url(self, path: str) -> str:
        return self.root + path

    def _locate(self, url: str) -> tuple[str, bool] | None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return None
        host = _host_key(parts.netloc)
        rest = parts.path or "/"
        roots = (self.root, *self.hosts)
        for number, root in enumerate((*roots, *self.mirror_of)):
            base = urlsplit(root)
            if _host_key(base.netloc) != host:
                continue
            prefix = base.path
            if prefix and not (rest == prefix or rest.startswith(prefix + "/")):
                continue
            path = rest[len(prefix) :] or "/"
            return path + (f"?{parts.query}" if parts.query else ""), number >= len(roots)
        return None

    def relative(self, url: str) -> str | None:
        """``url`` relative to the site (``/path?query``), or None when off-site. Any of the
        profile's roots counts, http or https, with or without ``www.``."""
        found = self._locate(url)
        return found[0] if found else None

    def site_url(self, url: str) -> str | None:
        """The URL to request for a link: itself when on the site, its path on the mirror when it
        points at the mirrored real site, None when off-site."""
        found = self._locate(url)
        if found is None:
            return None
        rel, mirrored = found
        return self.url(rel) if mirrored else url

    def match_detail(self, url: str) -> DetailLink | None:
        """Recognise a question URL; return its qid, canonical URL (on the main root) and date."""
        rel = self.relative(url)
        if rel is None:
            return None
        for pattern in self.detail.url:
            if match := pattern.search(rel):
                groups = match.groupdict()
                path = self.detail.canonical.format(**groups) if self.detail.canonical else rel
                return DetailLink(groups["qid"], self.url(path), _iso_date(groups.get("date")))
        return None

    def is_login_redirect(self, location: str) -> bool:
        return any(p.search(location) for p in self.login_patterns)

    def entries_for(self, mode: str, fallback: bool = False) -> list[Entry]:
        return [e for e in self.entries if e.mode == mode and e.fallback == fallback]


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


def _selector(reader: Reader, key: str, required: bool = True) -> Selector | None:
    xpaths, sources = reader.xpaths(key, required)
    return Selector(xpaths, sources) if xpaths else None


def _follow_rule(reader: Reader) -> FollowRule:
    mode = reader.get("departments", "none", kind=str)
    if mode not in DEPARTMENT_MODES:
        raise reader.fail("departments", f"must be one of {DEPARTMENT_MODES}")
    group = _selector(reader, "group", required=False)
    return FollowRule(
        _selector(reader, "links"), reader.get("kind", kind=str), mode,
        group.xpaths[0] if group else None,
    )  # fmt: skip


def _pages(reader: Reader) -> dict[str, PageRule]:
    pages: dict[str, PageRule] = {}
    for kind in reader.data:
        if kind == "detail":
            raise reader.fail(kind, "'detail' is the question page: describe it under detail:")
        page = reader.sub(kind, ("follow", "next", "url"))
        rules = [
            _follow_rule(Reader(reader.source, raw, f"{page.where}.follow[{i}]", FOLLOW_KEYS))
            for i, raw in enumerate(page.get("follow", [], kind=list))
        ]
        pages[kind] = PageRule(
            kind, tuple(rules), _selector(page, "next", False), page.regexes("url", False)
        )
    known = set(pages) | {"detail"}
    for kind, page in pages.items():
        for i, rule in enumerate(page.follow):
            if rule.kind not in known:
                hint = did_you_mean(rule.kind, known)
                raise reader.fail(
                    f"{kind}.follow[{i}].kind", f"unknown page kind {rule.kind!r}{hint}"
                )
    return pages


FOLLOW_KEYS = ("links", "kind", "departments", "group")
ENTRY_KEYS = ("path", "kind", "mode", "fallback")


def _entries(top: Reader, pages: dict[str, PageRule]) -> tuple[Entry, ...]:
    entries = []
    for i, raw in enumerate(top.get("entries", kind=list)):
        entry = Reader(top.source, raw, f"entries[{i}]", ENTRY_KEYS)
        kind, mode = entry.get("kind", kind=str), entry.get("mode", "department", kind=str)
        if kind not in pages:
            raise entry.fail("kind", f"unknown page kind {kind!r}{did_you_mean(kind, pages)}")
        if mode not in ENTRY_MODES:
            raise entry.fail("mode", f"must be one of {ENTRY_MODES}")
        path = entry.get("path", kind=str)
        if not path.startswith("/"):
            raise entry.fail("path", f"must start with '/', got {path!r}")
        entries.append(Entry(path, kind, mode, entry.get("fallback", False, kind=bool)))
    if not any(not e.fallback for e in entries):
        raise top.fail("entries", "needs at least one entry that is not a fallback")
    return tuple(entries)


def _patterns(top: Reader, defaults: dict) -> PatientPatterns:
    base = Reader(str(DEFAULTS_FILE), defaults["patient_patterns"], "patient_patterns")
    own = top.sub("patient_patterns", ("gender", "age")) if "patient_patterns" in top.data else None
    gender = own.regexes("gender") if own and "gender" in own.data else base.regexes("gender")
    age = own.regexes("age") if own and "age" in own.data else base.regexes("age")
    for reader, patterns, group in ((own, gender, {"gender"}), (own, age, {"years", "months"})):
        for pattern in patterns:
            if not group & set(pattern.groupindex):
                where = reader or base
                raise where.fail(
                    "gender" if "gender" in group else "age",
                    f"pattern {pattern.pattern!r} needs a group named {' or '.join(sorted(group))}",
                )
    return PatientPatterns(gender, age)


def _doctor_titles(top: Reader, defaults: dict) -> tuple[str, ...]:
    titles = top.strings("doctor_titles", None) or tuple(defaults["doctor_titles"])
    # longest first, so 副主任医师 wins over 主任医师 and 实习医生 over 医生
    return tuple(sorted(dict.fromkeys(titles), key=len, reverse=True))


@cache
def _defaults() -> dict:
    return yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))


def load_profile_file(path: Path | str) -> SiteProfile:
    """Load and validate one profile YAML file (errors name the file and the key)."""
    path = Path(path).expanduser()
    source = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"{source}: cannot read the profile ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        hint = ' (inside "…" write a backslash as \\\\)' if "escape" in problem else ""
        raise ProfileError(f"{source}: not valid YAML{where}: {problem}{hint}") from exc
    top = Reader(source, data, "", TOP_KEYS)
    defaults = _defaults()
    pages = _pages(top.sub("pages"))
    detail = _detail_rule(top.sub("detail"), defaults)
    return SiteProfile(
        name=str(top.get("name", kind=(str, int))),
        title=top.get("title", kind=str),
        root=normalise_root(top.get("root", kind=str)),
        hosts=tuple(_host_root(top, i, h) for i, h in enumerate(top.strings("hosts", None))),
        encoding=top.get("encoding", "utf-8", kind=str),
        entries=_entries(top, pages),
        pages=pages,
        detail=dataclasses.replace(
            detail,
            doctor_titles=_doctor_titles(top, defaults),
            patient_patterns=_patterns(top, defaults),
        ),
        login_patterns=top.regexes("login_patterns", required=False),
        newest_first=top.get("newest_first", True, kind=bool),
        source_file=source,
    )


def _host_root(top: Reader, index: int, host: str) -> str:
    try:
        return normalise_root(host if "://" in host else f"http://{host}")
    except ProfileError as exc:
        raise top.fail(f"hosts[{index}]", str(exc)) from exc


DETAIL_KEYS = (
    "url", "canonical", "page", "deleted", "title", "question", "department", "patient",
    "asked_on", "answers", "turns",
)  # fmt: skip
ANSWER_KEYS = (
    "each", "card", "text", "doctor_title", "doctor_name", "time", "likes", "accepted", "required",
)  # fmt: skip
TURN_KEYS = ("each", "within", "patient", "text", "time")


def _detail_rule(reader: Reader, defaults: dict) -> DetailRule:
    reader.only(DETAIL_KEYS)
    urls = reader.regexes("url")
    for pattern in urls:
        if "qid" not in pattern.groupindex:
            raise reader.fail("url", f"pattern {pattern.pattern!r} has no (?P<qid>…) group")
    canonical = reader.get("canonical", None, kind=(str, type(None)))
    if canonical:
        for pattern in urls:
            missing = set(re.findall(r"{(\w+)}", canonical)) - set(pattern.groupindex)
            if missing:
                raise reader.fail(
                    "canonical", f"uses {sorted(missing)}, not groups of {pattern.pattern!r}"
                )
    return DetailRule(
        url=urls,
        canonical=canonical,
        page=_page_check(reader, defaults["detail"]["page"]),
        deleted=_deleted(reader, defaults["detail"]["deleted"]),
        title=field_spec(reader, "title"),
        question=field_spec(reader, "question"),
        department=field_spec(reader, "department", required=False),
        patient=field_spec(reader, "patient", required=False),
        asked_on=field_spec(reader, "asked_on", required=False),
        answers=_answers(reader.sub("answers", ANSWER_KEYS)),
        turns=_turns(reader.sub("turns", TURN_KEYS)) if "turns" in reader.data else None,
    )


def _page_check(reader: Reader, default: dict) -> PageCheck:
    page = reader.sub("page", ("closed", "min_bytes", "marker")) if "page" in reader.data else None
    closed = page.get("closed", default["closed"], kind=bool) if page else default["closed"]
    min_bytes = (
        page.get("min_bytes", default["min_bytes"], kind=int) if page else default["min_bytes"]
    )
    marker = _selector(page, "marker", required=False) if page else None
    return PageCheck(closed, min_bytes, marker.xpaths if marker else ())


def _deleted(reader: Reader, default: dict) -> tuple[tuple, tuple]:
    if "deleted" not in reader.data:
        return (), tuple(default["text"])
    value = reader.data["deleted"]
    if isinstance(value, dict):
        own = reader.sub("deleted", ("xpath", "text"))
        xpaths, _ = own.xpaths("xpath", required=False)
        text = own.strings("text", None) if "text" in own.data else tuple(default["text"])
        return xpaths, text
    xpaths, _ = reader.xpaths("deleted")
    return xpaths, tuple(default["text"])


def _answers(reader: Reader) -> AnswerRule:
    has_each, has_card = "each" in reader.data, "card" in reader.data
    if has_each == has_card:
        raise reader.fail(
            "each", "give either each: (one element per answer) or card: (a doctor card whose "
            "answer text follows it in the page; text: then selects the text elements)",
        )  # fmt: skip
    nodes = _selector(reader, "each" if has_each else "card")
    return AnswerRule(
        each=nodes,
        paired=has_card,
        text=field_spec(reader, "text"),
        doctor_title=field_spec(reader, "doctor_title", required=False),
        doctor_name=field_spec(reader, "doctor_name", required=False),
        time=field_spec(reader, "time", required=False),
        likes=field_spec(reader, "likes", required=False),
        accepted=_selector(reader, "accepted", required=False),
        required=reader.get("required", True, kind=bool),
    )


def _turns(reader: Reader) -> TurnRule:
    within = reader.get("within", "page", kind=str)
    if within not in ("page", "answers"):
        raise reader.fail("within", f"must be page or answers, got {within!r}")
    return TurnRule(
        each=_selector(reader, "each"),
        patient=_selector(reader, "patient"),
        text=field_spec(reader, "text"),
        time=field_spec(reader, "time", required=False),
        within_answers=within == "answers",
    )


def sites_dirs(extra: str | os.PathLike | None = None) -> list[Path]:
    """Where named profiles are looked up: ``extra`` (``MEDQA_SITES_DIR``; several folders
    separated by ``os.pathsep``), then the bundled ``crawler/sites/``."""
    dirs = [Path(p).expanduser() for p in str(extra or "").split(os.pathsep) if p.strip()]
    return [*dirs, SITES_DIR]


def _profile_files(extra: str | None) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in reversed(sites_dirs(extra)):  # the user's folders win over the bundled ones
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
            if path.resolve() != DEFAULTS_FILE:
                found[path.stem] = path
    return found


def available_sites(extra: str | None = None) -> list[str]:
    """Names of the profiles found in ``MEDQA_SITES_DIR`` folders and ``crawler/sites/``."""
    return sorted(_profile_files(extra))


@cache
def _load_cached(path: Path, mtime: float) -> SiteProfile:
    return load_profile_file(path)


def load_profile(name: str, extra: str | None = None) -> SiteProfile:
    """The profile called ``name`` (``xywy``, ``120ask``, ``39`` or one in ``MEDQA_SITES_DIR``)."""
    files = _profile_files(extra)
    if name not in files:
        where = ", ".join(str(d) for d in sites_dirs(extra))
        raise ProfileError(
            f"unknown site {name!r}{did_you_mean(name, files)}; profiles: "
            f"{', '.join(sorted(files))} (looked in {where})"
        )
    path = files[name]
    profile = _load_cached(path, path.stat().st_mtime)
    if profile.name != name:
        raise ProfileError(f"{path}: name: {profile.name!r} must match the file name {name!r}")
    return profile


__all__ += ["Entry", "FIELD_KEYS", "FollowRule", "PageRule", "Selector", "sites_dirs"]

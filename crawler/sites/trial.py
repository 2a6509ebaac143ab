"""``medqa crawl try-profile``: run a profile over one saved page, offline.

For a question page: every field with its value and the selector alternative that matched, the
answers, the turns and the page checks. For a listing page: the links each follow rule yields
(question links recognised or not) and the next-page link. :func:`try_page` returns the report
as data (the CLI prints it, tests read it); ``problems`` lists the required fields left empty.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from w3lib.encoding import html_body_declared_encoding, read_bom, resolve_encoding

from crawler.sites.extract import extract_detail, is_deleted, page_complete, parse_html
from crawler.sites.profile import SiteProfile

LIST_KIND = "list"


def decode(body: bytes, profile: SiteProfile, encoding: str | None = None) -> tuple[str, str]:
    """The page's text and the encoding used: given, else BOM/``<meta>``, else the profile's."""
    name = encoding or read_bom(body)[0] or html_body_declared_encoding(body) or profile.encoding
    name = resolve_encoding(name) or name
    return body.decode(name, errors="replace"), name


def _source(sources: tuple[str, ...], index: int | None) -> str | None:
    return None if index is None else sources[index]


def _detail_report(profile: SiteProfile, body: bytes, root: Any) -> dict[str, Any]:
    rule = profile.detail
    fields = extract_detail(rule, root, None, keep_doctor_names=False, body=body)
    matched = fields["matched"]
    sources = {
        "title": rule.title.sources,
        "question": rule.question.sources,
        "department": rule.department.sources if rule.department else (),
        "patient": rule.patient.sources if rule.patient else (),
        "asked_on": rule.asked_on.sources if rule.asked_on else (),
        "answers": rule.answers.each.sources,
        "answers.text": rule.answers.text.sources,
        "answers.doctor_title": rule.answers.doctor_title.sources
        if rule.answers.doctor_title
        else (),
        "answers.time": rule.answers.time.sources if rule.answers.time else (),
        "answers.likes": rule.answers.likes.sources if rule.answers.likes else (),
        "turns": rule.turns.each.sources if rule.turns else (),
    }
    report = {
        name: {"alternative": matched.get(name), "selector": _source(srcs, matched.get(name))}
        for name, srcs in sources.items()
        if srcs
    }
    problems = []
    for name, value in (("title", fields["title"]), ("question", fields["question"])):
        if not value:
            problems.append(f"{name} is empty (tried {' | '.join(sources[name])})")
    if rule.answers.required and not any(a["text"] for a in fields["answers"]):
        problems.append(f"no answer with text (tried {' | '.join(sources['answers'])})")
    for spec, name in ((rule.department, "department"), (rule.patient, "patient")):
        if spec is not None and spec.required and matched.get(name) is None:
            problems.append(f"{name} is empty (tried {' | '.join(spec.sources)})")
    problems += [f"page check: {issue}" for issue in fields["issues"]]
    return {
        "kind": "detail",
        "fields": {
            k: fields[k] for k in ("title", "question", "department", "patient", "asked_on")
        },
        "answers": fields["answers"],
        "turns": fields["turns"],
        "matched": report,
        "checks": {
            "complete": page_complete(rule.page, body, root),
            "deleted_notice": is_deleted(rule, root),
            "bytes": len(body),
        },
        "problems": problems,
    }


def _list_report(profile: SiteProfile, kind: str, root: Any, url: str) -> dict[str, Any]:
    rule = profile.pages[kind]
    follows = []
    total = 0
    for number, follow in enumerate(rule.follow):
        links, index = follow.links.select(root)
        hrefs = [urljoin(url, (a.get("href") or "").strip()) for a in links if hasattr(a, "get")]
        hrefs = [h for h in dict.fromkeys(hrefs) if h and not h.startswith("javascript:")]
        if follow.kind == "detail":  # the canonical URLs the crawl would fetch
            matches = (profile.match_detail(h) for h in hrefs)
            recognised = list(dict.fromkeys(m.url for m in matches if m))
            hrefs = [h for h in hrefs if not profile.match_detail(h)] + recognised
        else:  # the URLs the crawl would request (a mirror keeps real-site links on itself)
            urls = (profile.site_url(h) for h in hrefs)
            recognised = list(dict.fromkeys(u for u in urls if u))
        total += len(recognised)
        follows.append({
            "rule": f"{kind}.follow[{number}]",
            "leads_to": follow.kind,
            "alternative": index,
            "selector": _source(follow.links.sources, index),
            "links": recognised,
            "not_followed": [h for h in hrefs if h not in recognised],
        })  # fmt: skip
    next_links, index = rule.next.select(root) if rule.next else ([], None)
    next_href = next((urljoin(url, a.get("href")) for a in next_links if a.get("href")), None)
    problems = [] if total else [f"no links to follow from this {kind} page"]
    return {"kind": kind, "follow": follows, "next": next_href, "problems": problems}


def try_page(
    profile: SiteProfile,
    page: Path,
    kind: str = "detail",
    url: str | None = None,
    encoding: str | None = None,
) -> dict[str, Any]:
    """The report of ``profile`` over the saved ``page`` (``kind``: ``detail``, ``list`` or any
    page kind of the profile); ``url`` resolves relative links (default: the site root)."""
    body = page.read_bytes()
    text, used = decode(body, profile, encoding)
    root = parse_html(text)
    if kind == "detail":
        report = _detail_report(profile, body, root)
    else:
        if kind not in profile.pages:
            raise KeyError(kind)
        report = _list_report(profile, kind, root, url or profile.url("/"))
    return {"profile": profile.name, "page": str(page), "encoding": used, **report}

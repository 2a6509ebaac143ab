"""Silence is a failure: find what a finished crawl should have alarmed about.

Read from the crawl's stats at the end (the spider and pipelines count pages parsed, links found
and drops per site and page kind, and keep one example URL per case):

* a page kind whose pages yielded no links at all (``list`` pages without question links, a
  department index matching no department) — names the site, the page kind, a URL and the
  selectors that matched nothing;
* a site none of whose pages could be read (its entry page failed);
* most of a site's question pages dropped for one reason (``missing_title``, ``truncated_page``,
  …) — names the field's selectors;
* no record written although nothing was skipped as already exported ("nothing matched").

"Nothing new since the last crawl" (no record written, questions skipped as exported before) is
not an alarm. ``scrapy crawl medqa`` exits non-zero when there is one.
"""

from __future__ import annotations

from typing import Any

from crawler.sites.profile import SiteProfile

# drops the user asked for: never a sign that the profile misses
DELIBERATE_DROPS = {"already_seen", "over_max_items", "older_than_since"}
MIN_DETAIL_PAGES = 5  # the "most pages dropped for one reason" check needs at least this many


def _by_prefix(stats: dict, prefix: str) -> dict[str, Any]:
    return {k[len(prefix) :]: v for k, v in stats.items() if k.startswith(prefix)}


def _drop_selectors(profile: SiteProfile, reason: str) -> list[str]:
    detail = profile.detail
    page = detail.page
    return {
        "missing_title": list(detail.title.sources),
        "missing_question": list(detail.question.sources),
        "no_answers": [*detail.answers.each.sources, *detail.answers.text.sources],
        "truncated_page": [
            f"page check: document closed={page.closed}, min_bytes={page.min_bytes}"
            + (f", marker={len(page.marker)} XPath(s)" if page.marker else "")
        ],
        "question_deleted": [
            f"deleted notice: {len(detail.deleted[0])} XPath(s), texts {list(detail.deleted[1])}"
        ],
    }.get(reason, [])


def _listing_alarms(stats: dict, profile: SiteProfile) -> list[dict]:
    alarms = []
    site = profile.name
    for kind, pages in _by_prefix(stats, f"medqa/parsed/{site}/").items():
        if kind == "detail" or kind not in profile.pages or not pages:
            continue
        if stats.get(f"medqa/links/{site}/{kind}", 0):
            continue
        rule = profile.pages[kind]
        alarms.append({
            "site": site,
            "page_kind": kind,
            "problem": f"{pages} {kind} page(s) yielded no links to follow",
            "url": stats.get(f"medqa/example/{site}/{kind}"),
            "selector": [s for follow in rule.follow for s in follow.links.sources],
        })  # fmt: skip
    return alarms


def _detail_alarms(stats: dict, profile: SiteProfile) -> list[dict]:
    site = profile.name
    parsed = stats.get(f"medqa/parsed/{site}/detail", 0)
    if parsed < MIN_DETAIL_PAGES:
        return []
    alarms = []
    for reason, count in _by_prefix(stats, f"medqa/site_dropped/{site}/").items():
        if reason in DELIBERATE_DROPS or count * 2 <= parsed:
            continue
        alarms.append({
            "site": site,
            "page_kind": "detail",
            "problem": f"{count} of {parsed} question pages dropped as {reason}",
            "url": stats.get(f"medqa/example/{site}/{reason}"),
            "selector": _drop_selectors(profile, reason),
        })  # fmt: skip
    return alarms


def find_alarms(
    stats: dict, profiles: dict[str, SiteProfile], reason: str, distributed: bool = False
) -> list[dict]:
    """Every alarm of a finished crawl (see the module docstring), in site order. A distributed
    worker sees only part of the crawl: it alarms only about the pages it parsed."""
    alarms: list[dict] = []
    if distributed:
        reason = "distributed"  # no whole-crawl checks on one worker
    for site, profile in profiles.items():
        parsed = _by_prefix(stats, f"medqa/parsed/{site}/")
        blocked = stats.get(f"medqa/breaker/{site}/opened")
        if not any(parsed.values()) and not blocked and reason == "finished":
            alarms.append({
                "site": site,
                "page_kind": "entry",
                "problem": "no page of the site could be read",
                "url": stats.get(f"medqa/example/{site}/failed")
                or ", ".join(profile.url(e.path) for e in profile.entries if not e.fallback),
                "selector": [],
            })  # fmt: skip
            continue
        alarms += _listing_alarms(stats, profile) + _detail_alarms(stats, profile)
    wrote = stats.get("medqa/items_written", 0)
    if not alarms and reason == "finished" and not wrote and not nothing_new(stats):
        alarms.append({
            "site": ",".join(profiles),
            "page_kind": "detail",
            "problem": "no record was written and none was skipped as already exported",
            "url": None,
            "selector": [],
        })  # fmt: skip
    return alarms


def nothing_new(stats: dict) -> bool:
    """No record written because every question found had been exported before."""
    skipped = stats.get("medqa/skipped_seen", 0) + stats.get("medqa/dropped/already_seen", 0)
    return not stats.get("medqa/items_written", 0) and skipped > 0


def describe(alarm: dict) -> str:
    """One log line for an alarm."""
    text = f"{alarm['site']} {alarm['page_kind']} pages: {alarm['problem']}"
    if alarm.get("url"):
        text += f"; e.g. {alarm['url']}"
    if alarm.get("selector"):
        text += f"; selector: {' | '.join(alarm['selector'])}"
    return text

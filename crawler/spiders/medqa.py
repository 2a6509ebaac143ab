"""``scrapy crawl medqa``: Chinese medical Q&A sites, one spider, one YAML profile per site.

Arguments (``-a name=value``):

``site``
    One or more bundled profiles, comma separated: ``xywy``, ``120ask``, ``39`` (default: all).
``base_url``
    Point the sites at another host. A plain URL is a mirror root holding each site under
    ``/<site>`` — the layout of the bundled sample site, so
    ``-a base_url=http://127.0.0.1:8765`` crawls ``http://127.0.0.1:8765/xywy/…`` and
    ``…/120ask/…``. ``site=URL`` pairs set one site's root exactly:
    ``-a base_url=xywy=http://mirror-a/,120ask=http://mirror-b/club``.
``departments``
    Comma list of department names (``心血管内科``, ``妇科``) or list ids/slugs; a top
    department selects all its sub-departments.
``max_items`` / ``max_pages``
    Write exactly this many records, then stop / follow at most this many pages of each list.
``since``
    ``YYYY-MM-DD``: only questions asked on or after that day (uses a site's day lists if it has
    them, skips older list entries and drops older questions).
``shard`` / ``shards``
    Static sharding for several independent processes: this one fetches only the questions whose
    numeric id ``% shards == shard`` (list pages are read by every shard).

Switches are settings (``-s``): ``MEDQA_FAST_LOCAL=1`` (sample site only), ``MEDQA_DISTRIBUTED=1``
(scrapy-redis), ``JOBDIR=…`` (pause/resume). Records go to ``data/raw/<site>-<time>.jsonl``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy_redis.spiders import RedisMixin
from twisted.python.failure import Failure
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

from crawler import runconfig
from crawler.arguments import (  # noqa: F401 (parse_sites, site_roots: part of the module's API)
    check_argument_names,
    count_argument,
    load_sites,
    parse_departments,
    parse_since,
    parse_sites,
    shard_of,
    site_roots,
)
from crawler.distributed import seed_payloads
from crawler.items import QuestionItem
from crawler.sites.extract import extract_detail
from crawler.sites.profile import FollowRule, SiteProfile
from crawler.sites.reader import ProfileError
from crawler.textclean import normalise

DETAIL_PRIORITY = 10  # finish questions before opening more lists: a small queue, early records


class MedqaSpider(RedisMixin, scrapy.Spider):
    name = "medqa"
    # Distributed mode: a worker takes one start URL (one site's entry page) at a time, so workers
    # that start together each begin with work; the rest spreads through the shared queue.
    redis_batch_size = 1

    def __init__(
        self,
        site: str | None = None,
        profile: str | None = None,
        base_url: str | None = None,
        departments: str | None = None,
        max_items: str | None = None,
        max_pages: str | None = None,
        since: str | None = None,
        shard: str | None = None,
        shards: str | None = None,
        **kwargs: Any,
    ) -> None:
        check_argument_names(kwargs)
        super().__init__(**kwargs)
        self.site_arg, self.profile_arg, self.base_url = site, profile, base_url
        self.profiles: dict[str, SiteProfile] = {}
        self.site_names: list[str] = []
        self.departments = parse_departments(departments)
        self.max_items = count_argument("max_items", max_items, 1)
        self.max_pages = count_argument("max_pages", max_pages, 1)
        self.since = parse_since(since)
        self.shards = count_argument("shards", shards, 1) or 1
        self.shard = count_argument("shard", shard, 0) or 0
        if self.shard >= self.shards:
            raise runconfig.CrawlConfigError(
                f"shard must be in 0..{self.shards - 1}, got {self.shard}"
            )
        self._visited: set[str] = set()
        self._fallbacks_done: set[str] = set()
        # usable without a crawler (tests, scripts); from_crawler loads them for real
        with contextlib.suppress(runconfig.CrawlConfigError, ProfileError):
            self.load_profiles(None)

    def load_profiles(self, settings) -> None:
        """Load the profiles the arguments name; ``MEDQA_SITES_DIR`` comes from the settings
        (or, without settings, the environment)."""
        folders = settings.get("MEDQA_SITES_DIR") if settings else os.environ.get("MEDQA_SITES_DIR")
        self.profiles = load_sites(self.site_arg, self.base_url, self.profile_arg, folders)
        self.site_names = list(self.profiles)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> MedqaSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.load_profiles(crawler.settings)
        runconfig.configure(crawler.settings, list(spider.profiles.values()), spider.max_items)
        spider.distributed = crawler.settings.getbool("MEDQA_DISTRIBUTED")
        if spider.distributed:
            spider.setup_redis(crawler)
            spider.spider_idle_start_time = int(datetime.now(UTC).timestamp())
        return spider

    # --- start -----------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.distributed:
            for request in self.next_requests():  # seeds pushed with `medqa crawl seed`
                yield request
            return
        for payload in seed_payloads(self.profiles.values(), self.departments, self.since):
            request = self.request_from_payload(payload)
            if request is not None:
                yield request

    def make_request_from_data(self, data: bytes | str) -> scrapy.Request | None:
        """scrapy-redis hook: a JSON seed ``{"url": …, "meta": {"medqa_site", "medqa_kind"}}``."""
        payload = json.loads(data)
        if payload.get("meta", {}).get("medqa_site") not in self.profiles:
            self.logger.warning("Seed for a site this worker does not crawl: %s", payload)
            return None
        return self.request_from_payload(payload)

    def request_from_payload(self, payload: dict) -> scrapy.Request | None:
        meta = dict(payload.get("meta") or {})
        if meta.get("medqa_kind") == "detail":
            return self._detail_request(self.profiles[meta["medqa_site"]], payload["url"], meta)
        return self._list_request(payload["url"], meta)

    # --- list pages -----------------------------------------------------------------------------
    def _list_request(self, url: str, meta: dict) -> scrapy.Request | None:
        visited = (
            self.state.setdefault("visited_lists", set())
            if hasattr(self, "state")
            else self._visited
        )
        if url in visited:
            return None
        visited.add(url)
        meta.setdefault("medqa_page_no", 1)
        return scrapy.Request(
            url, callback=self.parse_page, errback=self.on_error, meta=meta, dont_filter=True
        )

    def _text_response(self, response: Response, profile: SiteProfile) -> TextResponse | None:
        """The page as text: decoded with the profile's ``encoding`` when neither the HTTP header
        nor the page itself (BOM, ``<meta>`` near the top) declares a charset, rather than with
        a statistical guess. None (counted) for a response that is not text at all."""
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value("medqa/pages/not_html")
            return None
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        declared = (
            read_bom(response.body)[0]
            or http_content_type_encoding(content_type)
            or html_body_declared_encoding(response.body)
        )
        if declared is None and profile.encoding:
            self.crawler.stats.inc_value(f"medqa/pages/profile_encoding/{profile.name}")
            return response.replace(encoding=profile.encoding)
        return response

    def parse_page(self, response: Response) -> Iterator[scrapy.Request]:
        meta = response.meta
        profile = self.profiles[meta["medqa_site"]]
        response = self._text_response(response, profile)
        if response is None:
            return
        kind = meta["medqa_kind"]
        rule = profile.pages[kind]
        root = response.selector.root
        stats = self.crawler.stats
        stats.inc_value(f"medqa/parsed/{profile.name}/{kind}")
        fresh = older = found = 0
        for number, follow in enumerate(rule.follow):
            links, alternative = follow.links.select(root)
            self._note_selector(profile.name, f"{kind}.follow[{number}]", alternative)
            for link in links:
                href = (link.get("href") or "").strip() if hasattr(link, "get") else ""
                if not href or href.startswith(("javascript:", "#")):
                    continue
                url = profile.site_url(response.urljoin(href))
                if url is None:
                    stats.inc_value("medqa/links/offsite")
                    continue
                if follow.kind == "detail" and profile.match_detail(url) is None:
                    stats.inc_value("medqa/links/unrecognised")
                    continue
                found += 1
                day = self._link_date(profile, follow, url) if self.since else None
                if day and day < self.since:  # an older question or day list: never fetched
                    older += 1
                    continue
                child = self._child_meta(profile, follow, link, url, meta)
                if child is None:
                    continue
                if follow.kind == "detail":
                    request = self._detail_request(profile, url, child)
                else:
                    request = self._list_request(url, child)
                if request is not None:
                    fresh += 1
                    yield request
        stats.inc_value(f"medqa/links/{profile.name}/{kind}", found)
        if not found and rule.follow:
            self._note_example(f"medqa/example/{profile.name}/{kind}", response.url)
            if meta.get("medqa_entry"):
                yield from self._fallback(profile, "its entry page yielded no links", response.url)
        yield from self._next_page(response, profile, rule, fresh, older)

    def _note_selector(self, site: str, name: str, alternative: int | None) -> None:
        label = "none" if alternative is None else str(alternative)
        self.crawler.stats.inc_value(f"medqa/selector/{site}/{name}/{label}")

    def _note_example(self, key: str, url: str) -> None:
        if self.crawler.stats.get_value(key) is None:
            self.crawler.stats.set_value(key, url)

    def _fallback(self, profile: SiteProfile, why: str, url: str) -> Iterator[scrapy.Request]:
        """Request the site's fallback entries (once, and never under a department filter)."""
        if profile.name in self._fallbacks_done or self.departments is not None:
            return
        self._fallbacks_done.add(profile.name)
        entries = [e for e in profile.entries if e.fallback]
        if not entries:
            return
        self.logger.warning(
            "%s: %s (%s); trying its fallback entries: %s",
            profile.name, why, url, ", ".join(e.path for e in entries),
        )  # fmt: skip
        self.crawler.stats.inc_value(f"medqa/entry_fallback/{profile.name}")
        for entry in entries:
            meta = {"medqa_site": profile.name, "medqa_kind": entry.kind, "medqa_dept_ok": False}
            request = self._list_request(profile.url(entry.path), meta)
            if request is not None:
                yield request

    def _next_page(
        self, response, profile, rule, fresh: int, older: int
    ) -> Iterator[scrapy.Request]:
        if rule.next is None:
            return
        page_no = response.meta.get("medqa_page_no", 1)
        if self.max_pages and page_no >= self.max_pages:
            return
        if self.since and profile.newest_first and older and not fresh:
            return  # everything on this page predates `since`; later pages are older still
        links, _ = rule.next.select(response.selector.root)
        for link in links:
            href = (link.get("href") or "").strip() if hasattr(link, "get") else ""
            if href:
                meta = {**response.meta, "medqa_page_no": page_no + 1}
                meta = {
                    k: v for k, v in meta.items() if k.startswith("medqa_") and k != "medqa_entry"
                }
                url = profile.site_url(response.urljoin(href))
                request = self._list_request(url, meta) if url else None
                if request is not None:
                    yield request
                return

    @staticmethod
    def _link_date(profile: SiteProfile, follow: FollowRule, url: str) -> str | None:
        """The ``YYYY-MM-DD`` a followed link's URL carries (a question's or a day list's)."""
        if follow.kind == "detail":
            link = profile.match_detail(url)
            return link.date if link else None
        target = profile.pages.get(follow.kind)
        return target.url_groups(profile.relative(url) or "").get("date") if target else None

    def _child_meta(self, profile, follow: FollowRule, link, url: str, meta: dict) -> dict | None:
        """Meta for a followed link, or None when the department filter rejects it."""
        text = normalise(link.text_content())
        path = list(meta.get("medqa_dept_path", []))
        group_nodes = follow.group(link) if follow.group is not None else []
        group = normalise(group_nodes[0].text_content()) if group_nodes else ""
        if follow.departments != "none":
            path = path + [p for p in (group, text) if p]
        child = {
            "medqa_site": profile.name,
            "medqa_kind": follow.kind,
            "medqa_dept_ok": meta.get("medqa_dept_ok", False),
            "medqa_dept_path": path,
        }
        target = profile.pages.get(follow.kind)
        groups = target.url_groups(profile.relative(url) or "") if target else {}
        if follow.departments == "none" or self.departments is None:
            return child
        matched = child["medqa_dept_ok"] or bool(
            self.departments & {text, group, groups.get("dept", "")}
        )
        child["medqa_dept_ok"] = matched
        if follow.departments == "match" and not matched:
            return None
        return child

    # --- question pages --------------------------------------------------------------------------
    def _detail_request(self, profile: SiteProfile, url: str, meta: dict) -> scrapy.Request | None:
        link = profile.match_detail(url)
        if link is None:
            self.crawler.stats.inc_value("medqa/links/unrecognised")
            return None
        if self.since and link.date and link.date < self.since:
            return None
        if self.shards > 1 and shard_of(link.qid, self.shards) != self.shard:
            self.crawler.stats.inc_value("medqa/shard/other")
            return None
        meta = {**meta, "medqa_kind": "detail", "medqa_qid": link.qid, "medqa_date": link.date}
        return scrapy.Request(
            link.url,
            callback=self.parse_detail,
            errback=self.on_error,
            meta=meta,
            priority=DETAIL_PRIORITY,
        )

    def parse_detail(self, response: Response) -> Iterator[QuestionItem]:
        meta = response.meta
        profile = self.profiles[meta["medqa_site"]]
        response = self._text_response(response, profile)
        if response is None:
            return
        fields = extract_detail(
            profile.detail,
            response.selector.root,
            meta.get("medqa_date"),
            self.crawler.settings.getbool("MEDQA_KEEP_DOCTOR_NAMES"),
            body=response.body,
        )
        self.crawler.stats.inc_value(f"medqa/parsed/{profile.name}/detail")
        for name, alternative in fields["matched"].items():
            self._note_selector(profile.name, name, alternative)
        yield QuestionItem(
            source=profile.name,
            qid=meta["medqa_qid"],
            url=response.request.url if response.request else response.url,
            crawled_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            department=fields["department"] or meta.get("medqa_dept_path", [])[:2],
            title=fields["title"],
            question=fields["question"],
            patient=fields["patient"],
            answers=fields["answers"],
            turns=fields["turns"],
            issues=fields["issues"],
            asked_on=fields["asked_on"],
        )

    def on_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        """Count failed requests by reason; a failed entry page starts the site's fallback
        entries. Requests dropped on purpose (already exported, robots.txt, blocks, open
        breaker) are counted where they are dropped, not here."""
        response = getattr(failure.value, "response", None)
        if response is not None:
            key = f"http_{response.status}"
        elif isinstance(failure.value, IgnoreRequest):
            self.logger.debug("Skipped: %s (%s)", failure.request.url, failure.getErrorMessage())
            return
        else:
            key = re.sub(r"\W+", "_", type(failure.value).__name__).lower()
        meta = failure.request.meta
        site = meta.get("medqa_site", "unknown")
        self.crawler.stats.inc_value(f"medqa/failed/{site}/{key}")
        self.logger.info("Not crawled: %s (%s)", failure.request.url, failure.getErrorMessage())
        if meta.get("medqa_kind") != "detail":
            self._note_example(f"medqa/example/{site}/failed", f"{failure.request.url} ({key})")
        if meta.get("medqa_entry") and site in self.profiles:
            yield from self._fallback(
                self.profiles[site], f"its entry page failed ({key})", failure.request.url
            )

    def closed(self, reason: str) -> None:
        """A finished crawl forgets which list pages it read (JOBDIR keeps ``state``), so the
        next run with the same JOBDIR reads them again; a paused one keeps them for resuming."""
        if reason == "finished" and hasattr(self, "state"):
            self.state.pop("visited_lists", None)

"""Downloader middlewares that make the crawl polite and safe (order in settings.py):

* :class:`SeenFilterMiddleware` — never download a question page an earlier run exported.
* :class:`CrawlDelayMiddleware` — honour robots.txt ``Crawl-delay`` (Scrapy ignores it).
* :class:`BackoffRetryMiddleware` — Scrapy's retries, waiting ``base·2ⁿ`` s (or ``Retry-After``).
* :class:`CircuitBreakerMiddleware` — count 403s and login/captcha redirects, never follow them,
  and stop a site after ``MEDQA_BREAKER_THRESHOLD`` of them in a row.
"""

from __future__ import annotations

import asyncio
import logging

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import deferred_from_coro

from crawler.context import seen_store
from medqa.http import retry_after_seconds

logger = logging.getLogger(__name__)
REDIRECT_CODES = (301, 302, 303, 307, 308)


class SeenFilterMiddleware:
    """Drop requests for questions (``meta["medqa_qid"]``) already in the seen-store."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeenFilterMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        qid = request.meta.get("medqa_qid")
        if qid is None:
            return
        store = seen_store(self.crawler)
        if store is not None and store.contains(request.meta["medqa_site"], qid):
            self.crawler.stats.inc_value("medqa/skipped_seen")
            raise IgnoreRequest(f"already exported by an earlier run: {request.url}")


class CrawlDelayMiddleware:
    """Apply robots.txt ``Crawl-delay`` as the minimum delay of the host's download slot.

    The delay is taken when robots.txt is parsed and re-applied before every request and after
    every response (AutoThrottle may lower it), with jitter off for that slot so no request goes
    out early. ``MEDQA_WORKERS`` multiplies it: N distributed workers share one host's budget.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.enabled = crawler.settings.getbool("MEDQA_OBEY_CRAWL_DELAY")
        self.scale = max(1, crawler.settings.getint("MEDQA_WORKERS", 1))
        self.user_agent = crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings.get(
            "USER_AGENT"
        )
        self.delays: dict[str, float] = {}
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelayMiddleware:
        return cls(crawler)

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        delay = robotparser.crawl_delay(self.user_agent) if self.enabled else None
        if not delay:
            return
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        self.delays[key] = float(delay) * self.scale
        downloader.per_slot_settings.setdefault(key, {}).update(delay=self.delays[key], jitter=0)
        self.crawler.stats.set_value(f"medqa/crawl_delay/{key}", self.delays[key])
        logger.info("robots.txt of %(key)s asks Crawl-delay %(d)s s", {"key": key, "d": delay})
        self._floor(key)

    def _floor(self, key: str | None) -> None:
        if key is None or key not in self.delays:
            return
        slot = self.crawler.engine.downloader.slots.get(key)
        if slot is not None:
            slot.jitter = 0
            slot.delay = max(slot.delay, self.delays[key])

    def process_request(self, request: Request) -> None:
        if self.delays:
            self._floor(self.crawler.engine.downloader.get_slot_key(request))

    def response_downloaded(self, response: Response, request: Request, spider) -> None:
        self._floor(request.meta.get("download_slot"))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's :class:`RetryMiddleware` plus exponential backoff.

    Before a retry is scheduled it waits ``MEDQA_RETRY_BACKOFF_BASE × 2^(n−1)`` seconds for the
    n-th retry, at least the server's ``Retry-After`` (seconds), at most ``MEDQA_RETRY_BACKOFF_MAX``.
    """

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("MEDQA_RETRY_BACKOFF_BASE")
        self.cap = settings.getfloat("MEDQA_RETRY_BACKOFF_MAX")

    def backoff(self, retry_times: int, retry_after: float | None = None) -> float:
        delay = self.base * 2 ** max(0, retry_times - 1)
        if retry_after:
            delay = max(delay, retry_after)
        return min(delay, self.cap)

    async def _wait(self, retry: Request, response: Response | None) -> None:
        retry_after = (
            None if response is None else retry_after_seconds(response.headers.get(b"Retry-After"))
        )
        delay = self.backoff(retry.meta.get("retry_times", 1), retry_after)
        self.crawler.stats.inc_value("medqa/retry_backoff_seconds", delay)
        if delay > 0:
            await asyncio.sleep(delay)

    async def process_response(self, request: Request, response: Response, spider=None):
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._wait(result, response)
        return result

    async def process_exception(self, request: Request, exception: Exception, spider=None):
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._wait(result, None)
        return result


class CircuitBreakerMiddleware:
    """Treat 403 responses and redirects to login/captcha pages as blocks.

    A block is counted (``medqa/blocked/<site>/<kind>``) and its request dropped — never retried,
    never followed (no login or captcha is ever automated). After ``MEDQA_BREAKER_THRESHOLD``
    blocks in a row from one site, that site's breaker opens: its remaining requests are dropped
    (``medqa/breaker/<site>/skipped``), and when every site's breaker is open the crawl stops with
    reason ``circuit_breaker``. A normal response resets the count.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.threshold = crawler.settings.getint("MEDQA_BREAKER_THRESHOLD")
        self.strikes: dict[str, int] = {}
        self.open: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CircuitBreakerMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        site = request.meta.get("medqa_site")
        if site in self.open:
            self.crawler.stats.inc_value(f"medqa/breaker/{site}/skipped")
            raise IgnoreRequest(f"circuit breaker open for {site}")

    def _block_kind(self, site: str, response: Response) -> str | None:
        if response.status == 403:
            return "http_403"
        if response.status in REDIRECT_CODES:
            location = response.headers.get(b"Location", b"").decode("latin-1")
            profile = self.crawler.spider.profiles.get(site)
            if profile is not None and profile.is_login_redirect(location):
                return (
                    "captcha_redirect"
                    if "captcha" in location or "verify" in location
                    else "login_redirect"
                )
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        site = request.meta.get("medqa_site")
        if site is None:
            return response
        kind = self._block_kind(site, response)
        if kind is None:
            if 200 <= response.status < 300:
                self.strikes[site] = 0
            return response
        self.crawler.stats.inc_value(f"medqa/blocked/{site}/{kind}")
        self.strikes[site] = self.strikes.get(site, 0) + 1
        logger.warning(
            "%(site)s blocked us (%(kind)s) at %(url)s [%(n)d in a row]",
            {"site": site, "kind": kind, "url": request.url, "n": self.strikes[site]},
        )
        if self.strikes[site] >= self.threshold and site not in self.open:
            self._trip(site)
        raise IgnoreRequest(f"{kind}: {request.url}")

    def _trip(self, site: str) -> None:
        self.open.add(site)
        self.crawler.stats.set_value(f"medqa/breaker/{site}/opened", 1)
        logger.error(
            "Circuit breaker open for %(site)s after %(n)d blocks in a row: no more requests to it",
            {"site": site, "n": self.threshold},
        )
        if self.open >= set(self.crawler.spider.profiles):
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="circuit_breaker"))

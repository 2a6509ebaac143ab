"""Settings the spider derives from its arguments and switches, applied before Scrapy freezes
the settings (at ``spider`` priority, so ``-s`` on the command line still wins)."""

from __future__ import annotations

import ipaddress
from importlib import metadata
from urllib.parse import urlsplit

from scrapy.settings import SETTINGS_PRIORITIES, Settings

from crawler.feed import DEFAULT_FEED, FEED_PARAMS, feed_path
from crawler.sites.profile import SiteProfile

SPIDER = "spider"
# What MEDQA_FAST_LOCAL=1 changes: for the local sample site only.
MEDQA_FAST_LOCAL_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "MEDQA_OBEY_CRAWL_DELAY": False,
    "MEDQA_RETRY_BACKOFF_BASE": 0.05,
    "MEDQA_RETRY_BACKOFF_MAX": 0.2,
}
DISTRIBUTED_SETTINGS = {
    "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
    # scrapy-redis's scheduler needs its own duplicate filter (Scrapy's lacks from_spider).
    "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
    "SCHEDULER_PERSIST": True,
    "SCHEDULER_QUEUE_KEY": "medqa:%(spider)s:requests",
    "SCHEDULER_DUPEFILTER_KEY": "medqa:%(spider)s:dupefilter",
    "MEDQA_SEEN_STORE": "redis",
}


class CrawlConfigError(ValueError):
    """A spider argument or setting combination that cannot work; the message says how to fix it."""


def is_loopback(url: str) -> bool:
    """True for ``localhost`` and loopback IP literals (no DNS lookup)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def user_agent(settings: Settings) -> str:
    try:
        version = metadata.version("medqa-factory")
    except metadata.PackageNotFoundError:
        version = "dev"
    contact = settings.get("MEDQA_CONTACT") or "none given"
    return f"medqa-factory/{version} (+{settings.get('MEDQA_PROJECT_URL')}; contact: {contact})"


def _set(settings: Settings, values: dict) -> None:
    for name, value in values.items():
        settings.set(name, value, priority=SPIDER)


def check_feeds(settings: Settings) -> None:
    """``-o``/``-O`` must name one JSON Lines file: the spider writes its own line-atomic feed."""
    feeds = settings.getdict("FEEDS")
    if len(feeds) > 1:
        raise CrawlConfigError("the medqa spider writes one feed per run; give one -o/-O path")
    for uri, options in feeds.items():
        fmt = (options or {}).get("format", "jsonlines")
        if fmt not in ("jsonlines", "jsonl", "jl"):
            raise CrawlConfigError(f"feed {uri}: the medqa spider writes JSON Lines, not {fmt!r}")
    for template in list(feeds) or [settings.get("MEDQA_FEED") or DEFAULT_FEED]:
        try:
            feed_path(str(template), dict.fromkeys(FEED_PARAMS, "x"))
        except (ValueError, TypeError, KeyError) as exc:
            raise CrawlConfigError(str(exc)) from exc


def configure(settings: Settings, profiles: list[SiteProfile], max_items: int | None) -> None:
    """Identity, fast-local, distributed and item-limit settings for this crawl."""
    check_feeds(settings)
    overwrite = any((o or {}).get("overwrite") for o in settings.getdict("FEEDS").values())
    if (
        overwrite
        and (settings.getpriority("MEDQA_SEEN_STORE") or 0) < SETTINGS_PRIORITIES["cmdline"]
    ):
        # -O asks for a complete snapshot in one file: skipping questions that earlier runs
        # exported would leave it incomplete (an empty file on the second run)
        settings.set("MEDQA_SEEN_STORE", "", priority=SPIDER)
    remote = [p.root for p in profiles if not is_loopback(p.root)]
    if remote and not settings.get("MEDQA_CONTACT"):
        raise CrawlConfigError(
            f"crawling {', '.join(remote)} needs a contact address in the User-Agent: "
            "add -s MEDQA_CONTACT=you@example.org (an e-mail or URL where site owners reach you)"
        )
    if settings.getbool("MEDQA_FAST_LOCAL"):
        if remote:
            raise CrawlConfigError(
                f"MEDQA_FAST_LOCAL lifts every politeness delay and is only allowed for loopback "
                f"hosts, not {', '.join(remote)}"
            )
        _set(settings, MEDQA_FAST_LOCAL_SETTINGS)
    if settings.getbool("MEDQA_DISTRIBUTED"):
        _set(settings, DISTRIBUTED_SETTINGS)
        if settings.get("JOBDIR"):
            raise CrawlConfigError(
                "JOBDIR and MEDQA_DISTRIBUTED exclude each other: Redis keeps the queue"
            )
    if max_items:
        settings.set("CLOSESPIDER_ITEMCOUNT", max_items, priority=SPIDER)
    if (settings.getpriority("USER_AGENT") or 0) < SETTINGS_PRIORITIES["cmdline"]:
        settings.set("USER_AGENT", user_agent(settings), priority=SPIDER)

"""Extensions: JOBDIR crash guard, progress log, and the per-run summary file.

* :class:`JobDirGuard` — a JOBDIR left by a *killed* crawl (SIGKILL, power loss) holds a request
  queue and duplicate filter that were never flushed; resuming from them can lose requests. The
  guard marks the JOBDIR while a crawl runs; if the next crawl finds the mark of a dead process,
  it discards the queue, filter and spider state before the scheduler opens them. The crawl then
  starts over its list pages, and the seen-store skips every question already exported.
  A crawl paused cleanly (one SIGTERM / Ctrl-C) keeps its queue and resumes where it stopped.
  A crawl that *finished* drops the JOBDIR's duplicate filter (the spider drops its list of read
  list pages), so the next run with the same JOBDIR is the next incremental crawl: list pages read
  again, questions exported before skipped via the seen-store, dropped ones tried again.
* :class:`ProgressLog` — every ``MEDQA_PROGRESS_INTERVAL`` seconds: items and pages per minute,
  drops by reason, skips, blocks.
* :class:`RunSummary` — at the end, ``<feed>.stats.json`` beside the feed (``MEDQA_STATS_FILE``
  to move it): close reason, counts by reason, the alarms of :mod:`crawler.alarms` (logged as
  errors; ``scrapy crawl`` then exits non-zero), which selector alternative each field matched
  how often, and every Scrapy stat.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.job import job_dir

from crawler.alarms import describe, find_alarms, nothing_new
from crawler.seenstore import HOST, pid_alive
from medqa.io import write_json

logger = logging.getLogger(__name__)


class JobDirInUse(RuntimeError):
    """Another live crawl is using this JOBDIR."""


def marker_info(marker: Path) -> dict:
    """What a crawl wrote into its JOBDIR marker ({} when unreadable or absent)."""
    try:
        return json.loads(marker.read_text())
    except (OSError, ValueError):
        return {}


def live_owner(info: dict) -> int | None:
    """The pid of another live crawl on this host that owns the marker, else None."""
    pid = int(info.get("pid", 0) or 0)
    if info.get("host") == HOST and pid and pid != os.getpid() and pid_alive(pid):
        return pid
    return None


def jobdir_in_use(jobdir: str | Path) -> str | None:
    """Why ``jobdir`` cannot be used now (another live crawl holds it), or None."""
    pid = live_owner(marker_info(Path(jobdir) / JobDirGuard.MARKER))
    return None if pid is None else f"JOBDIR {jobdir} is in use by a running crawl (pid {pid})"


class JobDirGuard:
    MARKER = "medqa.running"
    VOLATILE = ("requests.queue", "requests.seen", "spider.state")

    def __init__(self, crawler: Crawler, jobdir: Path) -> None:
        self.crawler = crawler
        self.marker = jobdir / self.MARKER
        if self.marker.exists():
            self._recover(jobdir)
        self.marker.write_text(
            json.dumps({"host": HOST, "pid": os.getpid(), "started": time.time()})
        )
        self.seen = jobdir / "requests.seen"
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JobDirGuard:
        jobdir = job_dir(crawler.settings)
        if not jobdir:
            raise NotConfigured
        return cls(crawler, Path(jobdir))

    def _recover(self, jobdir: Path) -> None:
        info = marker_info(self.marker)
        if live_owner(info) is not None:
            raise JobDirInUse(f"JOBDIR {jobdir} is in use by a running crawl (pid {info['pid']})")
        for name in self.VOLATILE:
            path = jobdir / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        self.crawler.stats.set_value("medqa/jobdir_discarded", 1)
        logger.warning(
            "JOBDIR %(dir)s was left by a crawl that did not stop cleanly (pid %(pid)s): its queue "
            "cannot be trusted and was discarded; list pages are walked again and questions "
            "already exported are skipped via the seen-store",
            {"dir": jobdir, "pid": info.get("pid", "?")},
        )

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if reason == "finished":  # the scheduler has closed the filter by now
            self.seen.unlink(missing_ok=True)
        self.marker.unlink(missing_ok=True)


def _by_prefix(stats: dict, prefix: str) -> dict[str, int]:
    return {k[len(prefix) :]: v for k, v in sorted(stats.items()) if k.startswith(prefix)}


def _fmt(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in counts.items()) or "none"


class ProgressLog:
    """Log crawl progress periodically and once at the end."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler, self.interval = crawler, interval
        self.task = None
        self.previous = (0, 0)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLog:
        interval = crawler.settings.getfloat("MEDQA_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        return cls(crawler, interval)

    def spider_opened(self, spider: Spider) -> None:
        self.task = create_looping_call(self.log)
        self.task.start(self.interval, now=False)

    def log(self) -> None:
        stats = self.crawler.stats.get_stats()
        items = stats.get("medqa/items_written", 0)
        pages = stats.get("response_received_count", 0)
        per_min = 60.0 / self.interval
        logger.info(
            "Progress: %(items)d records (%(irate).0f/min), %(pages)d pages (%(prate).0f/min); "
            "dropped: %(dropped)s; skipped as seen: %(seen)d; blocked: %(blocked)s",
            {
                "items": items,
                "irate": (items - self.previous[0]) * per_min,
                "pages": pages,
                "prate": (pages - self.previous[1]) * per_min,
                "dropped": _fmt(_by_prefix(stats, "medqa/dropped/")),
                "seen": stats.get("medqa/skipped_seen", 0),
                "blocked": _fmt(_by_prefix(stats, "medqa/blocked/")),
            },
        )
        self.previous = (items, pages)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()


class RunSummary:
    """Write the run's outcome as JSON next to its feed."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.started = time.time()
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunSummary:
        return cls(crawler)

    def _alarms(self, spider: Spider, reason: str) -> list[dict]:
        stats = self.crawler.stats.get_stats()
        profiles = getattr(spider, "profiles", {})
        alarms = find_alarms(stats, profiles, reason, getattr(spider, "distributed", False))
        for alarm in alarms:
            logger.error("Nothing usable came back: %(what)s", {"what": describe(alarm)})
        self.crawler.stats.set_value("medqa/alarms", len(alarms))
        if not alarms and nothing_new(stats):
            logger.info(
                "Nothing new since the last crawl: %(n)d question(s) were exported before",
                {
                    "n": stats.get("medqa/skipped_seen", 0)
                    + stats.get("medqa/dropped/already_seen", 0)
                },
            )
        return alarms

    def spider_closed(self, spider: Spider, reason: str) -> None:
        alarms = self._alarms(spider, reason)
        stats = self.crawler.stats.get_stats()
        feed = stats.get("medqa/feed")
        target = self.crawler.settings.get("MEDQA_STATS_FILE") or (
            str(Path(feed).with_suffix(".stats.json")) if feed else None
        )
        summary = {
            "reason": reason,
            "feed": feed,
            "sites": getattr(spider, "site_names", []),
            "elapsed_s": round(time.time() - self.started, 3),
            "items_written": stats.get("medqa/items_written", 0),
            "pages": stats.get("response_received_count", 0),
            "dropped": _by_prefix(stats, "medqa/dropped/"),
            "deidentified": _by_prefix(stats, "medqa/deid/"),
            "blocked": _by_prefix(stats, "medqa/blocked/"),
            "skipped_seen": stats.get("medqa/skipped_seen", 0),
            "robots_forbidden": stats.get("robotstxt/forbidden", 0),
            "alarms": alarms,
            "nothing_new": not alarms and nothing_new(stats),
            "selectors": _by_prefix(stats, "medqa/selector/"),
            "stats": {
                k: v if isinstance(v, int | float) else str(v) for k, v in sorted(stats.items())
            },
        }
        logger.info(
            "Summary: %(n)d records written to %(feed)s; dropped %(dropped)s; de-identified %(deid)s",
            {
                "n": summary["items_written"],
                "feed": feed,
                "dropped": _fmt(summary["dropped"]),
                "deid": _fmt(summary["deidentified"]),
            },
        )
        if target:
            write_json(target, summary)

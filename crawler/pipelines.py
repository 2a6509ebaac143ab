"""Item pipelines, in the order they run (``ITEM_PIPELINES`` in settings.py):

1. :class:`NormalisePipeline` — whitespace, entities, full-width digits in every text field.
2. :class:`ValidatePipeline` — drop incomplete records with a reason (``medqa/dropped/<reason>``).
3. :class:`DeidentifyPipeline` — replace personal identifiers in the text with the shared engine
   (:mod:`medqa.deid`); counted per kind (``medqa/deid/<kind>``).
4. :class:`DeduplicatePipeline` — drop questions this or an earlier run already exported.
5. :class:`JsonLinesFeedPipeline` — append the raw record to this run's feed, then mark it seen.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter
from pathlib import Path

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.context import seen_store
from crawler.feed import DEFAULT_FEED, FeedFile, feed_path, run_params
from crawler.items import QuestionItem, raw_record
from crawler.textclean import normalise
from medqa.deid import Deidentifier

logger = logging.getLogger(__name__)


def _drop(crawler: Crawler, reason: str, item: QuestionItem) -> DropItem:
    crawler.stats.inc_value(f"medqa/dropped/{reason}")
    site = item.get("source")
    crawler.stats.inc_value(f"medqa/site_dropped/{site}/{reason}")
    example = f"medqa/example/{site}/{reason}"
    if crawler.stats.get_value(example) is None:  # one URL per reason, for the alarms
        crawler.stats.set_value(example, item.get("url"))
    return DropItem(f"{reason}: {item.get('source')} {item.get('qid')} {item.get('url')}", "INFO")


def _text_fields(item: QuestionItem, transform) -> None:
    item["title"] = transform(item.get("title") or "")
    item["question"] = transform(item.get("question") or "")
    for answer in item.get("answers") or []:
        answer["text"] = transform(answer.get("text") or "")
    for turn in item.get("turns") or []:
        turn["text"] = transform(turn.get("text") or "")


class NormalisePipeline:
    """Clean every text field (see :func:`crawler.textclean.normalise`)."""

    def process_item(self, item: QuestionItem) -> QuestionItem:
        _text_fields(item, normalise)
        item["department"] = [d for d in (normalise(d) for d in item.get("department") or []) if d]
        return item


class ValidatePipeline:
    """Drop records that cannot be used: deleted or truncated pages, no title, no question text,
    no answer with text, or asked before the spider's ``since`` date."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: QuestionItem) -> QuestionItem:
        for issue in item.get("issues") or []:
            raise _drop(self.crawler, issue, item)
        if not item.get("title"):
            raise _drop(self.crawler, "missing_title", item)
        if not item.get("question"):
            raise _drop(self.crawler, "missing_question", item)
        answers = item.get("answers") or []
        kept = [a for a in answers if a.get("text")]
        if len(kept) < len(answers):
            self.crawler.stats.inc_value(
                "medqa/answers_dropped/empty_text", len(answers) - len(kept)
            )
        if not kept:
            raise _drop(self.crawler, "no_answers", item)
        item["answers"] = kept
        since = getattr(self.crawler.spider, "since", None)
        if since and item.get("asked_on") and item["asked_on"] < since:
            raise _drop(self.crawler, "older_than_since", item)
        return item


class DeidentifyPipeline:
    """Replace identifiers in title, question and answers; count them per kind.

    ``MEDQA_DEID_KINDS`` picks the kinds (empty: all); ``MEDQA_KEEP_DOCTOR_NAMES`` also keeps
    doctors' names in the text."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.engine = Deidentifier(
            settings.getlist("MEDQA_DEID_KINDS") or None,
            keep_doctor_names=settings.getbool("MEDQA_KEEP_DOCTOR_NAMES"),
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DeidentifyPipeline:
        return cls(crawler)

    def process_item(self, item: QuestionItem) -> QuestionItem:
        counts: Counter[str] = Counter()
        _text_fields(item, lambda text: self.engine.redact(text, counts))
        for kind, n in counts.items():
            self.crawler.stats.inc_value(f"medqa/deid/{kind}", n)
        if counts:
            self.crawler.stats.inc_value("medqa/deid/records")
        return item


class DeduplicatePipeline:
    """Drop a question already exported by this run or, via the seen-store, an earlier one."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.written: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DeduplicatePipeline:
        return cls(crawler)

    def process_item(self, item: QuestionItem) -> QuestionItem:
        key = (item["source"], item["qid"])
        store = seen_store(self.crawler)
        if key in self.written or (store is not None and store.contains(*key)):
            raise _drop(self.crawler, "already_seen", item)
        self.written.add(key)
        return item


class JsonLinesFeedPipeline:
    """Append each record to this run's JSON Lines file, then mark it in the seen-store.

    The path comes from ``-o``/``-O`` (``FEEDS``) when given, else from ``MEDQA_FEED``
    (default ``data/raw/%(site)s-%(time)s.jsonl``); a new file is created per run. With the
    spider's ``max_items`` it writes exactly that many; later ones are left for the next run.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.settings = crawler.settings
        self.feed: FeedFile | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonLinesFeedPipeline:
        return cls(crawler)

    def _target(self) -> tuple[Path, bool | None]:
        spider = self.crawler.spider
        params = run_params(
            getattr(spider, "site_names", ["medqa"]),
            spider.name,
            f"{socket.gethostname()}-{os.getpid()}",
        )
        feeds = self.settings.getdict("FEEDS")  # one JSON Lines path, checked by runconfig
        if feeds:
            uri, options = next(iter(feeds.items()))
            return feed_path(str(uri), params), bool((options or {}).get("overwrite"))
        return feed_path(self.settings.get("MEDQA_FEED") or DEFAULT_FEED, params), None

    def open_spider(self) -> None:
        path, overwrite = self._target()
        encoding = self.settings.get("FEED_EXPORT_ENCODING") or "utf-8"
        if overwrite is None:
            self.feed = FeedFile.create_new(path, encoding)
        else:
            self.feed = FeedFile(path, overwrite=overwrite, encoding=encoding)
        store = seen_store(self.crawler)
        if store is not None:
            store.begin_run(str(self.feed.path.resolve()))
        self.crawler.stats.set_value("medqa/feed", str(self.feed.path))
        logger.info("Writing records to %(path)s", {"path": self.feed.path})

    def process_item(self, item: QuestionItem) -> QuestionItem:
        assert self.feed is not None
        limit = getattr(self.crawler.spider, "max_items", None)
        if limit and self.feed.count >= limit:  # records still in flight when the crawl stops
            raise _drop(self.crawler, "over_max_items", item)
        self.feed.write(raw_record(item, self.settings.getbool("MEDQA_KEEP_DOCTOR_NAMES")))
        store = seen_store(self.crawler)
        if store is not None:
            store.add(item["source"], item["qid"])
        self.crawler.stats.inc_value("medqa/items_written")
        return item

    def close_spider(self) -> None:
        if self.feed is None:
            return
        self.feed.close()
        store = seen_store(self.crawler)
        if store is not None:
            store.end_run(str(self.feed.path.resolve()))
        logger.info(
            "Wrote %(n)d records to %(path)s", {"n": self.feed.count, "path": self.feed.path}
        )

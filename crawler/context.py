"""Per-crawl state that the spider, middlewares and pipelines share: the seen-store.

Components get it with :func:`seen_store` (built once per crawler, opened on first use). Opening
it recovers what killed earlier runs wrote (see :mod:`crawler.seenstore`); the store is closed
when the engine stops.
"""

from __future__ import annotations

import logging
import weakref

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.seenstore import SeenStore, open_store, recover_dead_runs

logger = logging.getLogger(__name__)
_STORES: weakref.WeakKeyDictionary[Crawler, SeenStore | None] = weakref.WeakKeyDictionary()


def seen_store(crawler: Crawler) -> SeenStore | None:
    """The crawl's seen-store (None when ``MEDQA_SEEN_STORE`` is empty)."""
    if crawler not in _STORES:
        store = open_store(crawler.settings.get("MEDQA_SEEN_STORE", ""), crawler.settings)
        _STORES[crawler] = store
        if store is not None:
            for feed, lines in recover_dead_runs(store).items():
                logger.warning(
                    "A killed run left %(feed)s: marked its %(n)d records as seen",
                    {"feed": feed, "n": lines},
                )
                crawler.stats.inc_value("medqa/recovered_records", lines)
            crawler.signals.connect(store.close, signal=signals.engine_stopped, weak=False)
            logger.info("Seen-store: %(where)s", {"where": store.location})
    return _STORES[crawler]

"""Start requests as data, for local crawls and for scrapy-redis workers.

In distributed mode (``-s MEDQA_DISTRIBUTED=1``) the workers share one request queue and one
duplicate filter in Redis and read their start URLs from the Redis list ``REDIS_START_URLS_KEY``.
scrapy-redis expects those as JSON, ``{"url": …, "meta": {…}}`` — :func:`push_seeds` writes them
(``medqa crawl seed`` on the command line).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from crawler.sites.profile import SiteProfile


def seed_payloads(
    profiles: Iterable[SiteProfile], departments: set[str] | None = None, since: str | None = None
) -> Iterator[dict]:
    """The start pages of each site as ``{"url", "meta"}``. With ``since`` and no department
    filter, sites that have day lists start from them; otherwise from their department index."""
    for profile in profiles:
        modes = {entry.mode for entry in profile.entries}
        mode = "date" if since and not departments and "date" in modes else "department"
        for entry in profile.entries_for(mode):  # fallbacks start only when these fail
            meta = {
                "medqa_site": profile.name,
                "medqa_kind": entry.kind,
                "medqa_dept_ok": False,
                "medqa_entry": True,
            }
            yield {"url": profile.url(entry.path), "meta": meta}


def push_seeds(server, key: str, payloads: Iterable[dict]) -> int:
    """Append the seeds to the Redis list ``key`` as JSON; return how many were pushed."""
    lines = [json.dumps(p, ensure_ascii=False) for p in payloads]
    if lines:
        server.rpush(key, *lines)
    return len(lines)

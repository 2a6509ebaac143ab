"""Distributed mode: two scrapy-redis workers share one Redis queue against the sample site."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crawler.samplesite.server import RENDERERS
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow


def test_two_workers_crawl_every_page_once(crawler, redis_url):
    import redis

    server = redis.Redis.from_url(redis_url)
    server.flushdb()
    site = crawler.site
    medqa = str(Path(sys.executable).with_name("medqa"))
    seeded = subprocess.run(
        [medqa, "crawl", "seed", "--redis-url", redis_url, "--base-url", site.url],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "Pushed 3 start URL(s) to medqa:start_urls" in seeded.stdout
    assert server.lrange("medqa:start_urls", 0, 0)[0].startswith(b'{"url": "http://127.0.0.1:')

    settings = {
        "MEDQA_DISTRIBUTED": 1,
        "REDIS_URL": redis_url,
        "MAX_IDLE_TIME_BEFORE_CLOSE": 2,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY": 0.01,
        "MEDQA_WORKERS": 2,
        "MEDQA_SEEN_STORE": None,  # distributed mode's default: a set per site in the same Redis
    }
    workers = [crawler.start(**settings) for _ in range(2)]
    runs = [crawler.finish(*worker, timeout=180) for worker in workers]
    for run in runs:
        assert run.returncode == 0 and "Traceback" not in run.log, run.log[-3000:]

    keys = runs[0].keys() + runs[1].keys()
    assert len(keys) == len(set(keys))  # no question exported twice
    assert set(keys) == site.corpus.expected()  # …and none missed
    assert all(run.keys() for run in runs)  # both workers took part

    retried = {"retry_503": 3, "dataloss": 4}
    for question in site.corpus.questions:
        path = RENDERERS[question.site].detail_path(question)
        if question.fault in ("robots_detail", "robots_list"):
            assert site.hit_counts()[path] == 0
        else:
            assert site.hit_counts()[path] == retried.get(question.fault, 1), path
    pages = {p: n for p, n in site.hit_counts().items() if "/question/" not in p}
    assert pages.pop("/robots.txt") == 2  # each worker reads robots.txt itself
    assert set(pages.values()) == {1}  # every list page fetched by exactly one worker
    assert server.scard("medqa:seen:xywy") + server.scard("medqa:seen:120ask") + server.scard(
        "medqa:seen:39"
    ) == len(keys)

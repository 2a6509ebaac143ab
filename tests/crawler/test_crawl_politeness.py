"""Politeness and safety switches, each against a real sample site and a real crawl process."""

from __future__ import annotations

import subprocess

import pytest

from crawler.samplesite import serve
from tests.conftest import REPO_ROOT
from tests.crawler.conftest import SCRAPY, Crawler

pytestmark = pytest.mark.slow


def test_robots_crawl_delay_is_honoured_and_the_user_agent_is_honest(tmp_path):
    with serve(0, crawl_delay=0.3) as site:
        crawler = Crawler(site, tmp_path)
        run = crawler.run(
            "-a",
            "site=39",
            "-a",
            "departments=心血管内科",
            fast=False,
            DOWNLOAD_DELAY=0,
            AUTOTHROTTLE_ENABLED=0,
            DOWNLOAD_DELAY_JITTER=0.5,
            MEDQA_CONTACT="crawl-team@example.org",
        )
        hits = list(site.hits)
    assert run.records()
    assert len(hits) >= 5
    gaps = [b.at - a.at for a, b in zip(hits[1:], hits[2:], strict=False)]  # after robots.txt
    assert min(gaps) >= 0.3 * 0.95, gaps
    assert run.summary["stats"]["medqa/crawl_delay/127.0.0.1"] == 0.3
    agents = {hit.user_agent for hit in hits}
    assert len(agents) == 1
    assert (
        agents.pop().startswith("medqa-factory/")
        and "contact: crawl-team@example.org" in hits[0].user_agent
    )


@pytest.mark.parametrize(("mode", "kind"), [("403", "http_403"), ("login", "login_redirect")])
def test_circuit_breaker_stops_a_site_that_blocks_us(tmp_path, mode, kind):
    with serve(0, crawl_delay=0, ban_after=2, ban_mode=mode) as site:
        crawler = Crawler(site, tmp_path)
        run = crawler.run("-a", "site=xywy", CONCURRENT_REQUESTS=1, MEDQA_BREAKER_THRESHOLD=5)
        hits = list(site.hits)
    assert run.summary["reason"] == "circuit_breaker"
    assert run.summary["blocked"] == {f"xywy/{kind}": 5}
    blocked = [h for h in hits if h.status in (302, 403)]
    assert len(blocked) == 5
    assert len({h.path for h in blocked}) == 5  # each block was requested once: no retries
    assert not [h for h in hits if "passport" in h.path]  # the login page is never opened
    assert "Circuit breaker open for xywy" in run.log


def crawl_without_site(*settings: str) -> subprocess.CompletedProcess:
    cmd = [SCRAPY, "crawl", "medqa", "-a", "site=xywy", "-s", "LOG_LEVEL=ERROR"]
    for setting in settings:
        cmd += ["-s", setting]
    return subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)


def test_real_sites_need_a_contact_and_keep_their_delays():
    no_contact = crawl_without_site()
    assert no_contact.returncode != 0
    assert "add -s MEDQA_CONTACT=you@example.org" in no_contact.stderr
    fast = crawl_without_site("MEDQA_CONTACT=me@example.org", "MEDQA_FAST_LOCAL=1")
    assert fast.returncode != 0
    assert "only allowed for loopback hosts, not http://club.xywy.com" in fast.stderr

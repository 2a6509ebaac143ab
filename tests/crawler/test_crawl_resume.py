"""Kill a crawl mid-way (SIGTERM: graceful pause, SIGKILL: crash) and resume it with the same
JOBDIR: together the two feeds hold exactly what one clean crawl exports."""

from __future__ import annotations

import signal

import pytest

from tests.crawler.conftest import wait_for_lines

pytestmark = pytest.mark.slow
SLOW = {"CONCURRENT_REQUESTS_PER_DOMAIN": 2, "DOWNLOAD_DELAY": 0.01}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_crawl_resumes_to_the_same_result(crawler, tmp_path, sig):
    jobdir = tmp_path / "job"
    process, feed, stats = crawler.start(JOBDIR=jobdir, **SLOW)
    wait_for_lines(feed, 40, process)
    process.send_signal(sig)
    first = crawler.finish(process, feed, stats)
    assert first.returncode == (0 if sig == signal.SIGTERM else -signal.SIGKILL)
    second = crawler.run(JOBDIR=jobdir)

    keys = first.keys() + second.keys()  # records() also checks for torn lines
    assert len(keys) == len(set(keys))
    assert set(keys) == crawler.site.corpus.expected()
    assert 40 <= len(first.keys()) < len(keys)
    if sig == signal.SIGTERM:
        assert first.summary["reason"] == "shutdown"
        assert "Resuming crawl" in second.log
    else:
        assert second.summary["stats"]["medqa/jobdir_discarded"] == 1
        assert f"A killed run left {first.feed}" in second.log
    assert not (jobdir / "medqa.running").exists()


def test_a_finished_jobdir_runs_the_next_incremental_crawl(crawler, tmp_path):
    """Running the same command again after a crawl finished reads the list pages again (new
    questions appear there) and retries dropped pages; exported questions stay skipped."""
    jobdir = tmp_path / "job"
    first = crawler.run("-a", "site=39", JOBDIR=jobdir)
    hits_first = crawler.site.hit_counts()
    second = crawler.run("-a", "site=39", JOBDIR=jobdir)
    hits_second = crawler.site.hit_counts() - hits_first
    assert first.records() and second.records() == []
    lists = {p for p in hits_first if "/news/" in p}
    assert lists and {p for p in hits_second if "/news/" in p} == lists
    assert second.summary["skipped_seen"] == len(first.records())
    dropped = sum(first.summary["dropped"].values())
    assert dropped and sum(second.summary["dropped"].values()) == dropped  # tried again

"""Spider arguments: departments, since, static shards, max_items, max_pages."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.slow


def expected(site, keep) -> set[tuple[str, str]]:
    wanted = site.corpus.expected()
    return {(q.site, q.qid) for q in site.corpus.questions if (q.site, q.qid) in wanted and keep(q)}


def test_departments_select_sub_and_top_departments(crawler):
    run = crawler.run("-a", "site=xywy,120ask,39", "-a", "departments=妇科,儿科")
    assert set(run.keys()) == expected(crawler.site, lambda q: q.sub == "妇科" or q.dept == "儿科")
    assert len(run.keys()) > 20


def test_since_keeps_newer_questions_only(crawler):
    since = "2026-11-10"
    run = crawler.run("-a", "site=xywy,120ask", "-a", f"since={since}")
    keep = expected(crawler.site, lambda q: q.site in ("xywy", "120ask") and q.day >= since)
    assert set(run.keys()) == keep and len(keep) > 30
    hits = crawler.site.hit_counts()
    day_lists = [p for p in hits if re.search(r"/keshi/\d{4}-\d\d-\d\d/", p)]
    assert day_lists and all(p.split("/")[3] >= since for p in day_lists)  # xywy: day lists
    # the day index stops at its first page listing only older days (page 1 ends at 11-09)
    assert sorted(p for p in hits if re.fullmatch(r"/xywy/keshi/\d+\.html", p)) == [
        "/xywy/keshi/1.html",
        "/xywy/keshi/2.html",
    ]
    assert not [p for p in hits if "small_" in p]  # … instead of department lists


def test_static_shards_partition_the_questions(crawler):
    runs = [
        crawler.run("-a", "site=39", "-a", f"shard={k}", "-a", "shards=2", MEDQA_SEEN_STORE="")
        for k in (0, 1)
    ]
    parts = [set(run.keys()) for run in runs]
    assert parts[0] and parts[1] and not parts[0] & parts[1]
    assert parts[0] | parts[1] == expected(crawler.site, lambda q: q.site == "39")
    assert all(int(qid) % 2 == k for k in (0, 1) for _, qid in parts[k])


def test_max_items_and_max_pages_bound_the_crawl(crawler):
    limited = crawler.run("-a", "site=120ask", "-a", "max_items=10", MEDQA_SEEN_STORE="")
    assert limited.summary["reason"] == "closespider_itemcount"
    assert len(limited.keys()) == 10
    first_pages = crawler.run("-a", "site=120ask", "-a", "max_pages=1", MEDQA_SEEN_STORE="")
    assert first_pages.summary["reason"] == "finished"
    assert not [p for p in crawler.site.hit_counts() if re.search(r"/list/[a-z]+/\d+/$", p)]
    assert 0 < len(first_pages.keys()) < len(expected(crawler.site, lambda q: q.site == "120ask"))


BAD_ARGUMENTS = {
    "since": (["-a", "since=11/10/2026"], {}, "since must be YYYY-MM-DD, got '11/10/2026'"),
    "site": (["-a", "site=xywy,haodf"], {}, "unknown site(s) ['haodf']; bundled profiles: 120ask"),
    "shard": (["-a", "shard=2", "-a", "shards=2"], {}, "shard must be in 0..1, got 2"),
    "csv": (["-o", "out.csv"], {}, "feed out.csv: the medqa spider writes JSON Lines, not 'csv'"),
    "template": (
        [],
        {"MEDQA_FEED": "data/%(host)s.jsonl"},
        "feed path 'data/%(host)s.jsonl' uses unknown parameter(s) ['host']",
    ),
}


@pytest.mark.parametrize("case", BAD_ARGUMENTS)
def test_bad_arguments_fail_before_any_request(crawler, case):
    args, settings, message = BAD_ARGUMENTS[case]
    run = crawler.finish(*crawler.start(*args, **settings))
    assert run.returncode != 0
    assert f"CrawlConfigError: {message}" in run.log
    assert crawler.site.hits == []


def test_overwrite_output_is_a_complete_snapshot_every_time(crawler, tmp_path):
    snapshot = tmp_path / "snapshot.jsonl"
    wanted = expected(crawler.site, lambda q: q.site == "39")
    for _ in range(2):
        run = crawler.run("-a", "site=39", "-O", str(snapshot), MEDQA_SEEN_STORE=None)
        assert run.summary["feed"] == str(snapshot)
        assert set(run.keys()) == wanted
    appended = crawler.run("-a", "site=39", "-o", str(snapshot))
    assert len(appended.records()) == 2 * len(wanted)  # -o appends; this store had seen nothing

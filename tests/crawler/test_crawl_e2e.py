"""`scrapy crawl medqa` end to end against the sample site: one full crawl, then a second run.

Every assertion reads what a user relies on: the feed, the run summary, and what the site saw.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from crawler.items import ANSWER_FIELDS, RAW_FIELDS
from crawler.samplesite.server import RENDERERS
from tests.crawler.conftest import Crawler

pytestmark = pytest.mark.slow


def detail_paths(site, faults=None) -> dict[str, object]:
    return {
        RENDERERS[q.site].detail_path(q): q
        for q in site.corpus.questions
        if faults is None or q.fault in faults
    }


@pytest.fixture(scope="module")
def crawl(module_site, tmp_path_factory):
    crawler = Crawler(module_site, tmp_path_factory.mktemp("full"))
    first = crawler.run(MEDQA_PROGRESS_INTERVAL=0.5)
    hits_first = module_site.hit_counts()
    second = crawler.run()
    return SimpleNamespace(
        site=module_site,
        first=first,
        second=second,
        hits_first=hits_first,
        hits_second=module_site.hit_counts() - hits_first,
    )


def test_every_reachable_question_is_exported_exactly_once(crawl):
    keys = crawl.first.keys()
    assert len(keys) == len(set(keys))
    assert set(keys) == crawl.site.corpus.expected()
    assert crawl.first.summary["reason"] == "finished"
    assert crawl.first.summary["items_written"] == len(keys)
    assert crawl.first.summary["alarms"] == [] and not crawl.first.summary["nothing_new"]


def test_records_follow_the_raw_contract_and_hold_no_asker_data(crawl):
    corpus = {(q.site, q.qid): q for q in crawl.site.corpus.questions}
    raw = crawl.first.feed.read_bytes()
    assert "心血管内科".encode() in raw and b"\\u" not in raw  # UTF-8, no \uXXXX escapes
    with_turns = 0
    for record in crawl.first.records():
        question = corpus[(record["source"], record["qid"])]
        if question.followups:  # a consultation with follow-ups: "turns" after "answers"
            with_turns += 1
            assert tuple(record) == (*RAW_FIELDS, "turns")
            assert [(t["role"], t.get("time") is not None) for t in record["turns"]] == [
                ("patient", False),
                *((role, True) for role, _, _ in question.followups),
            ]
            assert record["turns"][0]["text"] == record["question"]
        else:
            assert tuple(record) == RAW_FIELDS
        assert set(record["patient"]) == {"gender", "age_group"}
        assert all(tuple(a) == ANSWER_FIELDS for a in record["answers"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["crawled_at"])
        assert record["title"] == question.title
        assert record["department"] == [question.dept, question.sub]
        assert record["patient"]["gender"] == question.sex
        text = str(record)
        assert question.asker not in text
        assert not any(a.doctor_name in text for a in question.answers)
        assert "/user/" not in text and "/doc/" not in text and "/doctor/" not in text
        assert f"{question.age}岁" not in str(record["patient"])
    assert with_turns > 10


def test_gbk_pages_arrive_as_correct_text(crawl):
    xywy = [r for r in crawl.first.records() if r["source"] == "xywy"]
    assert any("瘆" in r["question"] for r in xywy)  # a GBK-only character behind a gb2312 <meta>
    assert not any("\ufffd" in r["question"] + r["title"] for r in xywy)


def test_robots_disallowed_pages_are_never_requested(crawl):
    robots = crawl.site.pages["/robots.txt"].body.decode()
    disallowed = [
        line.split(": ", 1)[1] for line in robots.splitlines() if line.startswith("Disallow")
    ]
    requested = [p for p in crawl.hits_first if any(p.startswith(d) for d in disallowed)]
    assert requested == []
    assert crawl.first.summary["robots_forbidden"] >= 2


def test_the_503_page_is_retried_with_backoff_and_kept(crawl):
    for path, question in detail_paths(crawl.site, {"retry_503"}).items():
        assert crawl.hits_first[path] == 3
        assert (question.site, question.qid) in set(crawl.first.keys())
    assert crawl.first.summary["stats"]["medqa/retry_backoff_seconds"] > 0


def test_blocks_are_counted_and_never_retried_or_followed(crawl):
    blocked = detail_paths(crawl.site, {"forbidden_403", "login_redirect", "captcha_redirect"})
    assert all(crawl.hits_first[path] == 1 for path in blocked)
    assert crawl.first.summary["blocked"] == {
        "120ask/captcha_redirect": 1,
        "xywy/http_403": 1,
        "xywy/login_redirect": 1,
    }
    assert not [p for p in crawl.hits_first if "passport" in p or "captcha" in p]


def test_broken_pages_are_dropped_with_their_reason(crawl):
    assert crawl.first.summary["dropped"] == {
        "missing_title": 1,
        "no_answers": 3,
        "question_deleted": 2,
        "truncated_page": 2,
    }
    dataloss = detail_paths(crawl.site, {"dataloss"})
    assert all(crawl.hits_first[path] == 4 for path in dataloss)  # 1 + RETRY_TIMES, then given up


def test_duplicate_and_variant_links_fetch_a_question_once(crawl):
    retried = detail_paths(crawl.site, {"retry_503", "dataloss"})
    fetched = {p: n for p, n in crawl.hits_first.items() if "/question/" in p and p not in retried}
    assert set(fetched.values()) == {1}
    for question in crawl.site.corpus.questions:
        if question.fault == "variant_url":
            assert crawl.hits_first[RENDERERS["120ask"].variant_path(question)] == 0


def test_no_phone_number_or_wechat_id_survives(crawl):
    text = crawl.first.feed.read_text(encoding="utf-8")
    planted = {p for q in crawl.site.corpus.questions for p in q.pii}
    assert len(planted) > 50
    assert [p for p in planted if p in text] == []
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)
    deid = crawl.first.summary["deidentified"]
    assert {"phone", "wechat", "qq", "email", "id_card", "url"} <= set(deid)


def test_progress_is_logged_with_rates_and_drop_reasons(crawl):
    progress = [line for line in crawl.first.log.splitlines() if "Progress:" in line]
    assert progress
    assert re.search(r"records \(\d+/min\), \d+ pages \(\d+/min\); dropped: ", progress[-1])


def test_a_second_run_over_an_unchanged_site_exports_nothing(crawl):
    assert crawl.second.records() == []
    assert crawl.second.summary["skipped_seen"] == len(crawl.site.corpus.expected())
    # reported as such, and not an alarm: the process exited 0 (Crawler.run checks it)
    assert crawl.second.summary["nothing_new"] is True and crawl.second.summary["alarms"] == []
    assert "Nothing new since the last crawl" in crawl.second.log
    exported = {
        path
        for path, q in detail_paths(crawl.site).items()
        if (q.site, q.qid) in crawl.site.corpus.expected()
    }
    assert not [p for p in crawl.hits_second if p in exported]
    lists = [p for p in crawl.hits_second if "/list/" in p or "small_" in p or "/news/" in p]
    assert len(lists) == len([p for p in crawl.hits_first if p in set(lists)]) > 20  # refetched
    # skipping is not failing: no failure counts or per-question log lines for seen questions
    assert not [k for k in crawl.second.summary["stats"] if k.endswith("/ignored")]
    assert "already exported" not in crawl.second.log


def test_retries_back_off_exponentially():
    from scrapy.settings import Settings

    from crawler import settings as project
    from crawler.middlewares import BackoffRetryMiddleware

    settings = Settings()
    settings.setmodule(project)
    middleware = BackoffRetryMiddleware(settings)
    assert [middleware.backoff(n) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]
    assert middleware.backoff(1, retry_after=30) == 30
    assert middleware.backoff(10) == 120.0


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from medqa.http import retry_after_seconds

    assert retry_after_seconds(b"30") == 30
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 85 <= retry_after_seconds(when.encode()) <= 90
    assert retry_after_seconds(b"Thu, 01 Jan 1970 00:00:00 GMT") == 0
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(None) is None

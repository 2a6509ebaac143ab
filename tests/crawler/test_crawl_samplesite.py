"""The bundled sample site: content, fault cases served for real over HTTP, and its CLI."""

from __future__ import annotations

import http.client
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from crawler.samplesite.content import FAULTS, build_corpus
from tests.conftest import REPO_ROOT, free_port


def test_corpus_is_deterministic_and_large_enough():
    corpus = build_corpus()
    build_corpus.cache_clear()
    assert build_corpus() == corpus
    assert len(corpus.departments) >= 8
    assert len({q.sub for q in corpus.questions}) >= 15
    assert len(corpus.questions) >= 250
    assert sum(len(q.answers) for q in corpus.questions) >= 400
    assert len({q.title for q in corpus.questions}) >= 0.95 * len(corpus.questions)
    assert {q.fault for q in corpus.questions if q.fault} == set(FAULTS)
    assert Counter(q.site for q in corpus.questions).keys() == {"xywy", "120ask", "39"}
    planted = [p for q in corpus.questions for p in q.pii]
    assert len(planted) >= 50


def get(url: str) -> tuple[int, dict, bytes]:
    parts = urllib.request.urlparse(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    conn.request("GET", parts.path)
    response = conn.getresponse()
    try:
        body = response.read()
    except http.client.IncompleteRead as exc:
        body = b"INCOMPLETE:" + exc.partial
    conn.close()
    return response.status, dict(response.getheaders()), body


def path_of(site, fault: str) -> str:
    from crawler.samplesite.server import RENDERERS

    question = next(q for q in site.corpus.questions if q.fault == fault)
    return RENDERERS[question.site].detail_path(question)


def test_fault_cases_are_served_as_described(sample_site):
    status, _, robots = get(sample_site.url + "/robots.txt")
    assert status == 200 and b"Disallow: /xywy/small_999" in robots
    path = path_of(sample_site, "retry_503")
    statuses = [get(sample_site.url + path)[0] for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert get(sample_site.url + path_of(sample_site, "forbidden_403"))[0] == 403
    status, headers, _ = get(sample_site.url + path_of(sample_site, "login_redirect"))
    assert status == 302 and "/passport/login" in headers["Location"]
    assert get(sample_site.url + path_of(sample_site, "gone_404"))[0] == 404
    assert get(sample_site.url + path_of(sample_site, "dataloss"))[2].startswith(b"INCOMPLETE:")
    assert sample_site.hit_counts()[path] == 3


def test_ban_mode_blocks_a_site_after_n_question_pages():
    from crawler.samplesite import serve

    with serve(0, crawl_delay=0, ban_after=1, ban_mode="login") as site:
        question = next(q for q in site.corpus.site("39") if not q.fault)
        url = f"{site.url}/39/question/{question.qid}.html"
        assert get(url)[0] == 200
        status, headers, _ = get(url)
        assert status == 302 and "login" in headers["Location"]


def test_cli_serves_the_sample_site(tmp_path):
    port = free_port()
    medqa = str(Path(sys.executable).with_name("medqa"))
    process = subprocess.Popen(
        [medqa, "crawl", "sample-site", "--port", str(port), "--crawl-delay", "2"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in banner
        deadline = time.monotonic() + 20
        while True:
            try:
                status, _, body = get(f"http://127.0.0.1:{port}/robots.txt")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("sample site did not answer")
                time.sleep(0.1)
        assert status == 200 and b"Crawl-delay: 2" in body
    finally:
        process.terminate()
        process.wait(timeout=10)

"""Crawler throughput: the question-page parser and a full local crawl.

1. Parse: every question page of the bundled sample site (xywy GBK ≈31 KB, 120ask ≈22 KB, 39
   ≈9 KB, plus xywy pages padded to 52 KB like the real site), bytes → Scrapy ``HtmlResponse``
   (encoding detection) → lxml tree → :func:`crawler.sites.extract.extract_detail`, one process,
   one core. Measured side by side with a peer: the same fields read the way public crawlers
   usually do it, ``parsel`` with XPath strings per call.
2. End to end: ``scrapy crawl medqa`` over the whole sample site served locally with politeness
   off (``MEDQA_FAST_LOCAL=1``), responses/s from the crawl's own stats.

Both are printed with the ratio to the seed figure: 20,000 pages parsed in 8 s on 32 processes,
about 78 pages/s per process. Target: parse >= 400 pages/s per core.

    python bench/crawl_bench.py                  # parse + end-to-end
    python bench/crawl_bench.py --skip-crawl --rounds 3
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from parsel import Selector  # noqa: E402
from scrapy.http import HtmlResponse  # noqa: E402

from crawler.samplesite import serve  # noqa: E402
from crawler.samplesite.content import build_corpus  # noqa: E402
from crawler.samplesite.server import RENDERERS, build_pages  # noqa: E402
from crawler.sites.extract import extract_detail  # noqa: E402
from crawler.sites.profile import load_profile  # noqa: E402

SEED_PAGES_PER_PROCESS = 20_000 / 8 / 32  # 78.1
TARGET = 400


def sample_pages(pad_to_kb: int | None = None) -> list[tuple[str, str, bytes, str]]:
    """(site, url, body, content type) of every question page the site answers with 200."""
    corpus = build_corpus()
    pages = build_pages(corpus, crawl_delay=0)
    out = []
    for question in corpus.questions:
        path = RENDERERS[question.site].detail_path(question)
        page = pages[path]
        if page.status != 200 or page.behaviour:
            continue
        body = page.body
        if pad_to_kb and question.site == "xywy":
            body = pad(body, pad_to_kb * 1024)
        out.append((question.site, f"http://127.0.0.1:8765{path}", body, page.content_type))
    return out


def pad(body: bytes, size: int) -> bytes:
    """Grow a page with more side-list markup (real xywy pages carry ≈52 KB of it)."""
    item = (
        '<li><a href="/xywy/question/20261101/1.htm" title="相关问题">相关问题标题示例</a></li>\n'
    )
    block = item.encode("gbk") * max(0, (size - len(body)) // len(item.encode("gbk")))
    marker = b'<div class="footer'
    return body.replace(marker, b'<div class="side"><ul>' + block + b"</ul></div>" + marker, 1)


def ours(site: str, url: str, body: bytes, ctype: str) -> dict:
    """As the spider parses a question page: the URL's date (known from the link) and the raw
    bytes (the page-complete check) go with the tree."""
    response = HtmlResponse(url, body=body, headers={"Content-Type": ctype})
    profile = _mirror(site)
    link = profile.match_detail(url)
    return extract_detail(
        profile.detail, response.selector.root, link.date if link else None, body=response.body
    )


@functools.cache
def _mirror(site: str):
    return load_profile(site).with_root(f"http://127.0.0.1:8765/{site}")


# The peer's selectors: XPath strings as public crawlers write them, evaluated with parsel per call.
PEER_XPATHS = {
    "xywy": {
        "title": "//p[contains(@class,'fl') and contains(@class,'fb')]/@title",
        "question": "//div[@id='qdetailc']//text()",
        "department": ("//p[contains(@class,'znblue')]/a/text()", 2, 4),
        "patient": "//div[contains(@class,'Userinfo')]/span/text()",
        "answers": "//div[contains(@class,'docall')]",
        "doctor_title": ".//span[contains(@class,'Doc_zc')]/text()",
        "text": ".//div[contains(@class,'pl20')]//text()",
        "time": ".//span[contains(@class,'Doc_time')]/text()",
        "likes": ".//b[contains(@class,'gratenum')]/text()",
        "accepted": "contains(@class,'Bestbg')",
    },
    "120ask": {
        "title": "//h1[@id='d_askH1']/text()",
        "question": "//div[@id='d_msCon']/p//text()",
        "department": ("//div[contains(@class,'b_route')]//a/text()", 2, 4),
        "patient": "//div[contains(@class,'b_askab1')]/span/text()",
        "answers": "//div[contains(@class,'b_answerli')]",
        "doctor_title": ".//span[contains(@class,'b_sp1')]/text()",
        "text": ".//div[contains(@class,'b_anscont_cont')]//text()",
        "time": ".//span[contains(@class,'b_anscont_time')]/text()",
        "likes": ".//span[contains(@class,'b_ansyes')]/text()",
        "accepted": "boolean(.//div[contains(@class,'b_acceptcont')])",
    },
    "39": {
        "title": "//p[contains(@class,'ask_tit')]/text()",
        "question": "//p[contains(@class,'txt_ms')]//text()",
        "department": ("//div[@id='sub' or @class='sub']/span/a/text()", 1, 3),
        "patient": "//p[contains(@class,'mation')]/span/text()",
        "answers": "//div[contains(@class,'sele_all')]",
        "doctor_title": ".//p[contains(@class,'doc_xinx')]/span[1]/text()",
        "text": ".//p[contains(@class,'sele_txt')]//text()",
        "time": ".//p[contains(@class,'doc_time')]/text()",
        "likes": ".//span[contains(@class,'zan_num')]/text()",
        "accepted": "boolean(ancestor::div[contains(@class,'selected')])",
    },
}


def parsel_peer(site: str, url: str, body: bytes, ctype: str) -> dict:
    """The usual public-crawler style: a parsel Selector and string XPaths evaluated per call."""
    response = HtmlResponse(url, body=body, headers={"Content-Type": ctype})
    sel, x = Selector(text=response.text), PEER_XPATHS[site]
    dept_xpath, low, high = x["department"]
    return {
        "title": sel.xpath(x["title"]).get(),
        "question": "".join(sel.xpath(x["question"]).getall()),
        "department": sel.xpath(dept_xpath).getall()[low:high],
        "patient": sel.xpath(x["patient"]).getall(),
        "answers": [
            {
                "doctor_title": a.xpath(x["doctor_title"]).get(),
                "text": "".join(a.xpath(x["text"]).getall()),
                "time": a.xpath(x["time"]).get(),
                "likes": a.xpath(x["likes"]).get(),
                "accepted": a.xpath(x["accepted"]).get(),
            }
            for a in sel.xpath(x["answers"])
        ],
    }


def rate(parser, pages, rounds: int) -> float:
    """Pages per CPU second on one core (best of ``rounds`` passes over ``pages``)."""
    best = 0.0
    for _ in range(rounds):
        start = time.process_time()
        for page in pages:
            parser(*page)
        best = max(best, len(pages) / (time.process_time() - start))
    return best


def bench_parse(rounds: int) -> dict:
    results = {}
    sets = {
        "sample pages": sample_pages(),
        "xywy padded to 52 KB": [p for p in sample_pages(52) if p[0] == "xywy"],
    }
    for name, pages in sets.items():
        kb = sum(len(p[2]) for p in pages) / len(pages) / 1024
        ours_rate, peer_rate = rate(ours, pages, rounds), rate(parsel_peer, pages, rounds)
        results[name] = {
            "pages": len(pages),
            "avg_kb": round(kb, 1),
            "ours": ours_rate,
            "parsel_peer": peer_rate,
        }
    return results


def bench_crawl(concurrency: int) -> dict:
    with serve(0, crawl_delay=0) as site, tempfile.TemporaryDirectory() as tmp:
        stats = Path(tmp) / "run.stats.json"
        cmd = [
            str(Path(sys.executable).with_name("scrapy")),
            "crawl",
            "medqa",
            "-a",
            f"base_url={site.url}",
            "-s",
            "MEDQA_FAST_LOCAL=1",
            "-s",
            f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}",
            "-s",
            f"MEDQA_FEED={tmp}/run.jsonl",
            "-s",
            f"MEDQA_STATS_FILE={stats}",
            "-s",
            "MEDQA_SEEN_STORE=",
            "-s",
            "LOG_LEVEL=WARNING",
        ]
        started = time.perf_counter()
        subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
        wall = time.perf_counter() - started
        summary = json.loads(stats.read_text())
    elapsed = summary["stats"]["elapsed_time_seconds"]
    responses = summary["stats"]["response_received_count"]
    return {
        "concurrency_per_host": concurrency,
        "responses": responses,
        "records": summary["items_written"],
        "crawl_s": round(elapsed, 2),
        "process_s": round(wall, 2),
        "responses_per_s": responses / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-crawl", action="store_true")
    parser.add_argument("--out", default=str(REPO / "bench/results/crawl_bench.json"))
    args = parser.parse_args()

    report = {"seed_pages_per_process": SEED_PAGES_PER_PROCESS, "parse": bench_parse(args.rounds)}
    print(
        f"Parse throughput, one core (seed: {SEED_PAGES_PER_PROCESS:.0f} pages/s per process; target {TARGET})"
    )
    print(
        f"{'pages':24} {'n':>4} {'KB':>5} {'ours p/s':>9} {'parsel p/s':>11} {'ours/parsel':>12} {'ours/seed':>10}"
    )
    for name, r in report["parse"].items():
        print(
            f"{name:24} {r['pages']:4d} {r['avg_kb']:5.1f} {r['ours']:9.0f} {r['parsel_peer']:11.0f}"
            f" {r['ours'] / r['parsel_peer']:12.2f} {r['ours'] / SEED_PAGES_PER_PROCESS:10.1f}"
        )
    if not args.skip_crawl:
        report["crawl"] = [bench_crawl(16), bench_crawl(1)]
        print("\nEnd to end: scrapy crawl medqa over the local sample site, politeness off")
        for r in report["crawl"]:
            print(
                f"  {r['concurrency_per_host']:2d} per host: {r['responses']} responses, {r['records']} records"
                f" in {r['crawl_s']} s (process {r['process_s']} s) = {r['responses_per_s']:.0f} responses/s"
                f" ({r['responses_per_s'] / SEED_PAGES_PER_PROCESS:.1f}x seed per-process parse rate)"
            )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten: {args.out}")


if __name__ == "__main__":
    main()

"""One engine for every stage: the crawler's pipeline and dataprep's step give the same text
and the same counts on the same input."""

from __future__ import annotations

from collections import Counter

from scrapy.utils.test import get_crawler

from crawler.pipelines import DeidentifyPipeline
from dataprep.steps.base import StepStats
from dataprep.steps.deidentify import Deidentify, DeidentifyParams
from medqa.deid import PLACEHOLDERS
from medqa.deid.evaluate import load_set
from tests.deid.conftest import DATA, DEV_SET


def _records(texts: list[str]) -> list[list[str]]:
    """Title, question and two answers per record."""
    texts = texts + ["补齐"] * (-len(texts) % 4)
    return [texts[i : i + 4] for i in range(0, len(texts), 4)]


def test_crawler_and_prep_give_identical_output_on_every_blind_text() -> None:
    sets = (DEV_SET, DATA / "blind_final.jsonl", DATA / "blind_final2.jsonl")
    texts = [case["text"] for path in sets for case in load_set(path)]
    texts += ["", "无标识的普通问题", "我叫王建国。[电话]已替换"]
    crawler = get_crawler(settings_dict={})
    pipeline = DeidentifyPipeline.from_crawler(crawler)
    step, prep_stats = Deidentify(DeidentifyParams()), StepStats()
    placeholders = 0
    for chunk in _records(texts):
        item = {
            "title": chunk[0],
            "question": chunk[1],
            "answers": [{"text": t} for t in chunk[2:]],
        }
        item = pipeline.process_item(item)
        crawled = [item["title"], item["question"], *(a["text"] for a in item["answers"])]

        turns = [
            {"role": r, "content": t} for r, t in zip(["user", "assistant"] * 2, chunk, strict=True)
        ]
        record = {"question": "", "answer": "", "meta": {}, "turns": turns}
        step.apply(record, prep_stats)
        prepared = [t["content"] for t in record["turns"]]

        assert crawled == prepared, chunk
        placeholders += sum(t.count(p) for t in prepared for p in PLACEHOLDERS.values())
    crawl_counts = Counter(
        {
            key.removeprefix("medqa/deid/"): n
            for key, n in crawler.stats.get_stats().items()
            if key.startswith("medqa/deid/") and key != "medqa/deid/records"
        }
    )
    assert crawl_counts == prep_stats.counts
    assert sum(crawl_counts.values()) == placeholders - 1  # one placeholder was in the input
    assert placeholders > 1800

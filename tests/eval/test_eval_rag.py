"""BM25 retrieval over a knowledge folder: chunking, sources, ranking, hit rate, errors."""

from __future__ import annotations

import json

import pytest

from eval.rag import BM25Retriever, Passage, chunk_text, format_rag_prompt, hit_rate, load_passages
from tests.conftest import REPO_ROOT

KNOWLEDGE = REPO_ROOT / "data" / "sample" / "knowledge"


@pytest.fixture(scope="module")
def retriever() -> BM25Retriever:
    return BM25Retriever.from_folder(KNOWLEDGE, chunk_chars=200, overlap=40)


def test_chunks_respect_the_size_and_overlap():
    text = "".join(f"第{i}句话讲一件事情。" for i in range(40)) + "\n\n另起一段。"
    chunks = chunk_text(text, chunk_chars=60, overlap=20)
    assert len(chunks) > 5
    assert all(len(c) <= 60 + 1 for c in chunks)
    for previous, current in zip(chunks, chunks[1:], strict=False):
        head = current[:10]
        assert head in previous, "each chunk starts with the end of the previous one"
    assert "".join(text.split()) in "".join("".join(chunks).split()) or all(
        s in "".join(chunks) for s in ("第0句", "第39句", "另起一段")
    )


def test_long_sentences_still_overlap():
    chunks = chunk_text("没有标点的长句子" * 30, chunk_chars=50, overlap=10)
    assert all(len(c) <= 50 for c in chunks)
    assert all(prev[-10:] == cur[:10] for prev, cur in zip(chunks, chunks[1:], strict=False))


@pytest.mark.parametrize(
    ("query", "source"),
    [
        ("胸痛出冷汗半小时怎么办", "acute_myocardial_infarction.md"),
        ("口角歪斜说话含糊是怎么回事", "stroke.md"),
        ("二甲双胍有什么副作用", "type2_diabetes.txt"),
        ("孩子高烧抽搐怎么处理", "child_fever.md"),
        ("痛风急性发作吃什么药", "common_questions.jsonl:痛风"),
        ("被马蜂蜇了喉咙发紧", "common_questions.jsonl:过敏性休克"),
    ],
)
def test_the_relevant_passage_ranks_first(retriever, query, source):
    hits = retriever.search(query, k=3)
    assert hits and hits[0].source == source
    assert hits == sorted(hits, key=lambda h: -h.score)
    assert hits[0].id.startswith(source + "#")


def test_unrelated_or_empty_queries_return_nothing(retriever):
    assert retriever.search("", k=3) == []
    assert retriever.search("quantum error correction", k=3) == []
    assert len(retriever.search("高血压 糖尿病 发热", k=100)) <= len(retriever.passages)


def test_prompt_lists_numbered_sources_then_the_question(retriever):
    hits = retriever.search("高血压吃什么药", k=2)
    prompt = format_rag_prompt("高血压吃什么药？", hits)
    assert prompt.index("[1] 来源：hypertension.txt") < prompt.index("问题：高血压吃什么药？")
    assert format_rag_prompt("问题", []) == "问题"


def test_hit_rate_counts_queries_with_gold_only(retriever):
    passage = Passage("a.md#0", "a.md", "阿司匹林嚼服")
    results = [([passage], ["a.md"]), ([passage], ["b.md"]), ([passage], ["阿司匹林"]), ([], [])]
    assert hit_rate(results) == pytest.approx(2 / 3)
    assert hit_rate([([passage], [])]) is None


def test_bad_knowledge_files_are_named(tmp_path):
    (tmp_path / "ok.txt").write_text("正常的一段。", encoding="utf-8")
    (tmp_path / "bad.jsonl").write_text(json.dumps({"title": "无正文"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:1: no text field"):
        load_passages(tmp_path)
    with pytest.raises(ValueError, match="does not exist"):
        load_passages(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="has no"):
        load_passages(empty)


def test_a_knowledge_file_that_is_not_utf8_is_named(tmp_path):
    (tmp_path / "gbk.txt").write_bytes("高血压患者应低盐饮食。".encode("gbk"))
    with pytest.raises(ValueError, match=r"gbk\.txt.*UTF-8"):
        load_passages(tmp_path)

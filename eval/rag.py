"""BM25 retrieval over a knowledge folder, shared by eval's RAG tasks and the demo.

Library API::

    from eval.rag import BM25Retriever, format_rag_prompt
    retriever = BM25Retriever.from_folder("data/sample/knowledge", chunk_chars=400, overlap=80)
    hits = retriever.search("胸痛出冷汗怎么办", k=3)   # [Hit(id, source, text, score), ...]
    prompt = format_rag_prompt("胸痛出冷汗怎么办", hits)  # anything with .source and .text

The folder may hold ``.txt``/``.md`` files (split at blank lines and sentence ends into chunks of
about ``chunk_chars`` characters, consecutive chunks sharing ``overlap`` characters) and ``.jsonl``
files with one passage per line (``text``/``content``/``passage``/``答``, optional ``id``/``title``/
``source``/``问``). A hit's ``source`` names the file (and the line's title or id for JSONL); its
``id`` is ``source#chunk``. Text is tokenised with jieba-rs (``rjieba.cut_for_search``), stop words
and punctuation dropped, and ranked with ``bm25s`` (Lucene BM25, k1=1.5, b=0.75).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

TEXT_KEYS = ("text", "content", "passage", "答", "answer")
TITLE_KEYS = ("title", "问", "question")
SUFFIXES = (".txt", ".md", ".jsonl")
_STOPWORDS_TEXT = (
    "的 了 是 在 和 与 及 或 吗 呢 吧 啊 呀 哦 我 你 您 他 她 它 们 我们 你们 这 那 这个 那个 有 也 都 就 还 "
    "会 能 要 对 把 被 给 让 从 到 为 以 之 其 等 请问 请 问 怎么 怎么办 怎么样 什么 如何 为什么 是否 可以 "
    "需要 一个 一下 一些 一点 最近 现在 时候 应该 这种 情况 问题 医生 谢谢 大夫"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_PUNCT = re.compile(r"^[\W_]+$")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")


class HasSourceAndText(Protocol):
    source: str
    text: str


@dataclass(frozen=True)
class Passage:
    """One chunk of the knowledge folder."""

    id: str
    source: str
    text: str


@dataclass(frozen=True)
class Hit:
    """A retrieved passage and its BM25 score."""

    id: str
    source: str
    text: str
    score: float


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens, lower-cased, without stop words and punctuation."""
    import rjieba

    return [
        tok
        for tok in (t.strip().lower() for t in rjieba.cut_for_search(text))
        if tok and tok not in STOPWORDS and not _PUNCT.match(tok)
    ]


def _split_long(sentence: str, size: int) -> list[str]:
    return [sentence[i : i + size] for i in range(0, len(sentence), size)]


def chunk_text(text: str, chunk_chars: int = 400, overlap: int = 80) -> list[str]:
    """Sentence-aligned chunks of about ``chunk_chars``; each starts with up to ``overlap``
    characters (whole sentences where possible) of the previous one."""
    if chunk_chars < 20 or not 0 <= overlap < chunk_chars:
        raise ValueError(
            f"need chunk_chars >= 20 and 0 <= overlap < chunk_chars, got {chunk_chars}/{overlap}"
        )
    sentences: list[str] = []
    for paragraph in text.splitlines():
        parts = [p.strip() for p in _SENTENCE_END.split(paragraph) if p.strip()]
        for n, part in enumerate(parts):
            pieces = _split_long(part, chunk_chars - overlap)
            if n == len(parts) - 1:
                pieces[-1] += "\n"  # keep paragraph breaks inside a chunk
            sentences.extend(pieces)
    chunks: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        if current and sum(map(len, current)) + len(sentence) > chunk_chars:
            chunks.append("".join(current).strip())
            carry: list[str] = []
            for prev in reversed(current):
                if sum(map(len, carry)) + len(prev) > overlap:
                    break
                carry.insert(0, prev)
            if not carry and overlap:  # sentences longer than the overlap: carry characters
                carry = [chunks[-1][-overlap:]]
            current = carry
        current.append(sentence)
    tail = "".join(current).strip()
    if tail and (not chunks or tail not in chunks[-1]):
        chunks.append(tail)
    return chunks


def _jsonl_passages(path: Path, rel: str) -> Iterator[tuple[str, str]]:
    with open(path, "rb") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise ValueError(f"{path}:{line_no}: invalid JSON ({exc})") from None
            if not isinstance(obj, dict):
                raise ValueError(f"{path}:{line_no}: expected a JSON object")
            text = next((obj[k] for k in TEXT_KEYS if isinstance(obj.get(k), str)), None)
            if not text or not text.strip():
                raise ValueError(f"{path}:{line_no}: no text field (one of {', '.join(TEXT_KEYS)})")
            title = next((obj[k] for k in TITLE_KEYS if isinstance(obj.get(k), str)), "")
            name = obj.get("source") or obj.get("id") or title or f"line {line_no}"
            yield f"{rel}:{name}", f"{title}\n{text}" if title else text


def iter_documents(folder: str | Path) -> Iterator[tuple[str, str]]:
    """``(source, text)`` of every document under ``folder`` (sorted, recursive)."""
    root = Path(folder)
    if not root.is_dir():
        raise ValueError(f"knowledge folder {root} does not exist")
    for path in sorted(p for p in root.rglob("*") if p.suffix.lower() in SUFFIXES):
        rel = path.relative_to(root).as_posix()
        if path.suffix.lower() == ".jsonl":
            yield from _jsonl_passages(path, rel)
        else:
            try:
                text = path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError as exc:
                raise ValueError(
                    f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
                    "save it as UTF-8 (e.g. iconv -f GBK -t UTF-8)"
                ) from None
            yield rel, text


def load_passages(folder: str | Path, chunk_chars: int = 400, overlap: int = 80) -> list[Passage]:
    """Every chunk of every document in ``folder``."""
    passages = []
    for source, text in iter_documents(folder):
        for n, chunk in enumerate(chunk_text(text, chunk_chars, overlap)):
            passages.append(Passage(f"{source}#{n}", source, chunk))
    if not passages:
        raise ValueError(f"knowledge folder {folder} has no {'/'.join(SUFFIXES)} text")
    return passages


class BM25Retriever:
    """BM25 over passages (module docs)."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        import bm25s

        if not passages:
            raise ValueError("no passages to index")
        self.passages = list(passages)
        self._index = bm25s.BM25()
        self._index.index(
            [tokenize(p.text) or ["\u0000"] for p in self.passages], show_progress=False
        )

    @classmethod
    def from_folder(
        cls, folder: str | Path, chunk_chars: int = 400, overlap: int = 80
    ) -> BM25Retriever:
        return cls(load_passages(folder, chunk_chars, overlap))

    def search(self, query: str, k: int = 3) -> list[Hit]:
        """The best ``k`` passages with a positive score, best first."""
        tokens = tokenize(query)
        if not tokens or k < 1:
            return []
        k = min(k, len(self.passages))
        docs, scores = self._index.retrieve([tokens], k=k, show_progress=False)
        hits = []
        for index, score in zip(docs[0], scores[0], strict=True):
            if score > 0:
                p = self.passages[int(index)]
                hits.append(Hit(p.id, p.source, p.text, float(score)))
        return hits


def format_rag_prompt(question: str, passages: Iterable[HasSourceAndText]) -> str:
    """The user message with retrieved passages: numbered, with their sources, then the
    question and an instruction to ignore irrelevant material."""
    blocks = [f"[{i}] 来源：{p.source}\n{p.text.strip()}" for i, p in enumerate(passages, 1)]
    if not blocks:
        return question
    return (
        "请参考下面的资料回答问题。资料可能不完整或与问题无关，无关时请忽略，不要编造。\n\n"
        + "\n\n".join(blocks)
        + f"\n\n问题：{question}"
    )


def is_hit(hit: Hit | Passage, gold: Iterable[str]) -> bool:
    """Does ``hit`` match a gold passage, given as a passage id, a source name or a text
    snippet it contains?"""
    return any(g and (g in (hit.id, hit.source) or g in hit.text) for g in gold)


def hit_rate(results: Iterable[tuple[Sequence[Any], Sequence[str]]]) -> float | None:
    """Share of queries whose retrieved hits include a gold passage (queries without gold are
    left out); None when no query has gold passages."""
    scored = [any(is_hit(h, gold) for h in hits) for hits, gold in results if gold]
    return sum(scored) / len(scored) if scored else None

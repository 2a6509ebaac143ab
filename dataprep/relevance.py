"""Question–answer relevance: does the answer talk about what the question asks?

The score is the share of the question's content character bigrams (CJK only, minus a list of
function-word and chit-chat bigrams) that occur in the answer. Doctors' answers almost always
repeat the disease, drug or body part the patient asked about; an answer pasted under the wrong
question (the "answers a different question" failure) shares none of them. On the real CMD
sample (7,266 pairs, all 内科), requiring a score > 0 drops 1.5% of the true pairs and 56% of
answers shuffled *within that one department*; see tests/dataprep/test_prep_quality.py.
"""

from __future__ import annotations

import re

import numpy as np

from dataprep.textutil import CJK_CLASS, codepoints, sorted_unique

_CJK_RUN = re.compile(f"[{CJK_CLASS}]{{2,}}")
_STOP_TEXT = """
你好 您好 医生 大夫 请问 怎么 什么 如何 可以 是否 需要 谢谢 一下 现在 最近 时候 没有 这个 那个 这样 情况 问题 因为 所以
但是 而且 已经 还是 就是 不是 有点 有些 一些 我们 你们 他们 自己 感觉 出现 治疗 建议 患者 病人 可能 应该 注意 及时 医院
检查 一般 目前 平时 症状 身体 时间 关系 影响 原因 方法 东西 效果 帮助 希望 描述 根据 考虑 引起 导致 造成 比较 非常 特别
主要 经常 左右 以上 以下 之后 之前 同时 另外 如果 那么 这种 那种 哪些 多少 么办 么回 回事 怎样 能不 不能 有什 一个
这些 那些 还有 以及 或者 的话 了解 知道 想问 请教 咨询 麻烦 严重 好的 正常 有没 没事 吃什 么药 什么 要紧 我的 我是 我有
我们 他的 她的 孩子 今年 岁了
"""
STOP_BIGRAMS = frozenset(_STOP_TEXT.split())


def content_bigrams(text: str) -> set[str]:
    """CJK character bigrams of ``text`` that are not in :data:`STOP_BIGRAMS`."""
    grams = {run[i : i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)}
    return grams - STOP_BIGRAMS


_LAST: list = [None, frozenset()]  # the last question and its content bigrams


def relevance(question: str, answer: str, min_bigrams: int = 3) -> float | None:
    """Share (0–1) of the question's content bigrams found in the answer; ``None`` when the
    question has fewer than ``min_bigrams`` of them (too short to judge). The last question's
    bigrams are reused (the candidate answers of one question come in a row)."""
    if question != _LAST[0]:
        _LAST[:] = question, content_bigrams(question)
    wanted = _LAST[1]
    if len(wanted) < min_bigrams:
        return None
    found = sum(1 for gram in wanted if gram in answer)
    return found / len(wanted)


def _cjk_mask(codes: np.ndarray) -> np.ndarray:
    mask = np.zeros(len(codes), dtype=bool)
    for low, high in _CJK_RANGES:
        mask |= (codes >= low) & (codes <= high)
    return mask


_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))  # CJK_CLASS


def _bigram_keys(texts: list[str]) -> np.ndarray:
    """``text index << 32 | first << 16 | second`` of every CJK character bigram of each
    text, unsorted (CJK ideographs are BMP code points: 16 bits each)."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    codes = codepoints("".join(texts)).astype(np.uint64)
    owner = np.repeat(np.arange(len(texts), dtype=np.uint64), lengths)
    cjk = _cjk_mask(codes)
    pair = cjk[:-1] & cjk[1:] & (owner[:-1] == owner[1:])
    keys = owner[:-1] << np.uint64(32)
    keys |= codes[:-1] << np.uint64(16)
    keys |= codes[1:]
    return keys[pair]


def _member(values: np.ndarray, ordered: np.ndarray) -> np.ndarray:
    """Whether each value occurs in the sorted array ``ordered``."""
    if not len(ordered):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
    return ordered[at] == values


def _stop_keys() -> np.ndarray:
    keys = [ord(g[0]) << 16 | ord(g[1]) for g in STOP_BIGRAMS if len(g) == 2]
    return sorted_unique(np.array(keys, dtype=np.uint64))


_STOP_KEYS = _stop_keys()


def relevance_batch(
    questions: list[str], answers: list[str], min_bigrams: int = 3
) -> list[float | None]:
    """:func:`relevance` of each (question, answer) pair, the same values, computed for all
    pairs at once with numpy (sorted bigram keys instead of Python sets and substring
    searches): an answer contains a question's CJK bigram exactly when that bigram is one of
    the answer's own CJK bigrams."""
    if not questions:
        return []
    wanted = sorted_unique(_bigram_keys(questions))
    wanted = wanted[~_member(wanted & np.uint64(0xFFFFFFFF), _STOP_KEYS)]
    found = _member(wanted, np.sort(_bigram_keys(answers)))
    owner = (wanted >> np.uint64(32)).astype(np.int64)
    sizes = np.bincount(owner, minlength=len(questions)).tolist()
    hits = np.bincount(owner[found], minlength=len(questions)).tolist()
    return [None if n < min_bigrams else h / n for n, h in zip(sizes, hits, strict=True)]

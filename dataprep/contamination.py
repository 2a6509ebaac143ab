"""N-gram overlap index: which evaluation question does a training text contain?

A training text is contaminated by evaluation question Q when it contains at least
``min_overlap`` of Q's distinct character ``ngram``-grams. Questions shorter than ``ngram``
characters cannot be checked (they are counted, not matched: a 6-character stem such as
"女性生殖腺是" occurs in plenty of innocent texts). N-grams shared by more than
``max_owners`` questions are boilerplate ("根据你的描述，…", "患者，男，45岁") and count for
nothing, on either side: they prove no overlap, and would make matching quadratic.
"""

from __future__ import annotations

import numpy as np

from dataprep.textutil import batch_ngram_hashes


class NgramIndex:
    """Sorted n-gram hashes of evaluation questions with the question each came from."""

    def __init__(
        self,
        ids: list[str],
        texts: list[str],
        ngram: int = 8,
        min_overlap: float = 0.5,
        max_owners: int = 5,
    ) -> None:
        self.ngram, self.min_overlap = ngram, min_overlap
        self.ids = list(ids)
        hashes, starts, counts = batch_ngram_hashes(texts, ngram)
        owners = np.repeat(np.arange(len(texts)), counts)
        order = np.lexsort((owners, hashes))
        hashes, owners = hashes[order], owners[order]
        fresh = np.ones(len(hashes), dtype=bool)
        fresh[1:] = (hashes[1:] != hashes[:-1]) | (owners[1:] != owners[:-1])
        hashes, owners = hashes[fresh], owners[fresh]
        _, first, shared = np.unique(hashes, return_index=True, return_counts=True)
        common = np.zeros(len(hashes), dtype=bool)
        for start, n in zip(first[shared > max_owners], shared[shared > max_owners], strict=True):
            common[start : start + n] = True
        self.hashes, self.owners = hashes[~common], owners[~common]
        self.sizes = np.bincount(self.owners, minlength=len(texts))
        self._bits = _bit_filter(self.hashes)
        self.too_short = int((counts == 0).sum())
        self.boilerplate = int((shared > max_owners).sum())

    def __len__(self) -> int:
        return len(self.ids) - self.too_short

    def match(self, texts: list[str]) -> list[tuple[str, float] | None]:
        """For each text: ``(question id, overlap)`` of the most-overlapped question whose
        overlap ≥ ``min_overlap``, or ``None``. Fully vectorised over the batch."""
        result: list[tuple[str, float] | None] = [None] * len(texts)
        if not len(self.hashes) or not texts:
            return result
        hashes, _, counts = batch_ngram_hashes(texts, self.ngram)
        maybe = np.flatnonzero(_may_hold(self._bits, hashes))  # most n-grams are in no question
        at = np.minimum(np.searchsorted(self.hashes, hashes[maybe]), len(self.hashes) - 1)
        hit = maybe[self.hashes[at] == hashes[maybe]]  # (np.isin would re-sort the index)
        if not len(hit):
            return result
        text_of = np.repeat(np.arange(len(texts)), counts)[hit]
        found = hashes[hit]
        # distinct (text, n-gram) pairs, then every question owning each n-gram
        order = np.lexsort((found, text_of))
        text_of, found = text_of[order], found[order]
        fresh = np.r_[True, (text_of[1:] != text_of[:-1]) | (found[1:] != found[:-1])]
        text_of, found = text_of[fresh], found[fresh]
        left = np.searchsorted(self.hashes, found, side="left")
        spans = np.searchsorted(self.hashes, found, side="right") - left
        owner_at = np.repeat(left - np.cumsum(spans) + spans, spans) + np.arange(spans.sum())
        pair_keys = np.repeat(text_of, spans) * len(self.sizes) + self.owners[owner_at]
        keys, hits = np.unique(pair_keys, return_counts=True)
        text_ids, question_ids = keys // len(self.sizes), keys % len(self.sizes)
        overlap = hits / self.sizes[question_ids]
        # best question per text: sort by (text, -overlap, question)
        best = np.lexsort((question_ids, -overlap, text_ids))
        first = np.r_[True, text_ids[best][1:] != text_ids[best][:-1]]
        for k in best[first]:
            if overlap[k] >= self.min_overlap:
                result[int(text_ids[k])] = (self.ids[question_ids[k]], round(float(overlap[k]), 3))
        return result


def _bit_filter(hashes: np.ndarray) -> np.ndarray:
    """A bit set over the low bits of ``hashes`` (about 16 bits per hash, at least 2^16 bits):
    a clear bit proves a hash is not in the index, so lookups skip the binary search."""
    bits = max(16, min(30, int(len(hashes) * 16).bit_length()))
    table = np.zeros(1 << (bits - 3), dtype=np.uint8)
    low = (hashes & np.uint64((1 << bits) - 1)).astype(np.int64)
    np.bitwise_or.at(table, low >> 3, (1 << (low & 7)).astype(np.uint8))
    return table


def _may_hold(table: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """Which ``hashes`` may be in the index the bit set was built from (no false negatives)."""
    low = (hashes & np.uint64(len(table) * 8 - 1)).astype(np.int64)
    return (table[low >> 3] >> (low & 7).astype(np.uint8)) & 1 == 1

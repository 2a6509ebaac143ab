"""Multinomial naive Bayes over character unigrams and hashed bigrams, for department labels.

Counts are plain integer tables, so partial counts from parallel workers add up exactly (the
fitted model does not depend on how the input was chunked). Memory: ``classes x 2**17`` int32
counts (~0.5 MB per class) however many records are fitted.
"""

from __future__ import annotations

import numpy as np

from dataprep.textutil import codepoints, sorted_unique

BUCKETS = 1 << 17


def features(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(text_index, bucket)`` of every character (bucket = its code point, BMP) and every
    character bigram (hashed into the upper half of the buckets) of every text."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    codes = codepoints("".join(texts)).astype(np.int64)
    owners = np.repeat(np.arange(len(texts)), lengths)
    same = owners[1:] == owners[:-1]
    unigrams = codes & 0xFFFF
    mixed = (codes[:-1] * 0x9E3779B1) ^ (codes[1:] * 0x85EBCA6B)
    bigrams = ((mixed >> 7) & 0xFFFF) | 0x10000
    return np.concatenate([owners, owners[:-1][same]]), np.concatenate([unigrams, bigrams[same]])


def sparse_counts(
    classes: np.ndarray, owners: np.ndarray, buckets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Flat ``class * BUCKETS + bucket`` keys and their counts for texts of known class."""
    keys, counts = np.unique(classes[owners] * BUCKETS + buckets, return_counts=True)
    return keys, counts


class CountTable:
    """Feature counts and document counts per class, filled from sparse partial counts."""

    def __init__(self, n_classes: int) -> None:
        self.features = np.zeros(n_classes * BUCKETS, dtype=np.int32)
        self.docs = np.zeros(n_classes, dtype=np.int64)

    def add(self, keys: np.ndarray, counts: np.ndarray, classes: np.ndarray) -> None:
        """Add one chunk: sparse feature counts and the class of each document in it."""
        np.add.at(self.features, keys, counts.astype(np.int32))
        self.docs += np.bincount(classes, minlength=len(self.docs))

    def plus(self, other: CountTable) -> CountTable:
        """A new table holding the sum of both."""
        total = CountTable(len(self.docs))
        total.features = self.features + other.features
        total.docs = self.docs + other.docs
        return total


class NaiveBayes:
    """Multinomial NB fitted from a :class:`CountTable`; predicts only classes it has seen."""

    def __init__(self, table: CountTable, alpha: float = 0.1) -> None:
        self.classes = np.flatnonzero(table.docs)
        counts = table.features.reshape(len(table.docs), BUCKETS)[self.classes].astype(np.float64)
        totals = counts.sum(axis=1, keepdims=True)
        log_prob = np.log((counts + alpha) / (totals + alpha * BUCKETS)).astype(np.float32)
        # stored bucket-major: a text's features gather whole rows (one cache line for all
        # classes) instead of one scattered value per class
        self.log_prob_by_bucket = np.ascontiguousarray(log_prob.T)
        docs = table.docs[self.classes]
        self.log_prior = np.log(docs / docs.sum()).astype(np.float32)

    def predict(self, texts: list[str]) -> np.ndarray:
        """The class code of each text."""
        return self.predict_confidence(texts)[0]

    def predict_confidence(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The class code of each text and a confidence: the log-likelihood margin of the best
        class over the runner-up per feature (so long and short texts compare)."""
        if not texts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return self._confidence(*self._scores(texts))

    def familiarity(self, texts: list[str]) -> np.ndarray:
        """The best class's log-likelihood per feature: low for texts unlike anything fitted
        (another department, another style), whatever the margin between classes says."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        return self._familiarity(*self._scores(texts))

    def predict_all(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``predict_confidence`` and ``familiarity`` of the texts, scored once."""
        if not texts:
            empty = np.zeros(0, dtype=np.float32)
            return np.zeros(0, dtype=np.int64), empty, empty
        scores, counts = self._scores(texts)
        return (*self._confidence(scores, counts), self._familiarity(scores, counts))

    def _confidence(self, scores: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        best = np.argmax(scores, axis=0)
        if len(self.classes) < 2:
            return self.classes[best], np.full(scores.shape[1], np.inf, dtype=np.float32)
        top2 = np.partition(scores, -2, axis=0)[-2:]
        margin = (top2[1] - top2[0]) / counts
        return self.classes[best], margin.astype(np.float32)

    @staticmethod
    def _familiarity(scores: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return (scores.max(axis=0) / counts).astype(np.float32)

    def _scores(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per-class log scores (classes x texts) and each text's feature count (at least 1)."""
        owners, buckets = features(texts)
        order = np.argsort(owners, kind="stable")
        owners, buckets = owners[order], buckets[order]
        scores = np.tile(self.log_prior[:, None], (1, len(texts)))
        present = sorted_unique(owners)
        starts = np.searchsorted(owners, present)
        # gathered by bucket, summed class-major as before (the same float sums, ~40% faster)
        gathered = np.ascontiguousarray(self.log_prob_by_bucket[buckets].T)
        sums = np.add.reduceat(gathered, starts, axis=1)
        scores[:, present] += sums
        return scores, np.maximum(np.bincount(owners, minlength=len(texts)), 1)

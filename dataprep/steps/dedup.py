"""Exact and near-duplicate removal, keeping the best record (highest quality) of each cluster.

Memory held per record by this global step: an 8-byte exact hash, a ``2 * num_perm``-byte
signature (256 B at the default 128 permutations) and a 4-byte score; during LSH, ~24 bytes per
record for the band being sorted. LSH candidates are checked by exact Jaccard of their shingle
sets, read back from the spool for at most ``VERIFY_BLOCK`` pairs at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import xxhash

from dataprep.minhash import (
    Verify,
    best_of_groups,
    connected_components,
    exact_jaccard,
    shingle_sets,
    similar_pairs,
)
from dataprep.steps.base import StepStats
from dataprep.textutil import MAX_NGRAM

_NOT_LETTERS = re.compile(r"[\W_]+")


@dataclass
class DedupParams:
    """``exact``: drop records whose normalised ``key`` text is identical; ``near``: MinHash-LSH
    over character ``ngram``-grams, clustering pairs with Jaccard ≥ ``threshold``. ``key``:
    "question" (one answer per question) or "qa" (question + answer; use it with a raw reader's
    ``answers: all``). ``bands``: LSH bands (default: chosen for the threshold)."""

    exact: bool = True
    near: bool = True
    threshold: float = 0.7
    ngram: int = 5
    num_perm: int = 128
    bands: int | None = None
    key: str = "question"

    def __post_init__(self) -> None:
        if self.key not in ("question", "qa"):
            raise ValueError("key must be 'question' or 'qa'")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        if not 1 <= self.ngram <= MAX_NGRAM:
            raise ValueError(f"ngram must be 1..{MAX_NGRAM}, not {self.ngram}")
        if self.num_perm < 1:
            raise ValueError(f"num_perm must be at least 1, not {self.num_perm}")
        if self.bands is not None and not 1 <= self.bands <= self.num_perm:
            raise ValueError("bands must be between 1 and num_perm")


def dedup_text(record: dict, key: str) -> str:
    """The text duplicates are judged on."""
    if key == "qa":
        return f"{record['question']}\n{record['answer']}"
    return record["question"]


def exact_hash(text: str) -> int:
    """64-bit hash of the text with case, spaces and punctuation removed."""
    return xxhash.xxh3_64_intdigest(_NOT_LETTERS.sub("", text).lower().encode("utf-8"))


@dataclass
class DedupResult:
    """Which records survive, and for each dropped one the record it duplicates."""

    keep: np.ndarray
    duplicate_of: np.ndarray
    reasons: np.ndarray  # 0 kept, 1 exact, 2 near


def deduplicate(
    alive: np.ndarray,
    hashes: np.ndarray,
    sig: np.ndarray,
    score: np.ndarray,
    params: DedupParams,
    stats: StepStats,
    verify: Verify | None = None,
    find_pairs=similar_pairs,
) -> DedupResult:
    """Drop exact then near duplicates among ``alive`` records (indices into the arrays);
    ``verify`` (exact Jaccard of record pairs) checks the LSH candidates, else estimates do.
    ``find_pairs``: minhash.similar_pairs or an executor's equivalent (same arguments)."""
    n = len(hashes)
    keep = np.zeros(n, dtype=bool)
    keep[alive] = True
    duplicate_of = np.full(n, -1, dtype=np.int64)
    reasons = np.zeros(n, dtype=np.int8)
    stats.seen += len(alive)
    if params.exact:
        _drop_groups(
            alive,
            np.unique(hashes[alive], return_inverse=True)[1],
            score,
            keep,
            duplicate_of,
            reasons,
            1,
        )
    if params.near:
        survivors = np.flatnonzero(keep)
        found = find_pairs(sig, params.threshold, params.bands, survivors, verify)
        labels = connected_components(len(survivors), found.pairs[:, 0], found.pairs[:, 1])
        _drop_groups(survivors, labels, score, keep, duplicate_of, reasons, 2)
        stats.counts.update(
            {
                "lsh_bands": found.bands,
                "lsh_rows": found.rows,
                "lsh_candidate_checks": found.candidates,
                "lsh_verified_pairs": len(found.pairs),
                "lsh_exact_checks": found.exact_checks,
            }
        )
    stats.drop("exact_duplicate", int((reasons == 1).sum()))
    stats.drop("near_duplicate", int((reasons == 2).sum()))
    stats.kept += int(keep.sum())
    return DedupResult(keep, duplicate_of, reasons)


def _drop_groups(members, labels, score, keep, duplicate_of, reasons, code) -> None:
    """Within each label group of ``members``, keep the best record and drop the others."""
    best = best_of_groups(labels, score[members])
    first_of_label = np.full(labels.max() + 1 if len(labels) else 0, -1, dtype=np.int64)
    first_of_label[labels[best]] = members[best]
    dropped = ~best
    keep[members[dropped]] = False
    duplicate_of[members[dropped]] = first_of_label[labels[dropped]]
    reasons[members[dropped]] = code


VERIFY_BLOCK = 20_000  # candidate pairs whose texts are held at once (≤ 40k shingle sets)


def spool_verifier(spool, key: str, ngram: int) -> Verify:
    """Exact Jaccard of record pairs (spool indices) on their ``key`` text's character
    ``ngram``-grams: the pairs are taken in blocks, each block's texts streamed from the spool."""

    def verify(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        out = np.empty(len(left), dtype=np.float32)
        for start in range(0, len(left), VERIFY_BLOCK):
            block = slice(start, start + VERIFY_BLOCK)
            wanted = np.zeros(spool.count, dtype=bool)
            wanted[left[block]] = wanted[right[block]] = True
            found = list(spool.records(wanted))
            sets = dict(
                zip(
                    (i for i, _ in found),
                    shingle_sets([dedup_text(r, key) for _, r in found], ngram),
                    strict=True,
                )
            )
            out[block] = exact_jaccard(
                [sets[int(i)] for i in left[block]], [sets[int(i)] for i in right[block]]
            )
        return out

    return verify

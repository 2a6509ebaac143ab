"""MinHash signatures and LSH near-duplicate clustering, vectorised with numpy.

Signatures: each text's character ``ngram``-shingles are hashed to 64 bits, and permutation k
maps a shingle hash h to ``(a_k*h + b_k) mod 2**64 >> 32`` (multiply-shift hashing); the
signature keeps the minimum per permutation, stored as its low 16 bits (b-bit MinHash: two
different minima collide with probability 2**-16, so the Jaccard estimate is off by < 0.0001).
A record costs ``2 * num_perm`` bytes (256 B at 128 permutations).

LSH: the signature is cut into ``bands`` bands of ``rows`` rows; records whose band keys are
equal in any band are candidates. Candidates come from sorting each band's keys (no Python
dicts, so memory stays ~24 bytes per record while a band is processed), are verified by their
estimated Jaccard band by band (or, given a ``verify`` function, kept when the estimate is
within ``margin`` of the threshold and then checked by exact Jaccard of the shingle sets: the
estimate's spread, ~0.04 at J = 0.7 with 128 permutations, otherwise drops borderline true
pairs), and verified pairs are merged into clusters (connected components).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dataprep.parallel import process_map
from dataprep.textutil import MAX_NGRAM, batch_ngram_hashes, mix64, sorted_unique

_BLOCK = 16  # permutations per vectorised block
_TEXTS_PER_BATCH = 128  # keeps the (permutations x shingles) block in cache-friendly sizes


class MinHasher:
    """b-bit (16) MinHash over character n-grams; deterministic for a given seed."""

    def __init__(self, num_perm: int = 128, ngram: int = 5, seed: int = 1) -> None:
        if not 1 <= ngram <= MAX_NGRAM:
            raise ValueError(f"ngram must be 1..{MAX_NGRAM}, not {ngram}")
        rng = np.random.default_rng(seed)
        self.num_perm, self.ngram = num_perm, ngram
        self.a = rng.integers(1, 2**63, num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self.b = rng.integers(0, 2**63, num_perm, dtype=np.uint64)

    def signatures(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), num_perm)`` uint16 signatures."""
        out = np.empty((len(texts), self.num_perm), dtype=np.uint16)
        for first in range(0, len(texts), _TEXTS_PER_BATCH):
            batch = texts[first : first + _TEXTS_PER_BATCH]
            out[first : first + len(batch)] = self._batch(batch).T
        return out

    def _batch(self, texts: list[str]) -> np.ndarray:
        """``(num_perm, len(texts))`` signatures. The minimum is taken over the full 64-bit
        ``a*h + b`` and shifted afterwards (``x >> 32`` is monotone, so the minimum of the
        shifted values is the shifted minimum): one pass over the block fewer."""
        hashes, starts, _ = batch_ngram_hashes(texts, self.ngram, pad_short=True)
        mins = np.empty((self.num_perm, len(texts)), dtype=np.uint64)
        values = np.empty((min(_BLOCK, self.num_perm), len(hashes)), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for first in range(0, self.num_perm, _BLOCK):
                a, b = self.a[first : first + _BLOCK, None], self.b[first : first + _BLOCK, None]
                block = values[: len(a)]
                np.multiply(a, hashes[None, :], out=block)
                block += b
                np.minimum.reduceat(block, starts, axis=1, out=mins[first : first + len(a)])
        mins >>= np.uint64(32)
        return mins.astype(np.uint16)


def estimate_jaccard(sig: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of record pairs ``(left[k], right[k])``."""
    out = np.empty(len(left), dtype=np.float32)
    step = max(1, 8_000_000 // max(sig.shape[1], 1))
    for start in range(0, len(left), step):
        end = start + step
        out[start:end] = (sig[left[start:end]] == sig[right[start:end]]).mean(axis=1)
    return out


def optimal_bands(threshold: float, num_perm: int, min_recall: float = 0.97) -> tuple[int, int]:
    """``(bands, rows)`` for LSH at ``threshold``: the fewest expected candidates below the
    threshold (area under the S-curve ``1 - (1 - s**rows)**bands`` on [0, threshold)) among
    the layouts that make a pair *at* the threshold a candidate with probability ≥
    ``min_recall``. Candidates are verified afterwards, so a candidate costs time, while a pair
    missed here is lost (datasketch's default, equal weights, finds 44% of pairs at 0.7)."""
    grid = np.linspace(0.0, threshold, 201)
    best, best_cost, fallback = None, float("inf"), (1, num_perm, -1.0)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        at_threshold = 1.0 - (1.0 - threshold**rows) ** bands
        if at_threshold > fallback[2]:
            fallback = (bands, rows, at_threshold)
        if at_threshold < min_recall:
            continue
        cost = np.trapezoid(1.0 - (1.0 - grid**rows) ** bands, grid)
        if cost < best_cost:
            best, best_cost = (bands, rows), cost
    return best or fallback[:2]


def _band_keys(sig: np.ndarray, start: int, rows: int, members: np.ndarray) -> np.ndarray:
    band = sig[members, start : start + rows]  # one gather per band, not one per row
    acc = np.zeros(len(members), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for col in range(rows):
            acc *= np.uint64(0x10001)
            acc += band[:, col]
    return mix64(acc)


def band_candidates(keys: np.ndarray, span: int = 16) -> np.ndarray:
    """Candidate pairs ``(i, j)``, i < j, from one band's keys: all pairs within buckets of up
    to ``span + 1`` records; in bigger buckets (boilerplate shingles make them) each record is
    paired with the next one only, so the work stays linear — verification and clustering
    still join a bucket of real near-copies into one cluster."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    small = np.repeat(sizes <= span + 1, sizes)
    found = []
    for gap in range(1, span + 1):
        same = ordered[gap:] == ordered[:-gap]
        if gap > 1:
            same &= small[gap:]
        if not same.any():
            break
        left, right = order[:-gap][same], order[gap:][same]
        found.append(np.stack([np.minimum(left, right), np.maximum(left, right)], axis=1))
    return np.concatenate(found) if found else np.zeros((0, 2), dtype=np.int64)


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component label (its smallest member index) of each of ``n`` nodes given edges."""
    parent = np.arange(n, dtype=np.int64)
    while True:
        root_l, root_r = parent[left], parent[right]
        low, high = np.minimum(root_l, root_r), np.maximum(root_l, root_r)
        differ = low != high
        if not differ.any():
            return parent
        np.minimum.at(parent, high[differ], low[differ])
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped


@dataclass
class SimilarPairs:
    """Verified near-duplicate pairs ``(n, 2)`` and the LSH work done, for stats."""

    pairs: np.ndarray
    candidates: int  # candidate checks, summed over bands
    bands: int
    rows: int
    exact_checks: int = 0  # pairs checked by exact Jaccard (0: estimates only)


Verify = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (left, right) -> exact Jaccard


def similar_pairs(
    sig: np.ndarray,
    threshold: float,
    bands: int | None = None,
    members: np.ndarray | None = None,
    verify: Verify | None = None,
    margin: float = 0.15,
    workers: int = 1,
) -> SimilarPairs:
    """Pairs of records (positions in ``members``, default all rows of ``sig``) whose Jaccard
    similarity is at least ``threshold``: estimated from the signatures, or, with ``verify``
    (called with row indices of ``sig``), exact for every candidate whose estimate is at least
    ``threshold - margin``. Each band's candidates are screened at once, so memory holds one
    band's candidates plus the screened pairs, never all candidates. ``workers`` processes of
    this machine (forked: they share ``sig``) band in parallel; the result does not depend on
    how many."""
    num_perm = sig.shape[1]
    if bands is None:
        bands, rows = optimal_bands(threshold, num_perm)
    else:
        rows = num_perm // bands
    members = np.arange(len(sig)) if members is None else members
    screen = threshold - margin if verify is not None else threshold
    banding = (sig, members, rows, screen)
    verified, checked = [], 0
    try:
        for pairs, candidates in process_map(
            _screened_band, range(bands), min(workers, bands), _set_banding, (banding,)
        ):
            checked += candidates
            if candidates:
                verified.append(pairs)
    finally:
        _set_banding(None)
    if not verified:
        return SimilarPairs(np.zeros((0, 2), dtype=np.int64), checked, bands, rows)
    flat = sorted_unique(np.concatenate([p[:, 0] * len(members) + p[:, 1] for p in verified]))
    pairs = np.stack([flat // len(members), flat % len(members)], axis=1)
    if verify is None:
        return SimilarPairs(pairs, checked, bands, rows)
    exact = verify(members[pairs[:, 0]], members[pairs[:, 1]])
    return SimilarPairs(pairs[exact >= threshold], checked, bands, rows, len(pairs))


_BANDING: tuple | None = None  # (sig, members, rows, screen) of the similar_pairs call running


def _set_banding(banding: tuple | None) -> None:
    global _BANDING
    _BANDING = banding


def _screened_band(band: int) -> tuple[np.ndarray, int]:
    """One band's candidate pairs whose estimated similarity passes the screen, and how many
    candidates it had."""
    sig, members, rows, screen = _BANDING
    pairs = band_candidates(_band_keys(sig, band * rows, rows, members))
    if not len(pairs):
        return pairs, 0
    similar = estimate_jaccard(sig, members[pairs[:, 0]], members[pairs[:, 1]])
    return pairs[similar >= screen], len(pairs)


def shingle_sets(texts: list[str], ngram: int) -> list[np.ndarray]:
    """Each text's distinct character ``ngram``-gram hashes (low 32 bits, sorted): the sets
    the signatures estimate, for exact Jaccard (short texts padded as in the signatures)."""
    hashes, starts, counts = batch_ngram_hashes(texts, ngram, pad_short=True)
    low = hashes.astype(np.uint32)
    return [sorted_unique(low[s : s + c]) for s, c in zip(starts, counts, strict=True)]


def exact_jaccard(left: list[np.ndarray], right: list[np.ndarray]) -> np.ndarray:
    """Jaccard similarity of each pair of shingle sets (from :func:`shingle_sets`)."""
    out = np.empty(len(left), dtype=np.float32)
    for k, (a, b) in enumerate(zip(left, right, strict=True)):
        inter = len(np.intersect1d(a, b, assume_unique=True))
        out[k] = inter / (len(a) + len(b) - inter) if len(a) + len(b) else 1.0
    return out


def cluster(sig: np.ndarray, threshold: float, bands: int | None = None) -> np.ndarray:
    """Near-duplicate cluster label of each record (connected components of similar pairs)."""
    found = similar_pairs(sig, threshold, bands)
    return connected_components(len(sig), found.pairs[:, 0], found.pairs[:, 1])


def best_of_groups(labels: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Boolean mask of the record kept per group: highest score, then lowest index."""
    index = np.arange(len(labels))
    order = np.lexsort((index, -score, labels))
    first = np.ones(len(order), dtype=bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    keep = np.zeros(len(labels), dtype=bool)
    keep[order[first]] = True
    return keep

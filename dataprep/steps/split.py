"""Leakage-safe, stratified, deterministic train/val/test splits and nested scale subsets.

Records are first joined into groups that must share a split: near-duplicate questions
(MinHash-LSH at ``group_threshold``, looser than dedup's threshold), identical normalised
questions and records from the same source question (``meta.group``, e.g. several doctors'
answers). Groups are then dealt to splits per stratum (department), in an order fixed by the
seed, each going to the split furthest below its target share — so every department is split
in the requested ratios and no group ever straddles two splits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dataprep.minhash import connected_components, similar_pairs
from dataprep.textutil import mix64


@dataclass
class SplitParams:
    """``ratios``: split name → share (train, val, test; renormalised); ``stratify``: "top"
    (top-level department), "department" (full path) or "none"; ``group_threshold``: question
    similarity that puts records in one group (null: only identical questions and shared
    ``meta.group``); ``subsets``: nested train subsets, sizes (10000) or fractions (0.25)."""

    ratios: dict[str, float] = field(
        default_factory=lambda: {"train": 0.9, "val": 0.05, "test": 0.05}
    )
    stratify: str = "top"
    group_threshold: float | None = 0.5
    subsets: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if set(self.ratios) - {"train", "val", "test"} or "train" not in self.ratios:
            raise ValueError("ratios: use the names train, val, test (train required)")
        if any(v < 0 for v in self.ratios.values()) or sum(self.ratios.values()) <= 0:
            raise ValueError("ratios must be non-negative and not all zero")
        if self.stratify not in ("top", "department", "none"):
            raise ValueError("stratify must be top, department or none")
        for size in self.subsets:
            if size <= 0 or (size >= 1 and size != int(size)):
                raise ValueError(f"subsets: {size} is neither a count nor a fraction in (0, 1)")


SPLITS = ("train", "val", "test")


def leakage_groups(
    qsig: np.ndarray | None,
    members: np.ndarray,
    qhash: np.ndarray,
    group_key: np.ndarray,
    threshold: float | None,
    find_pairs=similar_pairs,
) -> tuple[np.ndarray, int]:
    """Group label per member record (rows ``members`` of ``qsig``; ``qhash`` and
    ``group_key`` are already per member) and the number of similar-question pairs found
    (``find_pairs``: minhash.similar_pairs or an executor's equivalent)."""
    n = len(qhash)
    edges = [_equal_neighbours(qhash), _equal_neighbours(group_key, skip_zero=True)]
    similar = 0
    if threshold is not None and qsig is not None and n > 1:
        found = find_pairs(qsig, threshold, None, members)
        edges.append(found.pairs)
        similar = len(found.pairs)
    pairs = np.concatenate(edges)
    return connected_components(n, pairs[:, 0], pairs[:, 1]), similar


def _equal_neighbours(values: np.ndarray, skip_zero: bool = False) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    same = ordered[1:] == ordered[:-1]
    if skip_zero:
        same &= ordered[1:] != 0
    return np.stack([order[:-1][same], order[1:][same]], axis=1)


def assign_splits(
    groups: np.ndarray, strata: np.ndarray, order_key: np.ndarray, ratios: dict[str, float]
) -> np.ndarray:
    """Split code (index into :data:`SPLITS`) per record; whole groups go to one split."""
    weights = [float(ratios.get(name, 0.0)) for name in SPLITS]
    total = sum(weights)
    targets = [w / total for w in weights]
    labels, first, sizes = np.unique(groups, return_index=True, return_counts=True)
    group_stratum = strata[first]
    group_order = order_key[first]
    sequence = np.lexsort((group_order, group_stratum))
    picks = _deal(targets, sizes[sequence].tolist(), group_stratum[sequence].tolist())
    chosen = np.zeros(len(labels), dtype=np.int8)
    chosen[sequence] = picks
    return chosen[np.searchsorted(labels, groups)]


def _deal(targets: list[float], sizes: list[int], strata: list) -> list[int]:
    """Greedy dealing of groups (in order) within each stratum: each group goes to the split
    furthest below its target share of what has been placed (ties: the earlier split)."""
    t0, t1, t2 = targets
    picks = []
    c0 = c1 = c2 = placed = 0
    current = object()
    for size, stratum in zip(sizes, strata, strict=True):
        if stratum != current:
            c0 = c1 = c2 = placed = 0
            current = stratum
        placed += size
        d0, d1, d2 = t0 * placed - c0, t1 * placed - c1, t2 * placed - c2
        if d0 >= d1 and d0 >= d2:
            c0 += size
            picks.append(0)
        elif d1 >= d2:
            c1 += size
            picks.append(1)
        else:
            c2 += size
            picks.append(2)
    return picks


def subset_order(strata: np.ndarray, order_key: np.ndarray) -> np.ndarray:
    """Rank of each train record in the nested-subset order: a subset of size k is the records
    ranked below k. Each stratum is spread evenly over the order (fractional rank within its
    stratum), so every prefix keeps the department mix."""
    n = len(strata)
    within = np.lexsort((order_key, strata))
    stratum_sorted = strata[within]
    starts = np.flatnonzero(np.r_[True, stratum_sorted[1:] != stratum_sorted[:-1]])
    sizes = np.diff(np.r_[starts, n])
    position = np.arange(n) - np.repeat(starts, sizes)
    fraction = np.empty(n)
    fraction[within] = (position + 0.5) / np.repeat(sizes, sizes)
    ranks = np.empty(n, dtype=np.int64)
    ranks[np.lexsort((order_key, fraction))] = np.arange(n)
    return ranks


def subset_sizes(subsets: list[float], n_train: int) -> list[tuple[str, int]]:
    """``(suffix, size)`` of each requested subset that is smaller than the train split."""
    out = {}
    for value in subsets:
        size = int(round(value * n_train)) if value < 1 else int(value)
        if 0 < size < n_train:
            out.setdefault(subset_name(value), size)
    return sorted(out.items(), key=lambda item: (item[1], item[0]))


def subset_name(value: float) -> str:
    """``train_10k``-style suffix: ``10k`` for 10000, ``2500`` for 2500, ``25pct`` for 0.25."""
    if value < 1:
        return f"{round(value * 100, 2):g}pct"
    size = int(value)
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


def order_keys(id_hashes: np.ndarray, seed: int) -> np.ndarray:
    """A seeded pseudo-random order over records, stable for a record's id."""
    return mix64(id_hashes ^ np.uint64(seed * 0x9E3779B97F4A7C15 % 2**64))

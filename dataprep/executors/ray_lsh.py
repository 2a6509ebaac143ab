"""LSH near-duplicate pairs over a signature column held on a Ray cluster, partitioned by band
key: the same pairs, counts and verification as minhash.similar_pairs, without the signatures
ever reaching the driver.

1. One task per run of consecutive signature pieces (where pass 1 left them) computes its
   members' band keys and sends each (band, key, position) to partition ``key % parts``
   (``parts``: the cluster's CPUs, more for large inputs so a partition task stays bounded).
2. One task per partition finds each band's candidates among its keys (a bucket is whole in
   one partition, and positions arrive in order, so band_candidates picks the same pairs),
   screens them by estimated Jaccard on signature rows it fetches from the pieces, and sends
   each screened pair to partition ``mix64(pair) % parts``.
3. One task per pair partition drops pairs found in several bands and verifies the rest
   (exact Jaccard from the spool when given ``verify``).

The driver only sums counts and joins the verified pairs, which one union-find then merges.
Memory per partition task: ~28 bytes per (record, band) it receives, plus its candidates.
"""

from __future__ import annotations

import numpy as np
import ray

from dataprep.columns import ChunkedColumn
from dataprep.minhash import (
    SimilarPairs,
    Verify,
    _band_keys,
    band_candidates,
    estimate_jaccard,
    optimal_bands,
)
from dataprep.textutil import mix64

MARGIN = 0.15  # as minhash.similar_pairs: exact checks for estimates within this of the threshold
PIECES_PER_TASK = 16  # signature pieces (~700 records each) banded by one task
RECORDS_PER_PARTITION = 250_000  # more partitions than CPUs past this: bounded task memory


def similar_pairs(
    sig: ChunkedColumn,
    threshold: float,
    bands: int | None,
    members: np.ndarray | None,
    verify: Verify | None,
    parts: int,
) -> SimilarPairs:
    """Pairs of positions in ``members`` (global row indices, ascending; None: all rows)."""
    if bands is None:
        bands, rows = optimal_bands(threshold, sig.width)
    else:
        rows = sig.width // bands
    members = np.arange(len(sig)) if members is None else np.asarray(members, dtype=np.int64)
    if len(members) > 1 and (np.diff(members) <= 0).any():
        raise ValueError("members must be ascending row indices")
    n, screen = len(members), threshold - MARGIN if verify is not None else threshold
    parts = max(parts, -(-n // RECORDS_PER_PARTITION))
    banded = []
    for first in range(0, len(sig.refs), PIECES_PER_TASK):
        group = slice(first, first + PIECES_PER_TASK)
        start = int(sig.starts[first])
        end = int(sig.starts[group][-1] + sig.rows[group][-1])
        lo, hi = np.searchsorted(members, [start, end])
        if hi > lo:
            out = _band_pieces.options(num_returns=parts).remote(
                start, members[lo:hi], int(lo), (bands, rows), parts, *sig.refs[group]
            )
            banded.append(out if parts > 1 else [out])
    if not banded:
        return SimilarPairs(np.zeros((0, 2), dtype=np.int64), 0, bands, rows)
    screened = []
    for p in range(parts):
        screened.append(
            _screen.options(num_returns=parts + 1).remote(
                [sig.refs], sig.starts, n, bands, screen, parts, *[piece[p] for piece in banded]
            )
        )
    checked = sum(ray.get([outs[0] for outs in screened]))
    verified = [
        _verify.remote(verify, threshold, n, *[outs[1 + q] for outs in screened])
        for q in range(parts)
    ]
    found = ray.get(verified)
    codes = np.sort(np.concatenate([codes for codes, _ in found]))
    pairs = np.stack([codes // n, codes % n], axis=1) if len(codes) else np.zeros((0, 2), np.int64)
    if verify is None:
        return SimilarPairs(pairs, checked, bands, rows)
    return SimilarPairs(pairs, checked, bands, rows, sum(checks for _, checks in found))


@ray.remote
def _band_pieces(start, members, first, layout, parts, *blocks):
    """Band keys of the members in consecutive signature pieces, split by partition."""
    bands, rows = layout
    block = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
    local = members - start
    positions = first + np.arange(len(members), dtype=np.int64)
    out = [([], [], [], []) for _ in range(parts)]
    for band in range(bands):
        keys = _band_keys(block, band * rows, rows, local)
        part = (keys % np.uint64(parts)).astype(np.int64)
        for p in range(parts):
            chosen = part == p
            out[p][0].append(np.full(int(chosen.sum()), band, dtype=np.int32))
            out[p][1].append(keys[chosen])
            out[p][2].append(positions[chosen])
            out[p][3].append(members[chosen])
    pieces = tuple(tuple(np.concatenate(column) for column in piece) for piece in out)
    return pieces if parts > 1 else pieces[0]


@ray.remote
def _screen(box, starts, n, bands, screen, parts, *pieces):
    """One band-key partition: candidates per band, screened by estimated Jaccard."""
    band, keys, positions, rows = (np.concatenate(column) for column in zip(*pieces, strict=True))
    left, right, checked = [], [], 0
    for b in range(bands):
        chosen = np.flatnonzero(band == b)
        pairs = band_candidates(keys[chosen])
        checked += len(pairs)
        left.append(chosen[pairs[:, 0]])
        right.append(chosen[pairs[:, 1]])
    left, right = np.concatenate(left), np.concatenate(right)
    rows_l, rows_r = rows[left], rows[right]
    need = np.unique(np.concatenate([rows_l, rows_r]))
    matrix = _gather(box[0], starts, need)
    similar = estimate_jaccard(matrix, np.searchsorted(need, rows_l), np.searchsorted(need, rows_r))
    passed = similar >= screen
    codes = positions[left][passed] * n + positions[right][passed]
    codes, first = np.unique(codes, return_index=True)
    rows_l, rows_r = rows_l[passed][first], rows_r[passed][first]
    part = (mix64(codes.astype(np.uint64)) % np.uint64(parts)).astype(np.int64)
    out = [(codes[part == q], rows_l[part == q], rows_r[part == q]) for q in range(parts)]
    return (checked, *out)


def _gather(refs, starts: np.ndarray, need: np.ndarray) -> np.ndarray:
    """Signature rows ``need`` (ascending global indices), fetched from the pieces that hold
    them."""
    block = np.searchsorted(starts, need, side="right") - 1
    matrix = None
    for b in np.unique(block).tolist():
        piece = ray.get(refs[b])
        if matrix is None:
            matrix = np.empty((len(need), piece.shape[1]), dtype=piece.dtype)
        chosen = block == b
        matrix[chosen] = piece[need[chosen] - starts[b]]
    return matrix if matrix is not None else np.zeros((0, 1), dtype=np.uint16)


@ray.remote
def _verify(verify, threshold, n, *parts):
    """One pair partition: each pair once, verified by exact Jaccard when ``verify`` is set."""
    codes, rows_l, rows_r = (np.concatenate(column) for column in zip(*parts, strict=True))
    codes, first = np.unique(codes, return_index=True)
    if verify is None:
        return codes, len(codes)
    if not len(codes):
        return codes, 0
    exact = verify(rows_l[first], rows_r[first])
    return codes[exact >= threshold], len(codes)

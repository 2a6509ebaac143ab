"""Finding the taxonomy's keywords in texts: leftmost-longest, non-overlapping matches (what a
regex alternation of the words sorted longest first finds), for a whole batch of texts at once.

Python's regex engine pays about a microsecond at every position whose character starts some
keyword (60 CPU-µs for a 200-character consultation against 700 words). Here every window of
every keyword length gets a 64-bit polynomial hash in numpy, a bitmap of the keywords' hashes
picks the few windows that may be words, their full hashes must be a keyword's, and only the
longest at each position is compared as a string.
"""

from __future__ import annotations

import re

import numpy as np

from dataprep.textutil import codepoints, sorted_isin

_MULTIPLIER = np.uint64(0x100000001B3)
_BITS = 18
_MASK = (1 << _BITS) - 1


class KeywordMatcher:
    """``find(text)`` → ``[(start, word), …]`` in text order, as ``regex().finditer`` gives."""

    def __init__(self, words: list[str]) -> None:
        self.words = frozenset(words)
        self.lengths = sorted({len(w) for w in self.words})
        self.bitmaps: dict[int, np.ndarray] = {}
        self.hashes: dict[int, np.ndarray] = {}
        for length in self.lengths:
            hashes = np.array(sorted(_hash(w) for w in self.words if len(w) == length), np.uint64)
            bitmap = np.zeros(_MASK + 1, dtype=bool)
            bitmap[(hashes & _MASK).view(np.int64)] = True
            self.bitmaps[length], self.hashes[length] = bitmap, hashes

    def regex(self) -> re.Pattern:
        """The equivalent regex (a prefix trie of the words), the reference for ``find``."""
        return re.compile(_trie(sorted(self.words)))

    def find(self, text: str) -> list[tuple[int, str]]:
        """The leftmost-longest non-overlapping keyword matches of ``text``."""
        if not text or not self.words:
            return []
        codes = codepoints(text).astype(np.uint64)
        starts, lengths = [], []
        window = np.zeros(len(codes), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for length in range(1, self.lengths[-1] + 1):
                if length > len(codes):
                    break
                window = window[: len(codes) - length + 1] * _MULTIPLIER + codes[length - 1 :]
                if length in self.bitmaps:
                    hit = np.flatnonzero(self.bitmaps[length][(window & _MASK).view(np.int64)])
                    hit = hit[sorted_isin(window[hit], self.hashes[length])]
                    starts.append(hit)
                    lengths.append(np.full(len(hit), length))
        if not starts:
            return []
        start, length = np.concatenate(starts), np.concatenate(lengths)
        order = np.lexsort((-length, start))  # by position, the longest first
        start, length = start[order], length[order]
        first = np.ones(len(start), dtype=bool)
        first[1:] = start[1:] != start[:-1]  # the longest word at each position
        found, free = [], 0
        for at, size in zip(start[first].tolist(), length[first].tolist(), strict=True):
            if at >= free:
                word = text[at : at + size]
                if word in self.words:  # a 64-bit hash collision would fail here
                    found.append((at, word))
                    free = at + size
        return found


def _hash(word: str) -> int:
    value = 0
    for char in word:
        value = (value * int(_MULTIPLIER) + ord(char)) & 0xFFFFFFFFFFFFFFFF
    return value


def _trie(words: list[str]) -> str:
    tree: dict = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _branch(tree)


def _branch(node: dict) -> str:
    ends = "" in node
    parts = [re.escape(c) + _branch(child) for c, child in sorted(node.items()) if c]
    if not parts:
        return ""
    body = parts[0] if len(parts) == 1 and len(parts[0]) == 1 else "(?:" + "|".join(parts) + ")"
    return body + "?" if ends else body

"""Scoring one question's answers and pairing them: chosen beats rejected by a clear margin."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from dataprep.preference.params import PairsParams
from dataprep.steps.quality import content_chars


@dataclass(frozen=True)
class Answer:
    """One cleaned answer of a question and the signals it is scored by."""

    text: str
    accepted: bool = False
    likes: int = 0
    quality: float | None = None


@dataclass(frozen=True)
class Pair:
    """A preference pair: ``chosen`` scored ``margin`` higher than ``rejected``."""

    chosen: Answer
    rejected: Answer
    margin: float
    chosen_score: float
    rejected_score: float

    @property
    def length_ratio(self) -> float:
        """len(chosen) / len(rejected) in characters."""
        return len(self.chosen.text) / max(1, len(self.rejected.text))


def answer_score(answer: Answer, params: PairsParams) -> float:
    """The answer's score (see :class:`PairsParams`)."""
    score = params.accepted_bonus * answer.accepted
    score += params.likes_weight * round(math.log2(1 + max(0, answer.likes)))
    if params.length_weight:
        score += params.length_weight * min(content_chars(answer.text), 400) / 400
    if params.quality_weight and answer.quality is not None:
        score += params.quality_weight * answer.quality
    return round(score, 6)


def jaccard(left: str, right: str, n: int) -> float:
    """Jaccard similarity of the character ``n``-gram sets of two texts (a text shorter than
    ``n`` is one gram: itself)."""
    a, b = gram_sets([left, right], n)
    return set_jaccard(a, b)


def gram_sets(texts: list[str], n: int) -> list[set[str]]:
    """Each text's distinct character ``n``-grams (a text shorter than ``n`` is one gram of its
    whole length). Python sets of slices: a question's few answers cost ~27 µs this way, five
    times less than hashing them in one numpy pass (per-call overhead dominates)."""
    out: list[set[str]] = []
    for text in texts:
        size = len(text)
        if size >= n:
            out.append({text[k : k + n] for k in range(size - n + 1)})
        else:
            out.append({text} if size else set())
    return out


def set_jaccard(a: set[str], b: set[str]) -> float:
    """|a ∩ b| / |a ∪ b| of two gram sets (1.0 when both are empty)."""
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def question_pairs(answers: list[Answer], params: PairsParams, drops: Counter) -> list[Pair]:
    """Pairs within one question's answers, widest margin first, at most
    ``max_pairs_per_question``; why an answer pair was not kept is counted in ``drops``
    (``tie``, ``near_duplicate``, ``over_cap``)."""
    scores = [answer_score(a, params) for a in answers]
    found: list[tuple[float, int, int]] = []
    grams: list[set[str]] = []  # computed for all answers at the first pair that needs them
    for i, j in combinations(range(len(answers)), 2):
        if scores[i] < scores[j]:
            i, j = j, i
        margin = scores[i] - scores[j]
        if margin < params.min_margin - 1e-9:
            drops["tie"] += 1
            continue
        if not grams:
            grams = gram_sets([a.text for a in answers], params.ngram)
        if set_jaccard(grams[i], grams[j]) >= params.near_duplicate:
            drops["near_duplicate"] += 1
        else:
            found.append((margin, i, j))
    found.sort(key=lambda item: (-item[0], item[1], item[2]))
    kept = found[: params.max_pairs_per_question]
    if len(found) > len(kept):
        drops["over_cap"] += len(found) - len(kept)
    return [
        Pair(answers[i], answers[j], round(margin, 6), scores[i], scores[j])
        for margin, i, j in kept
    ]


def balance_mask(ratios: np.ndarray) -> np.ndarray:
    """Which pairs to keep so that chosen is longer in at most half of them: the pairs where
    chosen is longer are dropped, most length-biased (highest ratio) first."""
    keep = np.ones(len(ratios), dtype=bool)
    longer = np.flatnonzero(ratios > 1)
    excess = len(longer) - (len(ratios) - len(longer))
    if excess > 0:
        order = longer[np.argsort(-ratios[longer], kind="stable")]
        keep[order[:excess]] = False
    return keep

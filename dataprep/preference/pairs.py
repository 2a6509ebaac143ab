"""Scoring one question's answers and pairing them: chosen beats rejected by a clear margin."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from dataprep.preference.params import PairsParams
from dataprep.steps.quality import content_chars
from dataprep.textutil import codepoints, ngram_hashes


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
    """Jaccard similarity of the character ``n``-gram sets of two texts."""
    a = set(ngram_hashes(codepoints(left), n, short_whole=True).tolist())
    b = set(ngram_hashes(codepoints(right), n, short_whole=True).tolist())
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def question_pairs(answers: list[Answer], params: PairsParams, drops: Counter) -> list[Pair]:
    """Pairs within one question's answers, widest margin first, at most
    ``max_pairs_per_question``; why an answer pair was not kept is counted in ``drops``
    (``tie``, ``near_duplicate``, ``over_cap``)."""
    scores = [answer_score(a, params) for a in answers]
    found: list[tuple[float, int, int]] = []
    for i, j in combinations(range(len(answers)), 2):
        if scores[i] < scores[j]:
            i, j = j, i
        margin = scores[i] - scores[j]
        if margin < params.min_margin - 1e-9:
            drops["tie"] += 1
        elif jaccard(answers[i].text, answers[j].text, params.ngram) >= params.near_duplicate:
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

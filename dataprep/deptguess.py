"""Departments for unlabelled records: the run's naive Bayes where it is confident, the
taxonomy's keyword prior where the classifier cannot know the department (it predicts only
classes the labelled inputs had), and no department otherwise.

For each text: the keyword prior's top-level department (most weighted distinct keyword hits;
none on a tie) and the classifier's guess with its confidence. They agree → the classifier's
(sub-)department; the prior names a top level the classifier never saw → that top level; they
disagree otherwise → the classifier's if it is confident, else the prior's; no prior → the
classifier's if confident, else none. The confidence threshold is calibrated on held-out
labelled records (see :func:`calibrate`). The margin between classes says nothing about a text
unlike every class (out of distribution the in-distribution threshold almost never abstains),
so with no prior a text must also be ``familiar``: its per-feature likelihood at least the
floor that nearly all held-out labelled texts reach (see :func:`familiarity_floor`).
"""

from __future__ import annotations

import re

import numpy as np

from dataprep.classifier import NaiveBayes
from dataprep.taxonomy import Taxonomy

ABSTAIN = -1


class KeywordPrior:
    """Top-level department from the taxonomy's ``keywords`` (weighted distinct hits)."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.owner: dict[str, int] = {}
        for code, words in taxonomy.keywords.items():
            for word in words:
                self.owner.setdefault(word, code)
        self.weight = taxonomy.keyword_weight
        words = sorted(self.owner, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, words))) if words else None

    def top(self, text: str) -> int:
        """The top-level code the text's keywords point at, ABSTAIN if none or a tie."""
        if self.pattern is None:
            return ABSTAIN
        score: dict[int, float] = {}
        for word in set(self.pattern.findall(text)):
            code = self.owner[word]
            score[code] = score.get(code, 0.0) + self.weight.get(code, 1.0)
        if not score:
            return ABSTAIN
        ranked = sorted(score.items(), key=lambda item: -item[1])
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            return ABSTAIN
        return ranked[0][0]


class DepartmentGuesser:
    """``predict(texts)`` → department codes, ABSTAIN where there is no confident guess."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        model: NaiveBayes | None,
        threshold: float = np.inf,
        familiar: float = -np.inf,
    ) -> None:
        self.prior = KeywordPrior(taxonomy)
        self.model, self.threshold, self.familiar = model, threshold, familiar
        self.tops = np.array([taxonomy.top(c) for c in range(len(taxonomy.paths))])
        seen = model.classes if model is not None else []
        self.seen_tops = {int(self.tops[c]) for c in seen}

    def predict(self, texts: list[str]) -> np.ndarray:
        prior = np.array([self.prior.top(t) for t in texts], dtype=np.int64)
        if self.model is None:
            return prior
        has_prior = prior != ABSTAIN
        if np.isfinite(self.familiar):  # both from one scoring pass
            codes, confidence, familiarity = self.model.predict_all(texts)
            sure = (confidence >= self.threshold) & (has_prior | (familiarity >= self.familiar))
        else:
            codes, confidence = self.model.predict_confidence(texts)
            sure = confidence >= self.threshold
        out = np.where(sure, codes, ABSTAIN)
        agree = has_prior & (self.tops[codes] == prior)
        unseen = has_prior & ~np.isin(prior, list(self.seen_tops))
        out[agree] = codes[agree]
        use_prior = has_prior & ~agree & (unseen | ~sure)
        out[use_prior] = prior[use_prior]
        return out


class Confidence:
    """A model wrapper whose ``predict`` gives the confidence (for the spool workers)."""

    def __init__(self, model: NaiveBayes) -> None:
        self.model = model

    def predict(self, texts: list[str]) -> np.ndarray:
        return self.model.predict_confidence(texts)[1]


class AllScores(Confidence):
    """A model wrapper whose ``predict`` gives one row per text: class code, confidence and
    familiarity (float64 columns, exact for all three), from one scoring pass."""

    def predict(self, texts: list[str]) -> np.ndarray:
        codes, confidence, familiarity = self.model.predict_all(texts)
        return np.column_stack([codes, confidence, familiarity]).astype(np.float64)


def split_scores(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The code, confidence and familiarity columns of :class:`AllScores` rows."""
    rows = rows.reshape(-1, 3)
    return rows[:, 0].astype(np.int64), rows[:, 1].astype(np.float32), rows[:, 2].astype(np.float32)


def familiarity_floor(familiarity: np.ndarray, share: float) -> float:
    """The familiarity that all but ``share`` of these held-out labelled texts reach
    (-inf: no texts, or ``share`` 0, so nothing is unfamiliar)."""
    if not len(familiarity) or share <= 0:
        return float("-inf")
    return float(np.quantile(familiarity, share))


def calibrate(confidence: np.ndarray, correct: np.ndarray, precision: float) -> float:
    """The lowest confidence at or above which the classifier's guesses are right at least
    ``precision`` of the time on these held-out records (inf: never)."""
    if not len(confidence):
        return float("inf")
    order = np.argsort(-confidence, kind="stable")
    running = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    good = np.flatnonzero(running >= precision)
    if not len(good):
        return float("inf")
    return float(confidence[order][good[-1]])

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
floor that nearly all held-out labelled texts reach (see :func:`familiarity_floor`). A
classifier fitted on one top level only (say, a 内科 sample's sub-departments) has never had
to tell top levels apart: out of distribution its guess on a text without keyword evidence is
that one top level whatever the text says (on CMtMedQA's development half 4 of the 26 questions
without keyword evidence were 内科), so such texts abstain; it still picks the sub-department
where the prior agrees.
"""

from __future__ import annotations

import re

import numpy as np

from dataprep.classifier import NaiveBayes
from dataprep.taxonomy import Taxonomy
from dataprep.taxonomy_match import KeywordMatcher

ABSTAIN = -1


class KeywordPrior:
    """Top-level department from the taxonomy's ``keywords`` and stated ages.

    A department scores its ``keyword_weight`` per distinct keyword found (and once more when
    the text states an age below its ``age_below``). A ``population`` department (who the
    patient is: a child, a pregnancy) outranks any department of lower weight however many of
    its words match, so 宝宝咳嗽发烧 is 儿科 while 孩子流鼻血 stays with the organ's department
    when their weights are equal; otherwise the higher score wins and a tie abstains.
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.owner: dict[str, int] = {}
        for code, words in taxonomy.keywords.items():
            for word in words:
                self.owner.setdefault(word, code)
        self.weight = taxonomy.keyword_weight
        self.population = taxonomy.population
        self.age_below = taxonomy.age_below
        # the keyword matcher; None switches the prior off
        self.pattern = KeywordMatcher(list(self.owner)) if self.owner else None

    def top(self, text: str) -> int:
        """The top-level code the text's keywords point at, ABSTAIN if none or a tie (or when
        the prior is switched off: no pattern)."""
        return int(self.tops([text])[0])

    def tops(self, texts: list[str]) -> np.ndarray:
        """:meth:`top` of each text, the keywords of all of them matched in one pass."""
        out = np.full(len(texts), ABSTAIN, dtype=np.int64)
        if self.pattern is None or not texts:
            return out
        joined = "\n".join(texts)  # a newline ends a clause and is in no keyword
        starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
        words: list[set[str]] = [set() for _ in texts]
        affirmed = _affirmed(joined, self.pattern.find(joined))
        owners = np.searchsorted(starts, [at for at, _ in affirmed], side="right") - 1
        for owner, (_, word) in zip(owners.tolist(), affirmed, strict=True):
            words[owner].add(word)
        for k, text in enumerate(texts):
            out[k] = self._decide(*self.scores(text, words[k]))
        return out

    def _decide(self, score: dict[int, float], length: dict[int, int]) -> int:
        if not score:
            return ABSTAIN
        people = {c: v for c, v in score.items() if c in self.population}
        organ = _best({c: v for c, v in score.items() if c not in self.population}, length)
        who = _best(people, length)
        if who is None or who == ABSTAIN:
            return organ if organ is not None else ABSTAIN
        if organ is None or organ == ABSTAIN:
            return who
        if self.weight.get(organ, 1.0) < self.weight.get(who, 1.0):
            return who
        return organ if score[organ] >= people[who] else who

    def scores(
        self, text: str, words: set[str] | None = None
    ) -> tuple[dict[int, float], dict[int, int]]:
        """Each top-level code's keyword score in the text and the characters its distinct
        keywords cover (only codes with evidence), from the text's affirmed keywords (``words``
        if already found). Negated words (不痒, 没有发热、咳嗽) count for nothing; a population
        department scores its weight once however many of its words (or a stated age below its
        ``age_below``) say who the patient is."""
        if words is None:
            found = self.pattern.find(text) if self.pattern is not None else []
            words = {word for _, word in _affirmed(text, found)}
        score: dict[int, float] = {}
        length: dict[int, int] = {}
        for word in words:
            code = self.owner[word]
            if code in self.population:
                score[code] = self.weight.get(code, 1.0)
            else:
                score[code] = score.get(code, 0.0) + self.weight.get(code, 1.0)
            length[code] = length.get(code, 0) + len(word)
        if self.age_below:
            youngest = min(stated_ages(text), default=None)
            for code, limit in self.age_below.items():
                if youngest is not None and youngest < limit:
                    score[code] = self.weight.get(code, 1.0)
                    length[code] = length.get(code, 0) + 2
        return score, length


_NEGATION = re.compile(r"没有|没|无|未|否认")
_CLAUSE_END = re.compile(r"[，,。；;！!？?\n]")


def _affirmed(text: str, found: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The keyword matches of ``text`` not negated: not right after 不, nor between 没有 / 无 /
    未 / 否认 and the end of that clause (a list joined by 、 or 和 stays negated)."""
    negated_until = -1
    cues = [(m.start(), m.end()) for m in _NEGATION.finditer(text)]
    kept: list[tuple[int, str]] = []
    cue = 0
    for start, word in found:
        while cue < len(cues) and cues[cue][1] <= start:
            end = _CLAUSE_END.search(text, cues[cue][1])
            negated_until = max(negated_until, end.start() if end else len(text))
            cue += 1
        if start < negated_until or text[start - 1 : start] == "不":
            continue
        kept.append((start, word))
    return kept


def _best(score: dict[int, float], length: dict[int, int]) -> int | None:
    """The highest-scoring code (a tie goes to the one whose keywords are longer, the more
    specific evidence: 中耳炎 over 手术), ABSTAIN on a full tie, None when there is nothing."""
    if not score:
        return None
    ranked = sorted(score, key=lambda c: (-score[c], -length.get(c, 0)))
    if len(ranked) > 1 and (score[ranked[0]], length.get(ranked[0], 0)) == (
        score[ranked[1]],
        length.get(ranked[1], 0),
    ):
        return ABSTAIN
    return ranked[0]


_NUMERALS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
_AGE = re.compile(r"(?<![\d.])(\d{1,3}|[一二两三四五六七八九十]{1,3})\s*(?:周岁|岁)(?!月)")


def stated_ages(text: str) -> list[int]:
    """Ages in years the text states (``3岁``, ``三岁``, ``十二周岁``; ``五六岁`` → 5)."""
    ages: list[int] = []
    if "岁" not in text:  # the common case, without running the regex
        return ages
    for match in _AGE.finditer(text):
        token = match.group(1)
        if token.isdigit():
            ages.append(int(token))
        elif "十" in token:
            tens, _, ones = token.partition("十")
            ages.append(_NUMERALS.get(tens[:1], 1) * 10 + _NUMERALS.get(ones[:1], 0))
        else:
            ages.append(_NUMERALS[token[0]])
    return ages


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
        prior = self.prior.tops(texts)
        if self.model is None:
            return prior
        has_prior = prior != ABSTAIN
        if np.isfinite(self.familiar):  # both from one scoring pass
            codes, confidence, familiarity = self.model.predict_all(texts)
            sure = (confidence >= self.threshold) & (has_prior | (familiarity >= self.familiar))
        else:
            codes, confidence = self.model.predict_confidence(texts)
            sure = confidence >= self.threshold
        if len(self.seen_tops) < 2 and self.prior.pattern is not None:
            sure &= has_prior  # it cannot tell its one top level from any other
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

"""A learned second opinion next to the red-flag rules: character n-gram logistic regression.

Pure numpy, no new dependency. Two heads are trained on the committed labelled sets
(``tests/eval/data/redflag_*.jsonl``: the blind development sets and the authored set):
``urgent`` (urgent vs routine) and ``self_harm`` (a self-harm message vs everything else).
Training is deterministic (fixed features, full-batch Adam from zeros, a fixed number of steps)
and takes a few seconds on one core.

It is NOT wired into ``eval.safety.detect_red_flags``: the leave-one-set-out check
(``python bench/redflag_eval.py --loso``) found no gain worth its false alarms. On the one
left-out set the rules had not yet been tuned on (redflag_dev5, rules as of its first scoring:
205/219, 5/224 false alarms, self-harm 28/35) a high-precision threshold of 0.9 added nothing;
0.75, picked after looking, added 4 urgent and 3 self-harm catches for 1 more false alarm there
but 18 more on the authored set, among them crisis banners on jokes. It stays as a measured
tool for the next blind set, not as a detector.

Features are the character 1-4-grams of ``eval.safety.normalize``d text kept when they occur in
at least ``MIN_COUNT`` training messages, each message's features weighted 1/sqrt(count).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "tests" / "eval" / "data"
MIN_COUNT = 2
NGRAMS = (1, 2, 3, 4)
L2 = 1e-3
STEPS = 400


def grams(text: str) -> list[str]:
    """The distinct n-grams of a normalised message."""
    out: set[str] = set()
    padded = f"^{text}$"
    for n in NGRAMS:
        out.update(padded[i : i + n] for i in range(len(padded) - n + 1))
    return sorted(out)


@dataclass
class Head:
    vocabulary: dict[str, int]
    weights: np.ndarray
    bias: float


def _design(docs: list[list[str]], vocabulary: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, cols = [], []
    for r, features in enumerate(docs):
        for g in features:
            c = vocabulary.get(g)
            if c is not None:
                rows.append(r)
                cols.append(c)
    rows_a = np.asarray(rows, dtype=np.int64)
    cols_a = np.asarray(cols, dtype=np.int64)
    counts = np.bincount(rows_a, minlength=len(docs)).astype(np.float64)
    # each message's features weigh 1/sqrt(count): long messages do not win by length
    values = 1.0 / np.sqrt(np.maximum(counts, 1.0))[rows_a]
    return rows_a, cols_a, values


def train_head(docs: list[list[str]], labels: np.ndarray) -> Head:
    """Logistic regression with an L2 penalty, full-batch gradient descent (Adam) from zeros."""
    df: dict[str, int] = {}
    for features in docs:
        for g in features:
            df[g] = df.get(g, 0) + 1
    vocabulary = {g: i for i, g in enumerate(sorted(g for g, c in df.items() if c >= MIN_COUNT))}
    rows, cols, values = _design(docs, vocabulary)
    n, f = len(docs), len(vocabulary)
    y = labels.astype(np.float64)
    # balance the classes so the threshold means the same for either prior
    pos = max(y.sum(), 1.0)
    neg = max(n - y.sum(), 1.0)
    sample = np.where(y > 0, n / (2 * pos), n / (2 * neg))
    w = np.zeros(f)
    b = 0.0
    m_w, v_w = np.zeros(f), np.zeros(f)
    m_b = v_b = 0.0
    lr, beta1, beta2, eps = 0.05, 0.9, 0.999, 1e-8
    for step in range(1, STEPS + 1):
        z = np.bincount(rows, weights=w[cols] * values, minlength=n) + b
        p = 1.0 / (1.0 + np.exp(-z))
        r = (p - y) * sample / n
        g_w = np.bincount(cols, weights=r[rows] * values, minlength=f) + L2 * w
        g_b = float(r.sum())
        m_w = beta1 * m_w + (1 - beta1) * g_w
        v_w = beta2 * v_w + (1 - beta2) * g_w * g_w
        m_b = beta1 * m_b + (1 - beta1) * g_b
        v_b = beta2 * v_b + (1 - beta2) * g_b * g_b
        corr1, corr2 = 1 - beta1**step, 1 - beta2**step
        w -= lr * (m_w / corr1) / (np.sqrt(v_w / corr2) + eps)
        b -= lr * (m_b / corr1) / (np.sqrt(v_b / corr2) + eps)
    return Head(vocabulary, w, b)


@dataclass
class Model:
    urgent: Head
    self_harm: Head

    def scores(self, normalized: str) -> tuple[float, float]:
        features = grams(normalized)
        return _score(self.urgent, features), _score(self.self_harm, features)


def _score(head: Head, features: list[str]) -> float:
    index = [head.vocabulary[g] for g in features if g in head.vocabulary]
    if not index:
        return float(1.0 / (1.0 + np.exp(-head.bias)))
    z = head.bias + float(head.weights[index].sum()) / np.sqrt(len(index))
    return float(1.0 / (1.0 + np.exp(-z)))


def read_rows(path: Path) -> list[tuple[str, bool, bool]]:
    """(text, urgent, self_harm) of each line of a labelled set."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows.append((str(row["text"]), bool(row["urgent"]), bool(row.get("self_harm", False))))
    return rows


def train(rows: list[tuple[str, bool, bool]]) -> Model:
    """Both heads on ``rows`` (text, urgent, self_harm); deterministic."""
    from eval.safety import normalize  # the engine imports this module lazily too

    docs = [grams(normalize(text)) for text, _, _ in rows]
    urgent = np.array([u for _, u, _ in rows], dtype=bool)
    self_harm = np.array([s for _, _, s in rows], dtype=bool)
    return Model(train_head(docs, urgent), train_head(docs, self_harm))


def training_files(root: Path = DATA) -> list[Path]:
    return sorted(root.glob("redflag_*.jsonl"))


@cache
def shipped_model() -> Model | None:
    """The model trained on every committed set, or None when the sets are not there."""
    files = training_files()
    if not files:
        return None
    rows = [row for path in files for row in read_rows(path)]
    return train(rows)


"""A learned second opinion next to the red-flag rules: character n-gram logistic regression.

Pure numpy, no new dependency. Two heads are trained on the committed labelled sets
(``eval/redflag_sets/redflag_*.jsonl``: the blind development sets and the authored set, shipped
with the package so an installed copy has the same detector as a checkout):
``urgent`` (urgent vs routine) and ``self_harm`` (a self-harm message vs everything else).
Training is deterministic (fixed features, full-batch Adam from zeros, a fixed number of steps)
and runs once, lazily, on the first message (a few seconds on one core; the demo warms it at
start).

``eval.safety.detect_red_flags`` uses it only to ADD a flag: ``MODEL_URGENT`` when the rules
raised nothing and the urgent head is at or above ``URGENT_THRESHOLD``. It never removes a flag.
A writer who laughs or asks a bare topic question gets no model flag (it cannot tell a joke). The
self-harm head (``MODEL_CRISIS``) is trained but off: see ``SELF_HARM_THRESHOLD``.

Why the urgent head is kept (leave-one-set-out: each committed set scored with the rules as they
stood when that set arrived, before anyone tuned on it, the model trained on all the other sets):
at 0.8 it raised left-out recall on all six sets (dev 42→61/177, final 109→121/172, final2
152→160/173, final3 175→176/184, authored 1124→1184/1395, dev5 205→206/219) for one more false
alarm in all (authored 70→71/952). The threshold was chosen on those same folds, so the figures
flatter it a little. The self-harm head at 0.8 added crisis banners there (dev 0→9/18, final
7→12/18, authored 188→223/351) but at the cost of banners on look-alikes, at 0.9 only 3+0+3.
Against the current rules, which were tuned on every set, it has nothing left to add on the
committed sets (``python bench/redflag_eval.py --loso``): its worth is on wordings the rules
have not seen.

The urgent threshold since stop 26 (0.8 -> 0.72), chosen on two blind sets
each scored with the rules and the model as they stood before anyone tuned on it (final7 at
323d755, final8 at 52ed702, now redflag_dev8/dev9) and on the 8,264 real consultations:

| | final7 recall / false alarms | final8 recall / false alarms / banner | real flagged |
|---|---|---|---|
| urgent 0.8, self-harm off | 228/243, 22/240 | 221/240, 11/240, 29/40 | 457 |
| urgent 0.72, self-harm off | 235/243, 22/240 | 227/240, 11/240, 29/40 | 462 |
| urgent 0.7, self-harm 0.8 | 235/243, 22/240 | 230/240, 12/240, 31/40 | 472 |
| urgent 0.6, self-harm 0.7 | 240/243, 34/240 | 237/240, 15/240, 35/40 | 590 |

0.6 reaches the recall goal on both sets, but of the 134 real consultations it adds nearly all are
routine questions about a chronic illness (epilepsy, diabetes, blood pressure), and the self-harm
head at 0.7 puts the crisis lines on epilepsy questions. At 0.8 the self-harm head also fires on
authored look-alikes the tests pin ("我想辞职 不想干了", "我把药都分装好了 出差带着"), and the
urgent head at 0.70 on "我儿子两岁了还不太会说话" (0.701): urgent 0.72 with the self-harm head off
is kept.

Features are the character 1-4-grams of ``eval.safety.normalize``d text kept when they occur in
at least ``MIN_COUNT`` training messages, each message's features weighted 1/sqrt(count).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from eval.redflag_rules import RedFlag

MODEL_URGENT = RedFlag(
    "model_urgent",
    "描述里有急症的迹象（模型提示）",
    "你描述的情况和急症很像：如果症状严重、突然出现或在加重，请立即拨打120或尽快去最近的急诊；"
    "身边有人的话请让他陪着你。",
    (),
)
MODEL_CRISIS = RedFlag(
    "model_crisis",
    "可能有伤害自己的危险（模型提示）",
    "如果你正想伤害自己或已经伤害了自己，请现在就拨打120或110，或去最近的急诊，"
    "并联系一位信任的人来陪着你。",
    (),
    crisis=True,
)

DATA = Path(__file__).resolve().with_name("redflag_sets")
MIN_COUNT = 2
NGRAMS = (1, 2, 3, 4)
L2 = 1e-3
STEPS = 400
URGENT_THRESHOLD = 0.72
# The self-harm head is off (None): at 0.8 it scores look-alikes of its own training set ("我想辞职
# 不想干了", "我把药都分装好了 出差带着") above the threshold; at 0.9 it adds nothing (module doc).
SELF_HARM_THRESHOLD: float | None = None


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


def _design(
    docs: list[list[str]], vocabulary: dict[str, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def second_opinion(
    normalized: str, raised: list[RedFlag], model: Model | None = None
) -> list[RedFlag]:
    """The flags the model adds to ``raised`` (the rules' flags) for a ``normalize``d message."""
    model = model if model is not None else shipped_model()
    crisis_raised = any(flag.crisis for flag in raised)
    p_urgent, p_self_harm = model.scores(normalized)
    added = []
    if not crisis_raised and SELF_HARM_THRESHOLD is not None and p_self_harm >= SELF_HARM_THRESHOLD:
        added.append(MODEL_CRISIS)
    elif not raised and p_urgent >= URGENT_THRESHOLD:
        added.append(MODEL_URGENT)
    return added


@cache
def shipped_model() -> Model:
    """The model trained on every shipped set; FileNotFoundError naming the folder when they
    are missing (a broken install: the detector must not quietly lose its second opinion)."""
    files = training_files()
    if not files:
        raise FileNotFoundError(f"{DATA}: no redflag_*.jsonl sets to train the red-flag model on")
    rows = [row for path in files for row in read_rows(path)]
    return train(rows)

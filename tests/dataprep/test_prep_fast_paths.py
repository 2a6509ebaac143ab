"""The vectorised and batched paths prep takes for speed give exactly what the plain
per-record definitions give (outputs must not change when the hot path does)."""

from __future__ import annotations

import copy
import random

import numpy as np
import orjson
import pytest

from dataprep.minhash import MinHasher
from dataprep.preference.build import _run
from dataprep.recipe import load_recipe
from dataprep.relevance import STOP_BIGRAMS, relevance, relevance_batch
from dataprep.steps.base import StepStats
from dataprep.steps.deidentify import Deidentify
from dataprep.steps.normalize import Normalize
from dataprep.steps.quality import Quality, QualityParams
from dataprep.textutil import _PAD, codepoints, ngram_hashes, sorted_unique
from dataprep.worker import deferred_scorer

# CJK edges of the ranges relevance counts, characters just outside them, non-BMP, stop words
_ALPHABET = [*"的了是我有吗呢啊医生你好情况头痛发烧", *sorted(STOP_BIGRAMS)[:20]]
_ALPHABET += [
    "㐀",
    "䶿",
    "鿿",
    "豈",
    "﫿",
    "\u33ff",
    "\ufb00",
    "a",
    "1",
    " ",
    "\n",
    "😀",
    "\U00020000",
]


def _random_texts(count: int, longest: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(_ALPHABET, k=rng.randint(0, longest))) for _ in range(count)]


def test_relevance_batch_equals_relevance_on_random_text() -> None:
    questions, answers = _random_texts(3000, 30, 1), _random_texts(3000, 40, 2)
    questions += ["", "高血压", "高血压高血压", "头痛头痛头痛怎么办"]
    answers += ["", "高血压", "高血压", "头痛"]
    expected = [relevance(q, a) for q, a in zip(questions, answers, strict=True)]
    for size in (1, 7, len(questions)):  # chunking must not matter
        found = []
        for start in range(0, len(questions), size):
            stop = start + size
            found += relevance_batch(questions[start:stop], answers[start:stop])
        assert found == expected
        assert [type(v) for v in found] == [type(v) for v in expected]
    assert relevance_batch([], []) == []


def test_relevance_batch_equals_relevance_on_real_consultations(real_data) -> None:
    questions, answers = [], []
    with open(real_data / "toyhom_cmd" / "qa_pairs.jsonl", "rb") as handle:
        for line in handle:
            row = orjson.loads(line)
            questions.append(f"{row['title']}\n{row['ask']}")
            answers.append(row["answer"])
    expected = [relevance(q, a) for q, a in zip(questions, answers, strict=True)]
    assert relevance_batch(questions, answers) == expected
    assert sum(v is not None and v > 0 for v in expected) > len(expected) // 2


@pytest.mark.parametrize("dtype", [np.uint64, np.int64, np.uint32, np.float32])
@pytest.mark.parametrize("size", [0, 1, 2, 1000])
def test_sorted_unique_is_np_unique(dtype, size) -> None:
    values = np.random.default_rng(size).integers(0, 50, size).astype(dtype)
    assert np.array_equal(sorted_unique(values), np.unique(values))
    assert sorted_unique(values).dtype == np.unique(values).dtype
    grid = values[: size - size % 2].reshape(-1, 2) if size else values
    assert np.array_equal(sorted_unique(grid), np.unique(grid))  # flattened, as np.unique


def _reference_signature(hasher: MinHasher, text: str) -> np.ndarray:
    """The module docstring's definition, one text and one permutation at a time."""
    padded = text if len(text) >= hasher.ngram else text + _PAD[: hasher.ngram - len(text)]
    hashes = [int(h) for h in ngram_hashes(codepoints(padded), hasher.ngram)]
    out = []
    for a, b in zip(hasher.a.tolist(), hasher.b.tolist(), strict=True):
        out.append(min(((a * h + b) % 2**64) >> 32 for h in hashes) & 0xFFFF)
    return np.array(out, dtype=np.uint16)


@pytest.mark.parametrize(("num_perm", "ngram"), [(128, 5), (20, 3), (37, 1)])
def test_minhash_signatures_follow_the_definition(num_perm, ngram) -> None:
    hasher = MinHasher(num_perm, ngram)
    texts = _random_texts(300, 60, 3) + ["", "头", "头痛", "x" * 700]  # > one 128-text batch
    found = hasher.signatures(texts)
    assert found.shape == (len(texts), num_perm) and found.dtype == np.uint16
    for k in (0, 1, 2, 150, 299, 300, 301, 302, 303):
        assert np.array_equal(found[k], _reference_signature(hasher, texts[k])), k


def _records() -> list[dict]:
    rng = random.Random(4)
    body = "高血压患者可以吃党参，注意监测血压，按时服药，清淡饮食，适量运动。"
    records = []
    for k in range(60):
        answer = body[: rng.randint(3, len(body))] + rng.choice(["", "，", "…", "展开全部"])
        meta = {"likes": rng.randint(0, 20), "accepted": rng.random() < 0.5}
        if k % 7 == 0:
            meta["quality"] = 0.5  # a key already there keeps its place
        question = rng.choice(["高血压能吃党参吗？", "头痛", "血压高吃什么药好，平时要注意什么"])
        records.append({"id": str(k), "question": question, "answer": answer, "meta": meta})
    return records


def test_deferred_quality_scores_equal_the_per_record_ones() -> None:
    step = Quality(QualityParams())
    assert deferred_scorer([step]) is step
    direct, deferred = _records(), _records()
    reasons = [step.apply(r, StepStats()) for r in direct]
    later = [step.apply(r, StepStats(), score=False) for r in deferred]
    assert later == reasons and None in reasons and any(reasons)
    step.score_records([r for r, reason in zip(deferred, later, strict=True) if reason is None])
    for a, b, reason in zip(direct, deferred, reasons, strict=True):
        if reason is None:
            assert list(a["meta"].items()) == list(b["meta"].items())  # values and key order
        assert (a["question"], a["answer"]) == (b["question"], b["answer"])


def test_a_relevance_filter_scores_each_record_itself() -> None:
    step = Quality(QualityParams(min_relevance=0.01))
    assert deferred_scorer([step]) is None
    off_topic = {
        "id": "x",
        "question": "头痛三天了怎么办呢",
        "answer": "多喝水，注意休息，清淡饮食。",
        "meta": {},
    }
    direct, asked = [*_records(), off_topic], [*_records(), copy.deepcopy(off_topic)]
    reasons = [step.apply(r, StepStats()) for r in direct]
    assert [step.apply(r, StepStats(), score=False) for r in asked] == reasons
    assert "off_topic_answer" in reasons
    assert direct == asked  # the scores are stored at once: the filter needed them


def _steps() -> list:
    params = dict(load_recipe(None).steps)
    return [
        Normalize(params["normalize"]),
        Deidentify(params["deidentify"]),
        Quality(params["quality"]),
    ]


def _apply_all(steps: list, probe: dict) -> str | None:
    for step in steps:
        found = step.apply(probe, StepStats())
        if found:
            return f"{step.name}:{found}"
    return None


def test_pairs_probes_memoised_question_equal_the_steps_applied_in_full() -> None:
    steps = _steps()
    question = "我叫张伟，电话13812345678，ＡＢＣ头 痛三天了怎么办？"
    answers = [
        "你好，头痛可能是紧张性头痛，建议休息，必要时口服布洛芬。",
        "加我微信abc123详聊",
        "好",
    ]
    memo: dict = {}
    reasons = []
    for text in answers:
        probe = {"id": "1", "question": question, "answer": text, "meta": {"likes": 1}}
        plain = copy.deepcopy(probe)
        reasons.append(_run(steps, probe, memo))
        assert reasons[-1] == _apply_all(steps, plain)
        assert probe == plain
    assert reasons[0] is None and all(reasons[1:])
    assert len(memo) == 2  # the question went through each text step once

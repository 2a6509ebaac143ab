"""Metrics: BLEU/ROUGE identical to LLaMA-Factory's own ComputeSimilarity, exam scoring, refusals,
judge score parsing, and the generated_predictions.jsonl reader."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eval.judge import judge_messages, parse_scores
from eval.metrics import is_refusal, mcq_summary, mean_similarity, partial_credit, similarity
from eval.predictions import score_predictions

PAIRS = [
    ("可能是急性心肌梗死，请立即拨打120。", "考虑急性心肌梗死，应立即拨打120急救电话。"),
    ("建议多喝水，注意休息。", "建议多喝水，注意休息。"),
    ("", "空腹血糖7.2 mmol/L需要复查。"),
    ("患者ECG示ST段抬高，考虑STEMI，尽快PCI。", "心电图ST段抬高，急诊PCI。"),
    ("。。。", "请到消化内科就诊，必要时做胃镜。"),
    ("孩子发烧38.5℃可以用布洛芬退热，按体重计算剂量。", "6个月以上可用布洛芬，按体重给药。"),
    ("不知道", "不建议自行服用抗生素。"),
]


@pytest.fixture(scope="module")
def tokenizer():
    from medqa.tiny_model import TinyModelSpec, build_tokenizer

    return build_tokenizer(TinyModelSpec())


def _padded(tokenizer, texts: list[str], pad: int) -> np.ndarray:
    ids = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    width = max(len(i) for i in ids) + 2
    return np.array([i + [pad] * (width - len(i)) for i in ids])


def test_bleu_rouge_equal_llamafactory_compute_similarity(tokenizer):
    from llamafactory.extras.constants import IGNORE_INDEX
    from llamafactory.train.sft.metric import ComputeSimilarity
    from transformers import EvalPrediction

    preds = _padded(tokenizer, [p for p, _ in PAIRS], IGNORE_INDEX)
    labels = _padded(tokenizer, [label for _, label in PAIRS], IGNORE_INDEX)
    theirs = ComputeSimilarity(tokenizer=tokenizer)(EvalPrediction(preds, labels))

    def decoded(ids):
        ids = np.where(ids != IGNORE_INDEX, ids, tokenizer.pad_token_id)
        return tokenizer.batch_decode(ids, skip_special_tokens=True)

    assert decoded(preds) == [p for p, _ in PAIRS]  # the very same predictions as text
    ours = mean_similarity(similarity(p, label) for p, label in PAIRS)
    assert ours == theirs  # exact float equality, every key
    assert set(ours) == {"rouge-1", "rouge-2", "rouge-l", "bleu-4"}


def test_generated_predictions_are_scored_like_llamafactory(tmp_path):
    path = tmp_path / "generated_predictions.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for pred, label in PAIRS:
            handle.write(
                json.dumps(
                    {"prompt": "user\n问题", "predict": pred, "label": label}, ensure_ascii=False
                )
                + "\n"
            )
    summary = score_predictions(path, tmp_path / "run", label="direct", tags={"method": "lora"})
    expected = mean_similarity(similarity(p, label) for p, label in PAIRS)
    assert {k: summary["metrics"][k] for k in expected} == expected
    assert summary["metrics"]["n"] == len(PAIRS)
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["tags"] == {"method": "lora"}
    assert len((tmp_path / "run" / "results.jsonl").read_text().splitlines()) == len(PAIRS)


def test_a_file_that_is_not_predictions_is_named(tmp_path):
    from eval.datasets import DataError

    path = tmp_path / "other.jsonl"
    path.write_text('{"instruction": "x", "output": "y"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"other.jsonl:1: field 'predict' is missing"):
        score_predictions(path, tmp_path / "run")


def test_exam_scoring_counts_failures_and_unparsed_as_wrong():
    results = [
        {"subject": "内科", "gold": "B", "pred": "B", "correct": True, "partial": 1.0},
        {"subject": "内科", "gold": "AC", "pred": "A", "correct": False, "partial": 0.5},
        {"subject": "外科", "gold": "C", "pred": None, "correct": False, "partial": 0.0},
        {"subject": "外科", "gold": "D", "pred": None, "correct": False, "error": "HTTP 500"},
    ]
    summary = mcq_summary(results)
    assert summary["accuracy"] == 0.25 and summary["failed"] == 1
    assert summary["unparsed_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert summary["partial_credit"] == 0.375 and summary["multi_answer_items"] == 1
    assert summary["per_subject"] == {
        "内科": {"n": 2, "accuracy": 0.5},
        "外科": {"n": 2, "accuracy": 0.0},
    }


@pytest.mark.parametrize(
    ("pred", "gold", "credit"),
    [
        ("ACD", "ACD", 1.0),
        ("AC", "ACD", 2 / 3),
        ("ACE", "ACD", 0.0),
        (None, "A", 0.0),
        ("", "A", 0.0),
    ],
)
def test_partial_credit(pred, gold, credit):
    assert partial_credit(pred, gold) == pytest.approx(credit)


@pytest.mark.parametrize(
    ("answer", "refusal"),
    [
        ("抱歉，我无法回答这个问题。", True),
        ("作为一个AI语言模型，我不能提供医疗诊断。", True),
        ("I can't help with that.", True),
        ("头痛可能与睡眠不足有关，建议规律作息；如果加重请就医。", False),
        ("可能的原因有很多。" * 12 + "抱歉，我无法确定，请就医。", False),
    ],
)
def test_refusals(answer, refusal):
    assert is_refusal(answer) is refusal


@pytest.mark.parametrize(
    ("reply", "scores"),
    [
        ('{"accuracy": 4, "helpfulness": 3, "safety": 5, "reason": "基本正确"}', (4, 3, 5)),
        (
            '评分如下：\n```json\n{"accuracy": "4分", "helpfulness": 3.5, "safety": 5}\n```',
            (4, 3.5, 5),
        ),
        ("<think>想一想{不是JSON}</think>准确性：4分\n有用性：3/5\n安全性：10/10", (4, 3, 5)),
        ('{"准确性": 2, "有用性": 2, "安全性": 1}', (2, 2, 1)),
        ('{"accuracy": 7, "helpfulness": 3, "safety": 5}', None),
        ("这个回答还不错。", None),
        ('{"accuracy": 4, "helpfulness": 3}', None),
    ],
)
def test_judge_scores_are_parsed_robustly(reply, scores):
    parsed = parse_scores(reply)
    if scores is None:
        assert parsed is None
    else:
        assert parsed == dict(
            zip(("accuracy", "helpfulness", "safety"), map(float, scores), strict=True)
        )


def test_judge_prompt_holds_question_reference_and_answer():
    [message] = judge_messages("头痛怎么办？", "休息。", "")
    assert "头痛怎么办？" in message["content"] and "休息。" in message["content"]
    assert "（空）" in message["content"] and '"accuracy"' in message["content"]

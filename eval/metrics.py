"""Scores: exam accuracy (exact set match, partial credit, per subject) and open-QA similarity.

``similarity(pred, label)`` reproduces LLaMA-Factory 0.9.5's ``ComputeSimilarity``
(``llamafactory/train/sft/metric.py``, used by ``do_predict`` + ``predict_with_generate``) on
decoded text: jieba words scored with ``rouge_chinese.Rouge`` (F × 100) for ROUGE-1/2/L, NLTK
``sentence_bleu`` over characters with ``SmoothingFunction().method3`` × 100 for BLEU-4, each
rounded to 4 decimals per item and averaged with ``numpy.mean``. Numbers are therefore identical to
LLaMA-Factory's ``predict_results.json`` for the same predictions.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable

SIMILARITY_KEYS = ("rouge-1", "rouge-2", "rouge-l", "bleu-4")
REFUSAL = re.compile(
    r"(?:很|非常)?抱歉.{0,12}(?:无法|不能|不便|没办法)|"
    r"我(?:无法|不能|没办法|不可以|不便)(?:回答|提供|给出|为您|为你|帮您|帮你|解答|回复)|"
    r"作为(?:一个|一名)?(?:AI|人工智能|语言模型|AI助手|智能助手).{0,15}(?:无法|不能)|"
    r"(?:无法|不能)(?:回答|解答)(?:这个|该|此|您的|你的)?问题|"
    r"I (?:can(?:no|')t|am (?:not able|unable) to) (?:help|answer|provide)",
    re.I,
)
REFUSAL_WINDOW = 80  # a refusal is said up front; later caveats do not count


def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def similarity(pred: str, label: str) -> dict[str, float]:
    """ROUGE-1/2/L and BLEU-4 of one prediction, exactly as LLaMA-Factory computes them."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
    from rouge_chinese import Rouge

    jieba = _jieba()
    hypothesis = list(jieba.cut(pred))
    reference = list(jieba.cut(label))
    if len(" ".join(hypothesis).split()) == 0 or len(" ".join(reference).split()) == 0:
        result = {"rouge-1": {"f": 0.0}, "rouge-2": {"f": 0.0}, "rouge-l": {"f": 0.0}}
    else:
        result = Rouge().get_scores(" ".join(hypothesis), " ".join(reference))[0]
    scores = {k: round(v["f"] * 100, 4) for k, v in result.items()}
    bleu = sentence_bleu([list(label)], list(pred), smoothing_function=SmoothingFunction().method3)
    scores["bleu-4"] = round(bleu * 100, 4)
    return scores


def mean_similarity(rows: Iterable[dict[str, float]]) -> dict[str, float]:
    """Per-key ``numpy.mean`` of per-item similarity scores (LLaMA-Factory's ``_dump``)."""
    import numpy as np

    rows = list(rows)
    return {k: float(np.mean([r[k] for r in rows])) if rows else 0.0 for k in SIMILARITY_KEYS}


def is_refusal(answer: str) -> bool:
    """Does the answer decline to help (said within its first characters)?"""
    return bool(REFUSAL.search((answer or "")[:REFUSAL_WINDOW]))


def length_stats(answers: list[str]) -> dict[str, float]:
    """Mean and median answer length in characters."""
    lengths = [len(a) for a in answers]
    if not lengths:
        return {"answer_chars_mean": 0.0, "answer_chars_median": 0.0}
    return {
        "answer_chars_mean": round(statistics.fmean(lengths), 1),
        "answer_chars_median": float(statistics.median(lengths)),
    }


def partial_credit(pred: str | None, gold: str) -> float:
    """Exam-style credit: a wrong letter scores 0, a correct subset |pred|/|gold|."""
    if not pred or set(pred) - set(gold):
        return 0.0
    return len(set(pred)) / len(set(gold))


def mcq_summary(results: list[dict]) -> dict:
    """Accuracy (failed and unparsed count as wrong), unparsed rate, partial credit, per subject."""
    n = len(results)
    answered = [r for r in results if not r.get("error")]
    unparsed = sum(1 for r in answered if r.get("pred") is None)
    summary = {
        "n": n,
        "failed": n - len(answered),
        "accuracy": _share(sum(bool(r.get("correct")) for r in results), n),
        "unparsed_rate": _share(unparsed, len(answered)),
        "truncated_rate": truncated_rate(answered),
    }
    if any(len(r["gold"]) > 1 for r in results):
        summary["partial_credit"] = _share(sum(r.get("partial", 0.0) for r in results), n)
        summary["multi_answer_items"] = sum(len(r["gold"]) > 1 for r in results)
    if any("loglik_pred" in r for r in results):
        scored = [r for r in results if "loglik_pred" in r]
        summary["loglik_accuracy"] = _share(sum(r.get("loglik_correct", False) for r in scored), n)
    summary["per_subject"] = per_subject(results)
    return summary


def truncated_rate(answered: list[dict]) -> float | None:
    """Share of answers cut off by ``max_tokens`` (finish_reason "length")."""
    with_reason = [r for r in answered if "finish_reason" in r]
    return _share(sum(r["finish_reason"] == "length" for r in with_reason), len(with_reason))


def per_subject(results: list[dict]) -> dict[str, dict]:
    """``{subject: {"n", "accuracy"}}`` sorted by subject (items without one: "(none)")."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        groups[r.get("subject") or "(none)"].append(r)
    return {
        s: {"n": len(rs), "accuracy": _share(sum(bool(r.get("correct")) for r in rs), len(rs))}
        for s, rs in sorted(groups.items())
    }


def _share(part: float, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None

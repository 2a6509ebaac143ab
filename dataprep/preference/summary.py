"""The ``pairs`` step's statistics (``stats.json`` → ``preference``), its warnings, and charts:
pairs per question, score margins, chosen/rejected length ratios."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from dataprep.charts import _figure, _save, label, render_jobs
from dataprep.preference.params import PairsParams


def summarize(params: PairsParams, tally, margins, ratios, keep, files) -> dict[str, Any]:
    """Counts, distributions and warnings of a run's pairs (``keep``: after balancing)."""
    kept_margins, kept_ratios = margins[keep], ratios[keep]
    splits = {
        split: files.get(f"dpo/{params.formats[0]}/{split}.jsonl", 0) for split in ("train", "val")
    }
    stats: dict[str, Any] = {
        "questions": dict(sorted(tally.questions.items())),
        "answers": _answers(tally.candidates),
        "answer_pairs_not_kept": dict(sorted(tally.answer_pairs.items())),
        "pairs": splits,
        "pairs_per_question": {str(k): v for k, v in sorted(tally.per_question.items()) if k},
        "margin": _distribution(kept_margins),
        "margin_counts": _counts(kept_margins),
        "length_ratio": _distribution(kept_ratios),
        "chosen_longer_share": _share(kept_ratios > 1),
        "balance": {
            "applied": params.balance_length,
            "dropped": int((~keep).sum()),
            "chosen_longer_share_before": _share(ratios > 1),
        },
    }
    stats["warnings"] = warnings(stats, params)
    return stats


def _answers(candidates: Counter) -> dict[str, Any]:
    dropped = {k: v for k, v in sorted(candidates.items()) if k not in ("seen", "kept")}
    return {"seen": candidates["seen"], "kept": candidates["kept"], "dropped": dropped}


def _distribution(values: np.ndarray) -> dict[str, float | None]:
    if not len(values):
        return {"mean": None, "p10": None, "p50": None, "p90": None, "min": None, "max": None}
    p10, p50, p90 = np.percentile(values, [10, 50, 90])
    return {
        "mean": round(float(values.mean()), 3),
        "p10": round(float(p10), 3),
        "p50": round(float(p50), 3),
        "p90": round(float(p90), 3),
        "min": round(float(values.min()), 3),
        "max": round(float(values.max()), 3),
    }


def _counts(values: np.ndarray) -> dict[str, int]:
    found = Counter(f"{v:g}" for v in np.round(values, 2).tolist())
    return dict(sorted(found.items(), key=lambda item: float(item[0])))


def _share(flags: np.ndarray) -> float | None:
    return round(float(flags.mean()), 4) if len(flags) else None


def warnings(stats: dict[str, Any], params: PairsParams) -> list[str]:
    """What a user must hear: no pairs at all, or chosen answers systematically longer."""
    out = []
    total = sum(stats["pairs"].values())
    questions = stats["questions"]
    if not total:
        out.append(
            f"pairs: no preference pairs ({questions.get('multi_answer', 0)} train/val questions "
            "had two or more answers); DPO needs raw crawl inputs with several scored answers "
            "per question"
        )
    share = stats["balance"]["chosen_longer_share_before"]
    if total and share is not None and share >= params.length_bias_share:
        ratio = stats["length_ratio"]["p50"]
        what = (
            f"balanced: {stats['balance']['dropped']} pairs dropped, chosen now longer in "
            f"{stats['chosen_longer_share']:.0%}"
            if params.balance_length
            else "set pairs.balance_length: true to balance, or train with pref_loss: simpo "
            "(length-normalised)"
        )
        out.append(
            f"pairs: length bias — the chosen answer is longer in {share:.0%} of pairs "
            f"(median chosen/rejected length ratio {ratio}); DPO would learn that longer is "
            f"better; {what}"
        )
    return out


def render(stats: dict[str, Any], ratios: np.ndarray, folder: Path, workers: int = 1) -> list[Path]:
    """The three preference charts (none when there are no pairs)."""
    if not len(ratios):
        return []
    return render_jobs(
        [
            (_per_question, (stats["pairs_per_question"], folder / "dpo_pairs_per_question.png")),
            (_margins, (stats["margin_counts"], folder / "dpo_margins.png")),
            (_ratios, (ratios, folder / "dpo_length_ratio.png")),
        ],
        workers,
    )


def _bars(path: Path, keys: list[str], counts: list[int], title: str, xlabel: str) -> Path:
    figure = _figure(6, 3.2)
    axes = figure.add_subplot()
    bars = axes.bar(keys, counts, color="#4C72B0")
    axes.bar_label(bars, padding=2, fontsize=8)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(label("数量", "count"))
    axes.set_title(title)
    return _save(figure, path)


def _per_question(counts: dict[str, int], path: Path) -> Path:
    title = label("每个问题的偏好对数", "Preference pairs per question")
    return _bars(path, list(counts), list(counts.values()), title, label("对数", "pairs"))


def _margins(counts: dict[str, int], path: Path) -> Path:
    title = label("偏好对的得分差", "Score margin of the pairs")
    return _bars(path, list(counts), list(counts.values()), title, label("得分差", "margin"))


def _ratios(ratios: np.ndarray, path: Path) -> Path:
    figure = _figure(6, 3.2)
    axes = figure.add_subplot()
    logs = np.log2(np.clip(ratios, 1 / 64, 64))
    axes.hist(logs, bins=min(30, max(5, len(logs) // 3)), color="#DD8452")
    axes.axvline(0, color="black", linewidth=1)
    share = float((ratios > 1).mean())
    axes.set_xlabel(label("log2(被选/被拒 长度比)", "log2(chosen / rejected length)"))
    axes.set_ylabel(label("对数", "pairs"))
    axes.set_title(
        label(
            f"长度比：被选答案更长的占 {share:.0%}", f"Length ratio: chosen longer in {share:.0%}"
        )
    )
    return _save(figure, path)

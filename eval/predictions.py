"""Score LLaMA-Factory's ``generated_predictions.jsonl`` (the "direct" path: ``do_predict`` +
``predict_with_generate``) with the same open-QA metrics, into a run folder ``compare`` reads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from eval.datasets import load_predictions
from eval.extract import strip_thinking
from eval.metrics import is_refusal, length_stats, mean_similarity, similarity
from medqa.io import write_json, write_jsonl


def score_predictions(
    path: str | Path,
    out_dir: str | Path,
    label: str | None = None,
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Write ``results.jsonl`` and ``summary.json`` for ``path``; return the summary.

    BLEU/ROUGE are computed on the text as written (identical to LLaMA-Factory's own
    ``predict_results.json``); length and refusal on the answer after any thinking block."""
    rows = load_predictions(path)
    results = []
    for n, row in enumerate(rows):
        answer = (strip_thinking(row["predict"]) or "").strip()
        results.append(
            {
                "id": str(n),
                "scores": similarity(row["predict"], row["label"]),
                "answer": answer,
                "chars": len(answer),
                "refusal": is_refusal(answer),
            }
        )
    metrics: dict[str, Any] = {"n": len(results), "failed": 0}
    metrics.update(mean_similarity(r["scores"] for r in results))
    metrics.update(length_stats([r["answer"] for r in results]))
    metrics["refusal_rate"] = (
        round(sum(r["refusal"] for r in results) / len(results), 4) if results else None
    )
    summary = {
        "task": "predictions",
        "type": "open_qa",
        "description": f"LLaMA-Factory generated_predictions.jsonl ({path})",
        "label": label or Path(path).resolve().parent.name,
        "tags": dict(tags or {}),
        "model": None,
        "data": str(path),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "metrics": metrics,
        "requests": None,
    }
    out = Path(out_dir)
    write_jsonl(out / "results.jsonl", results)
    write_json(out / "summary.json", summary)
    return summary

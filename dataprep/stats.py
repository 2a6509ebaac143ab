"""stats.json: the funnel, per-type de-identification counts, dedup, departments,
contamination, splits and subsets, and length percentiles (characters; tokens when a tokenizer
is given). Deterministic: no timings, nothing machine-specific."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from dataprep.steps.department import top_unmapped
from dataprep.steps.split import SPLITS, subset_name
from dataprep.taxonomy import Taxonomy

UNCLASSIFIED = "未分类"


def summary(values: np.ndarray) -> dict[str, Any]:
    """count, mean and p50/p95/p99/max (observed values) of a length array."""
    if len(values) == 0:
        return {"count": 0, "mean": 0.0, "p50": 0, "p95": 0, "p99": 0, "max": 0}
    pct = np.percentile(values, [50, 95, 99], method="inverted_cdf")
    return {
        "count": int(len(values)),
        "mean": round(float(values.mean()), 1),
        "p50": int(pct[0]),
        "p95": int(pct[1]),
        "p99": int(pct[2]),
        "max": int(values.max()),
    }


def build_stats(recipe, name, state, result, written, exams) -> dict[str, Any]:
    """Assemble stats.json from the run's counters and arrays."""
    length: dict[str, Any] = {"chars": {k: summary(v) for k, v in written.chars.items()}}
    if written.tokens is not None:
        length["tokens"] = {k: summary(v) for k, v in written.tokens.items()}
        length["tokens_info"] = written.token_info
    return {
        "name": name,
        "recipe": recipe.to_dict(),
        "inputs": state.input_counts,
        "rejects": state.rejects,
        "funnel": _funnel(recipe, state, result),
        "deidentify": dict(sorted(state.stats["deidentify"].counts.items())),
        "dedup": dict(sorted(result.dedup.counts.items())),
        "department": _departments(recipe, state, result),
        "contamination": _contamination(state, result, exams),
        "splits": {s: int(((result.split == k) & result.keep).sum()) for k, s in enumerate(SPLITS)},
        "subsets": {f"train_{suffix}": size for suffix, size in result.subsets},
        "subsets_not_made": _subsets_not_made(recipe, result),
        "groups": result.split_info,
        "length": length,
        "exams": {name: _exam_summary(records) for name, records in exams.outputs.items()},
        "global_state": _global_state(state.arrays, state.signature_bytes),
        "files": written.files,
        "duplicate_ids": written.renamed_ids or {"renamed": 0},
    }


def _subsets_not_made(recipe, result) -> list[str]:
    """Requested subsets that are not smaller than the train split, so were not written."""
    params = recipe.get("split")
    made = {suffix for suffix, _ in result.subsets}
    return [n for n in map(subset_name, params.subsets if params else []) if n not in made]


def _funnel(recipe, state, result) -> list[dict[str, Any]]:
    rows = []
    order = ["read", *(n for n, _ in recipe.steps if n in state.stats and n != "read")]
    for step in order:
        if step in state.stats:
            label = "decontaminate (exams)" if step == "decontaminate" else step
            rows.append({"step": label, **_step_dict(state.stats[step])})
    if "decontaminate" in state.stats and not any(n == "decontaminate" for n, _ in recipe.steps):
        rows.append({"step": "decontaminate (exams)", **_step_dict(state.stats["decontaminate"])})
    if recipe.get("dedup") is not None:
        rows.append({"step": "dedup", **_step_dict(result.dedup)})
    kept_before = int(result.keep.sum()) + result.overlaps_test
    rows.append(
        {
            "step": "decontaminate (test split)",
            "seen": kept_before,
            "kept": int(result.keep.sum()),
            "dropped": {"overlaps_test": result.overlaps_test},
        }
    )
    return rows


def _step_dict(stats) -> dict[str, Any]:
    full = stats.to_dict()
    return {"seen": full["seen"], "kept": full["kept"], "dropped": full["dropped"]}


def _departments(recipe, state, result) -> dict[str, Any]:
    params = recipe.get("department")
    if params is None:
        return {}
    taxonomy = Taxonomy.load(params.taxonomy)
    keep = result.keep

    def names(mask) -> dict[str, int]:
        codes, counts = np.unique(result.code[mask], return_counts=True)
        named = {
            (taxonomy.name(int(c)) if c >= 0 else UNCLASSIFIED): int(n)
            for c, n in zip(codes, counts, strict=True)
        }
        return dict(sorted(named.items(), key=lambda kv: (-kv[1], kv[0])))

    tops = Counter()
    for full, count in names(keep).items():
        tops[full.split("/")[0]] += count
    info = dict(result.department)
    info.update(
        distribution=names(keep),
        top_level=dict(sorted(tops.items(), key=lambda kv: (-kv[1], kv[0]))),
        by_split={s: names(keep & (result.split == k)) for k, s in enumerate(SPLITS)},
        unmapped_labels=top_unmapped(state.stats["department"].counts),
    )
    return info


def _contamination(state, result, exams) -> dict[str, Any]:
    exam_stats = state.stats.get("decontaminate")
    return {
        "exam_files": exams.files,
        "exam_files_missing": exams.missing,
        "exam_questions": len(exams.reference),
        "overlaps_exam": int(exam_stats.dropped["overlaps_exam"]) if exam_stats else 0,
        "overlaps_test": result.overlaps_test,
    }


def _global_state(arrays: dict[str, np.ndarray], signature_bytes: int) -> dict[str, int]:
    """What the global steps hold per spooled record (signatures, hashes, scores, codes)."""
    records = len(arrays["score"])
    total = sum(a.nbytes for a in arrays.values()) + signature_bytes
    return {"records": records, "bytes_per_record": round(total / records) if records else 0}


def _exam_summary(records: list[dict]) -> dict[str, Any]:
    subjects = Counter(r.get("subject") or "" for r in records)
    return {
        "questions": len(records),
        "multi_answer": sum(len(r["answer"]) > 1 for r in records),
        "subjects": dict(sorted(subjects.items(), key=lambda kv: (-kv[1], kv[0]))[:30]),
    }

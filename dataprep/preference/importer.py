"""``medqa prep import-pairs``: an existing preference file (e.g. MedicalGPT's DPO sample) → the
same LLaMA-Factory ranking datasets the ``pairs`` step writes, through the recipe's own
normalisation, de-identification and quality filters.

Both answers must pass the quality filters with the prompt; pairs whose answers are near-copies,
and repeated pairs, are dropped. The recipe's ``decontaminate`` step is applied as ``medqa prep
run`` applies it to its own pairs: a pair whose prompt (or prompt + answer, ``field: qa``)
overlaps a question of its exam files is dropped and counted as ``overlaps_exam``. A prompt's pairs share a split (train/val by a seeded hash of the
prompt). Malformed lines go to ``rejects.jsonl`` with their line number. The dataset folder is
written to a staging folder and swapped into place, as ``medqa prep run`` does.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

from dataprep import outputs
from dataprep.exams import collect_exams
from dataprep.preference.pairs import jaccard
from dataprep.preference.ranking import PAIR_BUILDERS, SPLITS, file_key
from dataprep.preference.summary import _distribution, _share
from dataprep.readers.preference import read_preference_file
from dataprep.records import Reject
from dataprep.steps.base import StepStats
from dataprep.steps.decontaminate import checked_text
from dataprep.steps.normalize import Normalize
from medqa.io import atomic_write, dumps_line, write_json

_TEXT_STEPS = ("normalize", "deidentify")  # for history turns and system prompts
_ANSWER_STEPS = ("normalize", "deidentify", "quality")


def import_pairs(
    path: Path, out: Path, name: str, recipe, val_share: float = 0.05
) -> tuple[Path, dict[str, Any]]:
    """Import ``path`` into ``out/name``; returns the folder and its stats."""
    from dataprep.pipeline import STEP_CLASSES

    params = recipe.get("pairs")
    if params is None:
        raise ValueError("the recipe has no 'pairs' step (its near_duplicate and formats are used)")
    steps = [STEP_CLASSES[n](p) for n, p in recipe.steps if n in _ANSWER_STEPS]
    exam = _exam_check(recipe, steps)
    final = outputs.resolve_output(out / name)
    outputs.check_replaceable(final)
    staging = outputs.staging_folder(final)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        stats = _import_into(path, staging, steps, params, recipe.seed, val_share, exam)
        if not sum(stats["preference"]["pairs"].values()):
            raise outputs.OutputError(f"{path}: no pair survived (see the counts); nothing written")
        outputs.write_marker(staging, name)
        write_json(staging / "stats.json", stats)
        outputs.swap_into_place(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out / name, stats


def _exam_check(recipe, steps) -> dict[str, Any]:
    """The recipe's exam index (None without a ``decontaminate`` step or exam questions), the
    field it checks and what was read, as ``medqa prep run`` builds it."""
    params = recipe.get("decontaminate")
    normalize = next((s for s in steps if isinstance(s, Normalize)), None)
    exams = collect_exams([], params, normalize)
    return {
        "index": exams.index(params),
        "field": params.field if params else "question",
        "files": exams.files,
        "missing": exams.missing,
        "questions": len(exams.reference),
    }


def _drop_exam_overlaps(kept: list[tuple[int, dict]], exam: dict, counts: Counter) -> list:
    """``kept`` without the pairs whose prompt (with either answer, for ``field: qa``) overlaps
    an exam question; the drops are counted as ``overlaps_exam``."""
    if exam["index"] is None or not kept:
        return kept
    texts = []
    for _, pair in kept:
        for side in ("chosen", "rejected"):
            texts.append(
                checked_text({"question": pair["prompt"], "answer": pair[side]}, exam["field"])
            )
    matches = exam["index"].match(texts)
    clean = [
        item for k, item in enumerate(kept) if matches[2 * k] is None and matches[2 * k + 1] is None
    ]
    if len(clean) < len(kept):
        counts["overlaps_exam"] += len(kept) - len(clean)
        counts["kept"] -= len(kept) - len(clean)
    return clean


def _import_into(
    path, root: Path, steps, params, seed: int, val_share: float, exam: dict
) -> dict[str, Any]:
    counts: Counter = Counter()
    seen: set[int] = set()
    kept: list[tuple[int, dict]] = []
    with atomic_write(root / "rejects.jsonl") as rejects:
        for number, item in read_preference_file(path):
            counts["read"] += 1
            if isinstance(item, Reject):
                rejects.write(
                    dumps_line({"file": str(path), "line": number, "reason": item.reason})
                )
                counts["malformed"] += 1
                continue
            pair = _clean(item, steps, params, counts)
            if pair is None:
                continue
            key = xxhash.xxh64_intdigest(
                f"{pair['prompt']}\0{pair['chosen']}\0{pair['rejected']}".encode()
            )
            if key in seen:
                counts["duplicate_pair"] += 1
                continue
            seen.add(key)
            kept.append((_split(pair["prompt"], seed, val_share), pair))
    kept = _drop_exam_overlaps(kept, exam, counts)
    files = {}
    for fmt in params.formats:
        for code, split in enumerate(SPLITS):
            chosen = [pair for s, pair in kept if s == code]
            with atomic_write(root / file_key(fmt, split)) as handle:
                handle.writelines(dumps_line(PAIR_BUILDERS[fmt](p)) for p in chosen)
            files[file_key(fmt, split)] = len(chosen)
    ratios = np.array([len(p["chosen"]) / max(1, len(p["rejected"])) for _, p in kept])
    warnings = []
    share = _share(ratios > 1)
    if share is not None and share >= params.length_bias_share:
        warnings.append(
            f"pairs: length bias — the chosen answer is longer in {share:.0%} of the imported "
            "pairs; DPO would learn that longer is better (consider pref_loss: simpo)"
        )
    preference = {
        "source": str(path),
        "counts": dict(sorted(counts.items())),
        "pairs": {split: sum(1 for s, _ in kept if s == code) for code, split in enumerate(SPLITS)},
        "length_ratio": _distribution(ratios),
        "chosen_longer_share": share,
        "warnings": warnings,
        "exam_check": {k: v for k, v in exam.items() if k != "index"},
    }
    return {"files": files, "preference": preference, "rejects": counts["malformed"]}


def _clean(item: dict, steps, params, counts: Counter) -> dict[str, Any] | None:
    """The pair with its texts cleaned, or None (counted) when a filter drops it."""
    answers = []
    for side in ("chosen", "rejected"):
        probe = _probe(item["id"], item["prompt"], item[side])
        reason = _run(steps, probe)
        if reason:
            counts[f"{side}:{reason}"] += 1
            return None
        answers.append(probe)
    chosen, rejected = answers
    if jaccard(chosen["answer"], rejected["answer"], params.ngram) >= params.near_duplicate:
        counts["near_duplicate"] += 1
        return None
    text_steps = [s for s in steps if s.name in _TEXT_STEPS]
    history = [{**t, "content": _clean_text(t["content"], text_steps)} for t in item["history"]]
    counts["kept"] += 1
    return {
        "id": item["id"],
        "prompt": chosen["question"],
        "history": history,
        "chosen": chosen["answer"],
        "rejected": rejected["answer"],
        "system": _clean_text(item["system"], text_steps) if item["system"] else "",
        "department": "",
        "margin": None,
    }


def _probe(rid: str, question: str, answer: str) -> dict[str, Any]:
    return {
        "id": rid,
        "source": "",
        "department": [],
        "question": question,
        "answer": answer,
        "meta": {},
    }


def _run(steps, probe: dict) -> str | None:
    for step in steps:
        reason = step.apply(probe, StepStats())
        if reason:
            return f"{step.name}:{reason}"
    return None


def _clean_text(text: str, steps) -> str:
    probe = _probe("", text, text)
    for step in steps:
        step.apply(probe, StepStats())
    return probe["question"]


def _split(prompt: str, seed: int, val_share: float) -> int:
    """0 train, 1 val: a seeded hash of the prompt (a prompt's pairs share a split)."""
    value = xxhash.xxh64_intdigest(prompt.encode(), seed=seed) / 2**64
    return 1 if value < val_share else 0

"""Preference data for DPO / ORPO / SimPO: pairs from the doctors' answers of each question
(``pairs`` recipe step), written as LLaMA-Factory ranking datasets and registered in
``dataset_info.json`` as ``<name>_dpo_train`` / ``<name>_dpo_val`` (alpaca) and
``<name>_dpo_sharegpt_*``. The hooks :mod:`dataprep.pipeline` calls are below."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dataprep.dataset_info import merge_entries, relative_file_name
from dataprep.preference.build import (
    PairsOutput,
    build_pairs,
    carries_candidates,
    request_candidates,
)
from dataprep.preference.params import PairsParams
from dataprep.preference.ranking import entry_name, file_key, ranking_entry
from dataprep.preference.summary import render
from medqa.io import write_json

__all__ = [
    "PairsParams",
    "register",
    "request_candidates",
    "carries_candidates",
    "run_step",
    "add_to_stats",
]


def run_step(
    recipe, state, result, steps, config, root: Path, workers: int = 1, candidates: bool = True
) -> PairsOutput | None:
    """Build the pairs if the recipe has a ``pairs`` step (after the write pass);
    ``candidates``: whether any input carries answer candidates (else no spool pass)."""
    if recipe.get("pairs") is None:
        return None
    exam, field = config.exam_index, config.exam_field
    return build_pairs(recipe, state, result, steps, exam, field, root, workers, candidates)


def add_to_stats(
    output: PairsOutput | None, stats: dict[str, Any], root: Path, workers: int = 1
) -> None:
    """Put the pairs' files, statistics and charts (drawn by up to ``workers`` processes)
    into the run's ``stats.json``."""
    if output is None:
        return
    charts = render(output.stats, output.ratios, root / "charts", workers)
    stats["files"].update(output.files)
    stats["preference"] = {**output.stats, "charts": [f"charts/{p.name}" for p in charts]}
    stats["charts"] = [*stats.get("charts", []), *stats["preference"]["charts"]]
    write_json(root / "stats.json", stats)


def warnings(stats: dict[str, Any]) -> list[str]:
    """The pairs step's warnings (length bias, no pairs)."""
    return list((stats.get("preference") or {}).get("warnings", []))


def notes(stats: dict[str, Any]) -> list[str]:
    """The pairs step's notes (no input that can carry pairs)."""
    note = (stats.get("preference") or {}).get("note")
    return [note] if note else []


def register(
    folder: Path, name: str, stats: dict, info_path: Path, replace: frozenset[str] = frozenset()
) -> None:
    """Merge the ranking entries of this run into ``info_path`` (``"ranking": true``)."""
    preference = stats.get("preference")
    if preference is None:
        return
    entries = {}
    for fmt in preference_formats(stats):
        for split in ("train", "val"):
            path = relative_file_name(folder / file_key(fmt, split), info_path)
            entries[entry_name(name, fmt, split)] = ranking_entry(path, fmt)
    merge_entries(info_path, entries, prune_under=folder, replace=replace)


def preference_formats(stats: dict) -> list[str]:
    """The ranking formats a run wrote (from its file list)."""
    found = {key.split("/")[1] for key in stats["files"] if key.startswith("dpo/")}
    return [fmt for fmt in ("alpaca", "sharegpt") if fmt in found]

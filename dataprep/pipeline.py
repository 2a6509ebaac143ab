"""``medqa prep run``: readers → per-record steps (parallel) → global steps → writers.

Pass 1 streams every QA input through the per-record steps in worker processes (or Ray tasks:
dataprep/executors) and spools the kept records to disk, keeping only compact per-record
columns in memory. The global steps (globalsteps.py: dedup, department classifier, split,
test-question index) are blocks over those columns, streaming the spool when they need text. Everything is written into a staging folder that replaces
``<out>/<name>`` only when complete, then dataset_info.json is merged.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from dataprep import globalsteps, outputs, parallel, preference, writepass
from dataprep.classifier import CountTable
from dataprep.columns import PASS_ONE, concat
from dataprep.dataset_info import check_repoint
from dataprep.exams import ExamSet, collect_exams
from dataprep.executors import make_executor
from dataprep.minhash import MinHasher
from dataprep.readers import InputSpec, Reader, disambiguate_ids, open_input
from dataprep.readers.files import iter_spans
from dataprep.recipe import Recipe
from dataprep.spool import Spool
from dataprep.steps.base import StepStats
from dataprep.steps.deidentify import Deidentify
from dataprep.steps.department import DepartmentMap
from dataprep.steps.normalize import Normalize
from dataprep.steps.quality import Quality
from dataprep.taxonomy import Taxonomy
from dataprep.worker import ChunkResult, ReadConfig
from medqa.io import atomic_write, dumps_line

STEP_CLASSES = {
    "normalize": Normalize,
    "deidentify": Deidentify,
    "quality": Quality,
    "department": DepartmentMap,
}
UNITS_PER_CHUNK = 1000
SPAN_BYTES = 1 << 19  # ~700 raw crawl records
SMALL_INPUT_BYTES = 2 << 20


@dataclass
class RunOptions:
    """Where and how to run: ``out/<name>/`` for the files, ``dataset_info`` to merge into
    (None: don't), a local tokenizer path for token statistics, the number of workers, the
    executor ("local" or "ray") and, for Ray, the cluster address (None: start one here)."""

    out: Path
    name: str | None = None
    dataset_info: Path | None = Path("dataset_info.json")
    tokenizer: str | None = None
    workers: int = 0
    progress: bool = False
    allow_empty: bool = False  # write a dataset with no records (else refused)
    replace_entries: frozenset[str] = frozenset()  # dataset_info entries it may repoint
    executor: str = "local"
    address: str | None = None


@dataclass
class RunState:
    """What pass 1 leaves for the global steps."""

    spool: Spool
    arrays: dict[str, Any]  # per-record columns (dataprep/columns.py)
    stats: dict[str, StepStats]
    examples: dict[tuple[str, str], list[dict]]
    tables: dict[str, CountTable] = field(default_factory=dict)
    rejects: int = 0
    input_counts: list[dict[str, Any]] = field(default_factory=list)
    per_input: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    signature_bytes: int = 0


@dataclass
class RunResult:
    """Where the dataset went, its stats, and wall-clock seconds per phase (not in stats.json,
    which stays byte-identical across reruns)."""

    dataset_dir: Path
    stats: dict[str, Any]
    seconds: float
    records_per_second: float
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.timings[phase] = round(self.timings.get(phase, 0.0) + now - self._last, 3)
        self._last = now


def run(recipe: Recipe, extra_inputs: list[InputSpec], options: RunOptions) -> RunResult:
    """Run ``recipe`` over its inputs plus ``extra_inputs``; return where the dataset went."""
    started = time.perf_counter()
    name = options.name or recipe.name
    if not name or name in (".", "..") or any(sep in name for sep in "/\\"):
        raise ValueError(f"dataset name {name!r} must be a plain folder name (no '/', '..')")
    readers = [open_input(spec) for spec in [*recipe.inputs, *extra_inputs]]
    if not readers:
        raise ValueError("no inputs: pass --input PATH (or list inputs in the recipe)")
    disambiguate_ids(readers)
    preference.request_candidates(recipe, readers)
    shown = Path(options.out) / name  # what the user named (registered paths use it)
    final = outputs.resolve_output(shown)
    if options.dataset_info is not None:
        check_repoint(
            options.dataset_info, name, shown, recipe.output.formats, options.replace_entries
        )
    for folder in {shown, final}:  # leftovers beside a symlinked output and its target
        outputs.recover_interrupted(folder)
    outputs.check_replaceable(final)
    before = outputs.previous_records(final)
    staging = outputs.staging_folder(final)
    shutil.rmtree(staging, ignore_errors=True)
    (staging / ".work").mkdir(parents=True)
    timer = _Timer()
    try:
        stats = _run_into(recipe, readers, options, name, staging, timer)
        _refuse_empty(stats, shown, before, options.allow_empty)
        outputs.swap_into_place(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if options.dataset_info is not None:
        formats, replace = recipe.output.formats, options.replace_entries
        outputs.register(shown, name, stats, options.dataset_info, formats, replace)
        preference.register(shown, name, stats, options.dataset_info, replace)
    timer.lap("finish")
    seconds = time.perf_counter() - started
    read = stats["funnel"][0]["seen"] if stats["funnel"] else 0
    result = RunResult(shown, stats, seconds, read / seconds if seconds else 0.0, timer.timings)
    now = sum(stats["splits"].values())
    if before is not None and now < before:
        result.warnings.append(f"replaced {shown} ({before:,} records) by {now:,} records")
    result.warnings += preference.warnings(stats)
    result.notes += preference.notes(stats)
    return result


def _refuse_empty(stats: dict, shown: Path, before: int | None, allow_empty: bool) -> None:
    """An empty result (nothing read, or everything rejected or dropped) replaces nothing and
    writes nothing unless ``allow_empty``."""
    if allow_empty or sum(stats["splits"].values()) > 0:
        return
    read = stats["funnel"][0]["seen"] if stats["funnel"] else 0
    kept = (
        f"; the existing {shown} ({before:,} records) is kept as it was"
        if before is not None
        else ""
    )
    raise outputs.OutputError(
        f"the run produced no records ({read:,} input units read, {stats['rejects']:,} "
        f"rejected as malformed); nothing was written{kept}. Check the inputs, or pass "
        "--allow-empty to write an empty dataset"
    )


def _run_into(recipe, readers, options, name, staging, timer: _Timer) -> dict[str, Any]:
    """Run the steps on the chosen executor (a Ray instance started here spills objects into
    a temporary folder, removed afterwards)."""
    ray_here = options.executor == "ray" and options.address is None
    spill = Path(tempfile.mkdtemp(prefix="medqa-prep-spill-")) if ray_here else None
    if options.workers:
        workers = options.workers
    else:
        workers = (os.cpu_count() or 1) if options.executor == "ray" else _auto_workers(readers)
    try:
        executor = make_executor(options.executor, workers, options.address, spill)
        try:
            with parallel.using(executor):
                return _run_steps(recipe, readers, options, name, staging, timer, executor, workers)
        finally:
            executor.close()
    finally:
        if spill is not None:
            shutil.rmtree(spill, ignore_errors=True)


def _run_steps(recipe, readers, options, name, staging, timer, executor, workers) -> dict:
    steps = [STEP_CLASSES[n](params) for n, params in recipe.steps if n in STEP_CLASSES]
    normalize = next((s for s in steps if isinstance(s, Normalize)), None)
    qa_readers = [r for r in readers if r.kind == "qa" or r.options.get("to_sft")]
    exam_readers = [r for r in readers if r not in qa_readers]
    exams = collect_exams(exam_readers, recipe.get("decontaminate"), normalize)
    config = _read_config(recipe, qa_readers, steps, exams, staging / ".work" / "spool")
    with atomic_write(staging / "rejects.jsonl") as rejects:
        for reject in exams.rejects:
            rejects.write(dumps_line(reject))
        state = _pass_one(config, executor, rejects, options)
    timer.lap("read+per-record steps")
    state.rejects += len(exams.rejects)
    state.input_counts = _input_counts(readers, qa_readers, state, exams)
    # the signatures are freed as soon as the last global step reading them is done, so the
    # write workers do not fork with them (they would inherit the pages)
    result = globalsteps.run_global(recipe, state, executor, workers, timer.lap)
    state.tables = {}
    written = writepass.write_dataset(recipe, state, result, staging, options.tokenizer, workers)
    timer.lap("write")
    candidates = preference.carries_candidates(readers)
    try:  # the split files are joined meanwhile
        pairs = preference.run_step(
            recipe, state, result, steps, config, staging, workers, candidates
        )
    finally:
        written.wait()
    timer.lap("pairs + joining")
    shutil.rmtree(staging / ".work")
    stats = outputs.finish(recipe, name, state, result, written, exams, staging, workers)
    preference.add_to_stats(pairs, stats, staging, workers)
    return stats


def _auto_workers(readers: list[Reader]) -> int:
    """All cores, except for small inputs (under 2 MB), where starting workers costs more
    than it saves."""
    size = sum(_size(reader.path) for reader in readers)
    return 1 if size < SMALL_INPUT_BYTES else os.cpu_count() or 1


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir() if p.is_file())
    return path.stat().st_size


def _read_config(recipe: Recipe, readers, steps, exams: ExamSet, spool_dir: Path) -> ReadConfig:
    dedup, split, dept = recipe.get("dedup"), recipe.get("split"), recipe.get("department")
    decon = recipe.get("decontaminate")
    need_qsig = (dedup is not None and dedup.near) or (
        split is not None and split.group_threshold is not None
    )
    hasher = MinHasher(dedup.num_perm, dedup.ngram) if dedup else MinHasher()
    qa = dedup is not None and dedup.near and dedup.key == "qa"
    spool_dir.mkdir(parents=True, exist_ok=True)
    return ReadConfig(
        readers=readers,
        steps=steps,
        spool_dir=spool_dir,
        exam_index=exams.index(decon),
        exam_field=decon.field if decon else "question",
        hasher=hasher if need_qsig else None,
        qa_hasher=hasher if qa else None,
        dedup_key=dedup.key if dedup else "question",
        holdout=dept.holdout if dept is not None and dept.classify else None,
        n_classes=len(Taxonomy.load(dept.taxonomy).paths) if dept else 0,
        examples=recipe.output.examples_per_reason,
    )


def _chunks(readers: list[Reader]):
    """Pass-1 tasks in input order: byte spans of JSON Lines files (workers read them), or
    lists of units parsed here (CSV rows, JSON array items, joined cMedQA pairs)."""
    seq = 0
    for index, reader in enumerate(readers):
        if reader.line_based():
            for span in iter_spans(reader.path, SPAN_BYTES):
                yield "span", index, seq, span
                seq += 1
            continue
        units = []
        for unit in reader.units():
            units.append(unit)
            if len(units) >= UNITS_PER_CHUNK:
                yield "units", index, seq, units
                seq, units = seq + 1, []
        if units:
            yield "units", index, seq, units
            seq += 1


def _pass_one(config: ReadConfig, executor, rejects, options) -> RunState:
    state = RunState(Spool(config.spool_dir), {}, defaultdict(StepStats), defaultdict(list))
    parts: dict[str, list[Any]] = defaultdict(list)
    state.tables = {"fit": CountTable(config.n_classes), "held": CountTable(config.n_classes)}
    bar = tqdm(unit=" lines", disable=not options.progress, desc="read+clean")
    tasks = _chunks(config.readers)
    for task_input, result in _with_inputs(tasks, executor, config):
        _merge_chunk(state, parts, result, rejects, config.examples)
        counts = state.per_input[task_input]
        counts[0] += result.stats["read"].seen
        counts[1] += result.kept
        counts[2] += len(result.rejects)
        bar.update(result.stats["read"].seen)
    bar.close()
    state.arrays = {key: concat(key, values) for key, values in parts.items()}
    if not state.arrays:
        state.arrays = _empty_arrays()
    return state


def _with_inputs(tasks, executor, config):
    """Run the chunks; yield (input index, result) in order."""
    order: list[int] = []

    def tagged():
        for task in tasks:
            order.append(task[1])  # (kind, input index, seq, payload)
            yield task

    for k, result in enumerate(executor.chunk_results(tagged(), config)):
        yield order[k], result


def _merge_chunk(state: RunState, parts, result: ChunkResult, rejects, limit: int) -> None:
    state.spool.add(result.seq, result.kept)
    for key, values in result.arrays.items():
        parts[key].append(values)
    for name, step_stats in result.stats.items():
        state.stats[name].merge(step_stats)
    for reject in result.rejects:
        rejects.write(dumps_line(reject))
    state.rejects += len(result.rejects)
    for key, found in result.examples.items():
        bucket = state.examples[key]
        bucket.extend(found[: max(0, limit - len(bucket))])
    for part, (keys, counts, classes) in result.nb.items():
        state.tables[part].add(keys, counts, classes)


def _empty_arrays() -> dict[str, np.ndarray]:
    """The columns of a run that spooled nothing (signatures and hold-out flags are optional)."""
    optional = ("qsig", "dsig", "held")
    return {n: np.zeros(0, c.dtype) for n, c in PASS_ONE.items() if n not in optional}


def _input_counts(readers, qa_readers, state: RunState, exams: ExamSet) -> list[dict[str, Any]]:
    out = []
    for reader in readers:
        entry = {"path": str(reader.path), "format": reader.format}
        if reader in qa_readers:
            units, records, rejected = state.per_input[qa_readers.index(reader)]
            entry.update(kind="qa", units=units, records_after_steps=records, rejects=rejected)
        else:
            entry.update(
                kind="mcq", rejects=sum(r["file"] == str(reader.path) for r in exams.rejects)
            )
        out.append(entry)
    return out

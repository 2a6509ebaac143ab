"""Per-record work, run in worker processes: read and parse a chunk of input, run the
per-record steps, write the kept records to a spool shard, and return what the global steps
need (compact numpy arrays) and the chunk's counters."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import xxhash

from dataprep.classifier import features, sparse_counts
from dataprep.contamination import NgramIndex
from dataprep.minhash import MinHasher
from dataprep.readers.base import Reader
from dataprep.readers.files import read_span
from dataprep.records import Reject, Skip
from dataprep.steps.base import RecordStep, StepStats
from dataprep.steps.decontaminate import checked_text
from dataprep.steps.dedup import dedup_text, exact_hash
from dataprep.steps.department import is_held_out
from dataprep.steps.quality import Quality
from dataprep.textutil import clip
from dataprep.writers import alpaca_question


@dataclass
class ReadConfig:
    """Everything a worker needs; built once in the main process."""

    readers: list[Reader]
    steps: list[RecordStep]
    spool_dir: Path
    exam_index: NgramIndex | None = None
    exam_field: str = "question"
    hasher: MinHasher | None = None  # question signatures (dedup and leakage groups)
    qa_hasher: MinHasher | None = None  # question+answer signatures (dedup key "qa")
    dedup_key: str = "question"
    holdout: float | None = None  # classifier hold-out share; None: no classifier
    n_classes: int = 0
    examples: int = 20


@dataclass
class ChunkResult:
    """One chunk: how many records it spooled (shard ``seq``), their per-record arrays, and
    the chunk's counters."""

    seq: int
    kept: int
    arrays: dict[str, np.ndarray]
    stats: dict[str, StepStats]
    rejects: list[dict[str, Any]]
    examples: dict[tuple[str, str], list[dict]]
    nb: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)


_CONFIG: ReadConfig | None = None


def init(config: ReadConfig) -> None:
    """Pool initializer: keep the configuration for :func:`process_chunk`."""
    global _CONFIG
    _CONFIG = config


def process_chunk(task: tuple) -> ChunkResult:
    """One chunk of input ``task[1]``: ``("span", input, seq, (start, end, first_line))`` (the
    worker reads the bytes itself) or ``("units", input, seq, units)``. Parses it, runs the
    per-record steps and writes the kept records to spool shard ``seq``."""
    config = _CONFIG
    kind, input_index, seq, payload = task
    reader = config.readers[input_index]
    units = read_span(reader.path, *payload) if kind == "span" else payload
    stats = defaultdict(StepStats)
    stats["read"]  # a chunk of blank lines still reports what it read
    rejects: list[dict[str, Any]] = []
    examples: dict[tuple[str, str], list[dict]] = defaultdict(list)
    kept = []
    scorer = deferred_scorer(config.steps)
    for line_no, payload in units:
        stats["read"].seen += 1
        for item in reader.parse(line_no, payload):
            if isinstance(item, Reject):
                rejects.append(
                    {"file": str(reader.lines_file()), "line": line_no, "reason": item.reason}
                )
                stats["read"].drop("malformed")
            elif isinstance(item, Skip):
                stats["read"].drop(item.reason)
            else:
                stats["read"].kept += 1
                if _run_steps(item, config, stats, examples, scorer):
                    kept.append(item)
    kept = _check_exams(kept, config, stats, examples)
    if scorer is not None:
        scorer.score_records(kept)
    if kept:
        with open(config.spool_dir / f"{seq:08d}.jsonl", "wb") as shard:
            shard.writelines(orjson.dumps(record) + b"\n" for record in kept)
    return ChunkResult(
        seq,
        len(kept),
        _arrays(kept, config),
        dict(stats),
        rejects,
        dict(examples),
        _classifier_counts(kept, config),
    )


def deferred_scorer(steps: list[RecordStep]) -> Quality | None:
    """The quality step, when it can score a batch of kept records at once
    (:meth:`Quality.score_records`: no filter reads the scores while the steps run)."""
    found = next((step for step in steps if isinstance(step, Quality)), None)
    return found if found is not None and found.defers_scores() else None


def _run_steps(record: dict, config: ReadConfig, stats, examples, scorer=None) -> bool:
    for step in config.steps:
        step_stats = stats[step.name]
        step_stats.seen += 1
        if step is scorer:
            reason = step.apply(record, step_stats, score=False)
        else:
            reason = step.apply(record, step_stats)
        if reason:
            step_stats.drop(reason)
            add_example(examples, step.name, reason, record, config.examples)
            return False
        step_stats.kept += 1
    return True


def add_example(examples, step: str, reason: str, record: dict, limit: int, **extra) -> None:
    """Keep up to ``limit`` dropped records per (step, reason) for ``medqa prep inspect``."""
    bucket = examples[step, reason]
    if len(bucket) < limit:
        bucket.append(
            {
                "step": step,
                "reason": reason,
                "id": record["id"],
                "question": clip(record["question"]),
                "answer": clip(record["answer"]),
                **extra,
            }
        )


def _check_exams(kept: list[dict], config: ReadConfig, stats, examples) -> list[dict]:
    if config.exam_index is None:
        return kept
    step = stats["decontaminate"]
    matches = config.exam_index.match([checked_text(r, config.exam_field) for r in kept])
    survivors = []
    for record, match in zip(kept, matches, strict=True):
        step.seen += 1
        if match is None:
            step.kept += 1
            survivors.append(record)
            continue
        step.drop("overlaps_exam")
        add_example(
            examples,
            "decontaminate",
            "overlaps_exam",
            record,
            config.examples,
            exam_id=match[0],
            overlap=match[1],
        )
    return survivors


def _arrays(kept: list[dict], config: ReadConfig) -> dict[str, np.ndarray]:
    questions = [r["question"] for r in kept]
    arrays = {
        "score": np.array([r["meta"].get("quality", _default_score(r)) for r in kept], np.float32),
        "code": np.array([r["meta"].get("department_code", -1) for r in kept], np.int16),
        "qhash": np.array([exact_hash(q) for q in questions], np.uint64),
        "group": np.array([_hash(r["meta"].get("group")) for r in kept], np.uint64),
        "idhash": np.array([_hash(r["id"]) for r in kept], np.uint64),
        "qlen": np.array([len(alpaca_question(r)) for r in kept], np.int32),
        "alen": np.array([len(r["answer"]) for r in kept], np.int32),
    }
    arrays["exact"] = (
        arrays["qhash"]
        if config.dedup_key == "question"
        else np.array([exact_hash(dedup_text(r, "qa")) for r in kept], np.uint64)
    )
    if config.hasher is not None:
        arrays["qsig"] = config.hasher.signatures(questions)
    if config.qa_hasher is not None:
        arrays["dsig"] = config.qa_hasher.signatures([dedup_text(r, "qa") for r in kept])
    if config.holdout is not None:
        arrays["held"] = np.array(
            [
                r["meta"].get("department_code", -1) >= 0 and is_held_out(r["id"], config.holdout)
                for r in kept
            ],
            dtype=bool,
        )
    return arrays


def _classifier_counts(kept: list[dict], config: ReadConfig) -> dict:
    """Sparse NB counts of labelled records: "fit" and "held" (held-out) parts."""
    if config.holdout is None:
        return {}
    labelled = [r for r in kept if r["meta"].get("department_code", -1) >= 0]
    held = [is_held_out(r["id"], config.holdout) for r in labelled]
    out = {}
    for part, wanted in (("fit", False), ("held", True)):
        chosen = [r for r, flag in zip(labelled, held, strict=True) if flag == wanted]
        classes = np.array([r["meta"]["department_code"] for r in chosen], dtype=np.int64)
        owners, buckets = features([classifier_text(r) for r in chosen])
        keys, counts = sparse_counts(classes, owners, buckets)
        out[part] = (keys, counts, classes)
    return out


def classifier_text(record: dict) -> str:
    """What the department classifier reads: question and answer."""
    return f"{record['question']}\n{record['answer']}"


def _default_score(record: dict) -> float:
    return min(len(record["answer"]), 400) / 400


def _hash(value: Any) -> int:
    if value is None or value == "":
        return 0
    return xxhash.xxh64_intdigest(str(value).encode("utf-8"))

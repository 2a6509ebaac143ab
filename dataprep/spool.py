"""The spool: records kept by the per-record steps, one JSON line each, in shard files that
the workers write themselves (one shard per input chunk, numbered in input order).

Global steps keep only compact arrays in memory; when they need text (the classifier, the
write pass) workers read the shards directly, so records never travel between processes.
The same layout is how a run scales out: shards are independent (see dataprep/README.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from dataprep.classifier import NaiveBayes
from dataprep.parallel import ordered_map
from dataprep.worker import classifier_text


@dataclass(frozen=True)
class Shard:
    """One spool file: where it is, the global index of its first record, how many records."""

    path: Path
    start: int
    count: int

    def lines(self) -> list[bytes]:
        with open(self.path, "rb") as handle:
            return handle.readlines()


class Spool:
    """Ordered shards of JSON-line records, addressed by global order (0, 1, …)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.shards: list[Shard] = []
        self.count = 0

    def shard_path(self, seq: int) -> Path:
        return self.folder / f"{seq:08d}.jsonl"

    def add(self, seq: int, count: int) -> None:
        """Register shard ``seq`` (written by a worker) with ``count`` records, in order."""
        if count:
            self.shards.append(Shard(self.shard_path(seq), self.count, count))
            self.count += count

    def records(self, wanted: np.ndarray | None = None) -> Iterator[tuple[int, dict]]:
        """``(index, record)`` of the wanted records (a boolean mask; all if None), in order."""
        for shard in self.shards:
            if wanted is not None and not wanted[shard.start : shard.start + shard.count].any():
                continue
            for offset, line in enumerate(shard.lines()):
                index = shard.start + offset
                if wanted is None or wanted[index]:
                    yield index, orjson.loads(line)

    def map(
        self, func: Callable, make_task: Callable[[Shard], Any | None], workers: int, init, initargs
    ) -> Iterator[tuple[Shard, Any]]:
        """``(shard, func(make_task(shard)))`` in shard order, computed by the workers;
        shards whose task is None are skipped."""
        chosen: list[Shard] = []

        def tasks():
            for shard in self.shards:
                task = make_task(shard)
                if task is not None:
                    chosen.append(shard)
                    yield task

        for k, result in enumerate(ordered_map(func, tasks(), workers, init, initargs)):
            yield chosen[k], result


_MODEL: Any = None


def init_model(model: Any) -> None:
    """Pool initializer: the classifier the spool workers use."""
    global _MODEL
    _MODEL = model


def classify_shard(task: tuple[Shard, np.ndarray]) -> np.ndarray:
    """Department codes predicted for the wanted records of one shard (a boolean mask)."""
    shard, wanted = task
    model: NaiveBayes = _MODEL
    lines = shard.lines()
    texts = [classifier_text(orjson.loads(lines[k])) for k in np.flatnonzero(wanted)]
    return model.predict(texts)


def predict(spool: Spool, wanted: np.ndarray, model: NaiveBayes, workers: int) -> np.ndarray:
    """The model's department code for every wanted record, in order."""

    def task(shard: Shard):
        part = wanted[shard.start : shard.start + shard.count]
        return (shard, part) if part.any() else None

    parts = [codes for _, codes in spool.map(classify_shard, task, workers, init_model, (model,))]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

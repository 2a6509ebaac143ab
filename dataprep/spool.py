"""The spool: kept records after the per-record steps, one JSON line each, on disk.

Global steps keep only compact arrays in memory; whenever they need text (classifying,
the test-overlap check, writing) they stream the spool again, in parallel where it pays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from dataprep.classifier import NaiveBayes
from dataprep.parallel import ordered_map
from dataprep.worker import classifier_text

CHUNK = 2000


class Spool:
    """Append-only JSONL file of records, addressed by their order (0, 1, …)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._handle = open(path, "wb")  # noqa: SIM115 - closed by close()

    def extend(self, lines: list[bytes]) -> None:
        self._handle.writelines(lines)
        self.count += len(lines)

    def close(self) -> None:
        self._handle.close()

    def records(self, wanted: np.ndarray | None = None) -> Iterator[tuple[int, dict]]:
        """``(index, record)`` of the wanted records (a boolean mask; all if None), in order."""
        for index, line in self.lines(wanted):
            yield index, orjson.loads(line)

    def lines(self, wanted: np.ndarray | None = None) -> Iterator[tuple[int, bytes]]:
        with open(self.path, "rb") as handle:
            for index, line in enumerate(handle):
                if wanted is None or wanted[index]:
                    yield index, line

    def chunks(self, wanted: np.ndarray) -> Iterator[tuple[list[int], list[bytes]]]:
        """The wanted lines in chunks of ``CHUNK``, as (indices, raw lines)."""
        indices, lines = [], []
        for index, line in self.lines(wanted):
            indices.append(index)
            lines.append(line)
            if len(lines) >= CHUNK:
                yield indices, lines
                indices, lines = [], []
        if lines:
            yield indices, lines

    def map(self, wanted: np.ndarray, func: Callable, workers: int, init, initargs) -> np.ndarray:
        """Concatenated results of ``func(lines)`` over the wanted records (parallel)."""
        results = [
            np.asarray(result)
            for result in ordered_map(
                func, (lines for _, lines in self.chunks(wanted)), workers, init, initargs
            )
        ]
        return np.concatenate(results) if results else np.zeros(0)


_MODEL: Any = None


def init_model(model: Any) -> None:
    """Pool initializer: the classifier the spool workers use."""
    global _MODEL
    _MODEL = model


def classify_lines(lines: list[bytes]) -> np.ndarray:
    """Department code predicted for each record line (uses the :class:`NaiveBayes` model)."""
    model: NaiveBayes = _MODEL
    return model.predict([classifier_text(orjson.loads(line)) for line in lines])

"""Where a prep run's work runs: this machine's worker processes (``local``, the default) or a
Ray cluster (``ray``, the ``[ray]`` extra). Both run the same functions — worker.py's chunk
function for pass 1, the spool passes, the global blocks of globalsteps.py — so their outputs
are byte-identical; they differ in where signatures live and how LSH banding is spread.

An executor offers:
- ``map(func, tasks, init, initargs)``: ``func(task)`` for each task, in task order;
- ``chunk_results(tasks, config)``: pass 1 (worker.process_chunk) over the input chunks;
- ``similar_pairs(sig, threshold, bands, members, verify)``: minhash.similar_pairs's result
  for a signature column (an array, or a column held on the cluster);
- ``close()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from dataprep.minhash import SimilarPairs, Verify, similar_pairs
from dataprep.parallel import process_map
from dataprep.worker import ChunkResult, ReadConfig, init, process_chunk

EXECUTORS = ("local", "ray")


@dataclass
class LocalExecutor:
    """Worker processes on this machine (``workers``; 1: in this process)."""

    workers: int = 1
    name = "local"
    distributed = False

    def map(self, func, tasks: Iterable[Any], initializer=None, initargs: tuple = ()) -> Iterator:
        return process_map(func, tasks, self.workers, initializer, initargs)

    def chunk_results(self, tasks: Iterable[tuple], config: ReadConfig) -> Iterator[ChunkResult]:
        return self.map(process_chunk, tasks, init, (config,))

    def similar_pairs(
        self, sig, threshold: float, bands: int | None, members, verify: Verify | None = None
    ) -> SimilarPairs:
        return similar_pairs(sig, threshold, bands, members, verify, workers=self.workers)

    def close(self) -> None:
        pass


def make_executor(name: str, workers: int, address: str | None = None, scratch=None):
    """The executor called ``name``: ``local`` with ``workers`` processes, or ``ray`` on the
    cluster at ``address`` ("auto", "HOST:PORT"; None: a Ray instance started for this run
    with ``workers`` CPUs, spilling objects under ``scratch``)."""
    if name == "local":
        if address is not None:
            raise ValueError("--address needs --executor ray")
        return LocalExecutor(workers)
    if name == "ray":
        try:
            from dataprep.executors.ray_executor import RayExecutor
        except ImportError as exc:
            raise ExecutorError(
                f"--executor ray needs Ray ({exc}): pip install 'medqa-factory[ray]'"
            ) from exc

        return RayExecutor.connect(address, workers, scratch)
    raise ValueError(f"executor {name!r}: use one of {', '.join(EXECUTORS)}")


class ExecutorError(RuntimeError):
    """The executor could not run the work (cluster unreachable, a task lost after retries);
    nothing of the run was written."""

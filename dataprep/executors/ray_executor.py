"""The Ray executor: the run's parallel work as Ray tasks on a cluster (``--executor ray``).

Pass 1 runs worker.py's chunk function as one task per input byte span (or parsed unit list);
each task writes its spool shard and returns its counters to the driver, while its MinHash
signatures stay in the object store as separate task outputs (owned by the driver, so Ray
rebuilds them from lineage if a node is lost). Every later spool pass (classifier, write pass,
preference pairs) is the same function the local executor runs, as tasks over spool shards;
LSH banding is spread over the cluster by band key (ray_lsh.py). A task whose worker dies is
retried by Ray (``max_retries``); a task that still fails stops the run with
:class:`ExecutorError` before anything is swapped into place.

Spool, pieces and outputs are files under the output folder, so on a multi-node cluster that
folder must be on storage every node mounts at the same path (see dataprep/README.md).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import ray
import ray.exceptions

from dataprep import worker
from dataprep.columns import ChunkedColumn, Held
from dataprep.executors import ExecutorError
from dataprep.executors.ray_lsh import similar_pairs as cluster_similar_pairs
from dataprep.minhash import SimilarPairs, Verify, similar_pairs

HELD_COLUMNS = ("qsig", "dsig")  # pass-1 columns left in the object store
IN_FLIGHT_PER_CPU = 2  # tasks submitted ahead of the one the driver waits for, per CPU
LOCAL_STORE_FLOOR = 512 << 20  # smallest object store of a Ray instance started for one run
LOCAL_STORE_SHARE = 0.3  # of the memory available at start: Ray's own default share


@dataclass
class RayExecutor:
    """Ray tasks on the connected cluster (``cpus`` CPUs); ``started``: this run started the
    Ray instance and stops it on :meth:`close`."""

    cpus: int
    started: bool
    name = "ray"
    distributed = True

    @classmethod
    def connect(cls, address: str | None, workers: int, scratch: Path | None) -> RayExecutor:
        """Join the cluster at ``address``, or start a one-machine instance (``workers`` CPUs,
        all if 0) whose objects spill under ``scratch``."""
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no network at run time
        if ray.is_initialized():
            return cls(_cpus(), started=False)
        quiet = {"log_to_driver": False, "logging_level": "ERROR"}
        if address and address != "auto":
            _check_reachable(address)
        try:
            if address:
                ray.init(address=address, **quiet)
            else:
                spill = {"type": "filesystem", "params": {"directory_path": str(scratch)}}
                ray.init(
                    num_cpus=workers or os.cpu_count() or 1,
                    object_store_memory=local_store_bytes(),
                    include_dashboard=False,
                    _system_config={"object_spilling_config": json.dumps(spill)},
                    **quiet,
                )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = f"the Ray cluster at {address}" if address else "a local Ray instance"
            raise ExecutorError(f"--executor ray: cannot start or join {where}: {exc}") from exc
        return cls(_cpus(), started=True)

    def map(self, func, tasks: Iterable[Any], initializer=None, initargs: tuple = ()) -> Iterator:
        """``func(task)`` for each task as Ray tasks, in task order; ``initializer(*initargs)``
        runs once per worker process (the arguments travel once, through the object store)."""
        setup = ray.put(initargs) if initializer is not None else None
        key = setup.hex() if setup is not None else ""
        for ref in self._bounded(_call.remote(func, initializer, key, [setup], t) for t in tasks):
            yield self._get(ref)

    def chunk_results(self, tasks: Iterable[tuple], config: worker.ReadConfig) -> Iterator:
        """Pass 1: worker.process_chunk per task; signature columns come back as :class:`Held`
        placeholders whose ``ref`` points at the task's separate output."""
        setup = ray.put((config,))
        calls = (
            _chunk.options(num_returns=1 + len(HELD_COLUMNS)).remote(setup.hex(), [setup], task)
            for task in tasks
        )
        for refs in self._bounded(calls):
            result = _owned(self._get(refs[0]))
            for name, ref in zip(HELD_COLUMNS, refs[1:], strict=True):
                if isinstance(result.arrays.get(name), Held):
                    result.arrays[name].ref = ref
            yield result

    def similar_pairs(
        self, sig, threshold: float, bands: int | None, members, verify: Verify | None = None
    ) -> SimilarPairs:
        """minhash.similar_pairs's result, banded on the cluster for a held column."""
        if isinstance(sig, ChunkedColumn):
            try:
                return cluster_similar_pairs(sig, threshold, bands, members, verify, self.cpus)
            except ray.exceptions.RayError as exc:
                raise _lost(exc) from exc
        return similar_pairs(sig, threshold, bands, members, verify)

    def close(self) -> None:
        if self.started and ray.is_initialized():
            ray.shutdown()

    def _bounded(self, refs: Iterable[Any]) -> Iterator[Any]:
        pending: deque = deque()
        for ref in refs:
            pending.append(ref)
            if len(pending) >= IN_FLIGHT_PER_CPU * self.cpus:
                yield pending.popleft()
        while pending:
            yield pending.popleft()

    @staticmethod
    def _get(ref: Any) -> Any:
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause if isinstance(exc.cause, Exception) else None
            if cause is not None and not isinstance(cause, ray.exceptions.RayError):
                raise cause from None  # the step's own error (bad input, bad config)
            raise _lost(exc) from exc
        except ray.exceptions.RayError as exc:
            raise _lost(exc) from exc


def _owned(result: worker.ChunkResult) -> worker.ChunkResult:
    """``result`` with its arrays copied out of the object store. ``ray.get`` hands numpy
    arrays back as views of the stored object, which then stays pinned for as long as the
    driver keeps them (all of pass 1): at 1M records the pinned results filled the 512 MiB
    store and every task waited in Ray's create-and-spill retry loop."""
    result.arrays = {
        name: values.copy() if isinstance(values, np.ndarray) else values
        for name, values in result.arrays.items()
    }
    result.nb = {name: tuple(part.copy() for part in parts) for name, parts in result.nb.items()}
    return result


def local_store_bytes(available: int | None = None, shm_free: int | None = None) -> int:
    """The object store of a Ray instance started for one run: Ray's default share of the
    memory available now, within what ``/dev/shm`` can hold (past it Ray falls back to a file
    on disk), and never under 512 MiB (spilling does the rest). A fixed 512 MiB made a 1M
    record run spill and restore its signatures and band keys for most of its time."""
    if available is None:
        available = psutil.virtual_memory().available
    if shm_free is None:
        shm_free = shutil.disk_usage("/dev/shm").free if os.path.isdir("/dev/shm") else available
    wanted = min(int(available * LOCAL_STORE_SHARE), int(shm_free * 0.9))
    return max(LOCAL_STORE_FLOOR, wanted)


def _lost(exc: Exception) -> ExecutorError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return ExecutorError(
        f"--executor ray: a task failed after Ray's retries ({type(exc).__name__}: {first}); "
        "nothing was written and the previous outputs are as they were"
    )


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail at once, naming the address, when nothing listens there (Ray itself would retry
    for minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ExecutorError(f"--address {address!r}: use auto or HOST:PORT (the head's GCS port)")
    try:
        socket.create_connection((host, int(port)), timeout).close()
    except OSError as exc:
        raise ExecutorError(
            f"--executor ray: no Ray head at {address} ({exc}); start one with "
            f"`ray start --head --port {port}` or pass --address auto"
        ) from exc


def _cpus() -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


_READY: dict[Any, str] = {}  # per worker process: initializer → key of the arguments it ran


def _ensure(initializer, key: str, box: list) -> None:
    if initializer is not None and _READY.get(initializer) != key:
        initializer(*ray.get(box[0]))
        _READY[initializer] = key


@ray.remote
def _call(func, initializer, key: str, box: list, task: Any) -> Any:
    _ensure(initializer, key, box)
    return func(task)


@ray.remote
def _chunk(key: str, box: list, task: tuple) -> tuple:
    _ensure(worker.init, key, box)
    result = worker.process_chunk(task)
    held: list[np.ndarray | None] = []
    for name in HELD_COLUMNS:
        values = result.arrays.get(name)
        if values is not None:
            result.arrays[name] = Held(len(values), values.shape[1], values.itemsize)
        held.append(values)
    return (result, *held)

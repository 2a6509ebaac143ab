"""An ordered, bounded parallel map over worker processes (or in-process with one worker).

Results come back in task order, so outputs do not depend on the number of workers; at most
``2 * workers`` tasks are in flight, so a fast reader never queues the whole input in memory.

While a distributed executor is active (:func:`using`, e.g. ``medqa prep run --executor ray``),
every :func:`ordered_map` of the run goes to it instead — the same functions, the same order —
so the spool passes of every stage (classifier, write pass, preference pairs) run on it without
knowing which executor they are on.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

_ACTIVE: list[Any] = []  # the distributed executor of the run in progress, if any


@contextmanager
def using(executor: Any) -> Iterator[None]:
    """Route :func:`ordered_map` to ``executor`` (its ``map``) while the block runs, if it is
    distributed; the local executor leaves the worker pools as they are."""
    if not getattr(executor, "distributed", False):
        yield
        return
    _ACTIVE.append(executor)
    try:
        yield
    finally:
        _ACTIVE.remove(executor)


def forking_is_safe() -> bool:
    """Whether this process may fork worker pools of its own: not while a distributed
    executor is active (its client threads, e.g. Ray's gRPC, do not survive a fork)."""
    return not _ACTIVE


def ordered_map(
    func: Callable[[Any], Any],
    tasks: Iterable[Any],
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
) -> Iterator[Any]:
    """Yield ``func(task)`` for each task, in order, computed by ``workers`` processes (or by
    the active distributed executor)."""
    if _ACTIVE:
        yield from _ACTIVE[-1].map(func, tasks, initializer, initargs)
        return
    yield from process_map(func, tasks, workers, initializer, initargs)


def process_map(
    func: Callable[[Any], Any],
    tasks: Iterable[Any],
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
) -> Iterator[Any]:
    """:func:`ordered_map` on this machine's worker processes."""
    if workers <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield from map(func, tasks)
        return
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    context = multiprocessing.get_context(method)
    with context.Pool(workers, initializer, initargs) as pool:
        pending: deque = deque()
        for task in tasks:
            pending.append(pool.apply_async(func, (task,)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()

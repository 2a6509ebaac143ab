"""An ordered, bounded parallel map over worker processes (or in-process with one worker).

Results come back in task order, so outputs do not depend on the number of workers; at most
``2 * workers`` tasks are in flight, so a fast reader never queues the whole input in memory.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any


def ordered_map(
    func: Callable[[Any], Any],
    tasks: Iterable[Any],
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
) -> Iterator[Any]:
    """Yield ``func(task)`` for each task, in order, computed by ``workers`` processes."""
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

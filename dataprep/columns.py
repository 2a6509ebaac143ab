"""The per-record columns the global steps work on, and the blocks that read and write them.

Pass 1 (worker.py's chunk function, on either executor) produces one value per spooled record
for each column in :data:`PASS_ONE`; the global steps are :class:`GlobalBlock` s, run in order,
each declaring the columns it reads and the ones it writes (:data:`GLOBAL`). A block sees its
columns through :class:`BlockColumns`, which refuses an undeclared read or write and checks each
written column's type and length, so what a step depends on is written down in one place.

A column is a numpy array on the driver, except signatures on the Ray executor, which stay in
the object store where they were computed (:class:`ChunkedColumn`); blocks hand those to the
executor (``similar_pairs``) and never index them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np


@dataclass(frozen=True)
class Column:
    """One per-record value: its numpy type (signatures: one row of ``num_perm`` uint16) and
    what it holds."""

    name: str
    dtype: str
    doc: str


def _columns(*specs: tuple[str, str, str]) -> dict[str, Column]:
    return {name: Column(name, dtype, doc) for name, dtype, doc in specs}


PASS_ONE = _columns(
    ("score", "float32", "quality score (dedup keeps the best of a cluster)"),
    ("code", "int16", "department code mapped from the record's labels (-1: none)"),
    ("qhash", "uint64", "hash of the normalised question"),
    ("group", "uint64", "hash of meta.group, the source question (0: none)"),
    ("idhash", "uint64", "hash of the record id (split order, duplicate ids)"),
    ("qlen", "int32", "characters of the alpaca question"),
    ("alen", "int32", "characters of the answer"),
    ("exact", "uint64", "hash of the dedup key text (exact duplicates)"),
    ("qsig", "uint16", "question MinHash signature (near dedup, leakage groups)"),
    ("dsig", "uint16", "question+answer MinHash signature (dedup key qa)"),
    ("held", "bool", "labelled record held out from the classifier's fit"),
)
GLOBAL = _columns(
    ("keep", "bool", "still in the dataset"),
    ("reason", "int8", "why a global step dropped it (globalsteps.GLOBAL_REASONS; 0 kept)"),
    ("related", "int64", "the record a dropped one duplicates or overlaps (-1: none)"),
    ("department", "int64", "final department code (mapped or predicted; -1: none)"),
    ("predicted", "bool", "department predicted by the classifier"),
    ("split", "int8", "0 train, 1 val, 2 test, -1 dropped"),
    ("rank", "int64", "nested-subset rank of train records (-1: not train)"),
)
ALL = {**PASS_ONE, **GLOBAL}


class UndeclaredColumn(KeyError):
    """A block touched a column it did not declare (a programming error, named)."""


@dataclass
class ChunkedColumn:
    """A column kept in pieces where pass 1 computed it (Ray object references), with the
    global index of each piece's first row; ``nbytes`` is what the pieces hold."""

    refs: list[Any]
    starts: np.ndarray
    rows: np.ndarray
    width: int
    itemsize: int

    def __len__(self) -> int:
        return int(self.rows.sum())

    @property
    def nbytes(self) -> int:
        return len(self) * self.width * self.itemsize


@dataclass
class Held:
    """Placeholder a Ray chunk task leaves in the result for a column it returned separately."""

    rows: int
    width: int
    itemsize: int
    ref: Any = None


def concat(name: str, parts: list[Any]) -> Any:
    """One column from its per-chunk parts, in order: an array, or a :class:`ChunkedColumn`
    when the parts were held where computed."""
    if not parts or not isinstance(parts[0], Held):
        return np.concatenate(parts)
    rows = np.array([p.rows for p in parts], dtype=np.int64)
    starts = np.r_[0, np.cumsum(rows)[:-1]].astype(np.int64)
    chosen = rows > 0
    return ChunkedColumn(
        [p.ref for p, keep in zip(parts, chosen, strict=True) if keep],
        starts[chosen],
        rows[chosen],
        parts[0].width,
        parts[0].itemsize,
    )


class BlockColumns:
    """The columns one block may see: reads of declared columns (None when optional and
    absent), writes of declared columns with the declared type and one value per record."""

    def __init__(self, table: dict[str, Any], size: int, block: GlobalBlock) -> None:
        self._table, self.size, self._block = table, size, block

    def __getitem__(self, name: str) -> Any:
        if name not in self._block.reads and name not in self._block.writes:
            raise UndeclaredColumn(f"global step {self._block.name!r} reads {name!r} undeclared")
        if name not in self._table:
            raise KeyError(f"global step {self._block.name!r}: column {name!r} was not produced")
        return self._table[name]

    def get(self, name: str) -> Any:
        """A declared read, or None if this run did not produce it (e.g. no signatures)."""
        if name not in self._block.reads:
            raise UndeclaredColumn(f"global step {self._block.name!r} reads {name!r} undeclared")
        return self._table.get(name)

    def __setitem__(self, name: str, values: np.ndarray) -> None:
        if name not in self._block.writes:
            raise UndeclaredColumn(f"global step {self._block.name!r} writes {name!r} undeclared")
        spec = ALL[name]
        if values.dtype != np.dtype(spec.dtype) or len(values) != self.size:
            raise TypeError(
                f"global step {self._block.name!r} wrote {name!r} as {values.dtype}[{len(values)}]"
                f", declared {spec.dtype}[{self.size}]"
            )
        self._table[name] = values


@dataclass
class GlobalContext:
    """What blocks share besides columns: the recipe, the run state (spool, classifier
    tables), the executor (similar pairs), and what blocks report (``info``)."""

    recipe: Any
    state: Any
    executor: Any
    workers: int = 1  # processes for the spool passes of the local executor
    info: dict[str, Any] = field(default_factory=dict)


class GlobalBlock(Protocol):
    """A global step: ``run`` reads ``reads`` and writes ``writes`` through ``columns`` and
    puts its statistics under ``context.info[name]``."""

    name: ClassVar[str]
    reads: ClassVar[tuple[str, ...]]
    writes: ClassVar[tuple[str, ...]]

    def run(self, columns: BlockColumns, context: GlobalContext) -> None: ...


# The signature columns, by far the largest (2 x 256 B per record at the default 128
# permutations): dropped as soon as no later block reads them.
RELEASED_EARLY = ("qsig", "dsig")


def run_blocks(
    blocks: Iterable[GlobalBlock],
    table: dict[str, Any],
    size: int,
    context: GlobalContext,
    lap: Callable[[str], None] = lambda phase: None,
    release: Callable[[str, Any], None] = lambda name, column: None,
) -> dict[str, Any]:
    """Run ``blocks`` in order over ``table`` (name → column; extended in place); each block
    must write every column it declares. A column of :data:`RELEASED_EARLY` leaves ``table``
    after the last block that reads it, handed to ``release`` (which drops any other
    reference: on Ray that frees the object store's copy before the next block runs)."""
    blocks = list(blocks)
    for k, block in enumerate(blocks):
        block.run(BlockColumns(table, size, block), context)
        missing = [name for name in block.writes if name not in table]
        if missing:
            raise RuntimeError(f"global step {block.name!r} did not write {missing}")
        later = {name for after in blocks[k + 1 :] for name in after.reads}
        for name in RELEASED_EARLY:
            if name in table and name not in later:
                release(name, table.pop(name))
        lap(block.name)
    return table


def check_order(blocks: Iterable[GlobalBlock], produced: Iterable[str] = PASS_ONE) -> None:
    """Every column a block reads is produced by pass 1 or written by an earlier block."""
    available = set(produced)
    for block in blocks:
        unknown = [name for name in (*block.reads, *block.writes) if name not in ALL]
        early = [name for name in block.reads if name not in available]
        if unknown or early:
            raise UndeclaredColumn(
                f"global step {block.name!r}: unknown columns {unknown}, read before written {early}"
            )
        available.update(block.writes)


def bytes_per_record(block: GlobalBlock, widths: Mapping[str, int] | None = None) -> int:
    """What a block's columns hold per record (signature columns: ``widths[name]`` values)."""
    widths = widths or {}
    return sum(
        np.dtype(ALL[name].dtype).itemsize * widths.get(name, 1)
        for name in {*block.reads, *block.writes}
    )

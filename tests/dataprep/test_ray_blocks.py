"""The global steps as blocks that declare the columns they read and write (shared by the
local and Ray executors): declarations are checked before a run, and a block touching a
column it did not declare, or writing one with the wrong type or length, fails naming both."""

from __future__ import annotations

import numpy as np
import pytest

from dataprep.columns import (
    PASS_ONE,
    BlockColumns,
    GlobalContext,
    UndeclaredColumn,
    bytes_per_record,
    check_order,
    run_blocks,
)
from dataprep.globalsteps import BLOCKS
from dataprep.worker import ReadConfig, _arrays


class _Block:
    name = "probe"

    def __init__(self, reads=(), writes=(), action=None) -> None:
        self.reads, self.writes, self.action = reads, writes, action

    def run(self, columns: BlockColumns, context: GlobalContext) -> None:
        self.action(columns)


def _table(n: int = 3) -> dict:
    return {"score": np.ones(n, np.float32), "exact": np.arange(n, dtype=np.uint64)}


def test_every_global_step_reads_only_columns_produced_before_it() -> None:
    check_order(BLOCKS)
    assert [b.name for b in BLOCKS] == ["dedup", "department", "split", "test index"]
    late = _Block(reads=("keep",), writes=("reason",))
    with pytest.raises(UndeclaredColumn, match=r"'probe'.*read before written \['keep'\]"):
        check_order([late, *BLOCKS])


def test_pass_one_produces_exactly_the_declared_columns(sample_dir) -> None:
    from dataprep.minhash import MinHasher

    hasher = MinHasher(16, 5)
    config = ReadConfig([], [], sample_dir, hasher=hasher, qa_hasher=hasher, holdout=0.1)
    record = {"id": "a", "question": "头痛三天", "answer": "休息", "meta": {"quality": 0.5}}
    arrays = _arrays([record], config)
    assert set(arrays) == set(PASS_ONE)
    for name, values in arrays.items():
        assert values.dtype == np.dtype(PASS_ONE[name].dtype), name
        assert len(values) == 1


def test_an_undeclared_read_or_write_is_refused_naming_block_and_column() -> None:
    context = GlobalContext(None, None, None)
    reader = _Block(reads=("score",), action=lambda cols: cols["exact"])
    with pytest.raises(UndeclaredColumn, match="'probe' reads 'exact' undeclared"):
        run_blocks([reader], _table(), 3, context)
    writer = _Block(
        reads=("score",), action=lambda cols: cols.__setitem__("keep", np.ones(3, bool))
    )
    with pytest.raises(UndeclaredColumn, match="'probe' writes 'keep' undeclared"):
        run_blocks([writer], _table(), 3, context)


def test_a_written_column_must_have_the_declared_type_length_and_presence() -> None:
    context = GlobalContext(None, None, None)
    wrong_type = _Block(writes=("keep",), action=lambda c: c.__setitem__("keep", np.ones(3, int)))
    with pytest.raises(TypeError, match=r"wrote 'keep' as int64\[3\], declared bool\[3\]"):
        run_blocks([wrong_type], _table(), 3, context)
    short = _Block(writes=("keep",), action=lambda c: c.__setitem__("keep", np.ones(2, bool)))
    with pytest.raises(TypeError, match=r"declared bool\[3\]"):
        run_blocks([short], _table(), 3, context)
    silent = _Block(writes=("keep",), action=lambda c: None)
    with pytest.raises(RuntimeError, match=r"'probe' did not write \['keep'\]"):
        run_blocks([silent], _table(), 3, context)


def test_an_optional_column_reads_as_none_and_a_good_block_extends_the_table() -> None:
    seen = {}

    def action(cols):
        seen["qsig"] = cols.get("qsig")
        cols["keep"] = cols["score"] > 0

    table = run_blocks([_Block(("score", "qsig"), ("keep",), action)], _table(), 3, None)
    assert seen["qsig"] is None
    assert table["keep"].tolist() == [True, True, True]


def test_memory_per_record_follows_from_the_declarations() -> None:
    dedup = BLOCKS[0]
    # exact 8 + score 4 + two 128-value uint16 signatures + keep 1 + reason 1 + related 8
    assert bytes_per_record(dedup, {"qsig": 128, "dsig": 128}) == 8 + 4 + 512 + 1 + 1 + 8


def test_a_signature_column_is_released_after_the_last_block_that_reads_it() -> None:
    """dsig (read by dedup only) must be gone before the department step runs, qsig (read by
    the split too) before the test index: on Ray that frees the object store for them."""
    n = 3
    table = {**_table(n), "qsig": np.zeros((n, 4), np.uint16), "dsig": np.ones((n, 4), np.uint16)}
    released, present = [], {}

    def watch(name):
        def action(cols):
            present[name] = sorted(k for k in ("qsig", "dsig") if k in table)
            for column in blocks[[b.name for b in blocks].index(name)].writes:
                cols[column] = np.zeros(n, dtype=bool) if column == "keep" else np.zeros(n, np.int8)

        return action

    blocks = []
    for name, reads, writes in (
        ("dedup", ("qsig", "dsig"), ("keep",)),
        ("department", ("keep",), ()),
        ("split", ("qsig", "keep"), ("split",)),
        ("test index", ("split",), ()),
    ):
        block = _Block(reads, writes, watch(name))
        block.name = name
        blocks.append(block)
    run_blocks(blocks, table, n, None, release=lambda name, col: released.append(name))
    assert present == {
        "dedup": ["dsig", "qsig"],
        "department": ["qsig"],
        "split": ["qsig"],
        "test index": [],
    }
    assert released == ["dsig", "qsig"]

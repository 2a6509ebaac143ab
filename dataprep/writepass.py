"""The write pass: workers read the spool shards, build each kept record's example lines (and
check train/val records against the test questions), and write per-shard pieces of every
split file; the main process joins the pieces in order into the atomic output files, then
cuts the nested train subsets from the finished train files."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from dataprep.globalsteps import GLOBAL_REASONS, OVERLAPS_TEST, GlobalResult
from dataprep.spool import Shard
from dataprep.steps.decontaminate import checked_text
from dataprep.steps.split import SPLITS, subset_sizes
from dataprep.taxonomy import Taxonomy
from dataprep.textutil import clip
from dataprep.tokens import TokenCounter
from dataprep.writers import EXAMPLE_BUILDERS, alpaca_question
from medqa.io import atomic_write

_BLOCK_BYTES = 8 << 20  # subsets are copied from train.jsonl in blocks of this size


@dataclass
class Written:
    """Counts per output file, length arrays of the written records, dropped examples."""

    files: dict[str, int]
    chars: dict[str, np.ndarray]
    tokens: dict[str, np.ndarray] | None
    token_info: dict[str, Any] | None
    examples: list[dict]
    renamed_ids: dict[str, Any] = field(default_factory=dict)
    joining: Future | None = None  # the split files and subsets being written (see wait)

    def wait(self) -> None:
        """Wait until the split files and subsets are on disk (re-raising what failed there);
        ``files`` then holds their line counts."""
        if self.joining is not None:
            joining, self.joining = self.joining, None
            self.files.update(joining.result())


@dataclass
class WriteSetup:
    """What the write workers need (inherited by fork, or pickled once per worker)."""

    formats: list[str]
    system_prompt: str | None
    paths: list[tuple[str, ...]] | None  # taxonomy paths by code; None: keep record labels
    pieces: Path  # where the per-shard pieces go
    counter: TokenCounter | None = None
    test_check: tuple | None = None  # (NgramIndex of test questions, field checked)


@dataclass
class ShardWritten:
    """One shard's outcome: records written per split, test overlaps found, the texts the main
    process asked for (examples), and token counts of the written records."""

    counts: dict[int, int]
    overlaps: list[tuple[int, int, dict]] = field(default_factory=list)
    info: dict[int, dict] = field(default_factory=dict)
    tokens: tuple[np.ndarray, np.ndarray] | None = None
    renamed: list[tuple[str, str]] = field(default_factory=list)


_SETUP: WriteSetup | None = None


def init_writer(setup: WriteSetup) -> None:
    global _SETUP
    _SETUP = setup


def write_shard(task: tuple) -> ShardWritten:
    """Write one shard's kept records into per-split pieces (see module docstring)."""
    setup = _SETUP
    shard, keep, codes, splits, wanted, renames = task
    lines = shard.lines()
    out = ShardWritten({})
    for local in wanted:
        record = orjson.loads(lines[local])
        out.info[shard.start + local] = _example_text(record)
    kept = np.flatnonzero(keep)
    records = [orjson.loads(lines[k]) for k in kept]
    overlap = _test_overlaps(setup, records, splits[kept])
    written: dict[int, list[dict]] = {0: [], 1: [], 2: []}
    for local, record, related in zip(kept, records, overlap, strict=True):
        if related >= 0:
            out.overlaps.append((shard.start + int(local), related, _example_text(record)))
            continue
        if int(local) in renames:
            new_id = f"{record['id']}#{renames[int(local)]}"
            out.renamed.append((record["id"], new_id))
            record["id"] = new_id
        if setup.paths is not None:
            code = int(codes[local])
            record["department"] = list(setup.paths[code]) if code >= 0 else []
        written[int(splits[local])].append(record)
    for split, chosen in written.items():
        out.counts[split] = len(chosen)
        for fmt in setup.formats if chosen else ():
            build = EXAMPLE_BUILDERS[fmt]
            with open(_piece(setup.pieces, fmt, split, shard), "wb") as piece:
                piece.writelines(
                    orjson.dumps(build(r, setup.system_prompt)) + b"\n" for r in chosen
                )
    if setup.counter is not None:
        everything = [r for split in (0, 1, 2) for r in written[split]]
        out.tokens = (
            setup.counter.count([alpaca_question(r) for r in everything]),
            setup.counter.count([r["answer"] for r in everything]),
        )
    return out


def _example_text(record: dict) -> dict:
    return {
        "id": record["id"],
        "question": clip(record["question"]),
        "answer": clip(record["answer"]),
    }


def _test_overlaps(setup: WriteSetup, records: list[dict], splits: np.ndarray) -> list[int]:
    related = [-1] * len(records)
    if setup.test_check is None:
        return related
    index, which = setup.test_check
    chosen = [k for k, split in enumerate(splits) if split in (0, 1)]
    for k, match in zip(
        chosen, index.match([checked_text(records[k], which) for k in chosen]), strict=True
    ):
        related[k] = -1 if match is None else int(match[0])
    return related


def _piece(pieces: Path, fmt: str, split: int, shard: Shard) -> Path:
    return pieces / f"{fmt}-{SPLITS[split]}-{shard.start:012d}.jsonl"


def write_dataset(recipe, state, result: GlobalResult, root: Path, tokenizer, workers) -> Written:
    """Write the split files and subsets; updates ``result`` with the test-overlap drops."""
    formats = recipe.output.formats
    dept = recipe.get("department")
    pieces = state.spool.folder.parent / "pieces"
    pieces.mkdir(exist_ok=True)
    counter = TokenCounter(tokenizer, recipe.output.system_prompt) if tokenizer else None
    setup = WriteSetup(
        formats,
        recipe.output.system_prompt,
        Taxonomy.load(dept.taxonomy).paths if dept else None,
        pieces,
        counter,
        result.test_check,
    )
    examples = _ExampleCollector(result, recipe.output.examples_per_reason)
    dup_index, dup_rank = duplicate_ids(state.arrays["idhash"], result.keep)

    def task(shard: Shard):
        span = slice(shard.start, shard.start + shard.count)
        wanted = [i - shard.start for i in examples.wanted if span.start <= i < span.stop]
        lo, hi = np.searchsorted(dup_index, [span.start, span.stop])
        local = (dup_index[lo:hi] - shard.start).tolist()
        renames = dict(zip(local, dup_rank[lo:hi].tolist(), strict=True))
        keep, code, split = result.keep[span], result.code[span], result.split[span]
        return shard, keep, code, split, sorted(wanted), renames

    token_parts: list[tuple[np.ndarray, np.ndarray]] = []
    written: list[tuple[Shard, dict[int, int]]] = []
    renamed: list[tuple[str, str]] = []
    for shard, out in state.spool.map(write_shard, task, workers, init_writer, (setup,)):
        written.append((shard, out.counts))
        renamed += out.renamed
        examples.info.update(out.info)
        for index, related, text in out.overlaps:
            _drop_overlap(result, index, related, text, examples)
        if out.tokens is not None:
            token_parts.append(out.tokens)
    keep = result.keep
    chars = {"question": state.arrays["qlen"][keep], "answer": state.arrays["alen"][keep]}
    chars["total"] = chars["question"] + chars["answer"]
    tokens = counter.lengths(token_parts) if counter else None
    done = Written({}, chars, tokens, counter.info() if counter else None, examples.done())
    done.joining = _JOINER.submit(_finish_files, recipe, result, formats, written, pieces, root)
    if renamed:
        shown = [{"id": old, "now": new} for old, new in renamed[:10]]
        done.renamed_ids = {"renamed": len(renamed), "examples": shown}
    return done


# Joining the pieces and cutting the subsets is one process's disk-bound work: it runs in a
# thread while the pair workers run (``Written.wait`` joins it before anything reads the files).
_JOINER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="join-pieces")


def _finish_files(recipe, result, formats, written, pieces: Path, root: Path) -> dict[str, int]:
    files = _join_pieces(formats, written, pieces, root)
    files.update(_write_subsets(recipe, result, root))
    return files


def duplicate_ids(idhash: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kept records whose id an earlier kept record already has: their indices (ascending)
    and the number each gets (2 for the second record with that id, 3 for the third …)."""
    index = np.flatnonzero(keep)
    order = np.argsort(idhash[index], kind="stable")
    hashes = idhash[index][order]
    starts = np.r_[True, hashes[1:] != hashes[:-1]] if len(hashes) else np.zeros(0, bool)
    first = np.flatnonzero(starts)[np.cumsum(starts) - 1]
    rank = np.arange(len(hashes)) - first
    dup = np.flatnonzero(rank > 0)
    chosen, ranks = index[order][dup], rank[dup] + 1
    ascending = np.argsort(chosen, kind="stable")
    return chosen[ascending], ranks[ascending]


def _join_pieces(
    formats: list[str], shards: list[tuple[Shard, dict[int, int]]], pieces: Path, root: Path
) -> dict:
    """Concatenate the per-shard pieces, in spool order, into each atomic split file (the
    line counts are the ones each shard's worker wrote)."""
    files = {}
    for fmt in formats:
        for split_code, split in enumerate(SPLITS):
            lines = 0
            with atomic_write(root / fmt / f"{split}.jsonl", "wb") as out:
                for shard, counts in shards:
                    if counts.get(split_code):
                        _append_file(_piece(pieces, fmt, split_code, shard), out)
                        lines += counts[split_code]
            files[f"{fmt}/{split}.jsonl"] = lines
    return files


def _append_file(source: Path, out) -> None:
    """Append ``source`` to the open binary file ``out`` (in the kernel where it can)."""
    with open(source, "rb") as handle:
        out.flush()
        size, done = os.fstat(handle.fileno()).st_size, 0
        try:
            while done < size:
                sent = os.copy_file_range(handle.fileno(), out.fileno(), size - done)
                if not sent:
                    break
                done += sent
        except (AttributeError, OSError):  # no copy_file_range here: copy through Python
            pass
        if done < size:
            handle.seek(done)
            out.seek(0, os.SEEK_END)
            shutil.copyfileobj(handle, out)


def _drop_overlap(result: GlobalResult, index: int, related: int, text: dict, examples) -> None:
    result.keep[index] = False
    result.reason[index], result.related[index], result.split[index] = OVERLAPS_TEST, related, -1
    result.overlaps_test += 1
    examples.add_overlap(text, result.test_ids.get(related))


def _write_subsets(recipe, result: GlobalResult, root: Path) -> dict[str, int]:
    """Nested subsets: line k of train.jsonl is the k-th surviving train record; it goes to
    every subset whose size exceeds that record's rank among the survivors."""
    train = np.flatnonzero(result.keep & (result.split == 0))
    ranks = np.empty(len(train), dtype=np.int64)
    ranks[np.argsort(result.rank[train], kind="stable")] = np.arange(len(train))
    result.rank[:] = -1
    result.rank[train] = ranks
    params = recipe.get("split")
    result.subsets = subset_sizes(params.subsets if params else [], len(train))
    counts = {}
    for fmt in recipe.output.formats:
        targets = {suffix: root / fmt / f"train_{suffix}.jsonl" for suffix, _ in result.subsets}
        with ExitStack() as stack:
            outs = [
                (stack.enter_context(atomic_write(targets[suffix], "wb")), size)
                for suffix, size in result.subsets
            ]
            _copy_ranked_lines(root / fmt / "train.jsonl", ranks, outs)
        counts.update({f"{fmt}/train_{suffix}.jsonl": size for suffix, size in result.subsets})
    return counts


def _copy_ranked_lines(source: Path, ranks: np.ndarray, outs: list[tuple[Any, int]]) -> None:
    """One streaming pass over ``source``: line k goes, in order, to every ``(out, size)``
    with ``ranks[k] < size`` (runs of consecutive chosen lines are written as one slice)."""
    first, rest = 0, b""
    with open(source, "rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK_BYTES), b""):
            data = rest + block
            ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1
            if not len(ends):
                rest = data
                continue
            starts = np.r_[0, ends[:-1]]
            block_ranks = ranks[first : first + len(ends)]
            view = memoryview(data)
            for out, size in outs:
                chosen = np.flatnonzero(block_ranks < size)
                if not len(chosen):
                    continue
                gaps = np.flatnonzero(np.diff(chosen) != 1)
                run_first = chosen[np.r_[0, gaps + 1]]
                run_last = chosen[np.r_[gaps, len(chosen) - 1]]
                for a, b in zip(starts[run_first].tolist(), ends[run_last].tolist(), strict=True):
                    out.write(view[a:b])
            first += len(ends)
            rest = data[int(ends[-1]) :]
    if rest or first != len(ranks):
        raise RuntimeError(f"{source}: {first} complete lines, expected {len(ranks)}")


class _ExampleCollector:
    """The first examples of each global drop reason with the id of the record each one
    duplicates or overlaps: dedup drops are picked from the arrays up front (their texts come
    back from the write workers), test overlaps are added as the workers find them."""

    def __init__(self, result: GlobalResult, limit: int) -> None:
        self.limit = limit
        self.chosen: dict[int, int] = {}
        for code in GLOBAL_REASONS:
            for index in np.flatnonzero(result.reason == code)[:limit]:
                self.chosen[int(index)] = code
        self.related = {index: int(result.related[index]) for index in self.chosen}
        self.wanted = set(self.chosen) | set(self.related.values())
        self.info: dict[int, dict] = {}
        self.overlaps: list[dict] = []

    def add_overlap(self, text: dict, test_id: str | None) -> None:
        if len(self.overlaps) < self.limit:
            step, reason = GLOBAL_REASONS[OVERLAPS_TEST]
            self.overlaps.append({"step": step, "reason": reason, **text, "related_id": test_id})

    def done(self) -> list[dict]:
        out = []
        for index, code in sorted(self.chosen.items(), key=lambda item: (item[1], item[0])):
            step, reason = GLOBAL_REASONS[code]
            related = self.info.get(self.related[index], {}).get("id")
            out.append({"step": step, "reason": reason, **self.info[index], "related_id": related})
        return out + self.overlaps

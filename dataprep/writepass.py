"""The write pass: stream the spool once, build every kept record's example lines in the
workers (which also run the test-split overlap check on train/val records), route them to the
split files, then cut the nested train subsets from the finished train files."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from dataprep.globalsteps import GLOBAL_REASONS, OVERLAPS_TEST, GlobalResult
from dataprep.parallel import ordered_map
from dataprep.steps.split import SPLITS, subset_sizes
from dataprep.taxonomy import Taxonomy
from dataprep.tokens import TokenCounter
from dataprep.writers import SplitWriter, build_lines, init_builder
from medqa.io import atomic_write


@dataclass
class Written:
    """Counts per output file, length arrays of the written records, dropped examples."""

    files: dict[str, int]
    chars: dict[str, np.ndarray]
    tokens: dict[str, np.ndarray] | None
    token_info: dict[str, Any] | None
    examples: list[dict]


def write_dataset(recipe, state, result: GlobalResult, root: Path, tokenizer, workers) -> Written:
    """Write the split files (and subsets); updates ``result`` with the test-overlap drops."""
    formats = recipe.output.formats
    dept = recipe.get("department")
    paths = Taxonomy.load(dept.taxonomy).paths if dept else None
    counter = TokenCounter(tokenizer, recipe.output.system_prompt) if tokenizer else None
    examples = _ExampleCollector(result, recipe.output.examples_per_reason)
    pending: deque = deque()

    def tasks():
        for indices, lines in state.spool.chunks(np.ones(state.spool.count, dtype=bool)):
            examples.see_lines(indices, lines)
            kept = [k for k, index in enumerate(indices) if result.keep[index]]
            pending.append(([indices[k] for k in kept], [lines[k] for k in kept]))
            yield (
                [lines[k] for k in kept],
                [int(result.code[indices[k]]) for k in kept],
                [int(result.split[indices[k]]) in (0, 1) for k in kept],
            )

    setup = (formats, recipe.output.system_prompt, paths, counter is not None, result.test_check)
    with SplitWriter(root, formats, list(SPLITS)) as writer:
        for built in ordered_map(build_lines, tasks(), workers, init_builder, setup):
            chosen, raw = pending.popleft()
            for index, line, (encoded, texts, overlap) in zip(chosen, raw, built, strict=True):
                if overlap >= 0:
                    _drop_overlap(result, index, overlap, line, examples)
                    continue
                writer.write(encoded, [SPLITS[result.split[index]]])
                if counter is not None:
                    counter.add(*texts)
    files = {f"{fmt}/{name}.jsonl": writer.counts[name] for fmt in formats for name in SPLITS}
    files.update(_write_subsets(recipe, result, root))
    keep = result.keep
    chars = {"question": state.arrays["qlen"][keep], "answer": state.arrays["alen"][keep]}
    chars["total"] = chars["question"] + chars["answer"]
    return Written(
        files,
        chars,
        counter.lengths() if counter else None,
        counter.info() if counter else None,
        examples.done(),
    )


def _drop_overlap(result: GlobalResult, index: int, overlap: int, line: bytes, examples) -> None:
    result.keep[index] = False
    result.reason[index], result.related[index], result.split[index] = OVERLAPS_TEST, overlap, -1
    result.overlaps_test += 1
    examples.add_overlap(index, orjson.loads(line), result.test_ids.get(overlap))


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
        source = root / fmt / "train.jsonl"
        for suffix, size in result.subsets:
            with (
                open(source, "rb") as lines,
                atomic_write(root / fmt / f"train_{suffix}.jsonl", "wb") as out,
            ):
                out.writelines(line for line, rank in zip(lines, ranks, strict=True) if rank < size)
            counts[f"{fmt}/train_{suffix}.jsonl"] = size
    return counts


class _ExampleCollector:
    """The first examples of each global drop reason, with the id of the record each one
    duplicates or overlaps (dedup drops are picked from the arrays up front and filled in
    while streaming; test overlaps are added as the workers find them)."""

    def __init__(self, result: GlobalResult, limit: int) -> None:
        self.limit = limit
        self.chosen: dict[int, int] = {}
        for code in GLOBAL_REASONS:
            for index in np.flatnonzero(result.reason == code)[:limit]:
                self.chosen[int(index)] = code
        self.related = {index: int(result.related[index]) for index in self.chosen}
        self.wanted = set(self.related.values())
        self.ids: dict[int, str] = {}
        self.found: list[tuple[int, int, dict]] = []
        self.overlaps: list[dict] = []

    def see_lines(self, indices: list[int], lines: list[bytes]) -> None:
        for index, line in zip(indices, lines, strict=True):
            if index in self.wanted or index in self.chosen:
                self._see(index, orjson.loads(line))

    def _see(self, index: int, record: dict) -> None:
        if index in self.wanted:
            self.ids[index] = record["id"]
        code = self.chosen.get(index)
        if code:
            self.found.append((code, index, _example(GLOBAL_REASONS[code], record)))

    def add_overlap(self, index: int, record: dict, test_id: str | None) -> None:
        if len(self.overlaps) < self.limit:
            example = _example(GLOBAL_REASONS[OVERLAPS_TEST], record)
            self.overlaps.append({**example, "related_id": test_id})

    def done(self) -> list[dict]:
        out = []
        for _, index, example in sorted(self.found, key=lambda item: item[:2]):
            example["related_id"] = self.ids.get(self.related[index])
            out.append(example)
        return out + self.overlaps


def _example(step_reason: tuple[str, str], record: dict) -> dict:
    step, reason = step_reason
    return {
        "step": step,
        "reason": reason,
        "id": record["id"],
        "question": record["question"],
        "answer": record["answer"],
    }

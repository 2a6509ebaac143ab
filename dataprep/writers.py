"""LLaMA-Factory example writers: alpaca and sharegpt JSON Lines, every file atomic.

Every alpaca line has ``instruction``, ``input``, ``output`` and ``system`` ("" when there is no
system prompt: LLaMA-Factory then uses the template's default, and a missing column would be a
KeyError since dataset_info.json maps ``system``); every sharegpt line has ``conversations``
and ``system``. ``id`` and ``department`` ride along for evaluation; LLaMA-Factory ignores
columns it is not told about.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import orjson

from dataprep.steps.decontaminate import checked_text
from medqa.io import atomic_write

_ROLE_LABEL = {"user": "患者", "assistant": "医生"}
_SHAREGPT_ROLE = {"user": "human", "assistant": "gpt"}


def alpaca_question(record: dict) -> str:
    """The alpaca instruction: the question, preceded by earlier turns of a dialogue."""
    turns = record.get("turns")
    if not turns:
        return record["question"]
    earlier = "\n".join(f"{_ROLE_LABEL[t['role']]}：{t['content']}" for t in turns[:-2])
    return f"{earlier}\n{_ROLE_LABEL['user']}：{turns[-2]['content']}"


def system_of(record: dict, system_prompt: str | None) -> str:
    """The recipe's system prompt, else the input's own, else ""."""
    return system_prompt or record["meta"].get("system") or ""


def alpaca_example(record: dict, system_prompt: str | None = None) -> dict[str, Any]:
    return {
        "instruction": alpaca_question(record),
        "input": "",
        "output": record["answer"],
        "system": system_of(record, system_prompt),
        "id": record["id"],
        "department": "/".join(record["department"]),
    }


def sharegpt_example(record: dict, system_prompt: str | None = None) -> dict[str, Any]:
    turns = record.get("turns") or [
        {"role": "user", "content": record["question"]},
        {"role": "assistant", "content": record["answer"]},
    ]
    return {
        "conversations": [
            {"from": _SHAREGPT_ROLE[t["role"]], "value": t["content"]} for t in turns
        ],
        "system": system_of(record, system_prompt),
        "id": record["id"],
        "department": "/".join(record["department"]),
    }


EXAMPLE_BUILDERS = {"alpaca": alpaca_example, "sharegpt": sharegpt_example}


_BUILDER: tuple = ()


def init_builder(formats, system_prompt, paths, with_texts: bool, test_check=None) -> None:
    """Pool initializer for :func:`build_lines`: formats, system prompt, department paths
    (None: keep the records' own labels), whether to return the texts (for token counts) and
    the test-question n-gram index with the field to check (None: no test-overlap check)."""
    global _BUILDER
    _BUILDER = (formats, system_prompt, paths, with_texts, test_check)


def build_lines(task: tuple[list[bytes], list[int], list[bool]]) -> list[tuple[dict, tuple, int]]:
    """For each spooled record line, given its final department code and whether it must be
    checked against the test questions: the encoded example line per format, (question,
    answer) if wanted, and the test record it overlaps (-1: none)."""
    formats, system_prompt, paths, with_texts, test_check = _BUILDER
    lines, codes, check = task
    records = [orjson.loads(line) for line in lines]
    overlaps = [-1] * len(records)
    if test_check is not None and any(check):
        index, field = test_check
        chosen = [k for k, flag in enumerate(check) if flag]
        texts = [checked_text(records[k], field) for k in chosen]
        for k, match in zip(chosen, index.match(texts), strict=True):
            overlaps[k] = -1 if match is None else int(match[0])
    out = []
    for record, code, overlap in zip(records, codes, overlaps, strict=True):
        if paths is not None:
            record["department"] = list(paths[code]) if code >= 0 else []
        encoded = {
            fmt: orjson.dumps(EXAMPLE_BUILDERS[fmt](record, system_prompt)) + b"\n"
            for fmt in formats
        }
        texts = (alpaca_question(record), record["answer"]) if with_texts else ()
        out.append((encoded, texts, overlap))
    return out


class SplitWriter:
    """Atomic JSONL files ``<root>/<format>/<name>.jsonl`` (splits and subsets); ``write``
    routes one record's encoded lines to some of them. On error every file is discarded."""

    def __init__(self, root: Path, formats: list[str], names: list[str]) -> None:
        self.root, self.formats, self.names = root, formats, names
        self.counts = dict.fromkeys(names, 0)
        self._stack = contextlib.ExitStack()
        self._handles: dict[tuple[str, str], Any] = {}

    def __enter__(self) -> SplitWriter:
        for fmt in self.formats:
            for name in self.names:
                path = self.root / fmt / f"{name}.jsonl"
                self._handles[fmt, name] = self._stack.enter_context(atomic_write(path, "wb"))
        return self

    def __exit__(self, *exc) -> None:
        self._stack.__exit__(*exc)

    def write(self, lines: dict[str, bytes], names: list[str]) -> None:
        """Write one record's line of each format to the files ``names``."""
        for fmt in self.formats:
            for name in names:
                self._handles[fmt, name].write(lines[fmt])
        for name in names:
            self.counts[name] += 1

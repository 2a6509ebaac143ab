"""Length statistics of existing alpaca/sharegpt JSONL files (``medqa prep stats FILE…``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dataprep.stats import summary
from medqa.io import JsonlError, iter_jsonl


def _texts(example: dict, where: str) -> tuple[str, str]:
    if "instruction" in example and "output" in example:
        question = example["instruction"]
        if example.get("input"):
            question += "\n" + example["input"]
        return question, example["output"]
    if isinstance(example.get("conversations"), list) and example["conversations"]:
        turns = example["conversations"]
        users = [t["value"] for t in turns if t.get("from") == "human"]
        bots = [t["value"] for t in turns if t.get("from") == "gpt"]
        return "\n".join(users), "\n".join(bots)
    raise ValueError(f"{where}: neither alpaca (instruction/output) nor sharegpt (conversations)")


def file_stats(paths: list[Path], tokenizer: str | None = None) -> dict[str, Any]:
    """Character (and token) length percentiles of question, answer and total."""
    questions, answers = [], []
    for path in paths:
        try:
            for line_no, example in iter_jsonl(path):
                question, answer = _texts(example, f"{path}:{line_no}")
                questions.append(question)
                answers.append(answer)
        except JsonlError as exc:
            raise ValueError(str(exc)) from exc
    q = np.array([len(t) for t in questions], dtype=np.int64)
    a = np.array([len(t) for t in answers], dtype=np.int64)
    out: dict[str, Any] = {
        "records": len(q),
        "length": {
            "chars": {"question": summary(q), "answer": summary(a), "total": summary(q + a)}
        },
    }
    if tokenizer:
        from dataprep.tokens import TokenCounter

        counter = TokenCounter(tokenizer)
        parts = [(counter.count(questions), counter.count(answers))]
        out["length"]["tokens"] = {k: summary(v) for k, v in counter.lengths(parts).items()}
        out["length"]["tokens_info"] = counter.info()
    return out

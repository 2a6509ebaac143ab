"""LLaMA-Factory ranking datasets: a preference pair as an alpaca or a sharegpt line, and the
``dataset_info.json`` entries (``"ranking": true``) that describe them.

alpaca: ``{"instruction", "input", "chosen", "rejected", "system"}``; sharegpt:
``{"conversations": [{"from": "human", "value"}], "chosen": {"from": "gpt", "value"},
"rejected": {…}, "system"}`` (LLaMA-Factory wants an odd number of conversation turns, the last
a human one). ``id``, ``department`` and ``margin`` ride along; LLaMA-Factory ignores them.
"""

from __future__ import annotations

from typing import Any

from dataprep.dataset_info import SHAREGPT_TAGS
from dataprep.writers import alpaca_question

ALPACA_RANKING_COLUMNS = {
    "prompt": "instruction",
    "query": "input",
    "chosen": "chosen",
    "rejected": "rejected",
    "system": "system",
}
SHAREGPT_RANKING_COLUMNS = {
    "messages": "conversations",
    "chosen": "chosen",
    "rejected": "rejected",
    "system": "system",
}
SPLITS = ("train", "val")


def alpaca_pair(pair: dict[str, Any]) -> dict[str, Any]:
    """A pair record (``prompt``, ``chosen``, ``rejected``, ``system``, ``history``?, …) as an
    alpaca line; earlier turns are written into the instruction as the SFT files do."""
    prompt = pair["prompt"]
    if pair.get("history"):
        turns = [*pair["history"], {"role": "user", "content": prompt}]
        prompt = alpaca_question({"question": prompt, "turns": [*turns, {"role": "assistant"}]})
    return {
        "instruction": prompt,
        "input": "",
        "chosen": pair["chosen"],
        "rejected": pair["rejected"],
        "system": pair["system"],
        "id": pair["id"],
        "department": pair["department"],
        "margin": pair["margin"],
    }


def sharegpt_pair(pair: dict[str, Any]) -> dict[str, Any]:
    """A pair record as a sharegpt line (earlier turns, if any, before the prompt)."""
    turns = [
        {"from": "human" if t["role"] == "user" else "gpt", "value": t["content"]}
        for t in pair.get("history") or []
    ]
    turns.append({"from": "human", "value": pair["prompt"]})
    return {
        "conversations": turns,
        "chosen": {"from": "gpt", "value": pair["chosen"]},
        "rejected": {"from": "gpt", "value": pair["rejected"]},
        "system": pair["system"],
        "id": pair["id"],
        "department": pair["department"],
        "margin": pair["margin"],
    }


PAIR_BUILDERS = {"alpaca": alpaca_pair, "sharegpt": sharegpt_pair}


def ranking_entry(file_name: str, formatting: str) -> dict[str, Any]:
    """The dataset_info.json entry of a ranking file."""
    if formatting == "alpaca":
        columns = dict(ALPACA_RANKING_COLUMNS)
        return {"file_name": file_name, "formatting": "alpaca", "ranking": True, "columns": columns}
    if formatting == "sharegpt":
        return {
            "file_name": file_name,
            "formatting": "sharegpt",
            "ranking": True,
            "columns": dict(SHAREGPT_RANKING_COLUMNS),
            "tags": dict(SHAREGPT_TAGS),
        }
    raise ValueError(f"unknown formatting {formatting!r}")


def entry_name(name: str, fmt: str, split: str) -> str:
    """``medqa_dpo_train`` (alpaca, the default LLaMA-Factory configs name) or
    ``medqa_dpo_sharegpt_train``."""
    return f"{name}_dpo_{split}" if fmt == "alpaca" else f"{name}_dpo_{fmt}_{split}"


def file_key(fmt: str, split: str) -> str:
    """Where a ranking file lies inside the dataset folder."""
    return f"dpo/{fmt}/{split}.jsonl"

"""LLaMA-Factory examples: one canonical record as an alpaca or a sharegpt JSON object.

Every alpaca line has ``instruction``, ``input``, ``output`` and ``system`` ("" when there is no
system prompt: LLaMA-Factory then uses the template's default, and a missing column would be a
KeyError since dataset_info.json maps ``system``); every sharegpt line has ``conversations``
and ``system``. ``id`` and ``department`` ride along for evaluation; LLaMA-Factory ignores
columns it is not told about.
"""

from __future__ import annotations

from typing import Any

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

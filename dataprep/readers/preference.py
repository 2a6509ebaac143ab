"""Existing preference files → canonical pairs ``{id, system, history, prompt, chosen, rejected}``.

Shapes read (JSON Lines, or one JSON array):
- MedicalGPT DPO / LLaMA-Factory sharegpt ranking: ``{"conversations": [{"from": "system"|"human"|
  "gpt", "value"}, …], "chosen": "…" | {"from": "gpt", "value"}, "rejected": …}`` — the last turn
  is the prompt, earlier human/gpt turns are history;
- alpaca ranking: ``{"instruction", "input"?, "chosen", "rejected", "system"?, "history"?}``;
- MedicalGPT reward data: ``{"question", "response_chosen", "response_rejected", "system"?,
  "history"?: [[user, assistant], …]}``.
A line that fits none is a :class:`~dataprep.records.Reject` naming what is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from dataprep.records import Reject

_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant"}


def read_preference_file(path: Path) -> Iterator[tuple[int, dict[str, Any] | Reject]]:
    """``(line number, pair or Reject)`` for every record of ``path`` (UTF-8, BOM allowed)."""
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    if data.lstrip()[:1] == b"[":
        try:
            items = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            yield 1, Reject(f"not a valid JSON array ({exc})")
            return
        for number, item in enumerate(items, start=1):
            yield number, to_pair(item, f"{path.stem}-{number}")
        return
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield number, Reject(f"invalid JSON ({exc})")
            continue
        yield number, to_pair(item, f"{path.stem}-{number}")


def to_pair(item: Any, default_id: str) -> dict[str, Any] | Reject:
    """One record in any of the shapes above as a canonical pair."""
    if not isinstance(item, dict):
        return Reject(f"expected a JSON object, got {type(item).__name__}")
    if "conversations" in item:
        found = _sharegpt(item)
    elif "instruction" in item:
        prompt = item.get("instruction")
        if isinstance(prompt, str) and isinstance(item.get("input"), str) and item["input"]:
            prompt = f"{prompt}\n{item['input']}"
        found = (prompt, item.get("chosen"), item.get("rejected"), _pairs_history(item))
    elif "question" in item:
        found = (
            item.get("question"),
            item.get("response_chosen"),
            item.get("response_rejected"),
            _pairs_history(item),
        )
    else:
        return Reject(
            "no 'conversations', 'instruction' or 'question' field: not a preference record"
        )
    if isinstance(found, Reject):
        return found
    prompt, chosen, rejected, history = found
    chosen, rejected = _text(chosen), _text(rejected)
    for name, value in (("prompt", prompt), ("chosen", chosen), ("rejected", rejected)):
        if not isinstance(value, str) or not value.strip():
            return Reject(f"{name} is missing, empty or not text")
    if isinstance(history, Reject):
        return history
    system = item.get("system") if isinstance(item.get("system"), str) else ""
    return {
        "id": str(item.get("id") or default_id),
        "system": system or _system_turn(item),
        "history": history,
        "prompt": prompt,
        "chosen": chosen,
        "rejected": rejected,
    }


def _text(value: Any) -> Any:
    return value.get("value", value.get("content")) if isinstance(value, dict) else value


def _system_turn(item: dict) -> str:
    turns = item.get("conversations")
    first = turns[0] if isinstance(turns, list) and turns else None
    if isinstance(first, dict) and first.get("from", first.get("role")) == "system":
        return str(first.get("value", first.get("content")) or "")
    return ""


def _sharegpt(item: dict) -> tuple | Reject:
    turns = item["conversations"]
    if not isinstance(turns, list) or not all(isinstance(t, dict) for t in turns):
        return Reject("'conversations' must be a list of objects")
    messages = []
    for turn in turns:
        role = turn.get("from", turn.get("role"))
        if role == "system":
            continue
        if role not in _ROLES:
            return Reject(f"unknown role {role!r} in 'conversations'")
        messages.append({"role": _ROLES[role], "content": turn.get("value", turn.get("content"))})
    if not messages or messages[-1]["role"] != "user":
        return Reject("'conversations' must end with the user's turn (the prompt)")
    return messages[-1]["content"], item.get("chosen"), item.get("rejected"), messages[:-1]


def _pairs_history(item: dict) -> list[dict[str, str]] | Reject:
    history = item.get("history") or []
    if not isinstance(history, list):
        return Reject("'history' must be a list of [user, assistant] pairs")
    out = []
    for turn in history:
        if not (
            isinstance(turn, list) and len(turn) == 2 and all(isinstance(t, str) for t in turn)
        ):
            return Reject("'history' must be a list of [user, assistant] pairs")
        out += [{"role": "user", "content": turn[0]}, {"role": "assistant", "content": turn[1]}]
    return out

"""ShareGPT (MedicalGPT-style) and alpaca (e.g. HuaTuo CMeKG instructions) inputs → QA records."""

from __future__ import annotations

from typing import Any

from dataprep.readers.base import JsonReader, Parsed
from dataprep.records import Reject, Skip, qa_record, require_text

_USER_ROLES = {"human", "user"}
_ASSISTANT_ROLES = {"gpt", "assistant", "chatgpt", "bot", "model"}


class ShareGptReader(JsonReader):
    """``{"conversations": [{"from": "human"|"gpt"|"system", "value"}]}``; OpenAI-style
    ``{"messages": [{"role", "content"}]}`` too. Multi-turn dialogues keep their turns."""

    format = "sharegpt"

    def convert(self, obj: dict, line_no: int) -> Parsed:
        messages = obj.get("conversations", obj.get("messages"))
        if not isinstance(messages, list) or not messages:
            return [Reject("missing or empty 'conversations' list")]
        turns, system = [], None
        for k, message in enumerate(messages):
            parsed = _message(message, k)
            if isinstance(parsed, Reject):
                return [parsed]
            role, content = parsed
            if role == "system":
                system = content
                continue
            expected = "user" if len(turns) % 2 == 0 else "assistant"
            if role != expected:
                return [Reject(f"conversations[{k}]: expected a {expected} turn, got {role}")]
            turns.append({"role": role, "content": content})
        if len(turns) % 2:
            turns.pop()  # a trailing question without an answer
        if not turns:
            return [Skip("no_answer")]
        meta = {"system": system} if system else {}
        single = len(turns) == 2
        return [
            qa_record(
                _own_id(obj) or self.rid(line_no),
                self.source,
                turns[-2]["content"],
                turns[-1]["content"],
                _department(obj),
                meta,
                None if single else turns,
            )
        ]


def _message(message: Any, k: int) -> tuple[str, str] | Reject:
    if not isinstance(message, dict):
        return Reject(f"conversations[{k}] is not an object")
    role = message.get("from", message.get("role"))
    content = message.get("value", message.get("content"))
    if not isinstance(content, str):
        return Reject(f"conversations[{k}] has no text value")
    role = str(role).lower()
    if role in _USER_ROLES:
        return "user", content
    if role in _ASSISTANT_ROLES:
        return "assistant", content
    if role == "system":
        return "system", content
    return Reject(f"conversations[{k}] has unknown role {role!r}")


def _own_id(obj: dict) -> str | None:
    """The example's own ``id`` (medqa prep writes one), kept so ids survive a second run."""
    value = obj.get("id")
    return str(value) if isinstance(value, str | int) and str(value).strip() else None


def _department(obj: dict) -> list[str]:
    value = obj.get("department")
    if isinstance(value, str) and value.strip():
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


class AlpacaReader(JsonReader):
    """``{"instruction", "input"?, "output", "system"?, "history"?: [[q, a], ...]}``."""

    format = "alpaca"

    def convert(self, obj: dict, line_no: int) -> Parsed:
        instruction = require_text(obj, "instruction")
        output = require_text(obj, "output")
        extra = require_text(obj, "input", allow_empty=True) if "input" in obj else ""
        for value in (instruction, output, extra):
            if isinstance(value, Reject):
                return [value]
        question = f"{instruction}\n{extra}" if extra.strip() else instruction
        turns = _history_turns(obj.get("history"))
        if isinstance(turns, Reject):
            return [turns]
        if turns:
            turns += [
                {"role": "user", "content": question},
                {"role": "assistant", "content": output},
            ]
        system = obj.get("system")
        meta = {"system": system} if isinstance(system, str) and system.strip() else {}
        rid = _own_id(obj) or self.rid(line_no)
        return [qa_record(rid, self.source, question, output, _department(obj), meta, turns)]


def _history_turns(history: Any) -> list[dict[str, str]] | Reject | None:
    if not history:
        return None
    if not isinstance(history, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(t, str) for t in pair)
        for pair in history
    ):
        return Reject("field 'history' must be a list of [question, answer] string pairs")
    turns = []
    for user, assistant in history:
        turns += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return turns

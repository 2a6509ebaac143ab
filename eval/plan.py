"""What a task asks of the endpoint: per item a ``Plan`` of ``Call``s, answered by ``Outcome``s."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from eval.client import Completion, EndpointError

Outcome = Completion | EndpointError


@dataclass(frozen=True)
class Call:
    """One request: ``chat`` (messages) or ``text`` (a raw prompt to /v1/completions)."""

    kind: str
    body: Any
    params: dict[str, Any]


@dataclass
class Plan:
    """One item and the calls that answer it; ``info`` is copied into the item's result."""

    item: Any
    calls: list[Call]
    info: dict[str, Any] = field(default_factory=dict)


class TaskKind(Protocol):
    """How one task type turns items into calls, scores the outcomes and sums them up."""

    items: list[Any]

    def plan(self, item: Any) -> Plan: ...

    def score(self, plan: Plan, outcomes: list[Outcome]) -> dict[str, Any]: ...

    def summarize(self, results: list[dict[str, Any]]) -> dict[str, Any]: ...


def chat_messages(system: str | None, user: str) -> list[dict[str, str]]:
    """``[system?, user]`` — the alternation LLaMA-Factory's API requires."""
    messages = [{"role": "system", "content": system}] if system else []
    return messages + [{"role": "user", "content": user}]


def outcome_fields(outcome: Outcome) -> dict[str, Any]:
    """What every result records about its (first) request."""
    if isinstance(outcome, EndpointError):
        return {"error": str(outcome)}
    return {
        "response": outcome.text,
        "finish_reason": outcome.finish_reason,
        "completion_tokens": outcome.completion_tokens,
        "latency_s": round(outcome.latency_s, 4),
        "cached": outcome.cached,
    }

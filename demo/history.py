"""Build the OpenAI ``messages`` for one endpoint: system prompt, newest turns within a budget.

LLaMA-Factory's API needs strict user/assistant alternation after an optional system message, so
only turns whose reply to *this* endpoint is usable become history; the budget is counted in
characters (a fair proxy for Chinese tokens) and the new question is always kept whole.
"""

from __future__ import annotations

from demo.conversation import Turn


def history_pairs(turns: list[Turn], slot: int) -> list[tuple[str, str]]:
    """(question, answer) pairs this endpoint answered usably, oldest first."""
    pairs = []
    for turn in turns:
        reply = turn.replies.get(slot)
        if reply is not None and reply.usable:
            pairs.append((turn.question, reply.answer))
    return pairs


def build_messages(
    system_prompt: str,
    pairs: list[tuple[str, str]],
    question: str,
    budget_chars: int,
) -> list[dict[str, str]]:
    """System prompt + as many of the newest ``pairs`` as fit in ``budget_chars`` + ``question``.

    The system prompt and the question are always sent; earlier turns are dropped oldest first,
    whole turns only, so user/assistant alternation holds.
    """
    used = len(system_prompt) + len(question)
    kept: list[tuple[str, str]] = []
    for user, assistant in reversed(pairs):
        cost = len(user) + len(assistant)
        if used + cost > budget_chars:
            break
        kept.append((user, assistant))
        used += cost
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    for user, assistant in reversed(kept):
        messages.append({"role": "user", "content": user})
        messages.append({"role": "assistant", "content": assistant})
    messages.append({"role": "user", "content": question})
    return messages

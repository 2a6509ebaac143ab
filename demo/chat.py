"""Answer one question: stream every selected endpoint at once into the conversation state.

``answer`` is an async generator that yields whenever new text (or an error) arrived, at most every
``FRAME_SECONDS``, so the page can re-render. Stop is cooperative (``Turn.stop``) and also survives
Gradio cancelling the generator: unfinished replies are marked stopped and their streams closed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass

from demo.backend import Backend
from demo.config import DemoConfig
from demo.conversation import Conversation, Reply, Turn
from demo.history import build_messages, history_pairs

log = logging.getLogger("demo.chat")
FRAME_SECONDS = 0.05  # at most ~20 page updates a second
STOP_POLL_SECONDS = 0.2  # how soon a stop request is noticed while no token arrives


@dataclass(frozen=True)
class Ask:
    """One submission from the page."""

    question: str
    slots: tuple[int, ...]  # endpoint indexes to ask
    use_rag: bool = False
    max_tokens: int = 512
    temperature: float = 0.7


def prepare_turn(
    conversation: Conversation, ask: Ask, backend: Backend, config: DemoConfig
) -> Turn:
    """Append the new turn with its red flags and (with RAG on) its retrieved sources."""
    turn = conversation.start_turn(ask.question, list(ask.slots))
    turn.red_flags = backend.red_flags(ask.question)
    if ask.use_rag and backend.can_retrieve:
        turn.sources = backend.retrieve(ask.question, config.top_k)
    return turn


async def _stream_reply(
    backend: Backend, slot: int, messages: list[dict], ask: Ask, reply: Reply, wake: asyncio.Event
) -> None:
    deltas = backend.stream(slot, messages, ask.max_tokens, ask.temperature)
    try:
        async with aclosing(deltas):
            async for delta in deltas:
                if reply.stopped:  # nothing after the stop press: what was shown stays
                    break
                reply.text += delta
                wake.set()
    except asyncio.CancelledError:
        reply.stopped = True
        raise
    except Exception as exc:  # noqa: BLE001 - every failure becomes a readable line in the page
        reply.error = backend.describe_error(slot, exc)
        log.warning("endpoint %d failed: %s", slot, type(exc).__name__)
    finally:
        reply.done = True
        wake.set()


async def answer(
    conversation: Conversation, turn: Turn, ask: Ask, backend: Backend, config: DemoConfig
) -> AsyncIterator[Turn]:
    """Stream the answers of ``turn``; yield the turn each time the page should re-render."""
    earlier = [t for t in conversation.turns if t is not turn]
    question = backend.with_sources(ask.question, turn.sources)
    wake = asyncio.Event()
    tasks = []
    for slot, reply in turn.replies.items():
        messages = build_messages(
            config.system_prompt, history_pairs(earlier, slot), question, config.history_chars
        )
        log.info("asking endpoint %d: %d messages, rag=%s", slot, len(messages), bool(turn.sources))
        tasks.append(asyncio.create_task(_stream_reply(backend, slot, messages, ask, reply, wake)))
    try:
        while not all(task.done() for task in tasks) and not turn.stop_requested:
            try:
                await asyncio.wait_for(wake.wait(), STOP_POLL_SECONDS)
            except TimeoutError:
                continue
            wake.clear()
            yield turn
            await asyncio.sleep(FRAME_SECONDS)
    finally:
        if not all(task.done() for task in tasks):
            turn.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    yield turn

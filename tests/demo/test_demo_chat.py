"""The chat loop against a real ``llamafactory-cli api``: streaming, multi-turn, stop, endpoint down."""

from __future__ import annotations

import asyncio

import pytest

from demo.backend import Backend
from demo.chat import Ask, answer, prepare_turn
from demo.config import DemoConfig, Endpoint
from demo.conversation import Conversation
from tests.conftest import free_port

pytestmark = pytest.mark.slow


def _config(*urls: str, history_chars: int = 4000) -> DemoConfig:
    endpoints = tuple(Endpoint(url, f"模型{'AB'[i]}") for i, url in enumerate(urls))
    return DemoConfig(endpoints, "仅供参考", history_chars=history_chars, timeout=30)


async def _ask(config: DemoConfig, conversation: Conversation, ask: Ask) -> list[dict[int, str]]:
    """Run one question to the end; return the reply texts seen at every frame."""
    backend = Backend(config)
    turn = prepare_turn(conversation, ask, backend, config)
    frames = []
    async for _ in answer(conversation, turn, ask, backend, config):
        frames.append({slot: reply.text for slot, reply in turn.replies.items()})
    await backend.aclose()
    return frames


def test_answers_stream_in_frames_and_the_next_turn_carries_history(api_pair):
    config = _config(api_pair[0].base_url, api_pair[1].base_url)
    conversation = Conversation()
    frames = asyncio.run(_ask(config, conversation, Ask("头痛三天了", (0, 1), max_tokens=48)))
    first = conversation.turns[0]
    assert all(r.done and not r.error and r.text for r in first.replies.values())
    texts_a = [frame[0] for frame in frames if frame[0]]
    assert len(set(texts_a)) >= 2, "the answer arrived in one piece, not streamed"
    assert all(first.replies[0].text.startswith(text) for text in texts_a)  # it only grew
    # second turn: history (user, assistant, user) is accepted by LLaMA-Factory's strict checker
    asyncio.run(_ask(config, conversation, Ask("还需要做什么检查？", (0,), max_tokens=8)))
    second = conversation.turns[1].replies[0]
    assert second.done and second.text and not second.error


def test_stop_ends_the_stream_early_and_keeps_the_partial_answer(api_pair):
    config = _config(api_pair[1].base_url)
    conversation = Conversation()
    backend = Backend(config)
    ask = Ask("咳嗽", (0,), max_tokens=400)

    async def frames_after_stop() -> int:
        turn = prepare_turn(conversation, ask, backend, config)
        after = 0
        async for _ in answer(conversation, turn, ask, backend, config):
            if turn.stop_requested:
                after += 1
            elif turn.replies[0].text:
                conversation.stop()  # what the stop button does
        await backend.aclose()
        return after

    assert asyncio.run(frames_after_stop()) == 1  # only the final frame, no more text
    reply = conversation.turns[0].replies[0]
    assert reply.stopped and reply.text and not reply.error


def test_endpoint_down_becomes_a_readable_error_and_the_other_column_still_answers(api_pair):
    down = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    config = _config(down, api_pair[0].base_url)
    conversation = Conversation()
    asyncio.run(_ask(config, conversation, Ask("发烧", (0, 1), max_tokens=8)))
    failed, answered = conversation.turns[0].replies[0], conversation.turns[0].replies[1]
    assert failed.done and failed.error and failed.error.startswith("**模型A 暂时无法回答**")
    assert down.removesuffix("/v1") in failed.error and "Traceback" not in failed.error
    assert answered.text and not answered.error


def test_a_request_the_server_fails_on_is_reported_and_the_next_one_answered(api_pair):
    # LLaMA-Factory starts the stream, then its generate() raises for max_tokens=-1 and the
    # connection is cut: a real server error, not a mock.
    config = _config(api_pair[1].base_url)
    conversation = Conversation()
    asyncio.run(_ask(config, conversation, Ask("头晕", (0,), max_tokens=-1)))
    failed = conversation.turns[0].replies[0]
    assert failed.done and failed.error and "暂时无法回答" in failed.error
    assert "Traceback" not in failed.error
    asyncio.run(_ask(config, conversation, Ask("头晕", (0,), max_tokens=8)))
    answered = conversation.turns[1].replies[0]
    assert answered.text and not answered.error

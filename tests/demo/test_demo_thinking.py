"""A reasoning model (Qwen3 with thinking on, e.g. `vllm serve Qwen/Qwen3-8B`) in the real page.

The tiny test models cannot be made to think on demand, so a local OpenAI-compatible stub streams
a Qwen3-shaped reply: ``<think>…</think>`` then the answer.
"""

from __future__ import annotations

import pytest

from eval.stub_server import StubResponse, StubServer, stream_events
from tests.conftest import free_port
from tests.demo.conftest import start_demo, stop_process, submit

pytestmark = pytest.mark.slow

THOUGHT = "用户描述胸痛伴出汗，需要先排除急性心梗。"
ANSWER = "请立即拨打120，停止活动，原地休息。"


def reasoning_model(request):
    if request.method == "POST" and (request.json or {}).get("stream"):
        return StubResponse(events=stream_events(f"<think>\n{THOUGHT}\n</think>\n\n{ANSWER}", 6))
    return None


@pytest.fixture
def thinking_demo(tmp_path):
    server = StubServer(reasoning_model).start()
    demo = start_demo(
        ["--endpoint", server.base_url, "--label", "Qwen3", "--timeout", "10"],
        free_port(),
        tmp_path / "demo.log",
    )
    yield demo, server
    stop_process(demo.process)
    server.stop()


def test_thinking_is_folded_away_and_left_out_of_the_history(page, thinking_demo, artifacts):
    demo, server = thinking_demo
    page.goto(demo.url)
    for count, question in enumerate(("胸口痛，出冷汗", "现在好点了，还要去医院吗？"), start=1):
        submit(page, question)
        page.wait_for_function(
            """(n) => document.querySelectorAll('#chat-0 [data-testid="bot"]').length >= n
                      && !document.querySelector('#status').innerText.includes('生成中')""",
            arg=count,
        )
    page.screenshot(path=artifacts / "08_thinking_folded.png")
    answer = page.locator('#chat-0 [data-testid="bot"]').last
    fold = answer.locator("details")
    assert fold.count() == 1 and "思考过程" in fold.locator("summary").inner_text()
    assert not fold.evaluate("d => d.open") and ANSWER in answer.inner_text()
    assert "<think>" not in answer.inner_text()
    posts = [r.json for r in server.requests if r.method == "POST"]
    history = posts[-1]["messages"]
    assert [m["role"] for m in history if m["role"] != "system"] == ["user", "assistant", "user"]
    assert history[-2]["content"] == ANSWER  # the thinking is not sent back

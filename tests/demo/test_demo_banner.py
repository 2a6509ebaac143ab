"""The red-flag banner is on the page before the model's first token, in a real Chromium; self-harm
gets the crisis banner with the hotline numbers."""

from __future__ import annotations

import pytest

from eval.stub_server import StubResponse, StubServer, stream_events
from tests.conftest import free_port
from tests.demo.conftest import start_demo, stop_process, submit

pytestmark = pytest.mark.slow
SLOW_FIRST_TOKEN_S = 10.0


def slow_model(request):
    """Every streamed answer starts only after SLOW_FIRST_TOKEN_S."""
    if request.method == "POST" and (request.json or {}).get("stream"):
        return StubResponse(events=stream_events("请立即拨打120。", 2), delay=SLOW_FIRST_TOKEN_S)
    return None


@pytest.fixture
def slow_demo(tmp_path):
    server = StubServer(slow_model).start()
    demo = start_demo(
        ["--endpoint", server.base_url, "--timeout", "20"], free_port(), tmp_path / "demo.log"
    )
    yield demo
    stop_process(demo.process)
    server.stop()


@pytest.mark.parametrize(
    ("question", "expected", "absent"),
    [
        ("我已经把遗书写好了，药也攒够了，今晚就吃", ["12356", "010-82951332", "400-161-9995"], []),
        ("我爸突然胸口压着疼，出了一身冷汗", ["疑似急性心梗", "拨打120"], ["12356"]),
    ],
)
def test_banner_is_shown_before_the_answer_streams(
    page, slow_demo, artifacts, question, expected, absent
):
    page.goto(slow_demo.url)
    submit(page, question)
    banner = page.locator("#red-flag-banner")
    banner.wait_for(state="visible", timeout=SLOW_FIRST_TOKEN_S * 1000 * 0.6)
    bot = page.locator('#chat-0 [data-testid="bot"]').last
    assert "请立即拨打120。" not in bot.inner_text()  # no token has arrived yet
    assert "生成中" in page.locator("#status").inner_text()
    text = banner.inner_text()
    assert all(word in text for word in expected) and not any(word in text for word in absent)
    if "12356" in expected:
        page.screenshot(path=artifacts / "10_crisis_banner_before_answer.png")
    page.wait_for_function("() => !document.querySelector('#status').innerText.includes('生成中')")
    assert banner.is_visible() and "请立即拨打120。" in bot.inner_text()

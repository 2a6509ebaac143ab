"""The demo in headless Chromium against real ``llamafactory-cli api`` servers (tiny Qwen2).

Screenshots land in tests/artifacts/demo/ (git-ignored): look at them after a run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.demo.conftest import start_demo, stop_process, submit

pytestmark = pytest.mark.slow

DISCLAIMER = "仅供参考，不能替代医生诊断"
LABELS = ("基座模型", "微调模型")
EMERGENCY = "我突然胸痛，一直出冷汗，左胳膊发麻"
KNOWLEDGE = {
    "heart.md": "# 心肌梗死\n\n持续胸痛超过十五分钟伴出汗，应立即拨打120，嚼服阿司匹林需遵医嘱。",
    "stomach.md": "# 胃食管反流\n\n反酸烧心在饭后加重，睡前三小时不要进食，抬高床头。",
}
# Resolves when the latest answer of a column is finished: status says nothing is generating.
SETTLED = """([column, count]) => {
  const bots = document.querySelectorAll(`#chat-${column} [data-testid="bot"]`);
  const status = document.querySelector('#status').innerText;
  return bots.length >= count && status.includes('：') && !status.includes('生成中');
}"""


@pytest.fixture(scope="module")
def demo_app(api_pair, tmp_path_factory):
    """``python -m demo`` with endpoints A and B, a knowledge folder and our disclaimer."""
    folder = tmp_path_factory.mktemp("knowledge")
    for name, text in KNOWLEDGE.items():
        (folder / name).write_text(text, encoding="utf-8")
    args = ["--endpoint", api_pair[0].base_url, "--endpoint", api_pair[1].base_url]
    args += ["--label", LABELS[0], "--label", LABELS[1], "--knowledge", str(folder)]
    args += ["--disclaimer", DISCLAIMER, "--max-tokens", "24", "--timeout", "30", "-v"]
    demo = start_demo(args, free_port(), tmp_path_factory.mktemp("demo") / "demo.log")
    yield demo
    stop_process(demo.process)


def open_demo(page, demo_app, compare: bool = False) -> None:
    page.goto(demo_app.url)
    box = page.locator("#compare input")
    if box.is_checked() != compare:
        box.click()
    page.locator("#chat-1").wait_for(state="visible" if compare else "hidden")


def set_max_tokens(page, value: int) -> None:
    field = page.locator("#max-tokens input[type=number]")
    if not field.is_visible():
        page.get_by_text("生成参数").click()
    field.fill(str(value))
    field.press("Enter")


def send(page, demo_app, question: str) -> int:
    """Type and send ``question``; return how many answers column A will then hold."""
    count = page.locator('#chat-0 [data-testid="bot"]').count() + 1
    submit(page, question)
    return count


def ask(page, demo_app, question: str, column: int = 0) -> str:
    """Send ``question``, wait until its answer is finished; return column's latest answer text."""
    count = send(page, demo_app, question)
    page.wait_for_function(SETTLED, arg=[column, count])
    assert question not in demo_app.log(), "the demo logged a user's message"
    return page.locator(f'#chat-{column} [data-testid="bot"]').last.inner_text()


def answer_body(text: str) -> str:
    """The model's words: what precedes the sources/disclaimer block."""
    return text.split("参考资料")[0].split(DISCLAIMER)[0].strip()


RECORD_ANSWERS = """() => {
  window.__answers = [];
  const root = document.querySelector('#chat-0');
  new MutationObserver(() => {
    const bots = root.querySelectorAll('[data-testid="bot"]');
    if (bots.length) window.__answers.push(bots[bots.length - 1].innerText);
  }).observe(root, {subtree: true, childList: true, characterData: true});
}"""


def test_answer_streams_in_and_ends_with_the_disclaimer(page, demo_app, artifacts):
    open_demo(page, demo_app)
    assert not page.locator("#chat-1").is_visible()  # one column unless comparing
    set_max_tokens(page, 160)
    page.evaluate(RECORD_ANSWERS)
    final = ask(page, demo_app, "最近老是头痛，怎么办？")
    page.screenshot(path=artifacts / "01_streamed_answer.png")
    seen = {answer_body(text) for text in page.evaluate("window.__answers")} - {"", "…"}
    assert len(seen) >= 3, f"the answer did not stream in: {len(seen)} distinct states"
    assert answer_body(final) and final.rstrip().endswith(DISCLAIMER)
    assert "Traceback" not in page.content()


def test_emergency_shows_the_red_flag_banner_until_a_calm_question(page, demo_app, artifacts):
    open_demo(page, demo_app)
    banner = page.locator("#red-flag-banner")
    assert not banner.is_visible()
    ask(page, demo_app, EMERGENCY)
    assert banner.is_visible()
    assert "疑似急性心梗" in banner.inner_text() and "请立即拨打120" in banner.inner_text()
    page.screenshot(path=artifacts / "02_red_flag_banner.png")
    ask(page, demo_app, "最近有点便秘，吃什么好？")
    assert not banner.is_visible()


def test_rag_toggle_cites_the_retrieved_passages(page, demo_app, artifacts):
    open_demo(page, demo_app)
    page.locator("#use-rag input").check()
    shown = ask(page, demo_app, "饭后反酸烧心怎么办？")
    page.screenshot(path=artifacts / "03_rag_sources.png")
    sources = shown.split("参考资料")[1]
    assert "stomach.md" in sources and "睡前三小时不要进食" in sources
    assert shown.rstrip().endswith(DISCLAIMER)


def test_side_by_side_shows_both_endpoints_answers(page, demo_app, artifacts):
    open_demo(page, demo_app, compare=True)
    count = send(page, demo_app, "孩子发烧三十九度怎么办？")
    for column in (0, 1):
        page.wait_for_function(SETTLED, arg=[column, count])
    page.screenshot(path=artifacts / "04_side_by_side.png")
    for column, label in enumerate(LABELS):
        chat = page.locator(f"#chat-{column}")
        assert chat.is_visible() and label in chat.inner_text()
        answer = chat.locator('[data-testid="bot"]').last.inner_text()
        assert answer_body(answer) and answer.rstrip().endswith(DISCLAIMER)
    assert "已完成" in page.locator("#status").inner_text()


def test_stop_button_freezes_a_long_answer(page, demo_app, artifacts):
    open_demo(page, demo_app)
    set_max_tokens(page, 400)
    send(page, demo_app, "咳嗽两周了，需要拍片吗？")
    latest = page.locator('#chat-0 [data-testid="bot"]').last
    page.wait_for_function(  # the first words are in (not the "…" placeholder)
        """() => { const b = document.querySelectorAll('#chat-0 [data-testid="bot"]');
                   return b.length && !b[b.length - 1].innerText.startsWith('…'); }"""
    )
    page.locator("#stop").click()
    page.wait_for_function("() => document.querySelector('#status').innerText.includes('已停止')")
    # the status can update before the chat's last render: the answer is final once it carries
    # the stop marker
    page.wait_for_function(
        """() => { const b = document.querySelectorAll('#chat-0 [data-testid="bot"]');
                   return b.length && b[b.length - 1].innerText.includes('已停止生成'); }"""
    )
    frozen = latest.inner_text()
    page.wait_for_timeout(1000)
    assert latest.inner_text() == frozen
    assert answer_body(frozen.replace("（已停止生成）", ""))  # the partial answer stays
    assert "已停止生成" in frozen and frozen.rstrip().endswith(DISCLAIMER)
    page.screenshot(path=artifacts / "05_stopped.png")


def test_endpoint_down_shows_an_error_then_recovers(
    page, demo_app, api_pair, lf_api, tiny_qwen2, artifacts
):
    open_demo(page, demo_app)
    server = api_pair[0]
    server.stop()
    try:
        shown = ask(page, demo_app, "血压160/100要紧吗？")
        page.screenshot(path=artifacts / "06_endpoint_down.png")
        assert shown.startswith("⚠") and "暂时无法回答" in shown and LABELS[0] in shown
        assert "Traceback" not in page.content() and page.locator(".toast-body").count() == 0
    finally:
        api_pair[0] = lf_api(tiny_qwen2, port=server.port, max_concurrent=2)
    shown = ask(page, demo_app, "血压160/100要紧吗？")  # the same page, the same question
    page.screenshot(path=artifacts / "07_recovered.png")
    assert "暂时无法回答" not in shown and answer_body(shown) and shown.endswith(DISCLAIMER)


def test_clear_empties_the_chat_and_hides_the_banner(page, demo_app):
    open_demo(page, demo_app)
    ask(page, demo_app, EMERGENCY)
    page.locator("#clear").click()
    page.wait_for_function("() => !document.querySelector('#chat-0 [data-testid=bot]')")
    assert not page.locator("#red-flag-banner").is_visible()
    assert page.locator("#status").inner_text().strip() == ""


def test_page_listens_on_loopback_only(demo_app):
    port = int(demo_app.url.rsplit(":", 1)[1].strip("/"))
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                listening.add(address)
    assert listening == {"0100007F"}, listening  # 127.0.0.1 only, no 0.0.0.0 / ::
    assert "asking endpoint 0" in demo_app.log()  # -v logs request sizes, never their text

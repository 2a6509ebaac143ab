"""History budget, rendering and endpoint options: the parts of the demo that need no server."""

from __future__ import annotations

import pytest

from demo.config import DemoConfig, Endpoint, make_endpoints
from demo.conversation import Conversation, Reply
from demo.history import build_messages, history_pairs
from demo.render import render_banner, render_chat, render_reply, render_status
from eval.rag import Hit
from eval.safety import DISCLAIMER as EVAL_DISCLAIMER
from eval.safety import detect_red_flags, has_disclaimer

DISCLAIMER = "仅供参考，不能替代医生诊断"


def _answered(conversation: Conversation, question: str, answers: dict[int, Reply]) -> None:
    turn = conversation.start_turn(question, list(answers))
    turn.replies.update(answers)


def test_history_keeps_newest_whole_turns_within_the_budget():
    pairs = [(f"问题{i}", "答" * 10) for i in range(5)]  # 13 chars a turn
    messages = build_messages("系统", pairs, "新问题", budget_chars=2 + 3 + 13 * 2)
    roles = [m["role"] for m in messages]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert [m["content"] for m in messages if m["role"] == "user"] == ["问题3", "问题4", "新问题"]
    assert sum(len(m["content"]) for m in messages) <= 2 + 3 + 13 * 2


def test_history_always_sends_system_and_question_even_over_budget():
    messages = build_messages("系统提示", [("旧", "旧答")], "很长的问题" * 20, budget_chars=10)
    assert messages == [
        {"role": "system", "content": "系统提示"},
        {"role": "user", "content": "很长的问题" * 20},
    ]


def test_history_skips_failed_empty_and_unfinished_replies_per_endpoint():
    conversation = Conversation()
    _answered(conversation, "q1", {0: Reply("a1", done=True), 1: Reply(error="down", done=True)})
    _answered(conversation, "q2", {0: Reply("", done=True), 1: Reply("b2", done=True)})
    _answered(conversation, "q3", {0: Reply("partial", stopped=True, done=True)})
    _answered(conversation, "q4", {0: Reply("streaming")})
    assert history_pairs(conversation.turns, 0) == [("q1", "a1"), ("q3", "partial")]
    assert history_pairs(conversation.turns, 1) == [("q2", "b2")]
    roles = [m["role"] for m in build_messages("", history_pairs(conversation.turns, 0), "q5", 999)]
    assert roles == ["user", "assistant", "user", "assistant", "user"]  # strict alternation


def test_a_reasoning_models_thinking_is_folded_away_and_never_sent_back():
    thinking = Reply("<think>胸痛伴出汗，先排除心梗。</think>请立即拨打120。", done=True)
    shown = render_reply(thinking, [], DISCLAIMER)
    assert shown.startswith(
        "<details><summary>思考过程</summary><p>胸痛伴出汗，先排除心梗。</p>\n</details>"
    )
    assert "请立即拨打120。" in shown and "&lt;think&gt;" not in shown and "<think>" not in shown
    streaming = render_reply(Reply("<think>还在想"), [], DISCLAIMER)
    assert streaming.startswith("<details open>") and "还在想" in streaming
    conversation = Conversation()
    _answered(conversation, "胸痛", {0: thinking})
    _answered(conversation, "想了一半就停了", {0: Reply("<think>还在想", stopped=True)})
    assert history_pairs(conversation.turns, 0) == [("胸痛", "请立即拨打120。")]


def test_every_answer_ends_with_the_disclaimer_while_streaming_stopped_or_done():
    for reply in (Reply(), Reply("部分"), Reply("部分", stopped=True), Reply("完整", done=True)):
        assert render_reply(reply, [], DISCLAIMER).endswith(f"<em>{DISCLAIMER}</em></p>")
        # eval's safety probe accepts what the page shows, with its default text or ours
        assert has_disclaimer(render_reply(reply, [], EVAL_DISCLAIMER))
        assert has_disclaimer(render_reply(reply, [], DISCLAIMER))
    assert "已停止生成" in render_reply(Reply("部分", stopped=True), [], DISCLAIMER)


def test_an_empty_finished_answer_says_so_instead_of_waiting_forever():
    waiting = render_reply(Reply(), [], DISCLAIMER)
    empty = render_reply(Reply("", done=True), [], DISCLAIMER)
    assert waiting.startswith("<p>…</p>") and "…" not in empty
    assert "没有返回内容" in empty and empty.endswith(f"<em>{DISCLAIMER}</em></p>")
    assert "没有返回内容" in render_reply(Reply("  \n", done=True), [], DISCLAIMER)


def test_an_error_is_one_readable_line_without_disclaimer():
    shown = render_reply(Reply(error="**A 暂时无法回答**：连接被拒绝", done=True), [], DISCLAIMER)
    assert shown == "<p>⚠️ <strong>A 暂时无法回答</strong>：连接被拒绝</p>\n"
    hostile = Reply(error="HTTP 400: <img src=http://x/p> <form action=http://x>", done=True)
    assert "<img" not in render_reply(hostile, [], DISCLAIMER)
    assert "&lt;img src=http://x/p&gt;" in render_reply(hostile, [], DISCLAIMER)


def test_sources_are_numbered_with_their_origin_and_a_short_excerpt():
    sources = [
        Hit("heart.md#0", "heart.md", "胸痛 " * 200, 3.2),
        Hit("s#1", "stroke.md", "口角歪斜", 1.0),
    ]
    shown = render_reply(Reply("答", done=True), sources, DISCLAIMER)
    assert "<strong>参考资料</strong>" in shown
    assert "<li><code>heart.md</code> — 胸痛 胸痛" in shown and "…" in shown
    assert "<li><code>stroke.md</code> — 口角歪斜</li>" in shown
    hostile = [Hit("k#0", "k.md", '<img src=http://x/p>![a](http://x/q)<a href="javascript:x">', 1)]
    shown = render_reply(Reply("答", done=True), hostile, DISCLAIMER)
    assert "<img" not in shown and "<a " not in shown and "&lt;img" in shown
    assert shown.index("参考资料") < shown.index(DISCLAIMER)


def test_each_column_shows_only_the_turns_sent_to_its_endpoint():
    conversation = Conversation()
    _answered(conversation, "只问A", {0: Reply("a", done=True)})
    _answered(conversation, "都问", {0: Reply("a2", done=True), 1: Reply("b2", done=True)})
    column_b = render_chat(conversation, 1, DISCLAIMER)
    assert [m["content"] for m in column_b if m["role"] == "user"] == ["<p>都问</p>"]
    assert len(render_chat(conversation, 0, DISCLAIMER)) == 4
    assert render_status(conversation, ["A", "B"]) == "A：已完成 · B：已完成"


def test_banner_gives_evals_advice_for_each_emergency_of_the_latest_question():
    conversation = Conversation()
    assert render_banner(conversation.last_turn) == ""
    turn = conversation.start_turn("胸口压着痛，出冷汗", [0])
    turn.red_flags = detect_red_flags(turn.question)
    banner = render_banner(turn)
    assert [flag.key for flag in turn.red_flags] == ["chest_pain"]
    assert "拨打120" in banner and "12356" not in banner and banner.count("<br>") == 1
    turn = conversation.start_turn("胸口压着痛，出冷汗，最近不想活了", [0])
    turn.red_flags = detect_red_flags(turn.question)
    banner = render_banner(turn)
    assert [flag.key for flag in turn.red_flags] == ["suicide", "chest_pain"]
    assert banner.startswith('<div class="red-flag crisis"')
    assert banner.index("12356") < banner.index("拨打120，停止活动")
    assert "010-82951332" in banner and "400-161-9995" in banner and banner.count("<br>") == 3
    conversation.start_turn("便秘", [0])
    assert render_banner(conversation.last_turn) == ""


def test_stop_and_clear_reach_a_reply_that_is_still_streaming():
    conversation = Conversation()
    turn = conversation.start_turn("q", [0, 1])
    turn.replies[1].done = True
    conversation.stop()
    assert turn.stop_requested and turn.replies[0].stopped and not turn.replies[1].stopped
    assert render_status(conversation, ["A", "B"]) == "A：已停止 · B：已完成"
    conversation.clear()
    assert conversation.turns == [] and render_chat(conversation, 0, DISCLAIMER) == []


def test_endpoints_pair_with_labels_and_models_in_order():
    endpoints = make_endpoints(
        ["http://127.0.0.1:8000/v1/", "https://lora.example:9000/v1"], ["基座"], ["m-a", "m-b"]
    )
    assert endpoints == (
        Endpoint("http://127.0.0.1:8000/v1", "基座", "m-a"),
        Endpoint("https://lora.example:9000/v1", "B · lora.example:9000", "m-b"),
    )


@pytest.mark.parametrize(
    ("urls", "labels", "message"),
    [
        (["127.0.0.1:8000/v1"], [], "is not an http"),
        (["http://a/v1"], ["x", "y"], "more --label"),
    ],
)
def test_bad_endpoint_options_are_named(urls, labels, message):
    with pytest.raises(ValueError, match=message):
        make_endpoints(urls, labels)


def test_config_takes_one_or_two_endpoints():
    one = Endpoint("http://a/v1", "A")
    assert not DemoConfig((one,), DISCLAIMER).can_compare
    assert DemoConfig((one, one), DISCLAIMER).can_compare
    with pytest.raises(ValueError, match="1 or 2 endpoints"):
        DemoConfig((one, one, one), DISCLAIMER)

"""Turn the conversation state into what the page shows: chat messages, the red-flag banner.

Every chat bubble is HTML built here: what the model, the knowledge files, the endpoint or the user
wrote is text, rendered through ``demo.markup``'s allow-list (the Chatbot itself renders no
Markdown and no raw HTML). Every answer ends with the disclaimer, from its first streamed token
on, so an answer that is stopped half way still carries it; errors are one readable line, never a
traceback.
"""

from __future__ import annotations

import html

from demo.conversation import Conversation, Reply, Turn
from demo.markup import markdown_to_html, text_to_html
from eval.rag import HasSourceAndText
from eval.safety import CRISIS_LINES, CRISIS_MESSAGE, needs_crisis_support

WAITING = "…"
EMPTY_NOTE = "（模型没有返回内容，请重新发送或换个问法）"
STOPPED_NOTE = "（已停止生成）"
EXCERPT_CHARS = 120


def render_sources(sources: list[HasSourceAndText]) -> str:
    """A numbered "参考资料" list: source name and a short excerpt of each passage (as text)."""
    if not sources:
        return ""
    items = []
    for citation in sources:
        excerpt = " ".join(citation.text.split())
        if len(excerpt) > EXCERPT_CHARS:
            excerpt = excerpt[:EXCERPT_CHARS] + "…"
        items.append(
            f"<li><code>{text_to_html(citation.source)}</code> — {text_to_html(excerpt)}</li>"
        )
    return f'<p class="sources"><strong>参考资料</strong></p><ol>{"".join(items)}</ol>'


def render_thinking(thinking: str, open_: bool) -> str:
    """A reasoning model's thinking, folded away under "思考过程" (open while it is all there is)."""
    body = markdown_to_html(thinking)
    return f"<details{' open' if open_ else ''}><summary>思考过程</summary>{body}</details>"


def _note(text: str) -> str:
    return f'<p class="note"><em>{html.escape(text)}</em></p>'


def render_reply(reply: Reply, sources: list[HasSourceAndText], disclaimer: str) -> str:
    """HTML for one assistant bubble: answer (or error), stop note, sources, disclaimer."""
    if reply.error:
        return markdown_to_html(f"⚠️ {reply.error}")
    thinking, answer = reply.thinking, reply.answer
    parts = [render_thinking(thinking, open_=not answer and not reply.done)] if thinking else []
    if answer:
        parts.append(markdown_to_html(answer))
    if reply.stopped:
        parts.append(_note(STOPPED_NOTE))
    elif not answer:
        parts.append(_note(EMPTY_NOTE) if reply.done else f"<p>{WAITING}</p>")
    if sources:
        parts.append(render_sources(sources))
    parts.append(f'<hr><p class="disclaimer">⚕️ <em>{text_to_html(disclaimer)}</em></p>')
    return "".join(parts)


def render_chat(conversation: Conversation, slot: int, disclaimer: str) -> list[dict[str, str]]:
    """Chatbot messages (``type="messages"``) for one endpoint's column, as HTML."""
    messages: list[dict[str, str]] = []
    for turn in conversation.turns:
        reply = turn.replies.get(slot)
        if reply is None:
            continue
        messages.append({"role": "user", "content": f"<p>{text_to_html(turn.question)}</p>"})
        messages.append(
            {"role": "assistant", "content": render_reply(reply, turn.sources, disclaimer)}
        )
    return messages


def render_banner(turn: Turn | None) -> str:
    """HTML of the urgent-care banner for the latest question ("" when it describes no emergency).

    Self-harm and suicide get their own banner: the crisis lines first, then any other advice. The
    advice per emergency is eval's (``eval.safety``), the same text its safety probes expect.
    """
    if turn is None or not turn.red_flags:
        return ""
    crisis = needs_crisis_support(turn.red_flags)
    lines = [f"⚠️ {flag.name}：{flag.advice}" for flag in turn.red_flags]
    if crisis:
        numbers = "".join(
            f"<li>{html.escape(name)}：<strong>{html.escape(number)}</strong></li>"
            for name, number in CRISIS_LINES
        )
        head = (
            '<div class="red-flag crisis" role="alert" id="crisis-banner"><strong>'
            f"{html.escape(CRISIS_MESSAGE.split('想找人说说话')[0])}</strong>"
            f"<br>现在就可以拨打：<ul>{numbers}</ul>"
        )
    else:
        head = (
            '<div class="red-flag" role="alert"><strong>紧急提示：您描述的情况可能危及生命，'
            "请不要等待在线回复。</strong>"
        )
    return head + "".join(f"<br>{html.escape(line)}" for line in lines) + "</div>"


def reply_state(reply: Reply) -> str:
    """One word for where a reply stands."""
    if reply.stopped:
        return "已停止"
    if reply.error:
        return "出错"
    return "已完成" if reply.done else "生成中…"


def render_status(conversation: Conversation, labels: list[str]) -> str:
    """ "A：已完成 · B：生成中…" for the latest question ("" before the first one)."""
    turn = conversation.last_turn
    if turn is None:
        return ""
    return " · ".join(f"{labels[slot]}：{reply_state(r)}" for slot, r in turn.replies.items())

"""The Gradio page: one or two chat columns, question box, stop/clear, RAG and compare toggles.

Handlers only translate between widgets and ``demo.chat``; all state lives in one ``Conversation``
per browser session (a ``gr.State``), mutated in place so the stop and clear buttons reach an
answer that is still streaming.
"""

from __future__ import annotations

import gradio as gr

from demo.backend import Backend
from demo.chat import Ask, answer, prepare_turn
from demo.config import DemoConfig
from demo.conversation import Conversation
from demo.render import render_banner, render_chat, render_status

CSS = """
.red-flag { background: #fde8e8; border: 2px solid #c81e1e; color: #771d1d;
            padding: 12px 16px; border-radius: 8px; font-size: 1.05em; }
#disclaimer-footer { color: #6b7280; font-size: 0.9em; }
.message-content hr { margin: 0.6em 0 0.3em; }
"""


# Local fonts only: the default theme would fetch Google Fonts, which the page's CSP refuses.
THEME = gr.themes.Default(
    font=("Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "sans-serif"),
    font_mono=("Noto Sans Mono CJK SC", "monospace"),
)


class DemoPage:
    """Builds the Blocks and owns the event handlers (they need the config and the backend)."""

    def __init__(self, config: DemoConfig, backend: Backend) -> None:
        self.config = config
        self.backend = backend

    def view(self, conversation: Conversation, question=None) -> tuple:
        """Outputs: question box, banner, status line, state, then one chat per endpoint."""
        banner = render_banner(conversation.last_turn)
        labels = [endpoint.label for endpoint in self.config.endpoints]
        chats = [
            render_chat(conversation, slot, self.config.disclaimer)
            for slot in range(len(self.config.endpoints))
        ]
        return (
            gr.skip() if question is None else question,
            gr.update(value=banner, visible=bool(banner)),
            render_status(conversation, labels),
            conversation,
            *chats,
        )

    async def on_submit(self, text, conversation, compare, use_rag, max_tokens, temperature):
        """Send the question to the selected endpoints and stream their answers into the page."""
        text = (text or "").strip()
        if not text:
            yield self.view(conversation)
            return
        slots = (0, 1) if compare and self.config.can_compare else (0,)
        ask = Ask(text, slots, bool(use_rag), int(max_tokens), float(temperature))
        turn = prepare_turn(conversation, ask, self.backend, self.config)
        yield self.view(conversation, question="")
        async for _ in answer(conversation, turn, ask, self.backend, self.config):
            yield self.view(conversation)

    def on_stop(self, conversation: Conversation) -> tuple:
        conversation.stop()
        return self.view(conversation)

    def on_clear(self, conversation: Conversation) -> tuple:
        conversation.clear()
        return self.view(conversation, question="")

    def build(self) -> gr.Blocks:
        """Lay out the page and connect its events."""
        with gr.Blocks(
            title="medqa 医疗问答", css=CSS, theme=THEME, analytics_enabled=False
        ) as blocks:
            widgets = self._layout()
            self._connect(widgets)
        return blocks

    def _layout(self) -> dict:
        """Create the widgets (inside the open Blocks); return them by name."""
        names = "；".join(f"**{endpoint.label}**" for endpoint in self.config.endpoints)
        gr.Markdown(f"## 医疗问答演示\n模型：{names}")
        w = {"banner": gr.HTML("", visible=False, elem_id="red-flag-banner")}
        self._chat_area(w)
        self._options(w)
        gr.Markdown(f"⚕️ {self.config.disclaimer}", elem_id="disclaimer-footer")
        w["state"] = gr.State(Conversation())
        return w

    def _chat_area(self, w: dict) -> None:
        config = self.config
        with gr.Row(equal_height=True):
            w["chats"] = [
                gr.Chatbot(
                    type="messages",
                    label=endpoint.label,
                    elem_id=f"chat-{slot}",
                    height=460,
                    show_copy_button=True,
                    render_markdown=False,  # demo.render hands over allow-listed HTML
                    sanitize_html=True,
                    latex_delimiters=[],
                )
                for slot, endpoint in enumerate(config.endpoints)
            ]
        with gr.Row():
            w["question"] = gr.Textbox(
                placeholder="请描述您的症状或问题，按回车发送…",
                show_label=False,
                elem_id="question",
                scale=8,
                autofocus=True,
            )
            w["send"] = gr.Button("发送", variant="primary", elem_id="send", scale=1)
            w["stop"] = gr.Button("停止", variant="stop", elem_id="stop", scale=1)
            w["clear"] = gr.Button("清空", elem_id="clear", scale=1)
        w["status"] = gr.Markdown("", elem_id="status")

    def _options(self, w: dict) -> None:
        config = self.config
        with gr.Row():
            w["compare"] = gr.Checkbox(
                value=config.can_compare,
                label="并排对比：同一问题同时发给两个模型",
                visible=config.can_compare,
                elem_id="compare",
            )
            w["use_rag"] = gr.Checkbox(
                value=False,
                label="检索知识库（RAG），在回答下列出引用来源",
                visible=self.backend.can_retrieve,
                elem_id="use-rag",
            )
        with gr.Accordion("生成参数", open=False, elem_id="generation"):
            defaults = config.generation
            w["max_tokens"] = gr.Slider(
                1,
                8192,
                value=defaults.max_tokens,
                step=1,
                label="最大生成长度 max_tokens",
                elem_id="max-tokens",
            )
            w["temperature"] = gr.Slider(
                0.0,
                2.0,
                value=defaults.temperature,
                step=0.05,
                label="温度 temperature",
                elem_id="temperature",
            )

    def _connect(self, w: dict) -> None:
        chats = w["chats"]
        outputs = [w["question"], w["banner"], w["status"], w["state"], *chats]
        inputs = [w["question"], w["state"], w["compare"], w["use_rag"]]
        inputs += [w["max_tokens"], w["temperature"]]
        for trigger in (w["question"].submit, w["send"].click):
            trigger(
                self.on_submit,
                inputs,
                outputs,
                concurrency_limit=self.config.concurrency,
                show_progress="hidden",
            )
        w["stop"].click(self.on_stop, [w["state"]], outputs, queue=False)
        for trigger in (w["clear"].click, *(chat.clear for chat in chats)):
            trigger(self.on_clear, [w["state"]], outputs, queue=False)
        if len(chats) > 1:
            w["compare"].change(
                lambda on: gr.update(visible=on), [w["compare"]], [chats[1]], queue=False
            )


def build_app(config: DemoConfig, backend: Backend | None = None) -> gr.Blocks:
    """The demo's Gradio Blocks for ``config`` (``backend`` defaults to one built from it)."""
    return DemoPage(config, backend or Backend(config)).build()

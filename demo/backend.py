"""The demo's one seam to ``eval``: its streaming client, BM25 retrieval and safety rules.

The page and the chat loop talk only to ``Backend``; nothing here re-implements what ``eval``
owns, so the demo warns about the same emergencies and retrieves the same passages that eval
measures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from demo.config import DemoConfig
from eval.client import ChatClient, EndpointError, RetryPolicy
from eval.rag import BM25Retriever, Hit, format_rag_prompt
from eval.safety import DISCLAIMER, RedFlag, detect_red_flags

DEFAULT_DISCLAIMER = DISCLAIMER
# A person is waiting: one quick retry, then say what is wrong (eval's default waits ~8 s).
INTERACTIVE_RETRY = RetryPolicy(max_retries=1, backoff_base=0.5, backoff_max=2.0)


class Backend:
    """Clients for the configured endpoints, the optional retriever and the red-flag rules."""

    def __init__(self, config: DemoConfig) -> None:
        self.config = config
        self.clients = [
            ChatClient(
                endpoint.url,
                endpoint.model,
                config.api_key,
                timeout=config.timeout,
                concurrency=config.concurrency,
                retry=INTERACTIVE_RETRY,
            )
            for endpoint in config.endpoints
        ]
        self.retriever = (
            BM25Retriever.from_folder(config.knowledge_dir) if config.knowledge_dir else None
        )

    @property
    def can_retrieve(self) -> bool:
        return self.retriever is not None

    def red_flags(self, text: str) -> list[RedFlag]:
        """The emergencies ``text`` describes (eval's safety rules)."""
        return detect_red_flags(text)

    def retrieve(self, question: str, k: int) -> list[Hit]:
        """The best ``k`` passages for ``question`` (eval's BM25 retriever)."""
        assert self.retriever is not None
        return self.retriever.search(question, k)

    def with_sources(self, question: str, sources: list[Hit]) -> str:
        """The user message sent to the model: the question, with the passages when there are any."""
        return format_rag_prompt(question, sources) if sources else question

    def stream(
        self, slot: int, messages: list[dict], max_tokens: int, temperature: float
    ) -> AsyncIterator[str]:
        """Text deltas of endpoint ``slot``'s answer (close it to drop the connection early)."""
        return self.clients[slot].stream(messages, max_tokens=max_tokens, temperature=temperature)

    async def aclose(self) -> None:
        """Close the clients' HTTP sessions."""
        for client in self.clients:
            await client.aclose()

    def describe_error(self, slot: int, exc: BaseException) -> str:
        """One readable Markdown line for the page (no traceback, no request content)."""
        label = self.config.endpoints[slot].label
        if isinstance(exc, EndpointError):
            return f"**{label} 暂时无法回答**：{exc}。服务恢复后重新发送即可。"
        return f"**{label} 出错**（{type(exc).__name__}），请稍后重试。"

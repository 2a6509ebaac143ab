"""What the demo is configured with: endpoints, prompt, safety text and generation limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_SYSTEM_PROMPT = (
    "你是一名严谨的医学助理。请用通俗易懂的中文回答用户的健康问题，"
    "说明可能的原因和建议的就医科室；不确定时直说，不要编造；遇到急症时建议立即就医。"
)
MAX_ENDPOINTS = 2


@dataclass(frozen=True)
class Endpoint:
    """One OpenAI-compatible server (base URL ending in ``/v1``) and how the page names it."""

    url: str
    label: str
    model: str | None = None  # None: discovered from ``/v1/models``

    @property
    def host(self) -> str:
        """``host:port`` of the URL, for short labels."""
        return urlsplit(self.url).netloc or self.url


@dataclass(frozen=True)
class GenerationDefaults:
    """Decoding parameters the page starts with (the user can change them in the page)."""

    max_tokens: int = 512
    temperature: float = 0.7


@dataclass(frozen=True)
class DemoConfig:
    """Everything ``build_app`` needs; built by the CLI from options and the environment."""

    endpoints: tuple[Endpoint, ...]
    disclaimer: str
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    history_chars: int = 4000  # budget for system prompt + earlier turns + the new question
    generation: GenerationDefaults = field(default_factory=GenerationDefaults)
    timeout: float = 120.0
    api_key: str | None = None
    knowledge_dir: Path | None = None
    top_k: int = 3
    concurrency: int = 16  # conversations answered at once (the endpoint queues the rest)

    def __post_init__(self) -> None:
        if not 1 <= len(self.endpoints) <= MAX_ENDPOINTS:
            raise ValueError(f"give 1 or {MAX_ENDPOINTS} endpoints, got {len(self.endpoints)}")
        if self.history_chars < 1:
            raise ValueError("history_chars must be positive")
        if self.top_k < 1:
            raise ValueError("top_k must be at least 1")

    @property
    def can_compare(self) -> bool:
        """Two endpoints: the page offers side-by-side answers."""
        return len(self.endpoints) == MAX_ENDPOINTS


def make_endpoints(
    urls: tuple[str, ...] | list[str],
    labels: tuple[str, ...] | list[str] = (),
    models: tuple[str, ...] | list[str] = (),
) -> tuple[Endpoint, ...]:
    """Pair ``--endpoint`` URLs with optional ``--label``/``--model`` values given in the same order."""
    if not 1 <= len(urls) <= MAX_ENDPOINTS:
        raise ValueError(f"give 1 or {MAX_ENDPOINTS} endpoints, got {len(urls)}")
    if len(labels) > len(urls) or len(models) > len(urls):
        raise ValueError("more --label/--model values than --endpoint URLs")
    endpoints = []
    for index, url in enumerate(urls):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"endpoint {url!r} is not an http(s) URL like http://127.0.0.1:8000/v1"
            )
        label = labels[index] if index < len(labels) else f"{'AB'[index]} · {parts.netloc}"
        model = models[index] if index < len(models) else None
        endpoints.append(Endpoint(url.rstrip("/"), label, model))
    return tuple(endpoints)

"""``medqa demo`` / ``python -m demo``: start the Gradio chat page over OpenAI-compatible endpoints."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from demo.config import DEFAULT_SYSTEM_PROMPT, DemoConfig, GenerationDefaults, make_endpoints
from eval.cli_options import request_timeout

LOOPBACK = ("127.0.0.1", "localhost", "::1")
# Libraries that log request payloads (patients' messages) at DEBUG: never below WARNING here.
QUIET_LOGGERS = ("openai", "httpx", "httpcore", "urllib3", "gradio")


def configure_logging(verbose: bool) -> None:
    """Our own logs at INFO with ``-v`` (they never contain message text); libraries stay quiet."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    os.environ.pop("OPENAI_LOG", None)  # the openai SDK would log request bodies


def default_disclaimer() -> str:
    from demo.backend import DEFAULT_DISCLAIMER

    return DEFAULT_DISCLAIMER


def check_disclaimer(text: str | None) -> None:
    """A custom disclaimer must pass the check eval's safety probes apply to answers."""
    from eval.safety import has_disclaimer

    if text is not None and not has_disclaimer(text):
        raise click.BadParameter(
            f"{text!r} does not say the answer is no substitute for a doctor "
            "(e.g. 仅供参考，不能替代医生诊断)",
            param_hint="--disclaimer",
        )


@click.command("demo", context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--endpoint",
    "endpoints",
    multiple=True,
    default=("http://127.0.0.1:8000/v1",),
    show_default=True,
    help="OpenAI-compatible base URL (…/v1). Give it twice for side-by-side answers (A, B). "
    "The key, if any, comes from the API_KEY environment variable.",
)
@click.option("--label", "labels", multiple=True, help="Column title per --endpoint, in order.")
@click.option(
    "--model", "models", multiple=True, help="Model id per --endpoint (default: from /v1/models)."
)
@click.option(
    "--knowledge",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of txt/md/jsonl documents: enables the RAG toggle with cited sources.",
)
@click.option(
    "--top-k",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Passages retrieved per question.",
)
@click.option("--system-prompt", default=DEFAULT_SYSTEM_PROMPT, help="System message sent first.")
@click.option("--disclaimer", default=None, help="Text shown under every answer.")
@click.option(
    "--history-chars",
    default=4000,
    show_default=True,
    help="Budget for system prompt + earlier turns + question; oldest turns are dropped first.",
)
@click.option(
    "--max-tokens",
    type=click.IntRange(1, 8192),
    default=512,
    show_default=True,
    help="Initial max_tokens (the page's slider goes to 8192).",
)
@click.option(
    "--temperature",
    type=click.FloatRange(0.0, 2.0),
    default=0.7,
    show_default=True,
    help="Initial temperature.",
)
@request_timeout
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=16,
    show_default=True,
    help="Conversations answered at once.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=7860, show_default=True, type=int)
@click.option("--share", is_flag=True, help="Also open a public gradio.live link (opt-in).")
@click.option("-v", "--verbose", is_flag=True, help="Log each request's size (never its text).")
def demo(
    endpoints: tuple[str, ...],
    labels: tuple[str, ...],
    models: tuple[str, ...],
    knowledge: Path | None,
    top_k: int,
    system_prompt: str,
    disclaimer: str | None,
    history_chars: int,
    max_tokens: int,
    temperature: float,
    timeout: float,
    concurrency: int,
    host: str,
    port: int,
    share: bool,
    verbose: bool,
) -> None:
    """Medical chat page over one or two OpenAI-compatible endpoints (binds 127.0.0.1)."""
    configure_logging(verbose)
    check_disclaimer(disclaimer)
    try:
        config = DemoConfig(
            endpoints=make_endpoints(endpoints, labels, models),
            disclaimer=disclaimer or default_disclaimer(),
            system_prompt=system_prompt,
            history_chars=history_chars,
            generation=GenerationDefaults(max_tokens, temperature),
            timeout=timeout,
            api_key=os.environ.get("API_KEY") or None,
            knowledge_dir=knowledge,
            top_k=top_k,
            concurrency=concurrency,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    if share or host not in LOOPBACK:
        click.echo(
            "warning: the page is reachable beyond this machine; what users type (health "
            "data) goes to whoever can open it. Put it behind authentication.",
            err=True,
        )
    from demo.app import build_app
    from eval.redflag_model import shipped_model

    shipped_model()  # the red-flag model trains once (a few seconds) before the first message
    try:
        app = build_app(config)
    except ValueError as exc:  # e.g. a knowledge folder without text, a bad knowledge file
        raise click.ClickException(str(exc)) from None
    for slot, endpoint in enumerate(config.endpoints):
        click.echo(f"endpoint {'AB'[slot]}: {endpoint.url} ({endpoint.label})", err=True)
    from demo.csp import app_kwargs

    app.queue(default_concurrency_limit=concurrency).launch(
        server_name=host,
        server_port=port,
        share=share,
        show_api=False,
        inbrowser=False,
        app_kwargs=app_kwargs(),  # Content-Security-Policy: no remote loads, no form actions
    )

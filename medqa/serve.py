"""``medqa serve CONFIG``: check the config, then serve LLaMA-Factory's API safely.

``llamafactory-cli api`` on its own binds 0.0.0.0, logs every request body (patients' messages),
answers cross-origin requests from any origin, serves ``/docs`` without the key and runs keyless.
We bind 127.0.0.1, turn request logging off, require ``API_KEY`` (a keyless loopback server only
with ``--allow-no-key``), and run the same app through ``medqa.serve_app``, which drops CORS
(unless ``--allow-origin``) and the docs. A config whose backend or hardware this machine lacks
(vLLM not installed, no GPU) stops before anything starts, naming the CPU alternative.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import click

from medqa.serve_app import KeyRequired, check_key_policy

INFERENCE_CONFIGS = Path(__file__).resolve().parents[1] / "llamafactory_configs" / "inference"


def api_environment(
    port: int,
    host: str = "127.0.0.1",
    model_name: str = "medqa",
    max_concurrent: int | None = None,
    base: dict[str, str] | None = None,
    allow_origins: tuple[str, ...] | list[str] = (),
    allow_no_key: bool = False,
) -> dict[str, str]:
    """Environment for ``medqa.serve_app``: loopback, no request-body logging, named model, the
    origins allowed cross-origin access and whether a keyless server is allowed.

    ``API_KEY`` is passed through from ``base`` (default: this process's environment) when set.
    """
    env = dict(os.environ if base is None else base)
    env.update(
        API_HOST=host,
        API_PORT=str(port),
        API_VERBOSE="0",
        API_MODEL_NAME=model_name,
        HF_HUB_DISABLE_TELEMETRY="1",
        MEDQA_ALLOW_ORIGINS=",".join(allow_origins),
        MEDQA_ALLOW_NO_KEY="1" if allow_no_key else "0",
    )
    if max_concurrent is not None:
        env["MAX_CONCURRENT"] = str(max_concurrent)
    return env


def api_command(config: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The ``python -m medqa.serve_app CONFIG key=value...`` command line (LLaMA-Factory's API
    app, hardened)."""
    return [sys.executable, "-m", "medqa.serve_app", str(config), *overrides]


def _cpu_alternative(cfg) -> str:
    """The command that serves ``cfg``'s model with the huggingface backend on this machine."""
    adapter = cfg.get("adapter_name_or_path")
    alternative = INFERENCE_CONFIGS / ("qwen_lora_hf.yaml" if adapter else "qwen_hf.yaml")
    try:
        shown = alternative.relative_to(Path.cwd())
    except ValueError:
        shown = alternative
    words = [f"model_name_or_path={cfg.get('model_name_or_path')}"]
    words += [f"adapter_name_or_path={adapter}"] if adapter else []
    words += [f"template={cfg.get('template')}"] if cfg.get("template") else []
    return f"medqa serve {shown} {' '.join(words)}"


def missing_backend(config: str | Path, overrides: tuple[str, ...] | list[str] = ()) -> str | None:
    """One line naming the package or device ``config`` needs and this machine lacks, with the
    CPU alternative; None when it can be served here."""
    from medqa.check.config import ConfigError, load_config
    from medqa.check.lf_parse import environment_findings

    try:
        cfg = load_config(config, overrides)
    except ConfigError:
        return None  # an invalid config: `medqa check` names the problem
    backend = cfg.get("infer_backend") or "huggingface"
    for finding in environment_findings(cfg):
        if finding.code == "missing-package":
            package = finding.message.removeprefix("needs ")
            return (
                f"{config} needs the {package} package ({finding.key}: {cfg.get(finding.key)}), "
                f"which is not installed here; without it serve on CPU with: {_cpu_alternative(cfg)}"
            )
    wants_gpu = backend in ("vllm", "sglang") or cfg.get("quantization_bit") is not None
    if wants_gpu and not _has_cuda():
        reason = f"infer_backend: {backend}" if backend != "huggingface" else "quantization_bit"
        return (
            f"{config} needs a CUDA GPU ({reason}) and this machine has none; "
            f"serve on CPU with: {_cpu_alternative(cfg)}"
        )
    return None


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def start_api(
    config: str | Path,
    overrides: list[str] | tuple[str, ...] = (),
    *,
    port: int,
    log_path: str | Path,
    host: str = "127.0.0.1",
    model_name: str = "medqa",
    max_concurrent: int | None = None,
    cwd: str | Path | None = None,
    env: dict[str, str] | None = None,
    allow_no_key: bool = True,
) -> subprocess.Popen:
    """Start the hardened API in the background, logging to ``log_path``.

    For programmatic loopback servers (tests, quickstart) a keyless server is allowed unless
    ``allow_no_key`` is False; ``API_KEY`` in ``env`` (or this environment) is enforced when set.
    """
    log = open(log_path, "ab")  # noqa: SIM115 - owned by the child process for its lifetime
    return subprocess.Popen(
        api_command(config, overrides),
        cwd=cwd,
        env=api_environment(
            port, host, model_name, max_concurrent, base=env, allow_no_key=allow_no_key
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until_ready(
    base_url: str,
    process: subprocess.Popen | None = None,
    timeout: float = 180.0,
    api_key: str | None = None,
) -> list[str]:
    """Poll ``{base_url}/models`` until it answers; return the served model ids.

    Raises RuntimeError if the process exits first or ``timeout`` seconds pass.
    """
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(f"{base_url.rstrip('/')}/models")
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"llamafactory-cli api exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return [m["id"] for m in json.load(response)["data"]]
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise RuntimeError(f"{base_url} did not answer within {timeout:.0f}s")


@click.command("serve", context_settings={"ignore_unknown_options": True})
@click.argument("config", type=click.Path(exists=True, dir_okay=False))
@click.argument("overrides", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to bind. 0.0.0.0 exposes patients' data to the network: use a key.",
)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--model-name", default="medqa", show_default=True, help="Id shown at /v1/models.")
@click.option(
    "--max-concurrent",
    type=int,
    default=None,
    help="Parallel requests for the huggingface backend (LLaMA-Factory default 1).",
)
@click.option(
    "--allow-origin",
    "allow_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Let web pages from ORIGIN (e.g. http://127.0.0.1:7860) call the API from a browser. "
    "Repeatable. Default: no cross-origin access at all.",
)
@click.option(
    "--allow-no-key",
    is_flag=True,
    help="Serve without API_KEY (loopback only; prints a warning). Default: API_KEY required.",
)
@click.option("--skip-check", is_flag=True, help="Do not run `medqa check` first.")
def serve(
    config: str,
    overrides: tuple[str, ...],
    host: str,
    port: int,
    model_name: str,
    max_concurrent: int | None,
    allow_origins: tuple[str, ...],
    allow_no_key: bool,
    skip_check: bool,
) -> None:
    """Check CONFIG, then serve it with LLaMA-Factory's API (OpenAI-compatible, /v1), key
    required, no cross-origin access, no /docs."""
    blocker = missing_backend(config, overrides)
    if blocker:
        raise click.ClickException(blocker)
    try:
        check_key_policy(host, os.environ.get("API_KEY"), allow_no_key)
    except KeyRequired as exc:
        raise click.UsageError(str(exc)) from None
    if not skip_check:
        from medqa.check import Level, check_configs

        found = check_configs([config], overrides)
        for finding in found:
            click.echo(finding.render(), err=True)
        if any(f.level == Level.ERROR for f in found):
            raise click.ClickException(f"{config} has errors; fix them or pass --skip-check")
    if not os.environ.get("API_KEY"):
        click.echo(
            f"warning: serving {host}:{port} without API_KEY: every program and user on this "
            "machine can query the model (and read what others sent). Set API_KEY for anything "
            "but a quick local test.",
            err=True,
        )
    env = api_environment(
        port,
        host,
        model_name,
        max_concurrent,
        allow_origins=allow_origins,
        allow_no_key=allow_no_key,
    )
    cors = ", ".join(allow_origins) if allow_origins else "none"
    click.echo(
        f"serving {config} at http://{host}:{port}/v1 as model {model_name!r} "
        f"(request bodies are not logged; cross-origin access: {cors}; /docs off)",
        err=True,
    )
    command = api_command(config, overrides)
    os.execvpe(command[0], command, env)

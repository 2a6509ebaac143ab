"""``medqa serve CONFIG``: check the config, then run ``llamafactory-cli api`` safely.

``llamafactory-cli api`` on its own binds 0.0.0.0 and logs every request body (patients'
messages) by default. We bind 127.0.0.1, turn request logging off, honour ``API_KEY`` from the
environment and name the model. The same environment works for direct calls::

    API_HOST=127.0.0.1 API_PORT=8000 API_VERBOSE=0 API_MODEL_NAME=medqa \\
        llamafactory-cli api llamafactory_configs/inference/qwen_lora_vllm.yaml
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import click


def api_environment(
    port: int,
    host: str = "127.0.0.1",
    model_name: str = "medqa",
    max_concurrent: int | None = None,
    base: dict[str, str] | None = None,
) -> dict[str, str]:
    """Environment for ``llamafactory-cli api``: loopback, no request-body logging, named model.

    ``API_KEY`` is passed through from ``base`` (default: this process's environment) when set.
    """
    env = dict(os.environ if base is None else base)
    env.update(
        API_HOST=host,
        API_PORT=str(port),
        API_VERBOSE="0",
        API_MODEL_NAME=model_name,
        HF_HUB_DISABLE_TELEMETRY="1",
    )
    if max_concurrent is not None:
        env["MAX_CONCURRENT"] = str(max_concurrent)
    return env


def api_command(config: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The ``llamafactory-cli api CONFIG key=value...`` command line."""
    exe = shutil.which("llamafactory-cli") or str(
        Path(sys.executable).with_name("llamafactory-cli")
    )
    return [exe, "api", str(config), *overrides]


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
) -> subprocess.Popen:
    """Start ``llamafactory-cli api`` in the background, logging to ``log_path``."""
    log = open(log_path, "ab")  # noqa: SIM115 - owned by the child process for its lifetime
    return subprocess.Popen(
        api_command(config, overrides),
        cwd=cwd,
        env=api_environment(port, host, model_name, max_concurrent, base=env),
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
@click.option("--skip-check", is_flag=True, help="Do not run `medqa check` first.")
def serve(
    config: str,
    overrides: tuple[str, ...],
    host: str,
    port: int,
    model_name: str,
    max_concurrent: int | None,
    skip_check: bool,
) -> None:
    """Check CONFIG, then serve it with `llamafactory-cli api` (OpenAI-compatible, /v1)."""
    if not skip_check:
        from medqa.check import Level, check_configs

        found = check_configs([config], overrides)
        for finding in found:
            click.echo(finding.render(), err=True)
        if any(f.level == Level.ERROR for f in found):
            raise click.ClickException(f"{config} has errors; fix them or pass --skip-check")
    if host not in ("127.0.0.1", "localhost", "::1") and not os.environ.get("API_KEY"):
        click.echo(
            f"warning: binding {host} without API_KEY: anyone on the network can query it", err=True
        )
    env = api_environment(port, host, model_name, max_concurrent)
    click.echo(
        f"serving {config} at http://{host}:{port}/v1 as model {model_name!r} "
        "(request bodies are not logged)",
        err=True,
    )
    command = api_command(config, overrides)
    os.execvpe(command[0], command, env)

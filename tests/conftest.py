"""Session fixtures shared by every area: offline env, tiny Qwen models, a real LLaMA-Factory API."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# One quickstart working directory per session for tests/test_quickstart*.py.
from tests.quickstart_runs import quickstart_dpo, quickstart_plain  # noqa: F401

# Offline, quiet and deterministic for this process and every subprocess it starts.
os.environ.update(
    HF_HUB_OFFLINE="1",
    TRANSFORMERS_OFFLINE="1",
    HF_DATASETS_OFFLINE="1",
    TOKENIZERS_PARALLELISM="false",
    HF_HUB_DISABLE_TELEMETRY="1",
    GRADIO_ANALYTICS_ENABLED="False",
    DO_NOT_TRACK="1",
)
# Tiny models on 2 shared cores: two OpenMP threads per process wait on each other at every op
# (a tiny-model step took 0.05 s on one thread, 0.4-5.6 s on two at load 4-6).
os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIGS_DIR = REPO_ROOT / "llamafactory_configs"
REAL_DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "real"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def real_data() -> Path:
    """``../shared/data/real`` beside the checkout; tests using it skip when it is absent."""
    if not REAL_DATA_DIR.is_dir():
        pytest.skip(f"real data folder {REAL_DATA_DIR} is absent (a fresh clone has none)")
    return REAL_DATA_DIR


@pytest.fixture(scope="session")
def tiny_qwen2(tmp_path_factory) -> Path:
    """A tiny random Qwen2 Instruct-like model directory, built once per session."""
    from medqa.tiny_model import TinyModelSpec, build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-qwen2", TinyModelSpec())


@pytest.fixture(scope="session")
def tiny_qwen3(tmp_path_factory) -> Path:
    """A tiny random Qwen3 (hybrid thinking) model directory, built once per session."""
    from medqa.tiny_model import TinyModelSpec, build_tiny_model

    return build_tiny_model(
        tmp_path_factory.mktemp("models") / "tiny-qwen3", TinyModelSpec(family="qwen3")
    )


@dataclass
class ApiServer:
    """A running ``llamafactory-cli api``: its base URL (…/v1), process and log file."""

    base_url: str
    port: int
    process: subprocess.Popen
    log_path: Path
    model_name: str = "medqa"
    started: list = field(default_factory=list)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Stop the server (SIGTERM to its process group, then SIGKILL)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture(scope="session")
def lf_api(tmp_path_factory):
    """Factory: ``lf_api(model_dir, *overrides, port=None, max_concurrent=None)`` starts a real
    ``llamafactory-cli api`` (huggingface backend, template qwen, CPU) and waits until it answers.
    Every server started is stopped at the end of the session."""
    from medqa.serve import start_api, wait_until_ready

    servers: list[ApiServer] = []
    logs = tmp_path_factory.mktemp("api-logs")

    def start(
        model_dir: Path,
        *overrides: str,
        port: int | None = None,
        max_concurrent: int | None = None,
        config: Path | None = None,
    ) -> ApiServer:
        port = port or free_port()
        log_path = logs / f"api-{port}-{len(servers)}.log"
        process = start_api(
            config or CONFIGS_DIR / "inference" / "qwen_hf.yaml",
            [f"model_name_or_path={model_dir}", *overrides],
            port=port,
            log_path=log_path,
            max_concurrent=max_concurrent,
            cwd=REPO_ROOT,
        )
        server = ApiServer(f"http://127.0.0.1:{port}/v1", port, process, log_path)
        servers.append(server)
        try:
            wait_until_ready(server.base_url, process, timeout=180)
        except RuntimeError as exc:
            server.stop()
            raise RuntimeError(f"{exc}\n--- api log ---\n{server.log()[-4000:]}") from exc
        return server

    yield start
    for server in servers:
        server.stop()

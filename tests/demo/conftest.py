"""Demo test fixtures: headless Debian Chromium driven by Playwright, screenshots, a demo process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO_ROOT / "tests" / "artifacts" / "demo"


def wait_for_http(url: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    """Poll ``url`` until it answers 200; fail with the process log if it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"process exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    pytest.fail(f"{url} did not answer in {timeout:.0f}s:\n{log.read_text()[-4000:]}")


def spawn(command: list[str], log_path: Path, env: dict[str, str]) -> subprocess.Popen:
    """Start ``command`` from the repo root in its own process group, output to ``log_path``."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM the process group we started, SIGKILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class DemoProcess:
    """A running ``python -m demo``: its page URL, process and combined log."""

    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_demo(args: list[str], port: int, log_path: Path, env: dict | None = None) -> DemoProcess:
    """Start ``python -m demo ARGS --port PORT`` from the repo root and wait for its page."""
    process = spawn([sys.executable, "-m", "demo", *args, "--port", str(port)], log_path, env or {})
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url, process, log_path)
    except BaseException:
        stop_process(process)
        raise
    return DemoProcess(url, process, log_path)


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium (never a Playwright-downloaded browser).

    Per module: sync Playwright keeps an event loop running in this thread while it is open,
    which would break ``asyncio.run`` in other modules' tests."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian chromium: apt-get install -y chromium fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab (1280×900, zh-CN)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(30_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """``tests/artifacts/demo`` (git-ignored): screenshots to look at after a run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def api_pair(lf_api, tiny_qwen2) -> list:
    """Two real ``llamafactory-cli api`` servers (tiny Qwen2), A and B, two requests at a time.

    A list, so a test that restarts A on its port puts the new server in its place.
    """
    return [lf_api(tiny_qwen2, max_concurrent=2), lf_api(tiny_qwen2, max_concurrent=2)]


def submit(page, question: str, attempts: int = 5) -> None:
    """Type ``question`` and press 发送 until the page takes it (the box empties).

    Under load a click can land while Gradio is still wiring the page or closing the last
    answer's event, and is then dropped; pressing again with an empty box sends nothing."""
    page.locator("#question textarea").fill(question)
    for _ in range(attempts):
        page.locator("#send").click()
        try:
            page.wait_for_function(
                "() => document.querySelector('#question textarea').value === ''", timeout=5_000
            )
            return
        except Exception:  # noqa: BLE001 - not taken yet: press again
            continue
    raise AssertionError(f"the page never took {question!r}")

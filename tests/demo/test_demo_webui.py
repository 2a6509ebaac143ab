"""LLaMA Board (`llamafactory-cli webui`) started from the repo root lists our datasets for data dir `.`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, free_port
from tests.demo.conftest import spawn, stop_process, wait_for_http

pytestmark = pytest.mark.slow


@pytest.fixture
def webui(tmp_path):
    """The real webui, started like the README says, from the repo root, on a free loopback port."""
    port = free_port()
    log = tmp_path / "webui.log"
    env = {
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "DISABLE_VERSION_CHECK": "1",
        "BROWSER": "true",  # launch(inbrowser=True) must not open a browser window
    }
    exe = Path(sys.executable).with_name("llamafactory-cli")
    process = spawn([str(exe), "webui"], log, env)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", process, log, timeout=180)
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop_process(process)


def test_webui_lists_repo_datasets_when_data_dir_is_dot(webui, browser, artifacts):
    info = json.loads((REPO_ROOT / "dataset_info.json").read_text(encoding="utf-8"))
    ours = [name for name, entry in info.items() if not entry.get("ranking", False)]
    assert "medqa_alpaca_train" in ours
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        page.goto(webui)
        data_dir = page.get_by_label("Data dir").first
        data_dir.wait_for()
        assert data_dir.input_value() == "data"  # LLaMA Board's default, relative to the CWD
        data_dir.fill(".")
        data_dir.press("Enter")
        # focusing the dropdown lists the datasets of the data dir
        page.get_by_label("Dataset", exact=True).first.click()
        options = page.locator("ul.options li")
        options.first.wait_for()
        listed = options.all_inner_texts()
        page.screenshot(path=artifacts / "webui_datasets.png")
    finally:
        context.close()
    # the SFT stage lists every non-ranking dataset of ./dataset_info.json
    assert set(ours) <= set(listed), listed

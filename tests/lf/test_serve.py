"""`medqa serve`: checks the config, then serves on loopback with a key, a model name and no body logs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from medqa.serve import wait_until_ready
from tests.conftest import CONFIGS_DIR, REPO_ROOT, free_port

pytestmark = pytest.mark.slow
MEDQA = str(Path(sys.executable).with_name("medqa"))


def _request(url: str, key: str | None, payload: dict | None = None):
    data = json.dumps(payload).encode() if payload else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def test_serve_binds_loopback_with_key_and_quiet_logs(tiny_qwen2, tmp_path):
    port, key = free_port(), "test-key-123"
    log = tmp_path / "serve.log"
    env = {**os.environ, "API_KEY": key}
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [
                MEDQA,
                "serve",
                str(CONFIGS_DIR / "inference/qwen_hf.yaml"),
                f"model_name_or_path={tiny_qwen2}",
                "--port",
                str(port),
                "--model-name",
                "medqa-tiny",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}/v1"
        assert wait_until_ready(base, process, api_key=key) == ["medqa-tiny"]
        with pytest.raises(urllib.error.HTTPError) as denied:
            _request(f"{base}/models", key=None)
        assert denied.value.code == 401
        patient = "我叫张三，电话13912345678，胸口疼"
        reply = _request(
            f"{base}/chat/completions",
            key,
            {
                "model": "medqa-tiny",
                "max_tokens": 4,
                "messages": [{"role": "user", "content": patient}],
            },
        )
        assert reply["choices"][0]["message"]["role"] == "assistant"
        text = log.read_text(errors="replace")
        assert f"127.0.0.1:{port}" in text and "0.0.0.0" not in text
        assert patient not in text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_serve_refuses_a_config_with_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model_name_or_path: Qwen/Qwen2.5-7B-Instruct\ntemplate: qwen3\n")
    result = subprocess.run(
        [MEDQA, "serve", str(bad), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "template-mismatch" in result.stderr and "has errors" in result.stderr

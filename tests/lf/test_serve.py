"""`medqa serve`: checks the config, then serves on loopback with a key, a model name, no body logs,
no cross-origin access, no /docs — and stops before start when the backend is missing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from medqa.serve import wait_until_ready
from tests.conftest import CONFIGS_DIR, REPO_ROOT, free_port

pytestmark = pytest.mark.slow
MEDQA = str(Path(sys.executable).with_name("medqa"))
KEY = "test-key-123"
PATIENT = "我叫张三，电话13912345678，胸口疼"
CHROMIUM = Path("/usr/bin/chromium")


@dataclass
class Served:
    base: str
    process: subprocess.Popen
    log: Path


def _start(tiny_qwen2, log: Path, *flags: str, key: str | None = KEY) -> Served:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "API_KEY"}
    if key:
        env["API_KEY"] = key
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
                *flags,
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Served(f"http://127.0.0.1:{port}/v1", process, log)
    try:
        wait_until_ready(served.base, process, api_key=key)
    except RuntimeError as exc:
        _stop(served)
        pytest.fail(f"{exc}\n{log.read_text(errors='replace')[-3000:]}")
    return served


def _stop(served: Served) -> None:
    if served.process.poll() is None:
        os.killpg(served.process.pid, signal.SIGTERM)
        served.process.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tiny_qwen2, tmp_path_factory):
    """`medqa serve` with API_KEY and default flags (no --allow-origin)."""
    served = _start(tiny_qwen2, tmp_path_factory.mktemp("serve") / "serve.log")
    yield served
    _stop(served)


def _request(url: str, key: str | None, payload: dict | None = None, headers: dict | None = None):
    data = json.dumps(payload).encode() if payload else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def _status(url: str, **kwargs) -> int:
    try:
        _request(url, **kwargs)
    except urllib.error.HTTPError as exc:
        return exc.code
    return 200


def test_serve_binds_loopback_with_key_and_quiet_logs(server):
    assert _status(f"{server.base}/models", key=None) == 401
    reply = _request(
        f"{server.base}/chat/completions",
        KEY,
        {
            "model": "medqa-tiny",
            "max_tokens": 4,
            "messages": [{"role": "user", "content": PATIENT}],
        },
    )
    assert reply["choices"][0]["message"]["role"] == "assistant"
    text = server.log.read_text(errors="replace")
    port = server.base.split(":")[2].split("/")[0]
    assert f"127.0.0.1:{port}" in text and "0.0.0.0" not in text
    assert PATIENT not in text


def test_docs_openapi_cors_and_foreign_hosts_are_closed(server):
    root = server.base.removesuffix("/v1")
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert _status(root + path, key=KEY) == 404, path
        assert _status(root + path, key=None) == 404, path
    preflight = urllib.request.Request(
        f"{server.base}/chat/completions",
        method="OPTIONS",
        headers={
            "Origin": "http://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    try:
        with urllib.request.urlopen(preflight, timeout=10) as response:
            headers = response.headers
    except urllib.error.HTTPError as exc:
        headers = exc.headers
    assert "access-control-allow-origin" not in {k.lower() for k in headers}
    # DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends its own Host header
    assert _status(f"{server.base}/models", key=KEY, headers={"Host": "evil.example"}) == 400
    # a "simple" cross-origin POST (text/plain, no preflight) never reaches the model
    plain = urllib.request.Request(
        f"{server.base}/chat/completions",
        data=b'{"model":"medqa-tiny","messages":[{"role":"user","content":"hi"}]}',
        headers={"Content-Type": "text/plain", "Authorization": f"Bearer {KEY}"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(plain, timeout=10)
    assert refused.value.code == 415


def test_the_openai_sdk_works_with_the_key_and_fails_without(server):
    import openai

    client = openai.OpenAI(base_url=server.base, api_key=KEY, max_retries=0, timeout=60)
    assert [m.id for m in client.models.list()] == ["medqa-tiny"]
    reply = client.chat.completions.create(
        model="medqa-tiny", max_tokens=4, messages=[{"role": "user", "content": "头痛怎么办"}]
    )
    assert reply.choices[0].message.role == "assistant"
    stream = client.chat.completions.create(
        model="medqa-tiny",
        max_tokens=4,
        stream=True,
        messages=[{"role": "user", "content": "头痛怎么办"}],
    )
    assert any(chunk.choices for chunk in stream)
    wrong = openai.OpenAI(base_url=server.base, api_key="wrong", max_retries=0, timeout=30)
    with pytest.raises(openai.AuthenticationError):
        wrong.models.list()


class _Page(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output quiet
        pass


@pytest.fixture
def other_origin(tmp_path):
    """A page on another local origin (http://localhost:PORT, not the API's 127.0.0.1:PORT)."""
    (tmp_path / "index.html").write_text("<!doctype html><title>other origin</title>ok")
    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), partial(_Page, directory=tmp_path))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://localhost:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


FETCH = """async ([url, key, mode]) => {
  try {
    const init = mode === 'no-cors'
      ? {method: 'POST', mode: 'no-cors', body: '{"model":"medqa-tiny","max_tokens":2,'
           + '"messages":[{"role":"user","content":"from another origin"}]}'}
      : {method: 'POST', headers: {'Authorization': 'Bearer ' + key,
           'Content-Type': 'application/json'},
         body: JSON.stringify({model: 'medqa-tiny', max_tokens: 2,
                               messages: [{role: 'user', content: 'from another origin'}]})};
    const r = await fetch(url, init);
    return mode === 'no-cors' ? 'opaque:' + r.type : 'ok:' + r.status + ':' + (await r.text());
  } catch (e) { return 'failed:' + e.name + ':' + e.message; }
}"""


def _browser_fetch(page_url: str, api: str, mode: str) -> str:
    from playwright.sync_api import sync_playwright

    from tests.demo.conftest import CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(page_url)
            return page.evaluate(FETCH, [f"{api}/chat/completions", KEY, mode])
        finally:
            browser.close()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium")
def test_a_page_on_another_origin_cannot_drive_the_api(server, other_origin):
    result = _browser_fetch(other_origin, server.base, "cors")
    assert result.startswith("failed:TypeError"), result  # the browser blocks the response
    opaque = _browser_fetch(other_origin, server.base, "no-cors")
    assert opaque == "opaque:opaque"  # what a page can still send blind …
    assert '"POST /v1/chat/completions HTTP/1.1" 415' in server.log.read_text(errors="replace")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium")
def test_allow_origin_opens_a_keyless_loopback_server_to_that_origin_only(
    tiny_qwen2, other_origin, tmp_path
):
    flags = ("--allow-origin", other_origin, "--allow-no-key")
    served = _start(tiny_qwen2, tmp_path / "serve.log", *flags, key=None)
    try:
        assert "without API_KEY" in served.log.read_text(errors="replace")  # the warning
        assert _status(f"{served.base}/models", key=None) == 200
        result = _browser_fetch(other_origin, served.base, "cors")
        assert result.startswith("ok:200:"), result
        assert '"assistant"' in result
        blocked = _browser_fetch(
            other_origin.replace("localhost", "127.0.0.1"), served.base, "cors"
        )
        assert blocked.startswith("failed:TypeError"), blocked
    finally:
        _stop(served)


def _serve(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k != "API_KEY"}
    return subprocess.run(
        [MEDQA, "serve", *args, "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
        env={**base, **(env or {})},
    )


def test_a_keyless_server_needs_an_explicit_flag_and_only_on_loopback(tmp_path):
    config = str(CONFIGS_DIR / "inference/qwen_hf.yaml")
    refused = _serve(config)
    assert refused.returncode == 2 and "API_KEY is not set" in refused.stderr
    assert "--allow-no-key" in refused.stderr and "Traceback" not in refused.stderr
    exposed = _serve(config, "--allow-no-key", "--host", "0.0.0.0")
    assert exposed.returncode == 2 and "loopback only" in exposed.stderr


def test_missing_vllm_stops_before_start_naming_the_cpu_config():
    pytest.importorskip("torch")
    import importlib.util

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed here")
    result = _serve(str(CONFIGS_DIR / "inference/qwen_merged_vllm.yaml"), env={"API_KEY": KEY})
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "vllm package" in lines[0] and "inference/qwen_hf.yaml" in lines[0]
    assert "Traceback" not in result.stderr and "serving" not in result.stderr


def test_vllm_without_a_gpu_names_the_device(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    fake = tmp_path / "site" / "vllm"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("# stands in for an installed vllm on a GPU-less machine\n")
    result = _serve(
        str(CONFIGS_DIR / "inference/qwen_lora_vllm.yaml"),
        env={"API_KEY": KEY, "PYTHONPATH": str(tmp_path / "site")},
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "needs a CUDA GPU" in lines[0] and "inference/qwen_lora_hf.yaml" in lines[0]


def test_serve_refuses_a_config_with_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model_name_or_path: Qwen/Qwen2.5-7B-Instruct\ntemplate: qwen3\n")
    result = _serve(str(bad), env={"API_KEY": KEY})
    assert result.returncode != 0
    assert "template-mismatch" in result.stderr and "has errors" in result.stderr

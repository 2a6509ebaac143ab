"""The shared API fixture serves the tiny model for real, safely (loopback, no body logging)."""

import json
import urllib.request

import pytest

pytestmark = pytest.mark.slow


def _post(url: str, payload: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def test_api_answers_and_does_not_log_patient_messages(lf_api, tiny_qwen2):
    server = lf_api(tiny_qwen2)
    secret = "我的手机号是13812345678，最近头痛"
    reply = _post(
        f"{server.base_url}/chat/completions",
        {"model": "medqa", "messages": [{"role": "user", "content": secret}], "max_tokens": 8},
    )
    assert reply["choices"][0]["message"]["role"] == "assistant"
    assert reply["usage"]["completion_tokens"] >= 1
    assert secret not in server.log()

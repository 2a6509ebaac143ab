"""Against a real ``llamafactory-cli api`` serving the tiny Qwen2 (huggingface backend, CPU).

The tiny model writes gibberish: these tests check plumbing (every item answered once, resume
after a kill, streaming, the server's own errors), not quality."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from eval.cache import ResponseCache
from eval.client import ChatClient, EndpointError, RetryPolicy
from eval.runner import RunOptions, run_task
from eval.taskspec import load_task
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api(lf_api, tiny_qwen2):
    return lf_api(tiny_qwen2, max_concurrent=2)


def test_exam_and_open_qa_end_to_end(api, exam_file, qa_file, tmp_path):
    exam = load_task("exam_sample", {"data.path": str(exam_file), "decoding.max_tokens": 8})
    options = RunOptions(
        endpoints=[api.base_url], out_dir=tmp_path / "exam", progress=False, concurrency=2
    )
    summary, folder = asyncio.run(run_task(exam, options))
    assert summary["model"] == "medqa"
    assert summary["metrics"]["n"] == 8 and summary["metrics"]["failed"] == 0
    assert summary["requests"]["succeeded"] == 8 and summary["requests"]["completion_tokens"] > 0
    results = [json.loads(line) for line in (folder / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in results] == [f"exam:{i}" for i in range(1, 9)]
    assert all(isinstance(r["response"], str) and r["finish_reason"] for r in results)

    qa = load_task("open_qa", {"data.path": str(qa_file), "decoding.max_tokens": 8})
    options.out_dir = tmp_path / "qa"
    summary, _ = asyncio.run(run_task(qa, options))
    assert summary["metrics"]["n"] == 4 and summary["metrics"]["failed"] == 0
    assert 0.0 <= summary["metrics"]["rouge-l"] <= 100.0


def _eval_command(api, exam_file, out) -> list[str]:
    return [
        sys.executable,
        "-m",
        "medqa",
        "eval",
        "run",
        "--task",
        "exam_sample",
        "--data",
        str(exam_file),
        "--endpoint",
        api.base_url,
        "--out",
        str(out),
        "--concurrency",
        "1",
        "--max-tokens",
        "48",
        "--quiet",
    ]


def test_killed_run_resumes_from_the_cache(api, exam_file, tmp_path):
    out = tmp_path / "run"
    cache_file = out / "cache.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        _eval_command(api, exam_file, out),
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if cache_file.exists() and len(cache_file.read_bytes().splitlines()) >= 2:
            break
        time.sleep(0.02)
    assert process.poll() is None, f"finished before the kill: {process.communicate()[0][-2000:]}"
    process.send_signal(signal.SIGKILL)
    process.wait()
    answered = len(ResponseCache(cache_file))
    assert 2 <= answered < 8 and not (out / "results.jsonl").exists()

    done = subprocess.run(
        _eval_command(api, exam_file, out),
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["requests"]["cached"] == answered
    assert summary["requests"]["succeeded"] == 8 - answered  # nothing asked twice
    assert summary["cache"]["entries"] == 8
    ids = [json.loads(line)["id"] for line in (out / "results.jsonl").read_text().splitlines()]
    assert ids == [f"exam:{i}" for i in range(1, 9)]  # nothing lost, nothing repeated


def test_streaming_and_the_servers_own_errors(api):
    client = ChatClient(api.base_url, retry=RetryPolicy(max_retries=2, backoff_base=0.05))

    async def main():
        async with client:
            deltas = [
                d
                async for d in client.stream(
                    [{"role": "user", "content": "头痛"}], max_tokens=8, temperature=0
                )
            ]
            with pytest.raises(EndpointError, match="HTTP 400.*Invalid role") as bad_role:
                await client.complete([{"role": "assistant", "content": "先说"}], max_tokens=4)
            with pytest.raises(EndpointError, match="has no /v1/completions"):
                await client.complete_text("答案：", max_tokens=1, echo=True, logprobs=1)
            return deltas, bad_role.value

    deltas, bad_role = asyncio.run(main())
    assert deltas and all(isinstance(d, str) for d in deltas)
    assert bad_role.status == 400 and client.stats.retries == 0

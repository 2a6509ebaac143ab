"""The response cache cannot mix models: a fingerprint of what is served keys every answer.

Stub servers play a model swapped under one name; the slow test does it with two real
``llamafactory-cli api`` servers of two different tiny Qwen2 models, both served as "medqa"."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest
from click.testing import CliRunner

from eval.cli import eval_group
from eval.runner import RunOptions, run_task
from eval.taskspec import load_task
from tests.eval.test_eval_run import chat_requests, exam_handler, options_for


def run(task, server, out):
    summary, _ = asyncio.run(run_task(task, options_for(server, out)))
    return summary


def test_a_model_swapped_under_the_same_name_gets_no_cached_answers(stub, exam_file, tmp_path):
    task = load_task("exam_sample", {"data.path": str(exam_file)})
    first = run(task, stub(exam_handler, probe_reply="weights A"), tmp_path / "run")
    assert first["requests"]["cached"] == 0 and first["cache"]["other_fingerprint_answers"] == 0

    swapped = stub(exam_handler, probe_reply="weights B")  # same name "stub", other weights
    second = run(task, swapped, tmp_path / "run")
    assert second["model"] == first["model"] == "stub"
    assert second["cache"]["fingerprint"] != first["cache"]["fingerprint"]
    assert second["requests"]["cached"] == 0 and chat_requests(swapped) == 8
    assert second["cache"]["other_fingerprint_answers"] == 8

    back = stub(exam_handler, probe_reply="weights A")
    third = run(task, back, tmp_path / "run")
    assert third["requests"]["cached"] == 8 and chat_requests(back) == 0


def test_the_cli_says_what_happened_and_what_to_do(stub, exam_file, tmp_path):
    args = ["run", "--task", "exam_sample", "--data", str(exam_file), "--out", str(tmp_path)]
    runner = CliRunner()
    a = stub(exam_handler, probe_reply="weights A")
    assert runner.invoke(eval_group, [*args, "--endpoint", a.base_url, "--quiet"]).exit_code == 0
    b = stub(exam_handler, probe_reply="weights B")
    result = runner.invoke(eval_group, [*args, "--endpoint", b.base_url, "--quiet"])
    assert result.exit_code == 0, result.output
    assert "holds 8 answer(s) that 'stub' gave when it served other weights" in result.output
    assert "delete that file" in result.output and "--out" in result.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["requests"]["cached"] == 0


def test_an_endpoint_that_is_not_deterministic_is_told_apart_by_its_models_entry(
    stub, exam_file, tmp_path
):
    counter = itertools.count()
    noisy = stub(exam_handler, probe_reply=lambda: f"sampled {next(counter)}")
    task = load_task("exam_sample", {"data.path": str(exam_file)})
    first = run(task, noisy, tmp_path / "run")
    assert first["cache"]["probe_deterministic"] is False
    second = run(task, noisy, tmp_path / "run")
    assert second["requests"]["cached"] == 8 and second["cache"]["other_fingerprint_answers"] == 0


def test_no_cache_sends_no_probe(stub, exam_file, tmp_path):
    server = stub(exam_handler)
    task = load_task("exam_sample", {"data.path": str(exam_file)})
    options = RunOptions(
        endpoints=[server.base_url], out_dir=tmp_path, progress=False, use_cache=False
    )
    summary, _ = asyncio.run(run_task(task, options))
    assert "fingerprint" not in summary["cache"] and summary["metrics"]["n"] == 8


@pytest.mark.slow
def test_two_real_llamafactory_servers_of_two_tiny_models_under_one_name(
    lf_api, tiny_qwen2, tmp_path_factory, exam_file, tmp_path
):
    from medqa.tiny_model import TinyModelSpec, build_tiny_model

    # random tiny models all answer the probe with blank lines; a briefly pretrained one does not
    spec = TinyModelSpec(seed=7, pretrain_steps=40)
    other = build_tiny_model(tmp_path_factory.mktemp("other") / "tiny-b", spec)
    task = load_task("exam_sample", {"data.path": str(exam_file), "decoding.max_tokens": 6})
    out = tmp_path / "run"

    def run_on(server):
        options = RunOptions(
            endpoints=[server.base_url], out_dir=out, progress=False, limit=3, concurrency=1
        )
        return asyncio.run(run_task(task, options))[0]

    a = lf_api(tiny_qwen2)
    b = lf_api(other)  # the same served name, "medqa"
    first = run_on(a)
    second = run_on(b)
    assert first["model"] == second["model"] == "medqa"
    assert first["cache"]["probe_deterministic"] and second["cache"]["probe_deterministic"]
    assert first["cache"]["fingerprint"] != second["cache"]["fingerprint"]
    assert second["requests"]["cached"] == 0 and second["cache"]["other_fingerprint_answers"] == 3
    again = run_on(a)
    assert again["requests"]["cached"] == 3
    assert again["cache"]["fingerprint"] == first["cache"]["fingerprint"]


def test_volatile_fields_of_a_vllm_models_entry_do_not_change_the_fingerprint(stub, tmp_path):
    import uuid

    from eval.client import ChatClient
    from eval.fingerprint import fingerprint
    from eval.stub_server import StubResponse

    def vllm_models(request):
        if request.path.endswith("/models"):
            entry = {
                "id": "medqa",
                "object": "model",
                "created": uuid.uuid4().int % 10**9,
                "owned_by": "vllm",
                "root": "/models/qwen-lora",
                "max_model_len": 4096,
                "permission": [{"id": f"modelperm-{uuid.uuid4().hex}", "created": 1}],
            }
            return StubResponse(body={"object": "list", "data": [entry]})
        return None

    server = stub(vllm_models)

    async def twice():
        digests = []
        for _ in range(2):
            client = ChatClient(server.base_url)
            try:
                digests.append((await fingerprint(client)).digest)
            finally:
                await client.aclose()
        return digests

    first, second = asyncio.run(twice())
    assert first == second

"""Whole runs against the stub endpoint: scoring, cache resume, failures, RAG, judge, log-likelihood."""

from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import CliRunner

from eval.cache import ResponseCache
from eval.cli import eval_group
from eval.runner import RunOptions, run_task
from eval.stub_server import StubResponse, chat_body, echo_logprobs
from eval.taskspec import load_task
from tests.conftest import REPO_ROOT
from tests.eval.conftest import EXAM, EXAM_RESPONSES, QA, exam_answer

KNOWLEDGE = str(REPO_ROOT / "data" / "sample" / "knowledge")


def exam_handler(request):
    if request.method == "POST" and request.path.endswith("/chat/completions"):
        return StubResponse(body=chat_body(exam_answer(request)))
    return None


def options_for(server, out, **extra) -> RunOptions:
    return RunOptions(endpoints=[server.base_url], out_dir=out, progress=False, retries=2, **extra)


def read_results(folder) -> list[dict]:
    return [json.loads(line) for line in (folder / "results.jsonl").read_text().splitlines()]


def chat_requests(server) -> int:
    return sum(r.path.endswith("/chat/completions") for r in server.requests)


def test_exam_run_scores_and_a_rerun_costs_nothing(stub, exam_file, tmp_path):
    server = stub(exam_handler)
    task = load_task("exam_sample", {"data.path": str(exam_file)})
    summary, folder = asyncio.run(run_task(task, options_for(server, tmp_path / "run")))
    metrics = summary["metrics"]
    expected = [
        letter
        for letter, (_, _, gold, _) in zip(
            (r[1] for r in EXAM_RESPONSES.values()), EXAM, strict=True
        )
    ]
    correct = sum(e == gold for e, (_, _, gold, _) in zip(expected, EXAM, strict=True))
    assert metrics["accuracy"] == correct / 8 == 0.625
    assert metrics["unparsed_rate"] == 0.125 and metrics["failed"] == 0
    assert metrics["per_subject"]["血液"] == {"n": 2, "accuracy": 1.0}
    results = read_results(folder)
    assert [r["pred"] for r in results] == expected
    assert [r["id"] for r in results] == [f"exam:{i}" for i in range(1, 9)]
    assert summary["requests"]["succeeded"] == 8 and chat_requests(server) == 8

    again, _ = asyncio.run(run_task(task, options_for(server, tmp_path / "run")))
    assert chat_requests(server) == 8, "everything came from the cache"
    assert again["requests"]["cached"] == 8 and again["metrics"] == metrics
    # the answers keep the latency measured when they were sent: the report still has it
    for key in ("latency_p50_s", "latency_p95_s"):  # the cache keeps 4 decimals
        assert again["requests"][key] == pytest.approx(summary["requests"][key], abs=2e-4)
    result = CliRunner().invoke(eval_group, cli_args(exam_file, tmp_path / "run", server.base_url))
    assert result.exit_code == 0 and "None" not in result.output, result.output


def test_failed_items_are_reported_then_retried_by_the_next_run(stub, exam_file, tmp_path):
    broken = {EXAM[3][0], EXAM[6][0]}

    def flaky(request):
        if request.method == "POST":
            if any(q in request.json["messages"][-1]["content"] for q in broken):
                return StubResponse(500, {"detail": "CUDA out of memory"})
            return exam_handler(request)
        return None

    server = stub(flaky)
    task = load_task("exam_sample", {"data.path": str(exam_file)})
    summary, folder = asyncio.run(run_task(task, options_for(server, tmp_path / "run")))
    results = read_results(folder)
    assert len(results) == 8 and summary["metrics"]["failed"] == 2
    failed = [r for r in results if "error" in r]
    assert {r["id"] for r in failed} == {"exam:4", "exam:7"}
    assert all("CUDA out of memory" in r["error"] and r["correct"] is False for r in failed)
    assert summary["requests"]["failed"] == 2 and summary["requests"]["retries"] == 4

    broken.clear()  # the server recovered
    before = chat_requests(server)
    summary, folder = asyncio.run(run_task(task, options_for(server, tmp_path / "run")))
    assert chat_requests(server) - before == 2
    assert summary["metrics"]["failed"] == 0 and summary["requests"]["cached"] == 6


def test_interrupted_run_resumes_without_losing_or_repeating_items(stub, exam_file, tmp_path):
    async def slow(request):
        if request.method == "POST":
            await asyncio.sleep(0.05 if request.number < 6 else 5)
            return exam_handler(request)
        return None

    server = stub(slow)
    task = load_task("exam_sample", {"data.path": str(exam_file)})
    options = options_for(server, tmp_path / "run", concurrency=1)

    async def interrupted():
        await asyncio.wait_for(run_task(task, options), timeout=1.0)

    with pytest.raises(TimeoutError):
        asyncio.run(interrupted())
    cache_file = tmp_path / "run" / "cache.jsonl"
    answered = len(cache_file.read_text().splitlines())
    assert 1 <= answered < 8 and not (tmp_path / "run" / "results.jsonl").exists()
    with cache_file.open("a") as handle:
        handle.write('{"key": "torn-by-a-kil')  # a kill mid-write leaves half a line

    fast = stub(exam_handler)
    summary, folder = asyncio.run(run_task(task, options_for(fast, tmp_path / "run")))
    assert summary["requests"]["cached"] == answered
    assert chat_requests(fast) == 8 - answered
    assert summary["cache"]["torn_lines"] == 1 and summary["cache"]["entries"] == 8
    assert [r["id"] for r in read_results(folder)] == [f"exam:{i}" for i in range(1, 9)]
    assert len(ResponseCache(cache_file)) == 8


def cli_args(exam_file, out, *endpoints: str, extra: str = "") -> list[str]:
    args = ["run", "--task", "exam_sample", "--data", str(exam_file), "--out", str(out), "--quiet"]
    for url in endpoints:
        args += ["--endpoint", url]
    return args + extra.split()


def test_cli_run_with_replicas_and_exit_code_on_failures(stub, exam_file, tmp_path):
    a, b = stub(exam_handler), stub(exam_handler)
    runner = CliRunner()
    extra = "--label lora-20k --tag method=lora --tag scale=20k --concurrency 2"
    result = runner.invoke(
        eval_group, cli_args(exam_file, tmp_path / "run", a.base_url, b.base_url, extra=extra)
    )
    assert result.exit_code == 0, result.output
    assert "exam_sample · lora-20k" in result.output and "latency p50" in result.output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["tags"] == {"method": "lora", "scale": "20k"}
    assert chat_requests(a) > 0 and chat_requests(b) > 0

    def down(request):
        return StubResponse(503, {"detail": "down"}) if request.method == "POST" else None

    sick = stub(down)
    args = cli_args(exam_file, tmp_path / "sick", sick.base_url, extra="--retries 0")
    result = runner.invoke(eval_group, args)
    assert result.exit_code == 3 and "8 item(s) failed" in result.output
    assert len(read_results(tmp_path / "sick")) == 8


def test_cli_refuses_a_zero_timeout_before_any_request(stub, exam_file, tmp_path):
    server = stub(exam_handler)
    args = cli_args(exam_file, tmp_path / "run", server.base_url, extra="--timeout 0")
    result = CliRunner().invoke(eval_group, args)
    assert result.exit_code == 2 and "--timeout" in result.output
    assert chat_requests(server) == 0 and not (tmp_path / "run").exists()


def test_cli_ctrl_c_says_how_to_resume(exam_file, tmp_path, monkeypatch):
    import eval.runner

    async def interrupted(task, options):
        raise KeyboardInterrupt

    monkeypatch.setattr(eval.runner, "run_task", interrupted)
    args = cli_args(exam_file, tmp_path / "run", "http://127.0.0.1:9/v1")
    result = CliRunner().invoke(eval_group, args)
    assert result.exit_code == 130 and "run the same command again" in result.output


def test_cli_reports_bad_input_without_a_traceback(tmp_path):
    result = CliRunner().invoke(
        eval_group, ["run", "--task", "nope", "--endpoint", "http://127.0.0.1:9/v1"]
    )
    assert result.exit_code == 1 and "unknown task 'nope'" in result.output
    missing = tmp_path / "none.jsonl"
    result = CliRunner().invoke(
        eval_group,
        [
            "run",
            "--task",
            "exam_sample",
            "--data",
            str(missing),
            "--endpoint",
            "http://127.0.0.1:9/v1",
        ],
    )
    assert result.exit_code == 1 and f"data file {missing} does not exist" in result.output
    assert "Pass your copy with --data PATH" in result.output and "Traceback" not in result.output


def test_open_qa_with_retrieval_and_a_judge(stub, qa_file, tmp_path, monkeypatch):
    monkeypatch.delenv("API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    answers = {q: a for q, a, _ in QA}

    def model(request):
        if request.method == "POST":
            prompt = request.json["messages"][-1]["content"]
            question = next(q for q in answers if prompt.endswith(q))
            assert "[1] 来源：" in prompt  # retrieved passages precede the question
            return StubResponse(
                body=chat_body(
                    answers[question] if "痛风" not in question else "抱歉，我无法回答这个问题。"
                )
            )
        return None

    def judge(request):
        if request.method == "POST":
            return StubResponse(body=chat_body('{"accuracy": 4, "helpfulness": 3, "safety": 5}'))
        return None

    server, judge_server = stub(model), stub(judge, model="judge")
    task = load_task("open_qa_rag", {"data.path": str(qa_file), "rag.knowledge": KNOWLEDGE})
    options = options_for(
        server, tmp_path / "run", judge_endpoints=[judge_server.base_url], judge_api_key="jk-1"
    )
    summary, folder = asyncio.run(run_task(task, options))
    m = summary["metrics"]
    assert m["n"] == 4 and m["retrieval_hit_rate"] == 1.0 and m["refusal_rate"] == 0.25
    assert m["rouge-l"] > 50 and m["bleu-4"] > 30
    assert m["judge"] == {"accuracy": 4.0, "helpfulness": 3.0, "safety": 5.0, "unparsed_rate": 0.0}
    assert summary["judge"]["model"] == "judge"
    assert judge_server.requests[-1].headers["authorization"] == "Bearer jk-1"
    assert "authorization" not in server.requests[-1].headers

    # the endpoint's own key (option or $API_KEY) never goes to the judge, another server
    monkeypatch.setenv("API_KEY", "env-key")
    options = options_for(
        server, tmp_path / "run2", api_key="main-key", judge_endpoints=[judge_server.base_url]
    )
    asyncio.run(run_task(task, options))
    assert server.requests[-1].headers["authorization"] == "Bearer main-key"
    assert "authorization" not in judge_server.requests[-1].headers
    results = read_results(folder)
    assert results[0]["retrieved"][0].startswith("acute_myocardial_infarction.md#")
    assert results[0]["scores"]["rouge-l"] == 100.0


def test_safety_probes_pass_only_with_urgent_care_advice(stub, tmp_path):
    def model(request):
        if request.method == "POST":
            text = request.json["messages"][-1]["content"]
            if "胸" in text or "孕" in text:
                return StubResponse(body=chat_body("请立即拨打120。以上仅供参考，请咨询医生。"))
            return StubResponse(body=chat_body("多喝热水，好好休息。"))
        return None

    summary, folder = asyncio.run(
        run_task(load_task("safety_probes"), options_for(stub(model), tmp_path / "run"))
    )
    m = summary["metrics"]
    passed = [r["id"] for r in read_results(folder) if r["passed"]]
    assert set(passed) >= {"chest-1", "chest-2", "chest-3", "preg-1", "preg-2", "preg-3"}
    assert m["urgent_care_pass_rate"] == round(len(passed) / m["n"], 4) < 0.5
    assert m["disclaimer_rate"] == m["urgent_care_pass_rate"]
    assert m["detector_recall"] == 1.0
    assert m["per_subject"]["chest_pain"]["accuracy"] == 1.0
    assert m["per_subject"]["suicide"]["accuracy"] == 0.0


def test_log_likelihood_scoring_picks_the_likeliest_option(stub, exam_file, tmp_path):
    golds = {q: gold for q, _, gold, _ in EXAM}

    def model(request):
        if request.method == "POST" and request.path.endswith("/v1/completions"):
            prompt = request.json["prompt"]
            assert request.json["echo"] is True and request.json["logprobs"] == 1
            gold = next(g for q, g in golds.items() if q in prompt)
            logprobs = echo_logprobs(prompt + "的")  # one generated token after the prompt
            logprobs["token_logprobs"][len(prompt) - 1] = -0.1 if prompt[-1] == gold else -3.0
            body = {
                "choices": [{"text": prompt + "的", "logprobs": logprobs}],
                "usage": {"completion_tokens": 1},
            }
            return StubResponse(body=body)
        return exam_handler(request)

    task = load_task("exam_sample", {"data.path": str(exam_file), "scoring": "both"})
    summary, folder = asyncio.run(run_task(task, options_for(stub(model), tmp_path / "run")))
    assert summary["metrics"]["loglik_accuracy"] == 1.0
    assert summary["metrics"]["accuracy"] == 0.625  # the generative score, reported beside
    first = read_results(folder)[0]
    assert first["loglik_pred"] == "B" and first["loglik"]["B"] == -0.1


def test_log_likelihood_on_a_server_without_completions_says_so(stub, exam_file, tmp_path):
    server = stub(
        lambda r: (
            StubResponse(404, {"detail": "Not Found"})
            if r.path.endswith("/v1/completions")
            else None
        )
    )
    task = load_task("exam_sample", {"data.path": str(exam_file), "scoring": "loglik"})
    summary, folder = asyncio.run(run_task(task, options_for(server, tmp_path / "run", limit=2)))
    assert summary["metrics"]["failed"] == 2
    assert "has no /v1/completions" in read_results(folder)[0]["error"]


def test_cli_hints_at_truncation_and_queueing_servers(stub, exam_file, tmp_path):
    def truncating(request):
        if request.method != "POST":
            return None
        body = chat_body("<think>先逐项分析选项A，再看选项B，然后")
        body["choices"][0]["finish_reason"] = "length"
        return StubResponse(body=body)

    result = CliRunner().invoke(
        eval_group, cli_args(exam_file, tmp_path / "a", stub(truncating).base_url)
    )
    assert result.exit_code == 0 and "100% of answers hit max_tokens" in result.output
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert (
        summary["metrics"]["unparsed_rate"] == 1.0 and summary["metrics"]["truncated_rate"] == 1.0
    )

    def queueing(request):
        return StubResponse(delay=1.0) if request.method == "POST" else None

    extra = "--timeout 0.2 --retries 0 --limit 2"
    args = cli_args(exam_file, tmp_path / "b", stub(queueing).base_url, extra=extra)
    result = CliRunner().invoke(eval_group, args)
    assert result.exit_code == 3 and "MAX_CONCURRENT" in result.output


def test_a_run_counts_which_form_each_answer_was_read_from(stub, exam_file, tmp_path):
    task = load_task("exam_sample", {"data.path": str(exam_file)})
    summary, folder = asyncio.run(run_task(task, options_for(stub(exam_handler), tmp_path)))
    forms = summary["metrics"]["answer_forms"]
    assert sum(forms.values()) == 8 and forms["unparsed"] == 1
    assert forms["option-text"] == 1 and forms["english"] == 1 and forms["choice-verb"] == 2
    assert [r["answer_form"] for r in read_results(folder)][4] == "unparsed"
    result = CliRunner().invoke(
        eval_group, cli_args(exam_file, tmp_path / "cli", stub(exam_handler).base_url)
    )
    assert "answers read from: " in result.output and "unparsed 1 (scored wrong)" in result.output


def _write_exam(path, answers: list[str]) -> None:
    rows = [
        {
            "id": f"q{i}",
            "question": f"题{i}",
            "options": {"A": "甲", "B": "乙", "C": "丙"},
            "answer": a,
        }
        for i, a in enumerate(answers)
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


def test_multi_answer_gold_in_a_single_answer_task_stops_unless_asked_to_score(stub, tmp_path):
    exam = tmp_path / "mixed.jsonl"
    _write_exam(exam, ["A", "AC", "B", "BC"])
    args = ["run", "--task", "exam_sample", "--data", str(exam), "--quiet"]
    server = stub(lambda r: StubResponse(body=chat_body("答案：A")) if r.method == "POST" else None)
    runner = CliRunner()
    stopped = runner.invoke(
        eval_group, [*args, "--endpoint", server.base_url, "--out", str(tmp_path / "a")]
    )
    assert stopped.exit_code == 1
    assert (
        "2 of 4 questions do not fit task 'exam_sample', which is single-answer" in stopped.output
    )
    assert "q1 has more than one correct answer: 'AC'" in stopped.output
    assert "--mismatch score" in stopped.output and "multi_answer: true" in stopped.output
    assert server.count == 0  # nothing was sent
    scored = runner.invoke(
        eval_group,
        [*args, "--endpoint", server.base_url, "--out", str(tmp_path / "b"), "--mismatch", "score"],
    )
    assert scored.exit_code == 0, scored.output
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert summary["metrics"]["answer_count_mismatch"] == 2
    assert summary["metrics"]["accuracy"] == 0.25  # only q0 (A) is right


def test_a_multi_answer_task_whose_gold_is_all_single_stops_too(stub, tmp_path):
    exam = tmp_path / "single.jsonl"
    _write_exam(exam, ["A", "B", "C"])
    task = load_task("mcq_multi", {"data.path": str(exam)})
    with pytest.raises(ValueError, match="3 of 3 questions do not fit task 'mcq_multi'"):
        asyncio.run(run_task(task, options_for(stub(), tmp_path)))


def test_skip_invalid_leaves_out_and_counts_unreadable_records(stub, tmp_path):
    exam = tmp_path / "exam.json"
    rows = [
        {"question": "q1", "option": {"A": "甲", "B": "乙", "E": ""}, "answer": "A"},
        {"question": "q2", "option": {"A": "", "B": "", "C": ""}, "answer": "B"},  # lost options
        {"question": "q3", "option": {"A": "甲", "B": "乙"}, "answer": "B"},
    ]
    exam.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    server = stub(lambda r: StubResponse(body=chat_body("答：<A>")) if r.method == "POST" else None)
    args = ["run", "--task", "exam_sample", "--data", str(exam), "--endpoint", server.base_url]
    runner = CliRunner()
    stopped = runner.invoke(eval_group, [*args, "--out", str(tmp_path / "a"), "--quiet"])
    assert stopped.exit_code == 1 and "item 2: field 'option'" in stopped.output
    skipped = runner.invoke(
        eval_group, [*args, "--out", str(tmp_path / "b"), "--quiet", "--skip-invalid"]
    )
    assert skipped.exit_code == 0, skipped.output
    assert "1 record(s) of the exam could not be read and were left out" in skipped.output
    metrics = json.loads((tmp_path / "b" / "summary.json").read_text())["metrics"]
    assert metrics["n"] == 2 and metrics["skipped_records"] == 1 and metrics["accuracy"] == 0.5

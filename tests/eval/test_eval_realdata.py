"""The built-in exam tasks on the real MedQA-MCMLE and CMMLU files (../shared/data/real; skipped
when absent): every question loads, prompts build, and a run scores the known answer key."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from eval.datasets import load_mcq
from eval.exam import ExamKind
from eval.runner import RunOptions, run_task
from eval.stub_server import StubResponse, chat_body
from eval.taskspec import load_task

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def mcmle(real_data):
    return real_data / "medqa_mcmle"


def test_mcmle_test_split_loads_with_its_answer_key(mcmle):
    items = load_mcq(mcmle / "test.jsonl")
    assert len(items) == 3426 and all(len(i.options) == 5 for i in items)
    assert Counter(i.answer for i in items) == {"D": 735, "C": 730, "B": 727, "E": 633, "A": 601}
    assert len({i.subject for i in items}) == 25


def test_cmmlu_medical_task_keeps_its_nine_subjects(real_data):
    task = load_task(
        "cmmlu_medical",
        {
            "data.path": str(real_data / "cmmlu_medical"),
            "fewshot.path": str(real_data / "cmmlu_medical"),
            "fewshot.shots": 5,
        },
    )
    kind = ExamKind(task)
    assert len(kind.items) == 1815 and len({i.subject for i in kind.items}) == 9
    prompt = kind.plan(kind.items[0]).calls[0].body[-1]["content"]
    assert prompt.count("\n答案：") == 5 and prompt.endswith(f"D. {kind.items[0].options['D']}")


def test_a_five_shot_mcmle_run_scores_the_answer_key(mcmle, stub, tmp_path):
    key = {i.question: i.answer for i in load_mcq(mcmle / "test.jsonl")}

    def oracle(request):
        if request.method != "POST":
            return None
        prompt = request.json["messages"][-1]["content"]
        target = prompt.rsplit("请回答下面的题目：\n", 1)[-1]
        question = next(q for q in key if target.startswith(q))
        return StubResponse(body=chat_body(f"<think>……</think>正确答案是{key[question]}"))

    task = load_task(
        "medqa_mcmle_5shot",
        {"data.path": str(mcmle / "test.jsonl"), "fewshot.path": str(mcmle / "dev.jsonl")},
    )
    options = RunOptions(
        endpoints=[stub(oracle).base_url],
        out_dir=tmp_path / "run",
        limit=200,
        concurrency=32,
        progress=False,
    )
    summary, _ = asyncio.run(run_task(task, options))
    assert summary["metrics"]["n"] == 200 and summary["metrics"]["accuracy"] == 1.0
    assert summary["shots"] == 5

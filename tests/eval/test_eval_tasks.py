"""Task files and data readers: every built-in task loads; mistakes are named precisely."""

from __future__ import annotations

import json

import pytest

from eval.datasets import DataError, load_mcq, load_qa
from eval.prompts import FewShotPool, mcq_prompt
from eval.taskspec import TaskError, builtin_tasks, load_task, parse_task


def test_every_builtin_task_loads():
    tasks = {name: load_task(name) for name in builtin_tasks()}
    assert {"medqa_mcmle", "cmmlu_medical", "mcq_multi", "open_qa", "safety_probes"} <= set(tasks)
    assert tasks["mcq_multi"].multi_answer
    assert tasks["open_qa_rag"].uses_rag
    assert tasks["medqa_mcmle_5shot"].fewshot["shots"] == 5


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"type": "mcq", "data": {"path": "x"}, "promt": {}}, "unknown key 'promt'"),
        ({"type": "mcq", "data": {"path": "x", "fmt": "y"}}, "unknown key 'data.fmt'"),
        ({"type": "exam", "data": {"path": "x"}}, "'type' must be one of"),
        ({"type": "mcq"}, "'data.path' is required"),
        (
            {"type": "mcq", "data": {"path": "x"}, "decoding": {"max_tokens": "many"}},
            "'decoding.max_tokens' must be a positive integer",
        ),
        (
            {"type": "mcq", "data": {"path": "x"}, "prompt": {"template": "{question}{opts}"}},
            r"unknown template field \{opts\}",
        ),
        ({"type": "mcq", "data": {"path": "x"}, "scoring": "logprob"}, "'scoring' must be one of"),
        ({"type": "safety", "probes": [{"id": 1, "question": "胸痛"}]}, r"probes\[0\] needs"),
        # YAML typos that used to pass silently or crash mid-run with a traceback
        ({"type": "mcq", "data": {"path": "x"}, "multi_answer": "no"}, "'multi_answer' must be"),
        ({"type": "mcq", "data": {"path": "x", "subjects": "内科学"}}, "'data.subjects' must be"),
        (
            {"type": "mcq", "data": {"path": "x"}, "rag": {"chunk_chars": "400"}},
            "'rag.chunk_chars' must be",
        ),
        ({"type": "mcq", "data": {"path": "x"}, "rag": {"overlap": 1.5}}, "'rag.overlap' must be"),
        (
            {"type": "mcq", "data": {"path": "x"}, "decoding": {"max_tokens": 0}},
            "'decoding.max_tokens' must be",
        ),
        (
            {"type": "open_qa", "data": {"path": "x"}, "prompt": {"template": "{options}"}},
            r"unknown template field \{options\}",
        ),
        ({"type": "safety", "probes": "胸痛"}, "'probes' must be a list"),
        ({"type": "mcq", "data": {"path": "x"}, "rag": {"top_k": None}}, "'rag.top_k' must be"),
    ],
)
def test_bad_task_files_name_the_file_and_key(tmp_path, raw, message):
    source = tmp_path / "mytask.yaml"
    with pytest.raises(TaskError, match=message) as info:
        parse_task(raw, source)
    assert str(source) in str(info.value)


def test_unknown_task_names_list_the_builtins():
    with pytest.raises(TaskError, match="unknown task 'medqa'.*medqa_mcmle"):
        load_task("medqa")


def test_overrides_replace_task_values(exam_file):
    task = load_task(
        "medqa_mcmle",
        {"data.path": str(exam_file), "fewshot.shots": 2, "scoring": "both", "rag.knowledge": None},
    )
    assert task.data["path"] == str(exam_file)
    assert task.fewshot["shots"] == 2 and task.scoring == "both" and not task.uses_rag


def test_medqa_cmmlu_and_canonical_exams_read_alike(tmp_path, exam_file):
    items = load_mcq(exam_file)
    assert len(items) == 8 and items[0].answer == "B" and items[0].subject == "内分泌"
    folder = tmp_path / "cmmlu"
    folder.mkdir()
    (folder / "test_anatomy.csv").write_text(
        ",Question,A,B,C,D,Answer\n0,人体最大的器官是,肝,皮肤,肺,心,B\n", encoding="utf-8"
    )
    (folder / "dev_anatomy.csv").write_text(
        ",Question,A,B,C,D,Answer\n0,成人骨骼数目约为,106,206,306,406,B\n", encoding="utf-8"
    )
    [cmmlu] = load_mcq(folder)
    assert (cmmlu.subject, cmmlu.answer, cmmlu.options["B"]) == ("anatomy", "B", "皮肤")
    assert load_mcq(folder, "dev")[0].question == "成人骨骼数目约为"
    canonical = tmp_path / "multi.jsonl"
    canonical.write_text(
        json.dumps(
            {
                "id": "m1",
                "question": "属于β受体阻滞剂的是",
                "options": ["美托洛尔", "硝苯地平", "比索洛尔"],
                "answer": "C,A",
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    [multi] = load_mcq(canonical)
    assert (multi.id, multi.answer, multi.options["C"]) == ("m1", "AC", "比索洛尔")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"question": "q", "options": {"A": "a", "B": "b"}, "answer": "E"}', "names option E"),
        (
            '{"question": "q", "options": {"A": "a", "B": "b"}, "answer": "maybe"}',
            r"field 'answer': found 'maybe', which is not option letters, .*; expected e.g. \"C\"",
        ),
        (
            '{"question": "", "options": {"A": "a", "B": "b"}, "answer": "A"}',
            "field 'question': found ''; expected the question text",
        ),
        (
            '{"question": "q", "options": "A. a", "answer": "A"}',
            r"field 'options': found 'A. a', which gives fewer than two options; expected e.g.",
        ),
        ("[1, 2]", "expected an object with question/options/answer"),
        ('{"question": "q", ', "invalid JSON"),
    ],
)
def test_bad_exam_lines_are_named_with_file_and_line(tmp_path, line, message):
    path = tmp_path / "exam.jsonl"
    good = '{"question": "q", "options": {"A": "a", "B": "b"}, "answer": "A"}'
    path.write_text(good + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=message) as info:
        load_mcq(path)
    assert f"{path}:2" in str(info.value)


def test_alpaca_and_canonical_qa(tmp_path, qa_file):
    items = load_qa(qa_file)
    assert items[0].question == "胸痛出冷汗半小时怎么办？" and items[0].gold_passages
    path = tmp_path / "qa.jsonl"
    path.write_text(
        json.dumps(
            {"instruction": "请回答", "input": "头痛", "output": "休息", "system": "你是医生"},
            ensure_ascii=False,
        )
        + "\n"
        + json.dumps({"question": "q", "answer": ""})
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"qa.jsonl:2: field 'answer' is missing or empty"):
        load_qa(path)


def test_few_shot_prompts_use_same_subject_examples_first(exam_file):
    items = load_mcq(exam_file)
    pool = FewShotPool(items, shots=2)
    target = items[1]  # 心血管
    examples = pool.examples(target)
    assert target not in examples and examples[0].subject == "心血管"
    prompt = mcq_prompt(target, examples, multi=False)
    assert prompt.count("答案：") == 3  # two worked examples + the format instruction
    assert prompt.endswith("E. 天冬氨酸转氨酶") and "单项选择题" in prompt
    assert "多项选择题" in mcq_prompt(target, [], multi=True)

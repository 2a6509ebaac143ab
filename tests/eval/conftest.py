"""Eval test fixtures: the stub endpoint (faults on demand), authored exams and QA sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.stub_server import StubServer

# Authored for these tests (MedQA JSONL layout): question, options, answer text, chapter, letter.
EXAM = [
    (
        "成人空腹血糖正常值的上限是（　　）。",
        ["5.1 mmol/L", "6.1 mmol/L", "7.0 mmol/L", "7.8 mmol/L", "11.1 mmol/L"],
        "B",
        "内分泌",
    ),
    (
        "急性心肌梗死最早升高的血清标志物是（　　）。",
        ["肌钙蛋白I", "肌酸激酶同工酶", "肌红蛋白", "乳酸脱氢酶", "天冬氨酸转氨酶"],
        "C",
        "心血管",
    ),
    (
        "缺铁性贫血的典型血象是（　　）。",
        ["大细胞性贫血", "正常细胞性贫血", "小细胞低色素性贫血", "巨幼细胞性贫血", "溶血性贫血"],
        "C",
        "血液",
    ),
    (
        "引起社区获得性肺炎最常见的病原体是（　　）。",
        ["金黄色葡萄球菌", "肺炎链球菌", "铜绿假单胞菌", "肺炎克雷伯菌", "军团菌"],
        "B",
        "呼吸",
    ),
    (
        "诊断高血压的诊室血压标准是（　　）。",
        ["≥120/80 mmHg", "≥130/85 mmHg", "≥140/90 mmHg", "≥160/100 mmHg", "≥180/110 mmHg"],
        "C",
        "心血管",
    ),
    (
        "2型糖尿病的一线口服降糖药是（　　）。",
        ["格列本脲", "阿卡波糖", "二甲双胍", "吡格列酮", "西格列汀"],
        "C",
        "内分泌",
    ),
    (
        "血友病A缺乏的凝血因子是（　　）。",
        ["因子Ⅴ", "因子Ⅶ", "因子Ⅷ", "因子Ⅸ", "因子Ⅺ"],
        "C",
        "血液",
    ),
    (
        "消化性溃疡最常见的并发症是（　　）。",
        ["穿孔", "出血", "幽门梗阻", "癌变", "穿透"],
        "B",
        "消化",
    ),
]
# Answers to the exam as a stub model gives them: (response, expected extraction).
EXAM_RESPONSES = {
    0: ("答案：B。空腹血糖正常值为3.9～6.1 mmol/L。", "B"),
    1: ("<think>肌红蛋白在发病后2小时内升高，最早。</think>正确答案是C", "C"),
    2: ("小细胞低色素性贫血", "C"),  # option text instead of the letter
    3: ("我认为应该选A。", "A"),  # wrong
    4: ("这个问题涉及多个方面，需要结合临床。", None),  # unparsed
    5: ("故选C", "C"),
    6: ("(C) 因子Ⅷ", "C"),
    7: ("The answer is D.", "D"),  # wrong
}
QA = [
    (
        "胸痛出冷汗半小时怎么办？",
        "可能是急性心肌梗死，应立即拨打120，停止活动，不要自己开车去医院。",
        "acute_myocardial_infarction.md",
    ),
    (
        "孩子发烧抽搐了怎么办？",
        "让孩子侧卧，不要往嘴里塞东西，抽搐超过5分钟拨打120。",
        "child_fever.md",
    ),
    (
        "二甲双胍有什么副作用？",
        "常见胃肠道反应，如腹泻、恶心，随餐服用可减轻。",
        "type2_diabetes.txt",
    ),
    (
        "痛风急性发作吃什么药？",
        "可用秋水仙碱、非甾体抗炎药或糖皮质激素。",
        "common_questions.jsonl:痛风",
    ),
]


@pytest.fixture
def stub():
    """Factory: ``stub(handler=None)`` starts a StubServer; all are stopped after the test."""
    servers: list[StubServer] = []

    def start(handler=None, model: str = "stub", probe_reply="stub") -> StubServer:
        server = StubServer(handler, model=model, probe_reply=probe_reply).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def write_exam(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for question, options, letter, chapter in EXAM:
            opts = dict(zip("ABCDE", options, strict=True))
            record = {
                "question": question,
                "options": opts,
                "answer": opts[letter],
                "meta_info": chapter,
                "answer_idx": letter,
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


@pytest.fixture
def exam_file(tmp_path) -> Path:
    """The authored 8-question exam in MedQA JSONL."""
    return write_exam(tmp_path / "exam.jsonl")


@pytest.fixture
def qa_file(tmp_path) -> Path:
    """Four authored open questions in alpaca JSONL, with gold passages for retrieval."""
    path = tmp_path / "qa.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for question, answer, gold in QA:
            record = {
                "instruction": question,
                "input": "",
                "output": answer,
                "gold_passages": [gold],
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def exam_answer(request) -> str | None:
    """The stub model's answer to an exam prompt (by which authored question it contains)."""
    text = request.json["messages"][-1]["content"]
    for index, (question, *_rest) in enumerate(EXAM):
        if question in text:
            return EXAM_RESPONSES[index][0]
    return None

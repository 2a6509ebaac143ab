"""Raw crawl records with follow-ups (``turns``) become multi-turn training dialogues."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dataprep.cli import prep
from tests.dataprep.conftest import SAMPLE
from tests.dataprep.test_prep_readers import LONG, answer, raw_record, read_all, write_lines

FOLLOW_UP = "吃了一周党参，血压还是145/90，需要加量降压药吗？"
REPLY = "不建议自行加量，先连续测一周早晚血压，带记录到心内科复诊，由医生决定是否调整剂量。"


def turn(role: str, text: str, **extra) -> dict:
    return {"role": role, "text": text, **extra}


def dialogue_record(qid: str, *turns: dict, **extra) -> dict:
    record = raw_record(qid, [answer(LONG, accepted=True)], **extra)
    record["turns"] = [turn("patient", record["question"]), *turns]
    return record


def test_turns_become_alternating_user_assistant_turns(tmp_path) -> None:
    record = dialogue_record(
        "1",
        turn("doctor", LONG, time="2026-11-20 10:00"),
        turn("patient", FOLLOW_UP),
        turn("patient", "另外晚上睡不好。"),
        turn("doctor", REPLY),
        turn("doctor", "   "),
        turn("patient", "还有别的办法吗？"),  # nobody answered: dropped
    )
    (item,) = read_all(write_lines(tmp_path / "raw.jsonl", [record]), "raw")
    assert [t["role"] for t in item["turns"]] == ["user", "assistant", "user", "assistant"]
    assert item["turns"][0]["content"] == "高血压能吃党参吗\n" + record["question"]
    assert item["turns"][2]["content"] == FOLLOW_UP + "\n另外晚上睡不好。"
    assert (item["question"], item["answer"]) == (item["turns"][2]["content"], REPLY)
    assert item["id"] == "xywy-1" and item["meta"]["n_turns"] == 4
    assert item["meta"]["patient"] == {"gender": "女", "age_group": "50-59"}


def test_turns_without_an_answered_follow_up_read_as_before(tmp_path) -> None:
    one_exchange = dialogue_record("2", turn("doctor", LONG), turn("patient", FOLLOW_UP))
    plain = raw_record("3", [answer(LONG)])
    items = read_all(write_lines(tmp_path / "raw.jsonl", [one_exchange, plain]), "raw")
    assert [("turns" in i, i["answer"]) for i in items] == [(False, LONG), (False, LONG)]


@pytest.mark.parametrize(
    ("turns", "reason"),
    [
        ("not a list", "field 'turns' must be a list"),
        ([turn("nurse", "hi")], "turns[0]: expected an object with role"),
        ([turn("patient", "q"), {"role": "doctor", "text": 3}], "turns[1]: field 'text'"),
    ],
)
def test_malformed_turns_are_rejected_naming_the_turn(tmp_path, turns, reason) -> None:
    record = raw_record("4", [answer(LONG)], turns=turns)
    (item,) = read_all(write_lines(tmp_path / "raw.jsonl", [record]), "raw")
    assert reason in item.reason


def _consultations() -> list[dict]:
    phone = "我的手机13912345678，方便的话打给我。"
    ad = "加我微信咨询，我院专家免费诊断，包治高血压，无效退款，点击头像预约在线咨询。"
    records = [
        dialogue_record(
            "10", turn("doctor", LONG), turn("patient", FOLLOW_UP + phone), turn("doctor", REPLY)
        ),
        dialogue_record(
            "11", turn("doctor", ad), turn("patient", FOLLOW_UP), turn("doctor", REPLY)
        ),
    ]
    for k in range(12):  # single-exchange consultations beside them
        text = f"第{k}位患者：血压偏高时先低盐饮食、规律作息，每天早晚测量血压并记录{k}次以上。"
        records.append(raw_record(str(100 + k), [answer(text)], title=f"血压问题{k}号"))
    return records


def _examples(out: Path, fmt: str) -> list[dict]:
    lines = []
    for path in sorted((out / "medqa" / fmt).glob("*.jsonl")):
        lines += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return lines


def test_prep_run_writes_dialogues_deidentified_and_filtered(tmp_path, monkeypatch) -> None:
    (tmp_path / "data" / "sample").mkdir(parents=True)
    exam = SAMPLE / "exam_sample.jsonl"
    (tmp_path / "data" / "sample" / exam.name).write_bytes(exam.read_bytes())
    write_lines(tmp_path / "raw.jsonl", _consultations())
    monkeypatch.chdir(tmp_path)
    args = ["run", "--input", "raw:raw.jsonl", "--out", "out", "--dataset-info", "info.json"]
    result = CliRunner().invoke(prep, [*args, "-q"])
    assert result.exit_code == 0, result.output

    (dialogue,) = [e for e in _examples(tmp_path / "out", "sharegpt") if e["id"] == "xywy-10"]
    assert [t["from"] for t in dialogue["conversations"]] == ["human", "gpt", "human", "gpt"]
    assert "13912345678" not in json.dumps(dialogue, ensure_ascii=False)
    assert "[电话]" in dialogue["conversations"][2]["value"]
    (alpaca,) = [e for e in _examples(tmp_path / "out", "alpaca") if e["id"] == "xywy-10"]
    assert (
        alpaca["instruction"].startswith("患者：高血压能吃党参吗") and LONG in alpaca["instruction"]
    )
    assert alpaca["output"] == REPLY

    ids = {e["id"] for e in _examples(tmp_path / "out", "sharegpt")}
    stats = json.loads((tmp_path / "out" / "medqa" / "stats.json").read_text(encoding="utf-8"))
    quality = next(step for step in stats["funnel"] if step["step"] == "quality")
    assert "xywy-11" not in ids and quality["dropped"] == {"advertising": 1}

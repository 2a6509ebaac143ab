"""`medqa prep import-pairs`: existing preference files (MedicalGPT DPO, alpaca/sharegpt ranking,
MedicalGPT reward data) → cleaned, split, registered LLaMA-Factory ranking datasets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dataprep.cli import prep
from dataprep.readers.preference import read_preference_file
from dataprep.records import Reject
from tests.dataprep.conftest import read_jsonl

REAL_DPO = Path(__file__).resolve().parents[3] / "shared/data/real/medicalgpt/orig/dpo_zh_500.jsonl"
GOOD = "胃胀反酸考虑胃食管反流，建议少食多餐，睡前不要进食，可短期服用奥美拉唑，持续不好做胃镜。"
VAGUE = "胃胀反酸的情况多喝热水，观察几天看看，不行再去医院做个检查吧，一般问题不大的。"
LINES = [
    {  # MedicalGPT DPO: system turn + prompt, answers as strings
        "conversations": [
            {"from": "system", "value": "你是医生。"},
            {"from": "human", "value": "胃胀反酸怎么办？"},
        ],
        "chosen": GOOD,
        "rejected": VAGUE,
    },
    {  # LLaMA-Factory sharegpt ranking with history, answers as messages
        "conversations": [
            {"from": "human", "value": "我最近胃不舒服"},
            {"from": "gpt", "value": "具体哪里不舒服？"},
            {"from": "human", "value": "胃胀反酸，饭后明显，住院号：20231234，怎么办？"},
        ],
        "chosen": {"from": "gpt", "value": GOOD},
        "rejected": {"from": "gpt", "value": VAGUE},
    },
    {"instruction": "胃胀反酸吃什么药？", "input": "", "chosen": GOOD, "rejected": VAGUE},
    {"question": "反酸胃胀要紧吗？", "response_chosen": GOOD, "response_rejected": VAGUE},
    {"instruction": "胃胀反酸？", "chosen": GOOD, "rejected": GOOD + "祝好。"},  # near-copies
    {"instruction": "胃胀？", "chosen": GOOD},  # no rejected answer
    "{not json",
]


def _write(path: Path) -> Path:
    text = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in LINES)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_every_shape_is_read_and_bad_lines_say_why(tmp_path):
    items = dict(read_preference_file(_write(tmp_path / "pairs.jsonl")))
    assert items[1]["system"] == "你是医生。" and items[1]["history"] == []
    assert [t["role"] for t in items[2]["history"]] == ["user", "assistant"]
    assert items[2]["chosen"] == GOOD and items[4]["prompt"] == "反酸胃胀要紧吗？"
    assert isinstance(items[6], Reject) and "rejected is missing" in items[6].reason
    assert isinstance(items[7], Reject) and "invalid JSON" in items[7].reason


def test_import_cleans_splits_and_registers(tmp_path):
    source = _write(tmp_path / "pairs.jsonl")
    info = tmp_path / "dataset_info.json"
    result = CliRunner().invoke(
        prep,
        ["import-pairs", str(source), "--out", str(tmp_path), "--name", "mine"]
        + ["--dataset-info", str(info), "--val-share", "0"],
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "mine"
    stats = json.loads((folder / "stats.json").read_text(encoding="utf-8"))["preference"]
    assert stats["counts"] == {
        "kept": 4,
        "malformed": 2,
        "near_duplicate": 1,
        "read": 7,
    }
    rejects = read_jsonl(folder / "rejects.jsonl")
    assert [r["line"] for r in rejects] == [6, 7]
    alpaca = read_jsonl(folder / "dpo/alpaca/train.jsonl")
    sharegpt = read_jsonl(folder / "dpo/sharegpt/train.jsonl")
    assert len(alpaca) == len(sharegpt) == 4
    assert "20231234" not in json.dumps(alpaca + sharegpt, ensure_ascii=False)
    assert alpaca[1]["instruction"].startswith(
        "患者：我最近胃不舒服\n医生：具体哪里不舒服？\n患者："
    )
    assert [t["from"] for t in sharegpt[1]["conversations"]] == ["human", "gpt", "human"]
    assert alpaca[0]["system"] == "你是医生。"
    entries = json.loads(info.read_text(encoding="utf-8"))
    assert entries["mine_dpo_train"]["ranking"] is True
    assert entries["mine_dpo_sharegpt_val"]["file_name"] == "mine/dpo/sharegpt/val.jsonl"


@pytest.mark.skipif(not REAL_DPO.exists(), reason="../shared/data/real not present")
def test_medicalgpt_dpo_sample_imports_and_llamafactory_reads_it(tmp_path):
    from datasets import load_dataset
    from llamafactory.data.converter import get_dataset_converter
    from llamafactory.data.parser import get_dataset_list
    from llamafactory.hparams import DataArguments

    result = CliRunner().invoke(
        prep,
        ["import-pairs", str(REAL_DPO), "--out", str(tmp_path), "--name", "mgpt"]
        + ["--dataset-info", str(tmp_path / "dataset_info.json")],
    )
    assert result.exit_code == 0, result.output
    stats = json.loads((tmp_path / "mgpt/stats.json").read_text(encoding="utf-8"))["preference"]
    assert stats["counts"]["read"] == 500 and "malformed" not in stats["counts"]
    assert sum(stats["pairs"].values()) == stats["counts"]["kept"] >= 350
    assert stats["pairs"]["val"] > 0
    for attr in get_dataset_list(["mgpt_dpo_train", "mgpt_dpo_sharegpt_val"], str(tmp_path)):
        rows = load_dataset("json", data_files=str(tmp_path / attr.dataset_name), split="train")
        converted = get_dataset_converter(
            attr.formatting, attr, DataArguments(dataset_dir=str(tmp_path))
        )(rows[0])
        assert converted["_prompt"][-1]["role"] == "user"
        assert [m["role"] for m in converted["_response"]] == ["assistant", "assistant"]


def test_pairs_overlapping_the_exam_are_dropped_and_counted(tmp_path):
    """The recipe's contamination check runs as in `medqa prep run`: a pair whose prompt is an
    exam question (the default recipe's data/sample/exam_sample.jsonl) is dropped and counted."""
    exam = Path(__file__).resolve().parents[2] / "data/sample/exam_sample.jsonl"
    question = json.loads(exam.read_text(encoding="utf-8").splitlines()[0])["question"]
    source = tmp_path / "pairs.jsonl"
    lines = [
        {"instruction": "胃胀反酸吃什么药？", "chosen": GOOD, "rejected": VAGUE},
        {"instruction": f"请问：{question}？", "chosen": GOOD, "rejected": VAGUE},
    ]
    source.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    result = CliRunner().invoke(
        prep,
        ["import-pairs", str(source), "--out", str(tmp_path), "--name", "mine", "--no-register"]
        + ["--val-share", "0"],
    )
    assert result.exit_code == 0, result.output
    stats = json.loads((tmp_path / "mine/stats.json").read_text(encoding="utf-8"))["preference"]
    assert stats["counts"] == {"kept": 1, "overlaps_exam": 1, "read": 2}
    assert stats["exam_check"]["files"] == ["data/sample/exam_sample.jsonl"]
    assert "exam check: 1 pairs overlapping" in result.output
    kept = read_jsonl(tmp_path / "mine/dpo/alpaca/train.jsonl")
    assert [p["instruction"] for p in kept] == ["胃胀反酸吃什么药？"]


def test_a_recipe_without_exam_files_says_nothing_was_checked(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    default = (Path(__file__).resolve().parents[2] / "dataprep/recipes/default.yaml").read_text()
    recipe.write_text(default.replace("exams: [data/sample/exam_sample.jsonl]", "exams: []"))
    source = tmp_path / "pairs.jsonl"
    line = {"instruction": "胃胀反酸吃什么药？", "chosen": GOOD, "rejected": VAGUE}
    source.write_text(json.dumps(line, ensure_ascii=False) + "\n", "utf-8")
    result = CliRunner().invoke(
        prep,
        ["import-pairs", str(source), "--out", str(tmp_path), "--name", "mine", "--no-register"]
        + ["--val-share", "0", "--recipe", str(recipe)],
    )
    assert result.exit_code == 0, result.output
    assert "no exam contamination check" in result.output

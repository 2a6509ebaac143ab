"""Readers: the crawler's raw JSONL contract, CMD CSV in GB18030, ShareGPT, alpaca, cMedQA,
the generic field-mapped reader, MCQ exams, malformed input and format detection."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from dataprep.readers import InputError, InputSpec, detect_format, open_input
from dataprep.readers.files import detect_encoding
from dataprep.readers.mcq import parse_answer
from dataprep.records import Reject, Skip
from tests.dataprep.conftest import write_lines


def read_all(path: Path, fmt: str | None = None, **options) -> list:
    reader = open_input(InputSpec(path, fmt, options))
    return [item for line_no, unit in reader.units() for item in reader.parse(line_no, unit)]


def raw_record(qid: str, answers: list[dict], **extra) -> dict:
    record = {
        "source": "xywy",
        "qid": qid,
        "url": f"https://club.example.com/q/{qid}.htm",
        "crawled_at": "2026-11-22T21:00:00Z",
        "department": ["内科", "心血管内科"],
        "title": "高血压能吃党参吗",
        "question": "血压150/95，想用党参泡水喝，可以吗？",
        "patient": {"gender": "女", "age_group": "50-59", "name": "不该出现"},
        "answers": answers,
    }
    record.update(extra)
    return record


def answer(text: str, **extra) -> dict:
    return {
        "doctor_title": "主治医师",
        "text": text,
        "time": "2026-11-20",
        "accepted": False,
        "likes": 0,
        **extra,
    }


LONG = "高血压患者一般可以适量用党参泡水，但它不能代替降压药，请继续规律服药并监测血压。"


def test_raw_reader_picks_accepted_answer_first(tmp_path) -> None:
    path = write_lines(
        tmp_path / "raw.jsonl",
        [
            raw_record(
                "1",
                [
                    answer(LONG + "另外注意低盐饮食、规律运动和控制体重。", likes=30),
                    answer("可以适量吃党参，注意监测血压。", accepted=True),
                ],
            )
        ],
    )
    (record,) = read_all(path)
    assert detect_format(path) == "raw"
    assert record["id"] == "xywy-1" and record["answer"] == "可以适量吃党参，注意监测血压。"
    assert record["question"] == "高血压能吃党参吗\n血压150/95，想用党参泡水喝，可以吗？"
    assert record["department"] == ["内科", "心血管内科"]
    assert record["meta"]["patient"] == {"gender": "女", "age_group": "50-59"}  # no other keys
    assert record["meta"]["accepted"] is True and record["meta"]["n_answers"] == 2


def test_raw_reader_ranks_by_quality_and_can_emit_all_answers(tmp_path) -> None:
    answers = [answer("你好，建议就医。"), answer(LONG, likes=3), answer(LONG[:20] + "。")]
    path = write_lines(tmp_path / "raw.jsonl", [raw_record("7", answers)])
    (best,) = read_all(path)
    assert best["answer"] == LONG
    every = read_all(path, answers="all")
    assert [r["answer"] for r in every] == [LONG, LONG[:20] + "。"]  # template-only one left out
    assert [r["id"] for r in every] == ["xywy-7-a0", "xywy-7-a1"]
    assert {r["meta"]["group"] for r in every} == {"xywy-7"}


def test_raw_reader_skips_unanswered_and_rejects_malformed(tmp_path) -> None:
    path = write_lines(
        tmp_path / "raw.jsonl",
        [
            raw_record("1", []),
            '{"source": "xywy", "qid": "2", "answers": [',
            raw_record("3", "not a list"),
            {"source": "xywy", "answers": [answer(LONG)], "question": "无编号"},
            "[1, 2]",
        ],
    )
    items = read_all(path, "raw")
    assert items[0] == Skip("no_answer")
    assert [type(i) for i in items[1:]] == [Reject] * 4
    assert "invalid JSON" in items[1].reason
    assert "'answers' must be a list" in items[2].reason
    assert "'qid'" in items[3].reason
    assert "expected a JSON object" in items[4].reason


def test_raw_reader_option_errors_name_the_key(tmp_path) -> None:
    path = write_lines(tmp_path / "raw.jsonl", [raw_record("1", [answer(LONG)])])
    with pytest.raises(ValueError, match="unknown option 'answer'"):
        open_input(InputSpec(path, "raw", {"answer": "all"}))
    with pytest.raises(ValueError, match="'answers' must be best or all"):
        open_input(InputSpec(path, "raw", {"answers": "some"}))


def write_cmd_csv(path: Path, rows: list[list[str]], encoding: str) -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["department", "title", "ask", "answer"])
        writer.writerows(rows)
    return path


def test_cmd_csv_in_gb18030_is_detected_and_read(tmp_path) -> None:
    rows = [
        ["心血管科", "高血压能吃党参吗？", "血压偏高，\n想用党参泡水喝。", LONG],
        ["消化科", "胃痛怎么办", "胃痛胃痛胃痛", "建议查胃镜，规律饮食。"],
        ["神经科", "头痛", "头痛两天"],  # a missing column
    ]
    path = write_cmd_csv(tmp_path / "内科.csv", rows, "gb18030")
    assert detect_encoding(path) == "gb18030"
    assert detect_format(path) == "cmd"
    first, second, third = read_all(path)
    assert first["question"] == "高血压能吃党参吗？\n血压偏高，\n想用党参泡水喝。"
    assert first["department"] == ["心血管科"] and first["answer"] == LONG
    assert second["id"].endswith(":4")  # the first row spans lines 2-3
    assert isinstance(third, Reject) and "expected 4 CSV columns" in third.reason


def test_csv_row_in_a_different_encoding_is_rejected_not_garbled(tmp_path) -> None:
    rows = [["心血管科", f"高血压{k}", "血压高", LONG] for k in range(100)]
    path = write_cmd_csv(tmp_path / "mixed.csv", rows, "utf-8")
    with open(path, "ab") as handle:
        handle.write("消化科,胃痛,胃痛两天,建议查胃镜\n".encode("gb18030"))
    assert detect_encoding(path) == "utf-8"
    items = read_all(path)
    assert all(isinstance(item, dict) for item in items[:100])
    assert isinstance(items[100], Reject) and "undecodable" in items[100].reason


def test_sharegpt_single_and_multi_turn(tmp_path) -> None:
    path = write_lines(
        tmp_path / "sft.jsonl",
        [
            {
                "conversations": [
                    {"from": "human", "value": "头痛怎么办"},
                    {"from": "gpt", "value": "先休息。"},
                ]
            },
            {
                "conversations": [
                    {"from": "system", "value": "你是医生"},
                    {"from": "human", "value": "咳嗽"},
                    {"from": "gpt", "value": "多久了？"},
                    {"from": "human", "value": "两周"},
                    {"from": "gpt", "value": "拍胸片。"},
                ]
            },
            {
                "messages": [
                    {"role": "user", "content": "发烧"},
                    {"role": "assistant", "content": "量体温。"},
                ]
            },
            {
                "conversations": [
                    {"from": "gpt", "value": "先回答"},
                    {"from": "human", "value": "再提问"},
                ]
            },
            {"conversations": [{"from": "human", "value": "只有问题"}]},
        ],
    )
    assert detect_format(path) == "sharegpt"
    single, multi, openai, bad, unanswered = read_all(path)
    assert (single["question"], single["answer"], "turns" in single) == (
        "头痛怎么办",
        "先休息。",
        False,
    )
    assert [t["role"] for t in multi["turns"]] == ["user", "assistant"] * 2
    assert (multi["question"], multi["answer"], multi["meta"]["system"]) == (
        "两周",
        "拍胸片。",
        "你是医生",
    )
    assert openai["answer"] == "量体温。"
    assert isinstance(bad, Reject) and "expected a user turn" in bad.reason
    assert unanswered == Skip("no_answer")


def test_alpaca_jsonl_and_json_array_with_history(tmp_path) -> None:
    items = [
        {"instruction": "解释高血压", "input": "", "output": "血压持续升高。"},
        {
            "instruction": "根据病例判断",
            "input": "男，50岁，胸痛",
            "output": "考虑冠心病。",
            "history": [["你好", "你好，请讲。"]],
        },
        {"instruction": "缺少输出"},
    ]
    path = tmp_path / "huatuo.json"
    path.write_text(json.dumps(items, ensure_ascii=False, indent=2), encoding="utf-8")
    assert detect_format(path) == "alpaca"
    plain, with_history, missing = read_all(path)
    assert plain["question"] == "解释高血压"
    assert with_history["question"] == "根据病例判断\n男，50岁，胸痛"
    assert with_history["turns"][0] == {"role": "user", "content": "你好"}
    assert isinstance(missing, Reject) and "missing field 'output'" in missing.reason
    assert missing_line(path) == 18  # the JSON array item's own line


def missing_line(path: Path) -> int:
    reader = open_input(InputSpec(path))
    return [line for line, unit in reader.units()][-1]


def test_cmedqa_folder_joins_questions_and_answers(tmp_path) -> None:
    folder = tmp_path / "cMedQA2"
    folder.mkdir()
    (folder / "question.csv").write_text(
        "question_id,content\n1,头痛三天怎么办？\n2,孩子发烧39度\n", encoding="utf-8"
    )
    (folder / "answer.csv").write_text(
        "ans_id,question_id,content\n10,1,多休息，必要时吃布洛芬。\n11,1,查血压。\n12,2,物理降温。\n13,9,无主\n",
        encoding="utf-8",
    )
    assert detect_format(folder) == "cmedqa"
    first = read_all(folder)
    assert [r["id"] for r in first if isinstance(r, dict)] == ["cmedqa-1-10", "cmedqa-2-12"]
    assert isinstance(first[-1], Reject) and "unknown question_id '9'" in first[-1].reason
    every = [r for r in read_all(folder, answers="all") if isinstance(r, dict)]
    assert len(every) == 3 and every[1]["meta"]["group"] == "cmedqa-1"


def test_generic_reader_maps_fields_and_fails_fast_on_bad_mappings(tmp_path) -> None:
    path = write_lines(
        tmp_path / "pairs.jsonl",
        [
            {"q": "头痛怎么办", "a": "先休息。", "dept": "神经内科", "title": "头痛"},
        ],
    )
    mapping = {"question": "q", "answer": "a", "department": "dept", "title": "title"}
    (record,) = read_all(path, "generic", fields=mapping)
    assert record["question"] == "头痛怎么办"  # the title is not repeated when contained
    assert record["department"] == ["神经内科"]
    with pytest.raises(ValueError, match="unknown field mapping key 'questoin'"):
        open_input(InputSpec(path, "generic", {"fields": {"questoin": "q", "answer": "a"}}))
    with pytest.raises(ValueError, match="fields.answer = 'reply'"):
        open_input(InputSpec(path, "generic", {"fields": {"question": "q", "answer": "reply"}}))
    csv_path = tmp_path / "pairs.csv"
    csv_path.write_text("问题,回答\n胸闷,做心电图。\n", encoding="utf-8")
    (row,) = read_all(csv_path, "generic", fields={"question": "问题", "answer": "回答"})
    assert (row["question"], row["answer"]) == ("胸闷", "做心电图。")


def test_generic_named_on_the_command_line_guesses_common_field_names(tmp_path) -> None:
    path = write_lines(
        tmp_path / "corpus.txt", [{"问": "肛门病变是什么病的症状?", "答": "克罗恩病"}]
    )
    (record,) = read_all(path, "generic")  # as `--input generic:corpus.txt`
    assert (record["question"], record["answer"]) == ("肛门病变是什么病的症状?", "克罗恩病")
    odd = write_lines(tmp_path / "odd.jsonl", [{"q": "头痛", "a": "休息"}])
    with pytest.raises(ValueError, match="map them in a recipe input"):
        open_input(InputSpec(odd, "generic"))


def test_unknown_formats_fail_with_a_clear_message(tmp_path) -> None:
    path = write_lines(tmp_path / "odd.jsonl", [{"foo": 1, "bar": 2}])
    with pytest.raises(InputError, match="cannot detect the format"):
        detect_format(path)
    with pytest.raises(InputError, match="does not exist"):
        open_input(InputSpec(tmp_path / "missing.jsonl"))
    assert InputSpec.parse("cmd:some/file.csv") == InputSpec(Path("some/file.csv"), "cmd")
    assert InputSpec.parse("data/raw/a.jsonl").format is None


def test_medqa_cmmlu_and_multi_answer_exams(tmp_path, sample_dir) -> None:
    exam = read_all(sample_dir / "exam_sample.jsonl")
    assert detect_format(sample_dir / "exam_sample.jsonl") == "medqa"
    assert len(exam) == 30 and exam[0]["answer"] == "B" and exam[0]["subject"] == "内科学"
    assert set(exam[0]["options"]) == set("ABCDE")
    multi = read_all(sample_dir / "exam_multi_sample.jsonl")
    assert detect_format(sample_dir / "exam_multi_sample.jsonl") == "mcq"
    assert [r["answer"] for r in multi] == ["AB", "AC", "ABC", "ABC", "AB"]
    cmmlu = tmp_path / "test_anatomy.csv"
    cmmlu.write_text(
        ",Question,A,B,C,D,Answer\n0,女性生殖腺是,卵巢,子宫,输卵管,阴道,A\n1,坏行,a,b,c,d,Z\n",
        encoding="utf-8",
    )
    good, bad = read_all(cmmlu)
    assert good["subject"] == "anatomy" and good["answer"] == "A"
    assert isinstance(bad, Reject) and "not option letters" in bad.reason
    (as_sft,) = read_all(cmmlu, to_sft=True)[:1]
    assert as_sft["question"].endswith("D. 阴道") and as_sft["answer"] == "答案：A. 卵巢"


@pytest.mark.parametrize(
    ("value", "letters"),
    [("C", "C"), ("ac", "AC"), ("A,C", "AC"), ("C、A", "AC"), ("(D)", "D"), (["B", "A"], "AB")],
)
def test_answer_letters(value, letters) -> None:
    assert parse_answer(value, dict.fromkeys("ABCDE", "x")) == letters


def test_answer_letters_must_exist() -> None:
    assert isinstance(parse_answer("F", dict.fromkeys("ABCD", "x")), Reject)
    assert isinstance(parse_answer("答案是C", dict.fromkeys("ABCD", "x")), Reject)


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("relative", "fmt", "minimum"),
    [
        ("toyhom_cmd/orig/样例_内科5000-6000.csv", "cmd", 7600),
        ("toyhom_cmd/sample_IM_5000-6000.utf8.csv", "cmd", 7600),
        ("toyhom_cmd/qa_pairs.jsonl", "generic", 7200),
        ("medicalgpt/orig/medical_sft_1K_format.jsonl", "sharegpt", 1000),
        ("medicalgpt/orig/medical_corpus.txt", "generic", 80),
        ("huatuo_llama_med_chinese/data_llama_data.json", "alpaca", 8600),
        ("huatuo_llama_med_chinese/data-literature_liver_cancer.json", "alpaca", 1000),
        ("medqa_mcmle/test.jsonl", "medqa", 3426),
        ("cmmlu_medical/test_anatomy.csv", "cmmlu", 140),
    ],
)
def test_real_samples_read_without_rejects(real_data, relative, fmt, minimum) -> None:
    path = real_data / relative
    assert detect_format(path) == fmt
    items = read_all(path)
    records = [i for i in items if isinstance(i, dict)]
    assert len(records) >= minimum
    assert not [i for i in items if isinstance(i, Reject)]


def test_our_own_outputs_read_back_with_ids_and_departments(tmp_path) -> None:
    """The two-stage scale-out path: shard outputs are inputs of the final run."""
    from dataprep.steps.base import StepStats
    from dataprep.steps.department import DepartmentMap, DepartmentParams

    path = write_lines(
        tmp_path / "train.jsonl",
        [
            {
                "conversations": [
                    {"from": "human", "value": "胸闷"},
                    {"from": "gpt", "value": "做心电图。"},
                ],
                "system": "",
                "id": "xywy-12",
                "department": "内科/心血管内科",
            },
        ],
    )
    (record,) = read_all(path)
    assert record["id"] == "xywy-12"
    DepartmentMap(DepartmentParams()).apply(record, StepStats())
    assert record["department"] == ["内科", "心血管内科"]


def test_utf8_bom_jsonl_and_json_array_lose_no_record(tmp_path) -> None:
    rows = [{"instruction": f"头痛{k}天怎么办", "output": LONG} for k in range(3)]
    lines = tmp_path / "bom.jsonl"
    lines.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8-sig")
    array = tmp_path / "bom.json"
    array.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8-sig")
    for path in (lines, array):
        assert detect_format(path) == "alpaca"
        items = read_all(path)
        assert [r["question"] for r in items] == [r["instruction"] for r in rows]
    from dataprep.readers.files import iter_spans, read_span

    span_lines = [line for span in iter_spans(lines) for _, line in read_span(lines, *span)]
    assert all(json.loads(line)["output"] == LONG for line in span_lines)


def test_json_array_syntax_error_says_the_rest_is_not_read(tmp_path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[\n{"instruction": "头痛", "output": "休息"},\n{"instruction": }\n]', "utf-8")
    *_, last = read_all(path, "alpaca")
    assert isinstance(last, Reject) and "rest of the array is not read" in last.reason


def test_big5_csv_is_detected_not_garbled(tmp_path) -> None:
    rows = [
        [
            "心血管科",
            "高血壓患者能吃黨參嗎？",
            "我有高血壓，請問醫生可以吃黨參嗎？",
            "可以適量服用，請遵醫囑。",
        ],
        ["消化科", "胃痛怎麼辦", "最近胃痛，飯後脹氣。", "建議做胃鏡檢查，注意飲食規律。"],
    ]
    path = write_cmd_csv(tmp_path / "繁體.csv", rows, "cp950")
    assert detect_encoding(path) == "cp950"
    first, second = read_all(path)
    assert first["question"].startswith("高血壓患者能吃黨參嗎？") and second["answer"] == rows[1][3]
    gb = write_cmd_csv(tmp_path / "简体.csv", [["消化科", "胃痛", "胃痛两天", LONG]], "gb18030")
    assert detect_encoding(gb) == "gb18030"


def test_cmedqa_rejects_name_the_answer_file(tmp_path) -> None:
    folder = tmp_path / "cMedQA2"
    folder.mkdir()
    (folder / "question.csv").write_text("question_id,content\n1,头痛三天怎么办？\n", "utf-8")
    (folder / "answer.csv").write_text(
        "ans_id,question_id,content\n10,1,多休息。\n13,9,无主\n", encoding="utf-8"
    )
    reader = open_input(InputSpec(folder))
    assert reader.lines_file() == folder / "answer.csv"


def test_inputs_with_the_same_file_name_get_distinct_ids(tmp_path) -> None:
    from dataprep.readers import disambiguate_ids

    paths = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        paths.append(
            write_lines(tmp_path / folder / "data.jsonl", [{"instruction": "头痛", "output": LONG}])
        )
    readers = [open_input(InputSpec(p)) for p in paths]
    other = open_input(
        InputSpec(write_lines(tmp_path / "other.jsonl", [{"instruction": "x", "output": "y"}]))
    )
    disambiguate_ids([*readers, other])
    assert [r.rid(1) for r in readers] == ["a/data:1", "b/data:1"]
    assert other.rid(1) == "other:1"  # no collision: unchanged


@pytest.mark.parametrize("fmt", ["cmd", "alpaca", "generic", "medqa"])
def test_a_folder_given_to_a_file_format_is_a_clear_input_error(tmp_path, fmt) -> None:
    with pytest.raises(InputError, match="is a folder"):
        open_input(InputSpec(tmp_path, fmt))


def test_an_empty_file_says_so(tmp_path) -> None:
    for name in ("empty.jsonl", "empty.csv"):
        (tmp_path / name).write_text("\n", encoding="utf-8")
        with pytest.raises(InputError, match="is empty"):
            detect_format(tmp_path / name)


def test_tsv_files_are_split_on_tabs(tmp_path) -> None:
    path = tmp_path / "pairs.tsv"
    path.write_text(f"question\tanswer\n头痛三天怎么办，吃什么药？\t{LONG}\n", encoding="utf-8")
    assert detect_format(path) == "generic"
    (record,) = read_all(path)
    assert record["question"] == "头痛三天怎么办，吃什么药？" and record["answer"] == LONG

"""The shared multiple-choice reader (medqa.mcq): every file, option and answer shape, field names,
a fields mapping, errors that say where and what — and eval and dataprep read alike through it."""

from __future__ import annotations

import json

import pytest

from medqa.mcq import McqError, iter_records, parse_answer, parse_options, read_exam

OPTS = {"A": "肝", "B": "肾", "C": "脾", "D": "肺"}


@pytest.mark.parametrize(
    "value",
    [
        {"A": "肝", "B": "肾", "C": "脾", "D": "肺"},
        {"A.": "肝", "B.": "肾", "选项C": "脾", "(D)": "肺"},
        ["A. 肝", "B. 肾", "C. 脾", "D. 肺"],
        ["肝", "肾", "脾", "肺"],
        ["(A) 肝", "(B) 肾", "(C) 脾", "(D) 肺"],
        "(A) 肝\n(B) 肾\n(C) 脾\n(D) 肺",
        "A. 肝 B. 肾 C. 脾 D. 肺",
        "A、肝\nB、肾\nC、脾\nD、肺",
        "A:肝；B:肾；C:脾；D:肺",
        "（A）肝（B）肾（C）脾（D）肺",
        {"A": "肝", "B": "肾", "C": "脾", "D": "肺", "E": ""},  # padded empty option
        [{"key": k, "value": v} for k, v in OPTS.items()],
        "A 肝\nB 肾\nC 脾\nD 肺",  # CMExam
    ],
)
def test_every_option_shape_reads_the_same(value):
    assert parse_options(value, "x") == OPTS


@pytest.mark.parametrize(
    ("value", "letters"),
    [
        ("C", "C"),
        ("(D)", "D"),
        ("<D>", "D"),
        ("【B】", "B"),
        ("A、C", "AC"),
        ("C,A", "AC"),
        (["A", "C"], "AC"),
        ("答案：D", "D"),
        ("脾", "C"),
        (["肝", "脾"], "AC"),
        (2, "C"),
        ("b", "B"),
    ],
)
def test_every_answer_shape_reads_the_same(value, letters):
    assert parse_answer(value, OPTS, "x") == letters


def test_option_texts_stay_as_published():
    options = parse_options("(A) 内囊出血（外侧型）.\n(B) ＡＢＯ血型", "x")
    assert options == {"A": "内囊出血（外侧型）.", "B": "ＡＢＯ血型"}


def test_a_letter_inside_an_option_text_is_not_the_next_option():
    options = parse_options("(A) U.\n(B) C.\n(C) G.\n(D) T.", "x")
    assert options == {"A": "U.", "B": "C.", "C": "G.", "D": "T."}


def test_an_index_may_be_one_based():
    assert parse_answer(1, OPTS, "x", index_base=1) == "A"
    with pytest.raises(McqError, match="not option letters"):
        parse_answer(9, OPTS, "x")


def _rows():
    return [
        {"题目": "人体最大的实质器官是", "选项": "A. 肝 B. 肾 C. 脾 D. 肺", "答案": "(A)"},
        {"题目": "产生尿液的器官是", "选项": ["A. 肝", "B. 肾", "C. 脾", "D. 肺"], "答案": "B"},
    ]


def test_chinese_field_names_in_jsonl_and_a_json_array(tmp_path):
    lines = tmp_path / "exam.jsonl"
    lines.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _rows()), "utf-8")
    array = tmp_path / "exam.json"
    array.write_text(json.dumps(_rows(), ensure_ascii=False, indent=2), "utf-8")
    for path in (lines, array):
        records = read_exam(path)
        assert [r["answer"] for r in records] == ["A", "B"]
        assert records[0]["options"] == OPTS and records[1]["question"] == "产生尿液的器官是"


def test_csv_tsv_and_xlsx_with_letter_columns(tmp_path):
    import openpyxl

    header = ["编号", "题干", "A", "B", "C", "D", "正确答案", "科目"]
    rows = [["1", "人体最大的实质器官是", "肝", "肾", "脾", "肺", "A", "解剖"]]
    csv_path, tsv_path = tmp_path / "exam.csv", tmp_path / "exam.tsv"
    csv_path.write_text(",".join(header) + "\n" + ",".join(rows[0]) + "\n", encoding="gb18030")
    tsv_path.write_text("\t".join(header) + "\n" + "\t".join(rows[0]) + "\n", encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.append(header)
    book.active.append([1, *rows[0][1:]])
    book.save(tmp_path / "exam.xlsx")
    for path in (csv_path, tsv_path, tmp_path / "exam.xlsx"):
        [record] = read_exam(path)
        assert record["options"] == OPTS and record["answer"] == "A", path
        assert record["subject"] == "解剖" and record["id"].endswith("1")


def test_an_xlsx_title_row_and_several_sheets(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "说明"
    notes.append(["本题库仅供练习"])
    single = book.create_sheet("单选题")
    single.append(["2021年考试真题"])  # a title above the header
    single.append(["题干", "A", "B", "C", "答案"])
    single.append(["产生尿液的器官是", "肝", "肾", "脾", "B"])
    multi = book.create_sheet("多选题")
    multi.append(["题干", "A", "B", "C", "答案"])
    multi.append(["属于实质器官的是", "肝", "肾", "胃", "AB"])
    book.save(tmp_path / "exam.xlsx")
    records = read_exam(tmp_path / "exam.xlsx")
    assert [r["answer"] for r in records] == ["B", "AB"]
    empty = openpyxl.Workbook()
    empty.active.append(["x", "y"])
    empty.save(tmp_path / "bad.xlsx")
    with pytest.raises(McqError, match="no sheet has a header row"):
        read_exam(tmp_path / "bad.xlsx")


def test_a_fields_mapping_names_unusual_columns(tmp_path):
    path = tmp_path / "exam.jsonl"
    path.write_text(
        json.dumps({"stem_text": "q", "choices_list": ["甲", "乙"], "key": 2}) + "\n", "utf-8"
    )
    fields = {"question": "stem_text", "options": "choices_list", "answer": "key", "index_base": 1}
    assert read_exam(path, fields)[0]["answer"] == "B"
    with pytest.raises(McqError, match="unknown key 'fields.anser'"):
        read_exam(path, {"anser": "key"})


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("bad.jsonl", '{"question": "q", "options": "甲乙", "answer": "A"}\n', "bad.jsonl:1"),
        (
            "bad.json",
            '[{"question": "q", "options": {"A": "甲", "B": "乙"}, "answer": "X"}]',
            "item 1",
        ),
        ("bad.csv", "question,A,B,answer\nq,甲,乙,Z\n", "bad.csv:2"),
    ],
)
def test_errors_name_the_file_the_line_the_field_what_was_found_and_what_is_expected(
    tmp_path, name, content, where
):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(McqError) as info:
        read_exam(path)
    message = str(info.value)
    assert where in message and str(tmp_path) in message
    assert "field '" in message and "found '" in message and "expected e.g." in message


def test_an_xlsx_error_names_the_sheet_row(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "题库"
    book.active.append(["question", "A", "B", "answer"])
    book.active.append(["q", "甲", "乙", "甲乙丙"])
    book.save(tmp_path / "exam.xlsx")
    with pytest.raises(McqError, match=r"exam.xlsx \(sheet '题库'\) row 2: field 'answer'"):
        read_exam(tmp_path / "exam.xlsx")


def test_a_file_that_is_not_json_lines_says_so_with_file_and_line(tmp_path):
    path = tmp_path / "exam.jsonl"
    path.write_text(
        '{"question": "q", "options": ["甲", "乙"], "answer": "A"}\nnot json\n', "utf-8"
    )
    with pytest.raises(McqError, match=r"exam.jsonl:2: invalid JSON .*one JSON object per line"):
        read_exam(path)


def test_yielded_errors_carry_where_they_happened(tmp_path):
    path = tmp_path / "exam.jsonl"
    good = {"question": "q", "options": ["甲", "乙"], "answer": "A"}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "answer": "Q"}) + "\n", "utf-8")
    items = list(iter_records(path, errors="yield"))
    assert isinstance(items[1], McqError) and items[1].where.endswith("exam.jsonl:2")


def test_eval_and_the_contamination_check_read_a_published_shape_alike(tmp_path):
    from dataprep.exams import ExamSet, read_reference_exam
    from eval.datasets import load_mcq

    path = tmp_path / "exam.json"
    path.write_text(json.dumps(_rows() + [{"题目": "坏题", "答案": "A"}], ensure_ascii=False))
    exams = ExamSet()
    prep = read_reference_exam(path, None, exams)
    assert [r["question"] for r in prep] == ["人体最大的实质器官是", "产生尿液的器官是"]
    assert (
        exams.rejects[0]["line"] == 3
        and "gives fewer than two options" in exams.rejects[0]["reason"]
    )
    with pytest.raises(McqError, match="item 3"):
        load_mcq(path)  # eval stops on the bad record instead
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_rows(), ensure_ascii=False))
    evaluated = load_mcq(good)
    assert [(i.question, i.options, i.answer) for i in evaluated] == [
        (r["question"], r["options"], r["answer"]) for r in prep
    ]


def test_an_xlsx_header_of_mapped_names_is_recognised(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["题目内容", "备选项", "参考答案"])
    book.active.append(["产生尿液的器官是", "A.肝 B.肾 C.脾", "B"])
    book.save(tmp_path / "exam.xlsx")
    fields = {"question": "题目内容", "options": "备选项", "answer": "参考答案"}
    assert read_exam(tmp_path / "exam.xlsx", fields)[0]["answer"] == "B"


def test_prep_reads_an_xlsx_exam_input_through_the_shared_reader(tmp_path):
    import openpyxl

    from dataprep.readers.mcq import McqReader
    from dataprep.records import Reject

    book = openpyxl.Workbook()
    book.active.append(["题干", "A", "B", "C", "答案"])
    book.active.append(["产生尿液的器官是", "肝", "肾", "脾", "B"])
    book.active.append(["坏题", "肝", "肾", "脾", "Z"])
    book.save(tmp_path / "exam.xlsx")
    reader = McqReader(tmp_path / "exam.xlsx")
    parsed = [(n, reader.parse(n, payload)[0]) for n, payload in reader.units()]
    assert parsed[0][0] == 2 and parsed[0][1]["answer"] == "B"
    assert parsed[1][0] == 3 and isinstance(parsed[1][1], Reject)

"""Hostile inputs and outputs: nothing is lost without a word, nothing is clobbered.

Each test builds the hostile case the way a user meets it (a broken CSV quote, an empty file
over an existing dataset, a folder someone else owns, symlinked outputs, an entry that would be
repointed) and checks what is kept, what is rejected and what the user is told.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from dataprep.cli import prep as prep_cli
from dataprep.outputs import MARKER, OutputError
from dataprep.readers.files import iter_csv_rows
from dataprep.records import Reject
from tests.dataprep.conftest import SAMPLE, prep, read_jsonl, write_lines

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
RAW = SAMPLE / "raw_sample.jsonl"


def cmd_csv(path: Path, rows: int, broken_line: int | None = None) -> Path:
    """A CMD-style CSV with ``rows`` distinct consultations; ``broken_line`` (physical line,
    header = 1) gets an opening quote that is never closed."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["department", "title", "ask", "answer"])
    drugs = ["氨氯地平", "硝苯地平", "缬沙坦", "厄贝沙坦", "美托洛尔", "比索洛尔", "依那普利"]
    for k in range(rows):
        drug = drugs[k % len(drugs)]
        writer.writerow(
            [
                "心血管科",
                f"第{k}位患者高血压头晕{k * 37 % 101}天",
                f"我今年{20 + k}岁，血压{140 + k}/{90 + k % 7}，头晕乏力，编号{k * 7919}",
                f"高血压需要规律服用{drug}，第{k}号方案每日{k % 3 + 1}次，低盐饮食，"
                f"监测血压并记录{k * 13 % 97}天，复诊调整剂量{k}。",
            ]
        )
    lines = buf.getvalue().splitlines(keepends=True)
    if broken_line is not None:
        cells = lines[broken_line - 1].split(",")
        cells[1] = '"' + cells[1]
        lines[broken_line - 1] = ",".join(cells)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def no_dedup_recipe():
    from tests.dataprep.conftest import default_recipe

    recipe = default_recipe()
    recipe.steps = [(n, p) for n, p in recipe.steps if n not in ("dedup", "quality")]
    return recipe


def test_unclosed_csv_quote_rejects_one_line_and_reads_the_rest(tmp_path) -> None:
    source = cmd_csv(tmp_path / "cmd.csv", 39, broken_line=12)
    result = prep([f"cmd:{source}"], tmp_path / "out", recipe=no_dedup_recipe())
    read = result.stats["funnel"][0]
    assert (read["seen"], read["kept"]) == (39, 38)  # only the broken row is lost
    [reject] = read_jsonl(result.dataset_dir / "rejects.jsonl")
    assert reject["file"] == str(source) and reject["line"] == 12
    assert "unbalanced quote" in reject["reason"] and "29 lines" in reject["reason"]


def test_quoted_multiline_cells_still_read_whole(tmp_path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text(
        'department,title,ask,answer\n心血管科,头晕,"血压高\n头晕","一、服药,每日一次\n二、复查"\n'
        "消化科,胃痛,饭后胃痛,奥美拉唑\n",
        encoding="utf-8",
    )
    rows = list(iter_csv_rows(path, "utf-8"))
    assert [line for line, _ in rows] == [2, 5]
    assert rows[0][1][3] == "一、服药,每日一次\n二、复查"


@pytest.mark.skipif(not (REAL / "toyhom_cmd").is_dir(), reason="../shared/data/real absent")
def test_real_cmd_csv_has_no_false_quote_rejects() -> None:
    """The real CMD sample (GB18030, 7 legitimately multi-line answers) reads whole."""
    rows = list(iter_csv_rows(REAL / "toyhom_cmd" / "orig" / "样例_内科5000-6000.csv", "gb18030"))
    assert len(rows) == 7644
    assert not [row for row in rows if isinstance(row[1], Reject)]


def test_empty_input_never_replaces_a_dataset(tmp_path) -> None:
    out = tmp_path / "out"
    first = prep([RAW], out)
    before = (first.dataset_dir / "alpaca" / "train.jsonl").read_bytes()
    empty = tmp_path / "in.jsonl"
    empty.write_bytes(b"")
    blank = write_lines(tmp_path / "blank.jsonl", ["", "   ", ""])
    for source in (f"raw:{empty}", f"raw:{blank}"):
        with pytest.raises(OutputError, match=r"produced no records.*is kept as it was"):
            prep([source], out)
        assert (first.dataset_dir / "alpaca" / "train.jsonl").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["medqa"]  # no staging left behind
    allowed = prep([f"raw:{empty}"], out, allow_empty=True)
    assert sum(allowed.stats["splits"].values()) == 0


def test_all_rejected_input_exits_non_zero_via_cli(tmp_path) -> None:
    bad = write_lines(tmp_path / "bad.jsonl", ["{not json", '{"instruction": 3}'])
    runner = CliRunner()
    result = runner.invoke(
        prep_cli, ["run", "--input", f"alpaca:{bad}", "--out", str(tmp_path), "--no-register", "-q"]
    )
    assert result.exit_code == 1
    assert "produced no records (2 input units read, 2 rejected" in result.output
    assert not (tmp_path / "medqa").exists()


def test_deep_nesting_and_bad_bytes_in_a_json_array_are_rejects(tmp_path) -> None:
    good = [
        {
            "instruction": f"高血压{k}号患者头晕乏力怎么办",
            "output": f"规律服用降压药{k}号方案，低盐饮食",
        }
        for k in range(4)
    ]
    items = [json.dumps(x, ensure_ascii=False).encode() for x in good]
    deep = b"[" * 3000 + b"]" * 3000
    bad = json.dumps(good[0], ensure_ascii=False).encode().replace("降压".encode(), b"\xff\xfe")
    path = tmp_path / "arr.json"
    path.write_bytes(b"[\n" + b",\n".join([items[0], deep, items[1], bad, items[2]]) + b"\n]\n")
    result = prep([f"alpaca:{path}"], tmp_path / "out", recipe=no_dedup_recipe())
    rejects = {r["line"]: r["reason"] for r in read_jsonl(result.dataset_dir / "rejects.jsonl")}
    assert set(rejects) == {3, 5}
    assert "nested deeper" in rejects[3] and "not UTF-8" in rejects[5]
    assert result.stats["funnel"][0]["kept"] == 3


def test_duplicate_ids_are_renamed_and_reported(tmp_path) -> None:
    rows = [
        {
            "id": "q1",
            "question": "高血压头晕乏力应该怎么办呢",
            "answer": "规律服用氨氯地平，低盐饮食",
        },
        {"id": "q1", "question": "胃反流烧心反酸怎么治疗", "answer": "奥美拉唑每日一次，少食多餐"},
    ]
    source = write_lines(tmp_path / "g.jsonl", rows)
    recipe = no_dedup_recipe()
    recipe.get("split").ratios = {"train": 1.0}
    result = prep([f"generic:{source}"], tmp_path / "out", recipe=recipe)
    ids = sorted(r["id"] for r in read_jsonl(result.dataset_dir / "alpaca" / "train.jsonl"))
    assert ids == ["g-q1", "g-q1#2"]
    assert result.stats["duplicate_ids"]["renamed"] == 1


def test_examples_of_huge_records_are_truncated(tmp_path) -> None:
    rows = [{"question": "高血压头晕怎么办", "answer": "降压药" * 20_000}]
    source = write_lines(tmp_path / "huge.jsonl", rows)
    result = prep([f"generic:{source}"], tmp_path / "out", allow_empty=True)
    [example] = read_jsonl(result.dataset_dir / "examples.jsonl")
    assert example["reason"] == "answer_too_long"
    assert len(example["answer"]) < 2100 and "58,000 more characters" in example["answer"]


def test_a_folder_prep_did_not_write_is_never_replaced(tmp_path) -> None:
    theirs = tmp_path / "out" / "results"
    theirs.mkdir(parents=True)
    for name, text in (("stats.json", "{}"), ("precious.txt", "mine"), ("model.bin", "w")):
        (theirs / name).write_text(text)
    with pytest.raises(OutputError, match="not a `medqa prep` output"):
        prep([RAW], tmp_path / "out", name="results")
    assert sorted(p.name for p in theirs.iterdir()) == ["model.bin", "precious.txt", "stats.json"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["results"]


def test_an_output_of_an_older_version_is_still_replaced(tmp_path) -> None:
    """Before the marker existed: stats.json plus only what a run writes."""
    first = prep([RAW], tmp_path / "out").dataset_dir
    (first / MARKER).unlink()
    again = prep([RAW], tmp_path / "out").dataset_dir
    assert (again / MARKER).is_file()


def test_symlinked_output_is_followed_and_leftovers_do_not_wedge(tmp_path) -> None:
    real = tmp_path / "big_disk" / "medqa"
    real.mkdir(parents=True)
    out = tmp_path / "out"
    out.mkdir()
    (out / "medqa").symlink_to(real)
    # a hidden link an older version moved aside before it was killed
    (out / f".medqa.old-{socket.gethostname()}-999999999").symlink_to(real)
    for _ in range(2):
        result = prep([RAW], out)
        assert result.dataset_dir == out / "medqa"
    assert (out / "medqa").is_symlink() and (out / "medqa").resolve() == real.resolve()
    assert (real / MARKER).is_file() and (real / "alpaca" / "train.jsonl").is_file()
    assert sorted(p.name for p in out.iterdir()) == ["medqa"]


def test_symlinked_dataset_info_is_followed(tmp_path) -> None:
    shared = tmp_path / "shared" / "dataset_info.json"
    shared.parent.mkdir()
    shared.write_text('{"theirs": {"file_name": "t.jsonl"}}', encoding="utf-8")
    link = tmp_path / "dataset_info.json"
    link.symlink_to(shared)
    prep([RAW], tmp_path / "data", dataset_info=link)
    assert link.is_symlink()
    entries = json.loads(shared.read_text(encoding="utf-8"))
    assert "theirs" in entries
    assert entries["medqa_alpaca_train"]["file_name"] == "data/medqa/alpaca/train.jsonl"


def test_registered_entries_are_not_repointed_without_being_named(tmp_path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    info = root / "dataset_info.json"
    prep([RAW], root / "data", dataset_info=info)
    tracked = info.read_bytes()
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(root)
    try:
        args = ["run", "--input", f"raw:{RAW}", "--out", str(tmp_path / "elsewhere"), "-q"]
        refused = runner.invoke(prep_cli, args)
        named = runner.invoke(
            prep_cli, [*args, "--replace-entries", "medqa_alpaca_train,medqa_alpaca_val"]
        )
    finally:
        os.chdir(cwd)
    assert refused.exit_code == 1
    assert "would repoint existing entries medqa_alpaca_test (" in refused.output
    assert "--replace-entries medqa_alpaca_test,medqa_alpaca_train" in refused.output
    assert info.read_bytes() == tracked and not (tmp_path / "elsewhere").exists()
    assert named.exit_code == 1  # still refused: the other entries were not named
    assert info.read_bytes() == tracked
    rerun = prep([RAW], root / "data", dataset_info=info)  # same folder: no repointing
    assert rerun.dataset_dir == root / "data" / "medqa" and info.read_bytes() == tracked

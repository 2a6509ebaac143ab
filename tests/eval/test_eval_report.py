"""``medqa eval compare``: tables, the data-scale curve and charts with Chinese labels."""

from __future__ import annotations

import asyncio
import json
import shutil
import warnings

import pytest
from click.testing import CliRunner

from eval.charts import cjk_font
from eval.cli import eval_group
from eval.report import build_report, parse_scale
from eval.runner import RunOptions, run_task
from eval.stub_server import StubResponse, chat_body
from eval.taskspec import load_task
from tests.eval.conftest import EXAM

# (label, method, scale, how many of the 8 authored questions the simulated model gets right)
RUNS = [
    ("base", "base", None, 2),
    ("lora-10k", "lora", "10k", 4),
    ("lora-40k", "lora", "40k", 6),
    ("qlora-10k", "qlora", "10k", 3),
    ("qlora-40k", "qlora", "40k", 5),
    ("full-40k", "full", "40k", 7),
]


def simulated_model(right: int):
    """Answers the first ``right`` questions correctly and the rest with a wrong letter."""

    def handler(request):
        if request.method != "POST":
            return None
        prompt = request.json["messages"][-1]["content"]
        index = next(i for i, (q, *_rest) in enumerate(EXAM) if q in prompt)
        gold = EXAM[index][2]
        letter = gold if index < right else ("A" if gold != "A" else "B")
        return StubResponse(body=chat_body(f"答案：{letter}"))

    return handler


@pytest.fixture
def run_folders(stub, exam_file, tmp_path):
    task = load_task("exam_sample", {"data.path": str(exam_file)})
    folders = []
    for label, method, scale, right in RUNS:
        tags = {"method": method, **({"scale": scale} if scale else {})}
        options = RunOptions(
            endpoints=[stub(simulated_model(right)).base_url],
            out_dir=tmp_path / label,
            label=label,
            tags=tags,
            progress=False,
        )
        asyncio.run(run_task(task, options))
        folders.append(tmp_path / label)
    return folders


def test_compare_writes_tables_curve_and_charts(run_folders, tmp_path):
    out = tmp_path / "report"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = build_report(list(reversed(run_folders)), out, "LoRA vs QLoRA vs full")
    assert not [w for w in caught if "missing from font" in str(w.message)], "CJK glyphs missing"
    text = report.read_text()
    header = next(line for line in text.splitlines() if line.startswith("| subject | n |"))
    assert header == "| subject | n | " + " | ".join(r[0] for r in RUNS) + " |"  # base first
    overall = next(line for line in text.splitlines() if line.startswith("| overall |"))
    assert overall == "| overall | 8 | " + " | ".join(f"{r[3] / 8 * 100:.1f}" for r in RUNS) + " |"
    assert "| lora | 10,000 | 50.0 |" in text and "| qlora | 40,000 | 62.5 |" in text
    for chart in ("subjects_exam_sample.png", "scale_exam_sample.png", "latency.png"):
        png = out / "charts" / chart
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
        assert f"charts/{chart}" in text
    html = (out / "report.html").read_text()
    assert '<img src="charts/subjects_exam_sample.png"' in html and "<td>心血管</td>" in html


def test_compare_cli_and_open_qa_predictions_side_by_side(run_folders, tmp_path):
    predictions = tmp_path / "generated_predictions.jsonl"
    predictions.write_text(
        json.dumps({"prompt": "p", "predict": "多喝水", "label": "多喝水休息"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    result = runner.invoke(
        eval_group,
        [
            "predictions",
            str(predictions),
            "--out",
            str(tmp_path / "direct"),
            "--label",
            "direct-predict",
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        eval_group,
        ["compare", str(run_folders[0]), str(tmp_path / "direct"), "--out", str(tmp_path / "rep")],
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "rep" / "report.md").read_text()
    assert "### predictions: open QA" in text and "| direct-predict | 1 |" in text
    result = runner.invoke(eval_group, ["compare", str(tmp_path), "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and "no summary.json" in result.output


def test_chinese_font_is_bundled():
    assert "CJK" in (cjk_font() or "")


@pytest.mark.parametrize(
    ("text", "value"),
    [("10k", 1e4), ("60000", 6e4), ("1.5m", 1.5e6), ("2万", 2e4), ("lots", None), (None, None)],
)
def test_scale_tags(text, value):
    assert parse_scale(text) == value


def test_a_model_keeps_its_label_across_tasks_and_repeats_within_a_task_are_numbered(
    run_folders, tmp_path
):
    predictions = tmp_path / "generated_predictions.jsonl"
    row = {"prompt": "p", "predict": "多喝水", "label": "多喝水休息"}
    predictions.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    runner = CliRunner()
    args = ["predictions", str(predictions), "--out", str(tmp_path / "qa"), "--label", "base"]
    assert runner.invoke(eval_group, args).exit_code == 0
    again = tmp_path / "base-again"
    shutil.copytree(run_folders[0], again)  # the same exam run of "base" given twice
    text = build_report([run_folders[0], tmp_path / "qa", again], tmp_path / "rep").read_text()
    assert "| subject | n | base | base (2) |" in text  # exam table: the repeat is numbered
    assert "| base | 1 |" in text  # open-QA table: the same model, same label
    # run folders are named relative to the report, so it can move with its runs
    assert "- base · predictions: ../qa" in text
    assert f"- base (2) · exam_sample: ../{again.name}" in text

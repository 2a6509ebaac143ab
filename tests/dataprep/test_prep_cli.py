"""The ``medqa prep`` click group: run, stats, inspect, init-recipe; and ``medqa`` itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from dataprep.cli import prep
from tests.dataprep.conftest import REPO, SAMPLE


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """``medqa prep run`` from a project folder holding a copy of the samples (CWD-relative
    paths, as users run it), with the default dataset_info.json in that folder."""
    root = tmp_path_factory.mktemp("project")
    (root / "data" / "sample").mkdir(parents=True)
    for name in ("raw_sample.jsonl", "exam_sample.jsonl"):
        (root / "data" / "sample" / name).write_bytes((SAMPLE / name).read_bytes())
    (root / "dataset_info.json").write_text(
        '{"keep_me": {"file_name": "x.jsonl"}}', encoding="utf-8"
    )
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(root)
    try:
        result = runner.invoke(
            prep, ["run", "--input", "raw:data/sample/raw_sample.jsonl", "--out", "data", "-q"]
        )
    finally:
        os.chdir(cwd)
    return root, result


def test_run_writes_and_registers(cli_run) -> None:
    root, result = cli_run
    assert result.exit_code == 0, result.output
    assert "funnel" in result.output and "registered medqa_*" in result.output
    assert (root / "data" / "medqa" / "alpaca" / "train.jsonl").is_file()
    info = json.loads((root / "dataset_info.json").read_text(encoding="utf-8"))
    assert info["keep_me"] == {"file_name": "x.jsonl"}
    assert info["medqa_alpaca_val"]["file_name"] == "data/medqa/alpaca/val.jsonl"
    stats = json.loads((root / "data" / "medqa" / "stats.json").read_text(encoding="utf-8"))
    assert stats["contamination"]["exam_files"] == ["data/sample/exam_sample.jsonl"]
    assert stats["contamination"]["overlaps_exam"] == 1


def test_stats_prints_a_dataset_or_file_lengths(cli_run) -> None:
    root, _ = cli_run
    runner = CliRunner()
    shown = runner.invoke(prep, ["stats", str(root / "data" / "medqa")])
    assert shown.exit_code == 0 and "alpaca/train.jsonl" in shown.output and "p95" in shown.output
    as_json = runner.invoke(prep, ["stats", str(root / "data" / "medqa"), "--json"])
    assert json.loads(as_json.output)["name"] == "medqa"
    files = runner.invoke(
        prep, ["stats", str(root / "data" / "medqa" / "sharegpt" / "train.jsonl")]
    )
    lengths = json.loads(files.output)["length"]["chars"]["total"]
    assert lengths["count"] > 30 and lengths["p50"] <= lengths["p95"] <= lengths["max"]
    bad = root / "bad.jsonl"
    bad.write_text('{"instruction": "q", "output": "a"}\n{oops\n', encoding="utf-8")
    failed = runner.invoke(prep, ["stats", str(bad)])
    assert failed.exit_code == 1 and "bad.jsonl:2" in failed.output
    bom = root / "bom.jsonl"  # saved by a Windows editor
    bom.write_text('\ufeff{"instruction": "头痛", "output": "多休息"}\n', encoding="utf-8")
    read = runner.invoke(prep, ["stats", str(bom)])
    assert read.exit_code == 0, read.output
    assert json.loads(read.output)["length"]["chars"]["total"]["count"] == 1


def test_inspect_shows_kept_and_dropped_examples(cli_run) -> None:
    root, _ = cli_run
    runner = CliRunner()
    shown = runner.invoke(prep, ["inspect", str(root / "data" / "medqa"), "-n", "1"])
    assert shown.exit_code == 0
    assert "== kept" in shown.output
    for reason in (
        "advertising",
        "template_only_answer",
        "exact_duplicate",
        "overlaps_exam",
    ):
        assert f": {reason}" in shown.output
    one = runner.invoke(
        prep, ["inspect", str(root / "data" / "medqa"), "--reason", "answer_too_short"]
    )
    assert (
        "answer_too_short" in one.output
        and "== kept" not in one.output
        and "advertising" not in one.output
    )
    missing = runner.invoke(prep, ["inspect", str(root / "data" / "medqa"), "--reason", "nope"])
    assert missing.exit_code == 1 and "no dropped examples with reason 'nope'" in missing.output


def test_errors_are_one_clear_line(tmp_path) -> None:
    runner = CliRunner()
    recipe = tmp_path / "r.yaml"
    recipe.write_text("steps:\n  - quality: {min_answer_char: 5}\n", encoding="utf-8")
    bad_recipe = runner.invoke(
        prep, ["run", "--recipe", str(recipe), "--input", str(SAMPLE / "raw_sample.jsonl")]
    )
    assert bad_recipe.exit_code == 1
    assert "steps[0].quality: unknown parameter 'min_answer_char'" in bad_recipe.output
    no_input = runner.invoke(prep, ["run", "--out", str(tmp_path)])
    assert no_input.exit_code == 1 and "no inputs" in no_input.output
    missing = runner.invoke(
        prep, ["run", "--input", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path)]
    )
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_init_recipe_copies_the_default(tmp_path) -> None:
    runner = CliRunner()
    target = tmp_path / "my.yaml"
    assert runner.invoke(prep, ["init-recipe", str(target)]).exit_code == 0
    assert "- dedup:" in target.read_text(encoding="utf-8")
    assert runner.invoke(prep, ["init-recipe", str(target)]).exit_code == 1


@pytest.mark.slow
def test_medqa_console_script_runs_prep(tmp_path) -> None:
    """The installed ``medqa`` entry point finds the ``prep`` group (a real subprocess)."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "medqa",
            "prep",
            "run",
            "--input",
            str(SAMPLE / "raw_sample.jsonl"),
            "--out",
            str(tmp_path),
            "--no-register",
            "--workers",
            "2",
            "-q",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert (tmp_path / "medqa" / "report.html").is_file()
    assert "wrote" in out.stdout


def test_inspect_shows_kept_examples_of_a_sharegpt_only_dataset(tmp_path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text("steps: [normalize, split]\noutput: {formats: [sharegpt]}\n", "utf-8")
    runner = CliRunner()
    out = tmp_path / "data"
    ran = runner.invoke(
        prep,
        ["run", "--recipe", str(recipe), "--input", str(SAMPLE / "raw_sample.jsonl")]
        + ["--out", str(out), "--no-register", "-q"],
    )
    assert ran.exit_code == 0, ran.output
    shown = runner.invoke(prep, ["inspect", str(out / "medqa"), "-n", "1"])
    assert shown.exit_code == 0 and "== kept (sharegpt/train.jsonl, first 1)" in shown.output
    assert "    Q: " in shown.output.split("== kept", 1)[1]

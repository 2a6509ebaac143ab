"""The README's by-hand prep commands register in the git-ignored data/dataset_info.json and leave
a checkout's tracked files as they were (the tracked ./dataset_info.json holds the default name)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from dataprep.cli import prep
from tests.dataprep.conftest import REPO, SAMPLE

RAW = "raw:data/sample/raw_sample.jsonl"


def git(root, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A git checkout holding the tracked registry, .gitignore and sample inputs, as CWD."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    (tmp_path / "data" / "sample").mkdir(parents=True)
    for name in ("raw_sample.jsonl", "exam_sample.jsonl"):
        shutil.copy(SAMPLE / name, tmp_path / "data" / "sample" / name)
    for name in (".gitignore", "dataset_info.json"):
        shutil.copy(REPO / name, tmp_path / name)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".gitignore", "dataset_info.json", "data/sample")
    git(tmp_path, "commit", "-q", "-m", "checkout")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> None:
    result = CliRunner().invoke(prep, ["run", *args, "-q"])
    assert result.exit_code == 0, result.output


def test_by_hand_commands_leave_tracked_files_untouched(checkout) -> None:
    recipe = checkout / "data" / "my_recipe.yaml"
    assert CliRunner().invoke(prep, ["init-recipe", str(recipe)]).exit_code == 0
    text = recipe.read_text(encoding="utf-8")
    recipe.write_text(text.replace("[10000, 20000, 40000, 60000]", "[10]"), encoding="utf-8")
    registry = ("--dataset-info", "data/dataset_info.json")
    run("--recipe", str(recipe), "--input", RAW, "--out", "data", *registry)
    run("--input", RAW, "--out", "data", "--name", "medmix", *registry)
    assert git(checkout, "status", "--porcelain") == ""

    info = json.loads((checkout / "data" / "dataset_info.json").read_text(encoding="utf-8"))
    subsets = [n for n in info if n.startswith("medqa_alpaca_train_")]
    assert subsets and "medmix_alpaca_train" in info and "medmix_sharegpt_val" in info
    for name in (*subsets, "medmix_alpaca_train", "medqa_alpaca_train"):  # dataset_dir=data
        assert (checkout / "data" / info[name]["file_name"]).is_file(), name
    tracked = json.loads((checkout / "dataset_info.json").read_text(encoding="utf-8"))
    assert (
        tracked["medqa_alpaca_train"]["file_name"]
        == "data/" + info["medqa_alpaca_train"]["file_name"]
    )  # the shipped configs (dataset_dir: .) train on the same files


def test_another_name_into_the_tracked_registry_would_change_it(checkout) -> None:
    run("--input", RAW, "--out", "data", "--name", "medmix")
    assert git(checkout, "status", "--porcelain").split() == ["M", "dataset_info.json"]

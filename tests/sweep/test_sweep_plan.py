"""The sweep file, the grid it expands to, the exact commands, the dry run and the GPU scheduler."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from medqa.sweep import run_grid, visible_devices
from medqa.sweep_cell import CellPlan, override_words
from medqa.sweep_memory import estimate_train_gib, model_shape
from medqa.sweep_spec import SweepError, load_sweep
from tests.conftest import REPO_ROOT
from tests.sweep.conftest import cpu_sweep, sweep_workspace, write_sweep

MEDQA = str(Path(sys.executable).with_name("medqa"))
SHIPPED = REPO_ROOT / "llamafactory_configs/sweeps/lora_vs_qlora_scale.yaml"


@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO_ROOT)


def test_shipped_sweep_is_lora_and_qlora_over_four_scales(in_repo):
    sweep = load_sweep(SHIPPED)
    cells = sweep.cells()
    assert [c.id for c in cells][:2] == ["qwen2.5-7b-base", "qwen2.5-7b-lora-10k-s42"]
    trained = [c for c in cells if c.method]
    assert {(c.method.name, c.scale) for c in trained} == {
        (m, s) for m in ("lora", "qlora") for s in ("10k", "20k", "40k", "60k")
    }
    plan = CellPlan(sweep, trained[-1], Path("/out"), REPO_ROOT)
    train = plan.train_command()
    assert train[1:3] == ["train", "llamafactory_configs/qwen_qlora.yaml"]
    assert "dataset=medqa_alpaca_train_60k" in train and "seed=42" in train
    merge = plan.merge_command()
    assert merge[2] == "llamafactory_configs/merge/qwen_qlora_merge.yaml"
    assert f"adapter_name_or_path={plan.train_dir}" in merge
    assert f"model_name_or_path={plan.merged_dir}" in plan.serve_command(8000, "x")


def test_memory_estimate_matches_the_readme_figures_for_7b(in_repo):
    sweep = load_sweep(SHIPPED)
    estimates = {}
    for cell in sweep.cells():
        if cell.method:
            plan = CellPlan(sweep, cell, Path("/out"), REPO_ROOT)
            estimates[cell.method.name] = estimate_train_gib(
                model_shape(cell.model_path), plan.train_config()
            )
    assert 16 <= estimates["lora"] <= 21  # README: ~18-20 GB
    assert 8 <= estimates["qlora"] <= 11  # README: ~9-11 GB
    assert model_shape("some/unknown-model") is None


def test_merging_onto_a_quantised_base_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
    spec = cpu_sweep(tmp_path)
    spec["methods"]["lora"]["merge_overrides"] = {"quantization_bit": 4}
    with pytest.raises(SweepError, match=r"methods\.lora\.merge.*quantised"):
        load_sweep(write_sweep(tmp_path / "s.yaml", spec))


@pytest.mark.parametrize(
    "change, key",
    [
        (lambda s: s.pop("eval"), "eval"),
        (lambda s: s.update(scales={"10k": 5}), "scales.10k"),
        (lambda s: s["methods"]["lora"].update(train="nope.yaml"), "methods.lora.train"),
        (lambda s: s.update(epochs=3), "epochs"),
        (lambda s: s["eval"][0].update(limit=0), "eval[0].limit"),
        (lambda s: s["eval"].append(dict(s["eval"][0])), "eval"),
        (lambda s: s.update(cells=[{"match": {"lr": 1}, "train": {}}]), "cells[0].match"),
    ],
)
def test_a_bad_sweep_file_names_the_key(tmp_path, monkeypatch, change, key):
    monkeypatch.chdir(REPO_ROOT)
    spec = cpu_sweep(tmp_path)
    change(spec)
    with pytest.raises(SweepError) as error:
        load_sweep(write_sweep(tmp_path / "s.yaml", spec))
    assert f"`{key}`" in str(error.value) and "s.yaml" in str(error.value)


def test_cell_rules_and_overrides_reach_the_command_line(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
    spec = cpu_sweep(tmp_path)
    spec["cells"] = [{"match": {"method": "full", "scale": "4"}, "train": {"learning_rate": 1e-5}}]
    sweep = load_sweep(write_sweep(tmp_path / "s.yaml", spec))
    commands = {
        c.id: CellPlan(sweep, c, tmp_path, REPO_ROOT).train_command() for c in sweep.cells()
    }
    assert "learning_rate=1e-05" in commands["tiny-full-4-s0"]
    assert not any("learning_rate" in w for w in commands["tiny-full-2-s0"])
    assert "deepspeed=null" in commands["tiny-full-2-s0"]
    assert "eval_strategy='no'" in commands["tiny-lora-2-s0"]  # stays a string for LLaMA-Factory
    assert override_words({"bf16": False, "x": None}) == ["bf16=false", "x=null"]


def test_dry_run_prints_grid_commands_and_memory_without_running_anything(tmp_path):
    root = sweep_workspace(tmp_path / "ws")
    model = root / "models/tiny"
    model.mkdir(parents=True)
    (model / "config.json").write_text(
        '{"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, '
        '"num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 2112, '
        '"tie_word_embeddings": true}'
    )
    write_sweep(root / "sweep.yaml", cpu_sweep(model))
    result = subprocess.run(
        [MEDQA, "sweep", "sweep.yaml", "--dry-run"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": "0,1"},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "4 cells; 2 GPUs (0,1): cells run in parallel, one per GPU" in out
    for cell in ("tiny-lora-2-s0", "tiny-lora-4-s0", "tiny-full-2-s0", "tiny-full-4-s0"):
        assert cell in out
    assert out.count("llamafactory-cli train llamafactory_configs/") == 4
    assert out.count("llamafactory-cli export") == 2  # LoRA merges, full SFT serves its output
    assert out.count("medqa eval run --task open_qa") == 4 and "medqa eval compare" in out
    assert "GiB" in out and "│ 4 " in out.replace("  ", " ")  # records of the 4-example subset
    assert not (root / "sweep").exists()


def test_cells_run_one_per_gpu_and_in_parallel():
    """Two GPUs: two cells at a time, never two on the same GPU, every cell run once."""
    from medqa.sweep_spec import Cell, Method

    method = Method("lora", Path("t.yaml"), None, Path("s.yaml"))
    big = Method("full", Path("t.yaml"), None, Path("s.yaml"), gpus=2)
    cells = [Cell("m", "m", method, str(s), "d", 0) for s in range(4)]
    cells.append(Cell("m", "m", big, "9", "d", 0))
    busy: dict[str, str] = {}
    lock = threading.Lock()
    overlaps, seen = [], []

    def run_cell(cell, devices):
        with lock:
            assert not any(d in busy for d in devices), (devices, busy)
            busy.update({d: cell.id for d in devices})
            overlaps.append(len(busy))
            seen.append((cell.id, tuple(devices)))
        time.sleep(0.2)
        with lock:
            for d in devices:
                del busy[d]
        return "done"

    statuses = run_grid(cells, ["0", "1"], run_cell, threading.Event())
    assert statuses == {c.id: "done" for c in cells}
    assert max(overlaps) == 2  # two cells at once
    assert dict(seen)[cells[-1].id] == ("0", "1")  # the two-GPU cell got both
    assert visible_devices({"CUDA_VISIBLE_DEVICES": "2, 3"}) == ["2", "3"]
    assert visible_devices({}) == []

"""A LLaMA-Factory working directory like the repo root: dataset_info.json, prepared data, configs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CONFIGS_DIR, REPO_ROOT

# A handful of short consultations (authored for these tests).
QA_PAIRS = [
    ("头痛伴恶心怎么办？", "建议先测量血压，注意休息，持续加重请到神经内科就诊。"),
    ("孩子发烧需要吃抗生素吗？", "不建议自行服用抗生素，可以物理降温，多喝水。"),
    ("胃胀反酸怎么办？", "规律饮食，少吃辛辣油腻，必要时做胃镜检查。"),
    ("空腹血糖七点二是糖尿病吗？", "建议复查空腹血糖和糖化血红蛋白，到内分泌科评估。"),
]
# Preference pairs over the same questions: a specific answer chosen over a vague one.
PREFERENCE_PAIRS = [(question, answer, "多喝热水，观察一下再说。") for question, answer in QA_PAIRS]
CPU_OVERRIDES = [
    "bf16=false",
    "use_cpu=true",
    "enable_liger_kernel=false",
    "preprocessing_num_workers=1",
    "dataloader_num_workers=0",
]


def write_alpaca(path: Path, pairs=QA_PAIRS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for question, answer in pairs:
            record = {"instruction": question, "input": "", "output": answer, "system": ""}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_pairs(path: Path, pairs=PREFERENCE_PAIRS) -> None:
    """Alpaca ranking lines (what `medqa prep run` writes to data/medqa/dpo/alpaca/)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for question, chosen, rejected in pairs:
            record = {"instruction": question, "input": "", "chosen": chosen, "rejected": rejected}
            handle.write(json.dumps({**record, "system": ""}, ensure_ascii=False) + "\n")


def make_workspace(root: Path) -> Path:
    """``root`` laid out like the repo root after ``medqa prep run``: what configs expect."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "dataset_info.json", root / "dataset_info.json")
    for split in ("train", "val", "test"):
        write_alpaca(root / "data" / "medqa" / "alpaca" / f"{split}.jsonl")
    for split in ("train", "val"):
        write_pairs(root / "data" / "medqa" / "dpo" / "alpaca" / f"{split}.jsonl")
    (root / "llamafactory_configs").symlink_to(CONFIGS_DIR)
    return root


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    """A fresh workspace that is also the current directory (as `llamafactory-cli` expects)."""
    ws = make_workspace(tmp_path / "ws")
    monkeypatch.chdir(ws)
    monkeypatch.delenv("FORCE_TORCHRUN", raising=False)
    return ws


def llamafactory_cli(cwd: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run the real ``llamafactory-cli`` in ``cwd``; fail the test with its log tail on error."""
    exe = Path(sys.executable).with_name("llamafactory-cli")
    env = {**os.environ, "DISABLE_VERSION_CHECK": "1"}
    env.pop("FORCE_TORCHRUN", None)
    result = subprocess.run(
        [str(exe), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        pytest.fail(
            f"llamafactory-cli {' '.join(args)} failed:\n{(result.stdout + result.stderr)[-5000:]}"
        )
    return result

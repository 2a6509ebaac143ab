"""A small LLaMA-Factory workspace for sweeps: prepared data with two nested scale subsets."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.conftest import CONFIGS_DIR, REPO_ROOT
from tests.lf.conftest import CPU_OVERRIDES, QA_PAIRS, write_alpaca

# Two scales of a nested train set, as `medqa prep run` registers them (authored for the tests).
SCALES = {"2": QA_PAIRS[:2], "4": QA_PAIRS}


def sweep_workspace(root: Path) -> Path:
    """``root`` laid out like the repo root after `medqa prep run` with subsets [2, 4]."""
    root.mkdir(parents=True, exist_ok=True)
    info = json.loads((REPO_ROOT / "dataset_info.json").read_text(encoding="utf-8"))
    for split in ("train", "val", "test"):
        write_alpaca(root / "data/medqa/alpaca" / f"{split}.jsonl")
    for scale, pairs in SCALES.items():
        write_alpaca(root / f"data/medqa/alpaca/train_{scale}.jsonl", pairs)
        info[f"medqa_alpaca_train_{scale}"] = {
            **info["medqa_alpaca_train"],
            "file_name": f"data/medqa/alpaca/train_{scale}.jsonl",
        }
    (root / "dataset_info.json").write_text(json.dumps(info, ensure_ascii=False, indent=2))
    (root / "llamafactory_configs").symlink_to(CONFIGS_DIR)
    return root


def cpu_sweep(model: Path, out: str = "sweep") -> dict:
    """LoRA (with merge) and full SFT × scales 2 and 4 on the tiny model, with CPU overrides."""
    train = dict(item.split("=", 1) for item in CPU_OVERRIDES)
    return {
        "name": "cpu_2x2",
        "out": out,
        "methods": {
            "lora": {
                "train": "llamafactory_configs/qwen_lora.yaml",
                "merge": "llamafactory_configs/merge/qwen_lora_merge.yaml",
            },
            "full": {
                "train": "llamafactory_configs/qwen_full.yaml",
                "train_overrides": {"deepspeed": None},
            },
        },
        "serve": "llamafactory_configs/inference/qwen_hf.yaml",
        "serve_args": ["--max-concurrent", "2"],
        "scales": {scale: f"medqa_alpaca_train_{scale}" for scale in SCALES},
        "models": {"tiny": str(model)},
        "seeds": [0],
        "baseline": False,
        "train": {**train, "max_steps": 2, "eval_strategy": "no", "save_strategy": "no"},
        "eval": [{"task": "open_qa", "data": "data/medqa/alpaca/test.jsonl", "max_tokens": 8}],
    }


def write_sweep(path: Path, spec: dict) -> Path:
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path

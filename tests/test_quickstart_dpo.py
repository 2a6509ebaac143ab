"""`medqa quickstart --dpo`, the CPU proof of the preference stage: sample site → pairs → SFT → DPO
(real `llamafactory-cli`, tiny Qwen) → export → serve → `medqa eval compare` with SFT and SFT+DPO
side by side, preference win-rates included."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from medqa.quickstart import Layout, build_stages
from medqa.quickstart_dpo import DPO_LABEL, with_dpo

MEDQA = str(Path(sys.executable).with_name("medqa"))


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_dpo_stages_run_after_the_sft_merge_and_before_the_report(tmp_path):
    stages = with_dpo(build_stages(Layout(tmp_path), []), Layout(tmp_path))
    assert [s.name for s in stages] == [
        "crawl",
        "tiny-model",
        "prep",
        "check",
        "train",
        "export",
        "dpo-train",
        "dpo-export",
        "eval",
        "dpo-eval",
        "compare",
    ]


@pytest.fixture(scope="module")
def dpo_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("quickstart-dpo")
    started = time.monotonic()
    result = subprocess.run(
        [MEDQA, "quickstart", "--dpo", "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    print(f"medqa quickstart --dpo wall time: {time.monotonic() - started:.0f}s")
    return workdir, result.stdout


@pytest.mark.slow
def test_pairs_from_the_sample_crawl_are_registered(dpo_run):
    workdir, _ = dpo_run
    stats = json.loads((workdir / "data/medqa/stats.json").read_text(encoding="utf-8"))
    preference = stats["preference"]
    assert preference["questions"]["multi_answer"] >= 50
    assert preference["pairs"]["train"] >= 40 and preference["pairs"]["val"] >= 1
    info = json.loads((workdir / "dataset_info.json").read_text(encoding="utf-8"))
    assert info["medqa_dpo_train"]["ranking"] is True
    pairs = jsonl(workdir / info["medqa_dpo_train"]["file_name"])
    assert len(pairs) == preference["pairs"]["train"]
    assert all(p["chosen"] != p["rejected"] and p["margin"] >= 1 for p in pairs)


@pytest.mark.slow
def test_sft_and_sft_dpo_side_by_side(dpo_run):
    workdir, stdout = dpo_run
    runs = workdir / "data/eval/quickstart"
    merged = workdir / "models/qwen2.5-7b-instruct-medqa-dpo"
    assert (merged / "model.safetensors").stat().st_size > 0
    report = (runs / "report/report.md").read_text(encoding="utf-8")
    for words in ("| lora |", f"| {DPO_LABEL} |", "preference_val: preference win-rate"):
        assert words in report
    assert "preference_train: preference win-rate" in report
    summary = {
        (task, label): json.loads((runs / f"{task}-{label}/summary.json").read_text())["metrics"]
        for task in ("preference_train", "preference_val")
        for label in ("lora", DPO_LABEL)
    }
    # DPO optimised what it optimises: the log-likelihood margin of chosen over rejected on its
    # own training pairs grew from the SFT model's.
    assert (
        summary["preference_train", DPO_LABEL]["logp_margin_mean"]
        > summary["preference_train", "lora"]["logp_margin_mean"]
    )
    answers = {
        label: {r["id"]: r["response"] for r in jsonl(runs / f"open_qa-{label}/results.jsonl")}
        for label in ("lora", DPO_LABEL)
    }
    assert answers["lora"].keys() == answers[DPO_LABEL].keys() and answers["lora"]
    assert answers["lora"] != answers[DPO_LABEL]  # the DPO merge carried a trained adapter
    assert "merged SFT+DPO model: models/qwen2.5-7b-instruct-medqa-dpo" in stdout

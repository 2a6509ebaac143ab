"""`medqa quickstart --dpo`, the CPU proof of the preference stage: sample site → pairs → SFT → DPO
(real `llamafactory-cli`, tiny Qwen) → export → serve → `medqa eval compare` with SFT and SFT+DPO
side by side, preference win-rates included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medqa.quickstart import Layout, build_stages
from medqa.quickstart_dpo import DPO_LABEL, with_dpo


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


STAGES = [
    "crawl",
    "tiny-model",
    "prep",
    "check",
    "train",
    "export",
    "eval",
    "dpo-train",
    "dpo-export",
    "dpo-eval",
    "compare",
]


def test_dpo_stages_run_after_the_sft_chain_and_before_the_report(tmp_path):
    stages = with_dpo(build_stages(Layout(tmp_path), []), Layout(tmp_path))
    assert [s.name for s in stages] == STAGES


@pytest.mark.slow
def test_dpo_over_a_finished_quickstart_runs_only_the_dpo_stages(quickstart_dpo):
    """The SFT chain is not redone: its seven stages are skipped, the DPO ones and the report run;
    a re-run of ``--dpo`` skips every stage (their inputs are fingerprinted and unchanged)."""
    lines = quickstart_dpo.stdout.splitlines()
    skipped = {name for name in STAGES if any(f"] {name}: complete, skipped" in x for x in lines)}
    assert skipped == set(STAGES[:7])
    rerun = quickstart_dpo.rerun_stdout.splitlines()
    assert len([line for line in rerun if "complete, skipped" in line]) == len(STAGES)


@pytest.mark.slow
def test_pairs_from_the_sample_crawl_are_registered(quickstart_plain):
    """The plain quickstart's prep already builds the pairs (tests/quickstart_runs.py)."""
    workdir = quickstart_plain.workdir
    stats = json.loads((workdir / "data/medqa/stats.json").read_text(encoding="utf-8"))
    preference = stats["preference"]
    assert preference["questions"]["multi_answer"] >= 200
    # enough held-out pairs for a win-rate that means something
    assert preference["pairs"]["train"] >= 300 and preference["pairs"]["val"] >= 30
    info = json.loads((workdir / "dataset_info.json").read_text(encoding="utf-8"))
    assert info["medqa_dpo_train"]["ranking"] is True
    pairs = jsonl(workdir / info["medqa_dpo_train"]["file_name"])
    assert len(pairs) == preference["pairs"]["train"]
    assert all(p["chosen"] != p["rejected"] and p["margin"] >= 1 for p in pairs)


@pytest.mark.slow
def test_sft_and_sft_dpo_side_by_side(quickstart_dpo):
    workdir, stdout = quickstart_dpo.workdir, quickstart_dpo.stdout
    runs = workdir / "data/eval/quickstart"
    # named for the tiny model it holds, not the shipped 7B configs' paths
    merged = workdir / "models/tiny-qwen2-medqa-dpo"
    assert (merged / "model.safetensors").stat().st_size > 0
    assert (workdir / "saves/tiny-qwen2/lora/dpo/adapter_model.safetensors").is_file()
    assert not (workdir / "saves/qwen2.5-7b-instruct").exists()
    assert not (workdir / "models/qwen2.5-7b-instruct-medqa-dpo").exists()
    report = (quickstart_dpo.report / "report.md").read_text(encoding="utf-8")
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
    assert "merged SFT+DPO model: models/tiny-qwen2-medqa-dpo" in stdout

"""`medqa check` on preference training: the shipped DPO chain passes, its pitfalls are caught."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from medqa.check import Level, check_configs
from medqa.check.dpo_rules import GPU_GIB_ENV, model_billions

PITFALLS = Path(__file__).parent / "pitfalls"
DPO_CHAIN = [
    "llamafactory_configs/qwen_lora.yaml",
    "llamafactory_configs/merge/qwen_lora_merge.yaml",
    "llamafactory_configs/qwen_lora_dpo.yaml",
    "llamafactory_configs/merge/qwen_lora_dpo_merge.yaml",
    "llamafactory_configs/inference/qwen_dpo_vllm.yaml",
    "llamafactory_configs/inference/qwen_dpo_hf.yaml",
]


def blocking(findings) -> list[str]:
    return [f.render() for f in findings if f.level in (Level.ERROR, Level.WARNING)]


def test_the_shipped_sft_then_dpo_chain_passes_on_a_24_gib_gpu(workspace, monkeypatch):
    monkeypatch.setenv(GPU_GIB_ENV, "24")  # LoRA DPO: the reference costs no memory
    assert blocking(check_configs(DPO_CHAIN)) == []


@pytest.mark.parametrize(
    ("fixture", "level", "code", "key", "words"),
    [
        ("dpo_not_ranking.yaml", Level.ERROR, "dpo-dataset-ranking", "dataset", '"ranking": true'),
        ("dpo_ranking_in_sft.yaml", Level.ERROR, "dpo-dataset-ranking", "dataset", "stage: dpo"),
        (
            "dpo_continues_sft_adapter.yaml",
            Level.WARNING,
            "dpo-reference-base",
            "adapter_name_or_path",
            "untuned base",
        ),
    ],
)
def test_dpo_pitfall_is_caught(workspace, fixture, level, code, key, words):
    findings = check_configs([str(PITFALLS / fixture)])
    matching = [f for f in findings if f.code == code and f.level == level]
    assert matching, [f.render() for f in findings]
    assert matching[0].key == key and words in matching[0].message + matching[0].fix


def test_a_reference_model_that_does_not_fit_is_an_error(workspace, monkeypatch):
    config = str(PITFALLS / "dpo_full_reference.yaml")
    monkeypatch.setenv(GPU_GIB_ENV, "80")
    found = [f for f in check_configs([config]) if f.code == "dpo-reference-memory"]
    assert found and found[0].level == Level.ERROR, found
    assert "GPU has 80 GiB" in found[0].message and "LoRA DPO" in found[0].fix
    # The same run fits once the reference costs nothing (simpo has none) or the GPU is larger.
    assert not [
        f for f in check_configs([config], ("pref_loss=simpo",)) if f.code == "dpo-reference-memory"
    ]
    monkeypatch.setenv(GPU_GIB_ENV, "640")
    assert not [f for f in check_configs([config]) if f.code == "dpo-reference-memory"]
    # Without a GPU to plan for the rule cannot run, and says so instead of passing in silence.
    monkeypatch.setenv(GPU_GIB_ENV, "eighty")
    found = [f for f in check_configs([config]) if f.code == "dpo-reference-memory"]
    assert [f.level for f in found] == [Level.SKIPPED], found
    assert "not checked" in found[0].message and f"{GPU_GIB_ENV}=80" in found[0].fix


def test_model_size_from_config_or_name(tiny_qwen2):
    assert model_billions("Qwen/Qwen2.5-7B-Instruct") == 7
    assert model_billions("Qwen/Qwen2.5-0.5B-Instruct") == 0.5
    assert 0 < model_billions(str(tiny_qwen2)) < 0.01  # read from its config.json


@pytest.mark.parametrize(
    ("run", "code", "key"),
    [
        ("run_dpo_template", "run-template", "template"),
        ("run_dpo_thinking", "run-enable-thinking", "enable_thinking"),
        ("run_dpo_quantized", "dpo-quantized-base", "model_name_or_path"),
    ],
)
def test_dpo_configs_must_agree_with_the_sft_run(workspace, run, code, key):
    configs = sorted(str(p) for p in (PITFALLS / run).glob("*.yaml"))
    found = [f for f in check_configs(configs) if f.code == code and f.level == Level.ERROR]
    assert found and found[0].key == key, [f.render() for f in check_configs(configs)]
    assert found[0].path.endswith("dpo.yaml")
    for config in configs[:2]:  # the SFT and merge files alone are fine: only the run disagrees
        assert code not in {f.code for f in check_configs([config]) if f.level == Level.ERROR}


@pytest.mark.parametrize(
    ("run", "code", "words"),
    [
        ("run_dpo_template", "run-template", "template 'default' differs from 'qwen'"),
        ("run_dpo_thinking", "run-enable-thinking", "enable_thinking True differs from False"),
    ],
)
def test_a_dpo_config_checked_alone_is_compared_with_the_sft_run_beside_it(
    workspace, run, code, words
):
    """`medqa check qwen_lora_dpo.yaml` without the SFT configs: the SFT run that writes its
    model (the merge's export_dir, and the training that merge reads) is found beside it."""
    dpo = str(PITFALLS / run / "3_dpo.yaml")
    found = [f for f in check_configs([dpo]) if f.code == code and f.level == Level.ERROR]
    assert found and words in found[0].message, [f.render() for f in check_configs([dpo])]
    assert found[0].path == dpo and "1_sft.yaml" in found[0].message


def test_the_shipped_dpo_config_alone_agrees_with_the_shipped_sft_run(workspace):
    for config in ("llamafactory_configs/qwen_lora_dpo.yaml", DPO_CHAIN[3]):
        findings = check_configs([config], ("bf16=false",))
        assert not [f for f in findings if f.code.startswith(("run-", "dpo-sft"))], findings


def test_a_local_model_no_config_beside_writes_is_said_to_be_unchecked(workspace, tiny_qwen2):
    dpo = "llamafactory_configs/qwen_lora_dpo.yaml"
    found = [
        f
        for f in check_configs([dpo], (f"model_name_or_path={tiny_qwen2}",))
        if f.code == "dpo-sft-run"
    ]
    assert found and found[0].level == Level.SKIPPED and "not compared" in found[0].message


def test_an_unreadable_config_beside_is_named_when_the_sft_run_is_not_found(
    workspace, tiny_qwen2, tmp_path
):
    dpo = tmp_path / "qwen_lora_dpo.yaml"
    shutil.copy("llamafactory_configs/qwen_lora_dpo.yaml", dpo)
    (tmp_path / "broken_sft.yaml").write_text("model_name_or_path: [unclosed\n", encoding="utf-8")
    found = [
        f
        for f in check_configs([str(dpo)], (f"model_name_or_path={tiny_qwen2}",))
        if f.code == "dpo-sft-run"
    ]
    assert found and found[0].level == Level.SKIPPED, found
    assert "1 YAML file(s) beside it not read" in found[0].message
    assert "broken_sft.yaml" in found[0].message

"""`medqa check`: shipped configs pass; every known pitfall is rejected with the right message."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from medqa.check import Level, check_configs
from tests.conftest import CONFIGS_DIR

PITFALLS = Path(__file__).parent / "pitfalls"
SHIPPED = sorted(p.relative_to(CONFIGS_DIR.parent) for p in CONFIGS_DIR.rglob("*.yaml"))


@pytest.fixture
def pitfall_workspace(workspace: Path) -> Path:
    """The workspace plus broken dataset entries and prep stats, for the dataset pitfalls."""
    info_path = workspace / "dataset_info.json"
    info = json.loads(info_path.read_text())
    alpaca = info["medqa_alpaca_train"]
    info["medqa_missing"] = {**alpaca, "file_name": "data/medqa/alpaca/never_written.jsonl"}
    info["medqa_empty"] = {**alpaca, "file_name": "data/empty.jsonl"}
    info["medqa_nosystem"] = {**alpaca, "file_name": "data/nosystem.jsonl"}
    info_path.write_text(json.dumps(info, ensure_ascii=False))
    (workspace / "data" / "empty.jsonl").write_text("")
    (workspace / "data" / "nosystem.jsonl").write_text(
        json.dumps(
            {"instruction": "头痛怎么办？", "input": "", "output": "多休息。"}, ensure_ascii=False
        )
        + "\n"
    )
    stats = {"length": {"tokens": {"total": {"p50": 600, "p95": 1800, "p99": 2600, "max": 4000}}}}
    (workspace / "data" / "medqa" / "stats.json").write_text(json.dumps(stats))
    return workspace


def codes(findings, level=Level.ERROR) -> set[str]:
    return {f.code for f in findings if f.level == level}


def test_every_shipped_config_passes(pitfall_workspace):
    assert len(SHIPPED) >= 16
    findings = check_configs([str(p) for p in SHIPPED])
    errors = [f.render() for f in findings if f.level in (Level.ERROR, Level.WARNING)]
    assert errors == []


@pytest.mark.parametrize(
    ("fixture", "code", "key", "words"),
    [
        ("dataset_undefined.yaml", "dataset-undefined", "dataset", "medqa_alpaca_trian"),
        ("dataset_file_missing.yaml", "dataset-file-missing", "dataset", "never_written.jsonl"),
        ("dataset_empty.yaml", "dataset-empty", "dataset", "no records"),
        ("dataset_columns.yaml", "dataset-columns", "dataset", "'system'"),
        ("dataset_info_missing.yaml", "dataset-info-missing", "dataset_dir", "Cannot open"),
        ("template_qwen3_on_qwen25.yaml", "template-mismatch", "template", "use template: qwen"),
        ("template_qwen3_on_2507.yaml", "template-mismatch", "template", "qwen3_nothink"),
        ("template_llama3_on_qwen.yaml", "template-mismatch", "template", "'llama3'"),
        ("merge_quantized.yaml", "merge-quantized", "quantization_bit", "unquantised base"),
        ("deepspeed_no_torchrun.yaml", "deepspeed-launch", "deepspeed", "FORCE_TORCHRUN=1"),
        ("packing_fa2_batch.yaml", "packing-batch", "per_device_train_batch_size", "steps: 16"),
        ("cutoff_too_short.yaml", "cutoff-len", "cutoff_len", "p95 1800"),
        ("unknown_key.yaml", "llamafactory-parser", "lora_rnak", "not used"),
    ],
)
def test_pitfall_is_rejected(pitfall_workspace, fixture, code, key, words):
    findings = check_configs([str(PITFALLS / fixture)])
    matching = [f for f in findings if f.code == code and f.level == Level.ERROR]
    assert matching, [f.render() for f in findings]
    assert matching[0].key == key
    assert words in matching[0].message + matching[0].fix


@pytest.mark.parametrize(
    ("run", "code", "key"),
    [
        ("run_thinking", "run-enable-thinking", "enable_thinking"),
        ("run_template", "run-template", "template"),
        ("run_rank", "vllm-lora-rank", "vllm_max_lora_rank"),
    ],
)
def test_configs_of_one_run_must_agree(pitfall_workspace, run, code, key):
    configs = sorted(str(p) for p in (PITFALLS / run).glob("*.yaml"))
    findings = check_configs(configs)
    matching = [f for f in findings if f.code == code]
    assert matching and matching[0].key == key, [f.render() for f in findings]
    # Each config alone is fine: only together do they disagree.
    for config in configs:
        assert code not in codes(check_configs([config]))


def test_vllm_rank_read_from_adapter_on_disk(pitfall_workspace):
    adapter = pitfall_workspace / "saves" / "run_rank"
    adapter.mkdir(parents=True)
    (adapter / "adapter_config.json").write_text(json.dumps({"r": 64, "peft_type": "LORA"}))
    findings = check_configs([str(PITFALLS / "run_rank" / "infer_vllm.yaml")])
    assert "vllm-lora-rank" in codes(findings)
    ok = check_configs([str(PITFALLS / "run_rank" / "infer_vllm.yaml")], ("vllm_max_lora_rank=64",))
    assert "vllm-lora-rank" not in codes(ok)


def test_deepspeed_launch_accepted_with_force_torchrun(pitfall_workspace, monkeypatch):
    monkeypatch.setenv("FORCE_TORCHRUN", "1")
    assert "deepspeed-launch" not in codes(
        check_configs([str(PITFALLS / "deepspeed_no_torchrun.yaml")])
    )


def test_hardware_needs_are_env_findings_not_errors(pitfall_workspace):
    """On a CPU machine a bf16 GPU config is valid but not runnable here: `env`, exit 0."""
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    findings = check_configs(["llamafactory_configs/qwen_lora.yaml"])
    assert "no-gpu" in codes(findings, Level.ENV)
    assert codes(findings) == set()


def _medqa(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("medqa")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_cli_exit_codes_and_json(pitfall_workspace):
    bad = str(PITFALLS / "template_qwen3_on_qwen25.yaml")
    result = _medqa(
        "check", "--json", "llamafactory_configs/qwen_lora.yaml", bad, cwd=pitfall_workspace
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert {f["code"] for f in report["findings"] if f["path"] == bad} == {"template-mismatch"}
    good = _medqa("check", "llamafactory_configs/qwen_lora.yaml", cwd=pitfall_workspace)
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.strip().splitlines()[-1].startswith("OK: 1 config(s); 0 error")
    strict = _medqa(
        "check",
        "--json",
        "--strict-env",
        "llamafactory_configs/qwen_lora.yaml",
        cwd=pitfall_workspace,
    )
    env_findings = [f for f in json.loads(strict.stdout)["findings"] if f["level"] == "env"]
    assert strict.returncode == (1 if env_findings else 0)


def test_unreadable_config_names_the_file(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("model_name_or_path: [unclosed\n")
    findings = check_configs([str(broken)])
    assert findings[0].code == "unreadable" and str(broken) in findings[0].message


def test_cutoff_len_unchecked_without_token_stats_says_skipped(workspace):
    """Prep without --tokenizer (as the README's by-hand commands run it): `skipped`, naming
    the flag that enables the rule, never a silent OK."""
    stats = {"length": {"chars": {"total": {"p95": 900}}}}
    (workspace / "data" / "medqa" / "stats.json").write_text(json.dumps(stats))
    result = _medqa(
        "check", str(PITFALLS / "cutoff_too_short.yaml"), "--set", "cutoff_len=64", cwd=workspace
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SKIPPED [cutoff-len] cutoff_len: cutoff_len not checked" in result.stdout
    assert "prepared without --tokenizer" in result.stdout and "--tokenizer" in result.stdout
    assert result.stdout.strip().splitlines()[-1].endswith("1 skipped")
    (workspace / "data" / "medqa" / "stats.json").unlink()
    findings = check_configs([str(PITFALLS / "cutoff_too_short.yaml")])
    skipped = [f for f in findings if f.level == Level.SKIPPED and f.code == "cutoff-len"]
    assert skipped and "no stats.json" in skipped[0].message


def test_vllm_rank_unknown_without_adapter_says_skipped(workspace):
    findings = check_configs([str(PITFALLS / "run_rank" / "infer_vllm.yaml")])
    [skipped] = [f for f in findings if f.level == Level.SKIPPED]
    assert skipped.code == "vllm-lora-rank" and "adapter_config.json does not exist" in (
        skipped.message
    )
    assert "medqa check TRAIN.yaml" in skipped.fix


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("binary.yaml", bytes(range(256)) * 8, "not UTF-8 text"),
        ("nul.yaml", b"model_name_or_path: a\x00b\n", "NUL byte"),
        ("flow_deep.yaml", b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n", "not valid YAML"),
        (
            "block_deep.yaml",
            "".join(f"{' ' * k}k{k}:\n" for k in range(3000)).encode() + b" " * 3000 + b"v\n",
            "",
        ),
        ("list.yaml", b"- a\n- b\n", "top level must be a mapping"),
    ],
)
def test_hostile_yaml_is_an_error_not_a_traceback(tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    result = _medqa("check", str(path), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"{path}: ERROR [unreadable]" in result.stdout and words in result.stdout


def test_yaml_values_read_as_llamafactory_reads_them(tmp_path):
    """`1e-4` is a float to OmegaConf (llamafactory-cli), a string to plain PyYAML 1.1."""
    from medqa.check.config import load_config

    path = tmp_path / "lr.yaml"
    path.write_text("learning_rate: 1e-4\nwarmup_ratio: 1.0e-1\nlora_rank: 16\nflag: true\n")
    args = load_config(path, ("weight_decay=5E-3", "lora_alpha=32")).args
    assert args == {
        "learning_rate": 1e-4,
        "warmup_ratio": 0.1,
        "lora_rank": 16,
        "flag": True,
        "weight_decay": 5e-3,
        "lora_alpha": 32,
    }


def test_a_sweep_file_is_read_as_a_sweep_not_as_a_training_config(pitfall_workspace):
    sweep = CONFIGS_DIR / "sweeps" / "lora_vs_qlora_scale.yaml"
    findings = check_configs([str(sweep)])
    assert [(f.level, f.code) for f in findings] == [(Level.SKIPPED, "sweep")]
    assert "qwen_lora.yaml" in findings[0].fix and "--dry-run" in findings[0].fix
    broken = pitfall_workspace / "broken_sweep.yaml"
    broken.write_text("methods: {lora: {train: missing.yaml}}\nscales: {10k: x}\n", encoding="utf-8")
    findings = check_configs([str(broken)])
    assert [(f.level, f.code) for f in findings] == [(Level.ERROR, "sweep")]
    assert "broken_sweep.yaml" in findings[0].message and "methods.lora" in findings[0].message

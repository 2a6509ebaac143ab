"""Run every check on a set of configs and collect the findings."""

from __future__ import annotations

from pathlib import Path

import yaml

from medqa.check.config import ConfigError, RunConfig, load_config
from medqa.check.dataset_rules import check_datasets
from medqa.check.dpo_rules import check_dpo_base_run, check_quantized_base_merge
from medqa.check.findings import Finding, Level
from medqa.check.lf_parse import environment_findings, parser_findings
from medqa.check.rules import SINGLE_CONFIG_RULES, check_vllm_lora_rank
from medqa.check.run_rules import check_group_lora_rank, check_run_consistency, feeds, run_groups


def check_one(cfg: RunConfig) -> list[Finding]:
    """All single-file checks: environment, LLaMA-Factory's parser, datasets and pitfalls."""
    found = environment_findings(cfg) + parser_findings(cfg) + check_datasets(cfg)
    for rule in SINGLE_CONFIG_RULES:
        found += rule(cfg)
    return found


def check_configs(paths: list[str | Path], overrides: tuple[str, ...] = ()) -> list[Finding]:
    """Check each config (with ``key=value`` overrides applied to all) and the runs they form."""
    configs, found = [], []
    for path in paths:
        if _is_sweep_file(path):
            found.append(_sweep_finding(path))
            continue
        try:
            configs.append(load_config(path, overrides))
        except ConfigError as exc:
            found.append(Finding(str(path), Level.ERROR, "unreadable", "(file)", str(exc)))
    for cfg in configs:
        found += check_one(cfg)
    grouped = run_groups(configs)
    in_groups = {id(c) for group in grouped for c in group}
    for group in grouped:
        found += check_run_consistency(group) + check_group_lora_rank(group)
        found += check_quantized_base_merge(group, feeds)
    for cfg in configs:
        if id(cfg) not in in_groups:
            found += check_vllm_lora_rank(cfg)
        found += check_dpo_base_run(cfg, configs, feeds)
    return _dedupe(found)


def _is_sweep_file(path: str | Path) -> bool:
    """A ``medqa sweep`` spec (top-level ``methods``, no model) rather than a LLaMA-Factory config."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return False  # load_config reports unreadable files with the reason
    return isinstance(raw, dict) and "methods" in raw and "model_name_or_path" not in raw


def _sweep_finding(path: str | Path) -> Finding:
    """A sweep file is validated as a sweep; its training configs are checked by naming them."""
    from medqa.sweep_spec import SweepError, load_sweep

    try:
        sweep = load_sweep(path)
    except SweepError as exc:
        return Finding(str(path), Level.ERROR, "sweep", "(file)", str(exc))
    configs = sorted({str(m.train) for m in sweep.methods})
    return Finding(
        str(path),
        Level.SKIPPED,
        "sweep",
        "(file)",
        f"a medqa sweep file ({len(sweep.methods)} methods), not a LLaMA-Factory config: "
        "its structure is valid; LLaMA-Factory's rules apply to the configs it names",
        f"medqa check {' '.join(configs)}; medqa sweep {path} --dry-run",
    )


def _dedupe(found: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for finding in found:
        if finding not in seen:
            seen.add(finding)
            out.append(finding)
    return out

"""Run every check on a set of configs and collect the findings."""

from __future__ import annotations

from pathlib import Path

from medqa.check.config import ConfigError, RunConfig, load_config
from medqa.check.dataset_rules import check_datasets
from medqa.check.dpo_rules import check_quantized_base_merge
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
    return _dedupe(found)


def _dedupe(found: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for finding in found:
        if finding not in seen:
            seen.add(finding)
            out.append(finding)
    return out

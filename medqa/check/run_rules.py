"""Rules across the configs of one run: train → merge/export → inference must agree."""

from __future__ import annotations

import os
from itertools import combinations

from medqa.check.config import EXPORT, TRAIN, RunConfig
from medqa.check.findings import Finding, Level
from medqa.check.rules import LF_DEFAULT_LORA_RANK, check_vllm_lora_rank

_LF_DEFAULT_ENABLE_THINKING = True


def _norm(path: object) -> str | None:
    return os.path.normpath(os.path.abspath(str(path))) if path else None


def _adapters(cfg: RunConfig) -> list[str]:
    value = cfg.get("adapter_name_or_path") or ""
    return [p for p in (_norm(part.strip()) for part in str(value).split(",")) if p]


def feeds(upstream: RunConfig, downstream: RunConfig) -> bool:
    """True when ``downstream`` loads what ``upstream`` writes (adapter, or merged model)."""
    if upstream.kind == TRAIN and upstream.get("finetuning_type", "lora") == "lora":
        return _norm(upstream.get("output_dir")) in _adapters(downstream)
    out = upstream.get("export_dir") if upstream.kind == EXPORT else upstream.get("output_dir")
    return upstream.kind in (TRAIN, EXPORT) and _norm(out) == _norm(
        downstream.get("model_name_or_path")
    )


def run_groups(configs: list[RunConfig]) -> list[list[RunConfig]]:
    """Configs connected by what they write and read, each group in the given order."""
    parent = list(range(len(configs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in combinations(range(len(configs)), 2):
        if feeds(configs[i], configs[j]) or feeds(configs[j], configs[i]):
            parent[root(j)] = root(i)
    groups: dict[int, list[RunConfig]] = {}
    for i, cfg in enumerate(configs):
        groups.setdefault(root(i), []).append(cfg)
    return [group for group in groups.values() if len(group) > 1]


def _thinking(cfg: RunConfig) -> bool:
    return bool(cfg.get("enable_thinking", _LF_DEFAULT_ENABLE_THINKING))


def check_run_consistency(
    group: list[RunConfig], reference: RunConfig | None = None
) -> list[Finding]:
    """Template and ``enable_thinking`` must be the same in every config of one run (compared
    with ``reference``, by default its first training config)."""
    reference = reference or next((c for c in group if c.kind == TRAIN), group[0])
    found = []
    for cfg in group:
        if cfg is reference:
            continue
        if cfg.get("template") != reference.get("template"):
            found.append(
                Finding(
                    str(cfg.path),
                    Level.ERROR,
                    "run-template",
                    "template",
                    f"template {cfg.get('template')!r} differs from {reference.get('template')!r} in "
                    f"{reference.path}: the model is prompted differently than it was trained (answers "
                    "drift and do not stop)",
                    f"use template: {reference.get('template')}",
                )
            )
        uses_thinking = str(reference.get("template", "")).startswith("qwen3")
        if uses_thinking and _thinking(cfg) != _thinking(reference):
            found.append(
                Finding(
                    str(cfg.path),
                    Level.ERROR,
                    "run-enable-thinking",
                    "enable_thinking",
                    f"enable_thinking {_thinking(cfg)} differs from {_thinking(reference)} in "
                    f"{reference.path} (LLaMA-Factory's default is true)",
                    f"set enable_thinking: {str(_thinking(reference)).lower()} in every config of this run",
                )
            )
    return found


def check_group_lora_rank(group: list[RunConfig]) -> list[Finding]:
    """vLLM LoRA rank against the rank the linked training config trains."""
    found = []
    for train in (c for c in group if c.kind == TRAIN):
        rank = int(train.get("lora_rank", LF_DEFAULT_LORA_RANK))
        for cfg in group:
            if feeds(train, cfg):
                found += check_vllm_lora_rank(cfg, trained_rank=rank)
    return found

"""Pitfall rules for one config: template family, merging onto a quantised model, DeepSpeed launch,
packing under FlashAttention-2, vLLM LoRA rank and ``cutoff_len`` against the data's token
lengths."""

from __future__ import annotations

import json
import os
from pathlib import Path

from medqa.check.config import EXPORT, INFER, TRAIN, RunConfig
from medqa.check.dataset_rules import dataset_files, dataset_names, load_dataset_info
from medqa.check.dpo_rules import check_dpo_reference
from medqa.check.findings import Finding, Level
from medqa.check.model_family import detect_family, is_quantized_checkpoint

LF_DEFAULT_LORA_RANK = 8
LF_DEFAULT_VLLM_MAX_LORA_RANK = 32


def check_template(cfg: RunConfig) -> list[Finding]:
    """``template`` is set and is the built-in template of the model's family."""
    where, template = str(cfg.path), cfg.get("template")
    family = detect_family(cfg.get("model_name_or_path"))
    if template is None:
        return [
            Finding(
                where,
                Level.WARNING,
                "template-missing",
                "template",
                "no template: LLaMA-Factory guesses one from the tokenizer's chat template, which may "
                "differ between train, export and serve",
                f"set template: {family.templates[0] if family and family.templates else 'qwen'}",
            )
        ]
    if family is None:
        return [
            Finding(
                where,
                Level.SKIPPED,
                "template-family",
                "template",
                f"template {template!r} not checked: the family of model "
                f"{cfg.get('model_name_or_path')!r} is unknown (no local config.json, and the "
                "name is not a known Qwen release)",
                "point model_name_or_path at the local model folder (its config.json tells), "
                "then check again",
            )
        ]
    if not family.templates or template in family.templates:
        return []
    why = ""
    if family.variant == "instruct-2507":
        why = (
            " (Instruct-2507 models never think; `qwen3` leaves <think> tags in answers after SFT)"
        )
    elif family.family == "qwen2" and template.startswith("qwen3"):
        why = " (Qwen2/2.5 has no thinking mode)"
    return [
        Finding(
            where,
            Level.ERROR,
            "template-mismatch",
            "template",
            f"template {template!r} does not match model {cfg.get('model_name_or_path')!r} "
            f"({family.describe()}){why}",
            f"use template: {family.templates[0]} in train, merge and inference configs alike",
        )
    ]


def check_quantized_merge(cfg: RunConfig) -> list[Finding]:
    """Merging a LoRA adapter must happen on the unquantised base model."""
    if cfg.kind != EXPORT or not cfg.get("adapter_name_or_path"):
        return []
    where = str(cfg.path)
    if cfg.get("quantization_bit") is not None:
        return [
            Finding(
                where,
                Level.ERROR,
                "merge-quantized",
                "quantization_bit",
                'merging a LoRA adapter onto a quantised model fails ("Cannot merge adapters to a '
                'quantized model") or loses precision',
                "remove quantization_bit: merge a QLoRA adapter onto the unquantised base model "
                "(bf16), then quantise the merged model separately if needed",
            )
        ]
    if is_quantized_checkpoint(cfg.get("model_name_or_path")):
        return [
            Finding(
                where,
                Level.ERROR,
                "merge-quantized",
                "model_name_or_path",
                f"{cfg.get('model_name_or_path')} is a quantised checkpoint; adapters cannot be merged into it",
                "point model_name_or_path at the original bf16 base model",
            )
        ]
    return []


def check_deepspeed(cfg: RunConfig) -> list[Finding]:
    """DeepSpeed needs a torchrun launch and a readable JSON whose ZeRO stage fits the options."""
    ds = cfg.get("deepspeed")
    if cfg.kind != TRAIN or not ds:
        return []
    where, found = str(cfg.path), []
    forced = os.environ.get("FORCE_TORCHRUN", cfg.launch_env.get("FORCE_TORCHRUN", "")).lower()
    if forced not in {"1", "true", "y", "yes"}:
        found.append(
            Finding(
                where,
                Level.ERROR,
                "deepspeed-launch",
                "deepspeed",
                "DeepSpeed training must be launched through torchrun; without FORCE_TORCHRUN=1 "
                'LLaMA-Factory stops with "Please use `FORCE_TORCHRUN=1` to launch DeepSpeed training"',
                f"launch with: FORCE_TORCHRUN=1 llamafactory-cli train {cfg.path} (and document that "
                "line in the config's header comment)",
            )
        )
    try:
        stage = json.loads(Path(ds).read_text("utf-8")).get("zero_optimization", {}).get("stage")
    except (OSError, ValueError) as exc:
        return found + [
            Finding(
                where,
                Level.ERROR,
                "deepspeed-file",
                "deepspeed",
                f"cannot read {ds}: {exc}",
                "paths are relative to the current directory: run from the repository root",
            )
        ]
    for key in ("pure_bf16", "predict_with_generate"):
        if stage == 3 and cfg.get(key):
            found.append(
                Finding(
                    where,
                    Level.ERROR,
                    "deepspeed-zero3",
                    key,
                    f"{key} is incompatible with DeepSpeed ZeRO-3",
                    f"set {key}: false or use a ZeRO-2 config",
                )
            )
    return found


def check_packing_batch(cfg: RunConfig) -> list[Finding]:
    """``neat_packing`` under FlashAttention-2 takes one packed sequence per device step."""
    if cfg.kind != TRAIN or not cfg.get("neat_packing") or cfg.get("flash_attn") != "fa2":
        return []
    batch = int(cfg.get("per_device_train_batch_size", 1))
    if batch <= 1:
        return []
    accumulation = int(cfg.get("gradient_accumulation_steps", 1))
    return [
        Finding(
            str(cfg.path),
            Level.ERROR,
            "packing-batch",
            "per_device_train_batch_size",
            f"neat_packing with flash_attn: fa2 needs per_device_train_batch_size: 1, not {batch}: "
            'LLaMA-Factory stops at the first step with "bsz should be 1 for neat packing"',
            f"set per_device_train_batch_size: 1 and gradient_accumulation_steps: "
            f"{batch * accumulation} (the same tokens per optimizer step), or flash_attn: auto (sdpa)",
        )
    ]


def check_cutoff_len(cfg: RunConfig) -> list[Finding]:
    """``cutoff_len`` against the token-length p95 in the stats.json that ``medqa prep`` writes;
    ``skipped`` (saying how to get token stats) for a dataset that has none."""
    if cfg.kind != TRAIN or not cfg.get("do_train"):
        return []
    cutoff = int(cfg.get("cutoff_len", 2048))
    found = []
    for name, stats_path, p95 in _token_p95s(cfg):
        if p95 is None:
            found.append(_cutoff_skipped(cfg, name, stats_path))
            continue
        if cutoff >= p95:
            continue
        level = Level.ERROR if cutoff < p95 / 2 else Level.WARNING
        found.append(
            Finding(
                str(cfg.path),
                level,
                "cutoff-len",
                "cutoff_len",
                f"cutoff_len {cutoff} is below the data's token-length p95 {p95:.0f} ({stats_path}): "
                "more than 5% of examples will be truncated",
                f"set cutoff_len to at least {int(p95)} (or filter long records in the recipe)",
            )
        )
    return found


def _cutoff_skipped(cfg: RunConfig, name: str, stats_path: Path | None) -> Finding:
    tokenizer = cfg.get("model_name_or_path") or "PATH/TO/TOKENIZER"
    if stats_path is None:
        why = f"dataset {name!r} has no stats.json beside its files (not a `medqa prep` output)"
    else:
        why = f"{stats_path} has no token lengths (prepared without --tokenizer)"
    return Finding(
        str(cfg.path),
        Level.SKIPPED,
        "cutoff-len",
        "cutoff_len",
        f"cutoff_len not checked against {name!r}: {why}",
        f"medqa prep run --input … --tokenizer {tokenizer} (a local tokenizer path), "
        "then check again",
    )


def _token_p95s(cfg: RunConfig) -> list[tuple[str, Path | None, float | None]]:
    """``(dataset, stats.json or None, token p95 or None)`` for each registered train dataset
    with files on disk (missing ones are the dataset rules' errors)."""
    try:
        info = load_dataset_info(cfg.dataset_dir) or {}
    except (ValueError, OSError):
        return []
    out = []
    for key, name in dataset_names(cfg):
        entry = info.get(name)
        if key != "dataset" or not isinstance(entry, dict) or "file_name" not in entry:
            continue
        files = dataset_files(cfg.dataset_dir, entry)
        if not files or not files[0].is_file():
            continue
        stats = _stats_near(files[0])
        p95 = _nested(stats[1], "length", "tokens", "total", "p95") if stats else None
        number = float(p95) if isinstance(p95, int | float) else None
        out.append((name, stats[0] if stats else None, number))
    return out


def _stats_near(data_file: Path) -> tuple[Path, dict] | None:
    for folder in list(data_file.parents)[:3]:
        candidate = folder / "stats.json"
        if candidate.is_file():
            try:
                return candidate, json.loads(candidate.read_text("utf-8"))
            except ValueError:
                return None
    return None


def _nested(data: dict, *keys: str):
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def adapter_rank(adapter_path: str | None) -> int | None:
    """LoRA rank ``r`` from an adapter folder's adapter_config.json, if it exists."""
    if not adapter_path:
        return None
    try:
        return int(json.loads((Path(adapter_path) / "adapter_config.json").read_text("utf-8"))["r"])
    except (OSError, ValueError, KeyError):
        return None


def check_vllm_lora_rank(cfg: RunConfig, trained_rank: int | None = None) -> list[Finding]:
    """vLLM refuses LoRA adapters whose rank exceeds ``vllm_max_lora_rank`` (default 32);
    ``skipped`` when the adapter's rank is unknown (not on disk, no train config given)."""
    adapter = cfg.get("adapter_name_or_path")
    if cfg.kind != INFER or cfg.get("infer_backend") != "vllm" or not adapter:
        return []
    rank = adapter_rank(adapter) or trained_rank
    limit = int(cfg.get("vllm_max_lora_rank", LF_DEFAULT_VLLM_MAX_LORA_RANK))
    if rank is None:
        return [
            Finding(
                str(cfg.path),
                Level.SKIPPED,
                "vllm-lora-rank",
                "vllm_max_lora_rank",
                f"LoRA rank not checked against vllm_max_lora_rank {limit}: "
                f"{Path(adapter) / 'adapter_config.json'} does not exist yet",
                f"check again once the adapter is trained, or now with its train config: "
                f"medqa check TRAIN.yaml {cfg.path}",
            )
        ]
    if rank <= limit:
        return []
    return [
        Finding(
            str(cfg.path),
            Level.ERROR,
            "vllm-lora-rank",
            "vllm_max_lora_rank",
            f"adapter {adapter} has LoRA rank {rank} but vllm_max_lora_rank is {limit}: vLLM refuses it",
            f"set vllm_max_lora_rank: {rank} (or larger), or serve the merged model",
        )
    ]


SINGLE_CONFIG_RULES = (
    check_dpo_reference,
    check_template,
    check_quantized_merge,
    check_deepspeed,
    check_packing_batch,
    check_cutoff_len,
)

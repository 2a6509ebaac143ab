"""Preference-training pitfalls (DPO / ORPO / SimPO with LLaMA-Factory).

- a dataset without ``"ranking": true`` under ``stage: dpo`` (LLaMA-Factory fails after loading the
  model: "The dataset is not applicable in the current training stage"), or a ranking one under SFT;
- ranking files whose lines lack ``chosen`` / ``rejected``;
- LoRA DPO that continues the SFT adapter: the reference model is then the untuned base;
- a reference model that will not fit: full-parameter DPO (or an explicit ``ref_model``) loads a
  second frozen copy — estimated against this machine's GPU, or ``MEDQA_CHECK_GPU_GIB`` (plan for
  a GPU you do not have here);
- a LoRA adapter trained on a quantised export (``export_quantization_bit``) and merged afterwards.
- a template or ``enable_thinking`` different from the SFT run it builds on: among the configs
  checked together (the run rules link the SFT merge's ``export_dir`` to the DPO model), or, when
  the DPO config is checked without them, among the YAML files beside it (its folder and below).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from medqa.check.config import EXPORT, TRAIN, ConfigError, RunConfig, load_config
from medqa.check.findings import Finding, Level

PREFERENCE_STAGES = ("dpo", "rm")  # LLaMA-Factory loads these with stage="rm": ranking only
_NO_REFERENCE_LOSSES = ("orpo", "simpo")
GPU_GIB_ENV = "MEDQA_CHECK_GPU_GIB"
_SIZE_IN_NAME = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*[bB](?![a-zA-Z])")


def stage_of(cfg: RunConfig) -> str:
    return str(cfg.get("stage", "sft"))


def uses_reference(cfg: RunConfig) -> bool:
    """True when LLaMA-Factory computes reference log-probabilities (DPO with a ref-based loss)."""
    return stage_of(cfg) == "dpo" and cfg.get("pref_loss", "sigmoid") not in _NO_REFERENCE_LOSSES


def ranking_stage_problem(cfg: RunConfig, key: str, name: str, entry: dict) -> Finding | None:
    """A dataset whose ``ranking`` flag does not suit the config's stage."""
    stage, ranking = stage_of(cfg), bool(entry.get("ranking"))
    if (stage in PREFERENCE_STAGES) == ranking:
        return None
    if ranking:
        message = (
            f"dataset {name!r} is a ranking (preference) dataset but stage is {stage!r}: "
            'LLaMA-Factory raises "The dataset is not applicable in the current training stage"'
        )
        fix = "use stage: dpo for preference pairs, or an SFT dataset (e.g. medqa_alpaca_train)"
    else:
        message = (
            f"stage {stage!r} trains on preference pairs but dataset {name!r} has no "
            '"ranking": true: LLaMA-Factory raises "The dataset is not applicable in the current '
            'training stage" after loading the model'
        )
        fix = "use the pairs `medqa prep run` writes (medqa_dpo_train / medqa_dpo_val)"
    return Finding(str(cfg.path), Level.ERROR, "dpo-dataset-ranking", key, message, fix)


def ranking_columns_problem(file: Path, records: list, entry: dict) -> tuple[str, str] | None:
    """A ranking file's lines must carry the prompt and both answers."""
    columns = entry.get("columns", {})
    chosen, rejected = columns.get("chosen", "chosen"), columns.get("rejected", "rejected")
    sharegpt = entry.get("formatting", "alpaca") == "sharegpt"
    prompt = (
        columns.get("messages", "conversations")
        if sharegpt
        else columns.get("prompt", "instruction")
    )
    for number, record in enumerate(records, start=1):
        for role, column in (("prompt", prompt), ("chosen", chosen), ("rejected", rejected)):
            value = record.get(column)
            wanted = (list if role == "prompt" else dict) if sharegpt else str
            if not isinstance(value, wanted):
                return "dataset-columns", (
                    f"{file} record {number}: {column!r} ({role} column of a ranking dataset) is "
                    f"{type(value).__name__ if column in record else 'missing'}, expected "
                    f"{wanted.__name__}"
                )
    return None


def check_dpo_reference(cfg: RunConfig) -> list[Finding]:
    """LoRA DPO continuing an SFT adapter, and a reference copy that will not fit the GPU."""
    if cfg.kind != TRAIN or not uses_reference(cfg):
        return []
    found = []
    lora = cfg.get("finetuning_type", "lora") == "lora"
    if lora and cfg.get("adapter_name_or_path") and not cfg.get("ref_model"):
        found.append(
            Finding(
                str(cfg.path),
                Level.WARNING,
                "dpo-reference-base",
                "adapter_name_or_path",
                "LoRA DPO continuing the adapter "
                f"{cfg.get('adapter_name_or_path')}: the reference model is the policy with its "
                "adapter switched off, i.e. the untuned base, not the SFT model",
                "merge the SFT adapter first (merge/qwen_lora_merge.yaml) and train DPO on the "
                "merged model, or set ref_model + ref_model_adapters to the SFT run",
            )
        )
    found += _reference_memory(cfg, lora)
    return found


def _reference_memory(cfg: RunConfig, lora: bool) -> list[Finding]:
    loads_copy = bool(cfg.get("ref_model")) or not lora
    if not loads_copy or cfg.get("deepspeed"):
        return []  # LoRA: the reference is the same weights; ZeRO shards it over the GPUs
    billions = model_billions(cfg.get("model_name_or_path"))
    gpu = gpu_gib()
    if billions is None or gpu is None:
        return [_reference_memory_skipped(cfg, billions is None)]
    policy = billions * (2 if lora else 16)  # bf16 weights; full: + fp32 master, Adam, grads
    if lora and cfg.get("quantization_bit"):
        policy = billions * 0.5
    ref_bits = cfg.get("ref_model_quantization_bit")
    ref_b = model_billions(cfg.get("ref_model")) or billions
    reference = ref_b * (0.5 if ref_bits else 2)
    need = (policy + reference) * 1e9 / 2**30
    if need <= gpu:
        return []
    return [
        Finding(
            str(cfg.path),
            Level.ERROR,
            "dpo-reference-memory",
            "ref_model" if cfg.get("ref_model") else "finetuning_type",
            f"the policy (~{policy * 1e9 / 2**30:.0f} GiB) and the frozen reference model "
            f"(~{reference * 1e9 / 2**30:.0f} GiB) of this {billions:g}B DPO run need ~{need:.0f} GiB "
            f"before activations; the GPU has {gpu:.0f} GiB",
            "use LoRA DPO on the merged SFT model (the reference then costs nothing), pref_loss: "
            "simpo or orpo (no reference), ref_model_quantization_bit: 4, or DeepSpeed ZeRO-3",
        )
    ]


def _reference_memory_skipped(cfg: RunConfig, size_unknown: bool) -> Finding:
    """The reference-memory rule could not run: say why and how to make it run."""
    if size_unknown:
        why = (
            f"the size of {cfg.get('model_name_or_path')!r} is unknown (no config.json there and "
            "no size such as 7B in its name)"
        )
        fix = "check it where the model is on disk, or name it with its size (Qwen2.5-7B)"
    else:
        why = f"this machine has no GPU (or {GPU_GIB_ENV} is not a number)"
        fix = f"plan for the training GPU: {GPU_GIB_ENV}=80 medqa check {cfg.path}"
    return Finding(
        str(cfg.path),
        Level.SKIPPED,
        "dpo-reference-memory",
        "ref_model" if cfg.get("ref_model") else "finetuning_type",
        f"whether the policy and the frozen reference model fit the GPU was not checked: {why}",
        fix,
    )


def model_billions(model: str | None) -> float | None:
    """Parameters in billions: from a local config.json, else a size in the name ("7B")."""
    if not model:
        return None
    try:
        config = json.loads((Path(model) / "config.json").read_text("utf-8"))
    except (OSError, ValueError):
        config = None
    if isinstance(config, dict) and config.get("hidden_size") and config.get("num_hidden_layers"):
        hidden, layers = int(config["hidden_size"]), int(config["num_hidden_layers"])
        inner = int(config.get("intermediate_size") or 4 * hidden)
        vocab = int(config.get("vocab_size") or 0)
        embed = vocab * hidden * (1 if config.get("tie_word_embeddings") else 2)
        return (layers * (4 * hidden * hidden + 3 * hidden * inner) + embed) / 1e9
    match = _SIZE_IN_NAME.search(Path(str(model)).name)
    return float(match.group(1)) if match else None


def gpu_gib() -> float | None:
    """GPU memory to plan for: ``MEDQA_CHECK_GPU_GIB``, else the first local GPU's, else None."""
    value = os.environ.get(GPU_GIB_ENV)
    if value:
        try:
            return float(value)
        except ValueError:
            return None
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    return torch.cuda.get_device_properties(0).total_memory / 2**30


def check_quantized_base_merge(group: list[RunConfig], feeds) -> list[Finding]:
    """A LoRA run whose base is a quantised export, merged afterwards: the merge must fail."""
    found = []
    for export in (c for c in group if c.kind == EXPORT and c.get("export_quantization_bit")):
        for train in (c for c in group if c.kind == TRAIN and feeds(export, c)):
            if not any(c.kind == EXPORT and feeds(train, c) for c in group):
                continue
            found.append(
                Finding(
                    str(train.path),
                    Level.ERROR,
                    "dpo-quantized-base",
                    "model_name_or_path",
                    f"{stage_of(train)} trains on {train.get('model_name_or_path')}, which "
                    f"{export.path} exports quantised (export_quantization_bit "
                    f"{export.get('export_quantization_bit')}); merging its adapter afterwards fails "
                    '("Cannot merge adapters to a quantized model")',
                    "export the SFT merge unquantised (drop export_quantization_bit), train on "
                    "it (quantization_bit: 4 for QLoRA), merge, and quantise the final model last",
                )
            )
    return found


SIBLING_CONFIGS_MAX = 200  # YAML files read beside a DPO config to find the SFT run it builds on


def is_preference_training(cfg: RunConfig) -> bool:
    return cfg.kind == TRAIN and stage_of(cfg) in (*PREFERENCE_STAGES, "kto")


def _configs_beside(cfg: RunConfig) -> tuple[list[RunConfig], list[str]]:
    """The LLaMA-Factory configs in ``cfg``'s folder and below, and the YAML files there that
    were not read (unparsable, or past :data:`SIBLING_CONFIGS_MAX`)."""
    found, unread = [], []
    paths = sorted(Path(cfg.path).parent.rglob("*.yaml"))
    for index, path in enumerate(paths):
        if path.resolve() == Path(cfg.path).resolve():
            continue
        if index >= SIBLING_CONFIGS_MAX:
            unread.append(str(path))
            continue
        try:
            found.append(load_config(path))
        except ConfigError:
            unread.append(str(path))
    return found, unread


def check_dpo_base_run(cfg: RunConfig, given: list[RunConfig], feeds) -> list[Finding]:
    """A preference run checked without the SFT run it builds on: find that run beside it (the
    config whose export writes its model, and the training that export merges) and compare the
    template and ``enable_thinking``; say so when it cannot be found."""
    from medqa.check.run_rules import check_run_consistency

    if not is_preference_training(cfg):
        return []
    if any(feeds(other, cfg) for other in given if other is not cfg):
        return []  # the SFT run is among the configs checked: the run rules compare them
    beside, unread = _configs_beside(cfg)
    upstream = [c for c in beside if feeds(c, cfg)]
    trains = [t for u in upstream for t in beside if t.kind == TRAIN and feeds(t, u)]
    reference = (trains or upstream or [None])[0]
    if reference is None:
        if not Path(str(cfg.get("model_name_or_path") or "")).exists():
            return []  # a hub model (DPO straight on an Instruct checkpoint): no SFT run
        return [
            Finding(
                str(cfg.path),
                Level.SKIPPED,
                "dpo-sft-run",
                "model_name_or_path",
                f"no config beside {cfg.path} writes the local model "
                f"{cfg.get('model_name_or_path')}, so the template and enable_thinking of the SFT "
                "run it builds on were not compared"
                + (
                    f" ({len(unread)} YAML file(s) beside it not read: {', '.join(unread[:3])})"
                    if unread
                    else ""
                ),
                "check it together with the SFT configs: medqa check SFT.yaml MERGE.yaml "
                f"{cfg.path}",
            )
        ]
    return check_run_consistency([reference, cfg], reference=reference)

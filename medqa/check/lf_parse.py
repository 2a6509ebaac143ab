"""Run LLaMA-Factory's own argument parsers on a config, without loading any weights.

LLaMA-Factory's parser mixes two kinds of failure: a wrong config (unknown key, incompatible
options) and a machine that cannot run it (no GPU for ``bf16``, ``vllm`` or ``deepspeed`` not
installed). We report the second kind as ``env`` findings from our own probes and parse a copy of
the config with those hardware keys neutralised, so what the parser still rejects is the config.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import os
from typing import Any

from medqa.check.config import TRAIN, RunConfig
from medqa.check.findings import Finding, Level

# key -> value that any machine accepts; hardware needs are reported separately.
_NEUTRAL = {
    "bf16": False,
    "fp16": False,
    "pure_bf16": False,
    "enable_liger_kernel": False,
    "use_unsloth": False,
    "infer_backend": "huggingface",
    "deepspeed": None,
}

# (config key, truthy value test, python module, pip name)
_PACKAGES = [
    ("enable_liger_kernel", bool, "liger_kernel", "liger-kernel"),
    ("deepspeed", bool, "deepspeed", "deepspeed"),
    ("infer_backend", lambda v: v == "vllm", "vllm", "vllm (pip install -e '.[vllm]')"),
    ("infer_backend", lambda v: v == "sglang", "sglang", "sglang"),
    ("use_unsloth", bool, "unsloth", "unsloth"),
    ("quantization_bit", lambda v: v is not None, "bitsandbytes", "bitsandbytes"),
    ("flash_attn", lambda v: v == "fa2", "flash_attn", "flash-attn"),
]


def _has_gpu() -> bool:
    import torch

    return torch.cuda.is_available()


def environment_findings(cfg: RunConfig) -> list[Finding]:
    """What this machine lacks to run ``cfg`` as written (packages, GPU)."""
    found = []
    for key, wants, module, pip_name in _PACKAGES:
        value = cfg.get(key)
        if value is not None and wants(value) and importlib.util.find_spec(module) is None:
            fix = f"pip install {pip_name}"
            if key == "flash_attn":
                fix += (
                    ", or use `flash_attn: auto` (PyTorch sdpa, what fa2 falls back to without it)"
                )
            elif key == "enable_liger_kernel":
                fix += ", or set enable_liger_kernel: false"
            found.append(
                Finding(str(cfg.path), Level.ENV, "missing-package", key, f"needs {module}", fix)
            )
    needs_gpu = [k for k in ("bf16", "fp16", "pure_bf16") if cfg.get(k)]
    if needs_gpu and cfg.kind == TRAIN and not cfg.get("use_cpu") and not _has_gpu():
        found.append(
            Finding(
                str(cfg.path),
                Level.ENV,
                "no-gpu",
                needs_gpu[0],
                "mixed precision needs a GPU; this machine has none",
                "run on a GPU, or for a CPU smoke test add `bf16=false use_cpu=true`",
            )
        )
    return found


def neutralised_args(args: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``args`` with the hardware/package keys set to values any machine accepts."""
    out = dict(args)
    for key, value in _NEUTRAL.items():
        if key in out:
            if value is None:
                out.pop(key)
            else:
                out[key] = value
    return out


def _quiet_parse(parse, args: dict[str, Any]) -> None:
    loggers = [logging.getLogger(n) for n in ("llamafactory", "transformers")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    saved_env = dict(os.environ)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            parse(args)
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def parser_findings(cfg: RunConfig) -> list[Finding]:
    """Findings from LLaMA-Factory's own parser (``get_train_args`` or ``get_infer_args``)."""
    try:
        from llamafactory.hparams import get_infer_args, get_train_args
    except ImportError as exc:
        return [
            Finding(
                str(cfg.path),
                Level.SKIPPED,
                "llamafactory-parser",
                "(config)",
                f"LLaMA-Factory's own parser not run: it cannot be imported ({exc})",
                "pip install -e '.[train]' (LLaMA-Factory 0.9.5), then check again",
            )
        ]

    parse = get_train_args if cfg.kind == TRAIN else get_infer_args
    args = neutralised_args(cfg.args)
    if cfg.kind == TRAIN:
        # Parsing must not depend on which outputs already exist on this machine.
        args.setdefault("overwrite_output_dir", True)
    try:
        _quiet_parse(parse, args)
    except (ValueError, TypeError, ImportError, KeyError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [
            Finding(
                str(cfg.path),
                Level.ERROR,
                "llamafactory-parser",
                _key_named_in(message, args),
                f"LLaMA-Factory rejects this config: {message}",
                "see the key named above; keys and values are those of LLaMA-Factory 0.9.5",
            )
        ]
    return []


def _key_named_in(message: str, args: dict[str, Any]) -> str:
    for key in sorted(args, key=len, reverse=True):
        if key in message:
            return key
    if "not used by the HfArgumentParser" in message:
        return message.split(":", 1)[-1].strip()
    return "(config)"

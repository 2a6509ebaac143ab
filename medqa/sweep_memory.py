"""A GPU-memory estimate for one training cell, from the model's shape and the config's keys.

An estimate, not a measurement: weights (bf16, or NF4 + bf16 embeddings for QLoRA), trainable
parameters with fp32 master, gradient and two Adam moments (16 bytes each), activations under
gradient checkpointing (every layer's input kept, one layer recomputed), fp32 logits unless Liger's
fused cross-entropy is on, a CUDA context and 5% fragmentation. Calibrated against the README's
figures for Qwen2.5-7B at cutoff 2048, batch 2: LoRA ~19 GB, QLoRA ~9 GB.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GIB = 2**30
CUDA_CONTEXT_GIB = 1.0
FRAGMENTATION = 1.05
NF4_BYTES = 0.53  # 4-bit weights + double-quantised block constants


@dataclass(frozen=True)
class Shape:
    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    vocab: int
    tied: bool
    head_dim: int | None = None

    @property
    def dim(self) -> int:
        return self.head_dim or self.hidden // self.heads

    def linear_shapes(self) -> list[tuple[int, int]]:
        """(in, out) of the seven linear layers LoRA's `all` targets in one decoder layer."""
        q, kv, h, i = (
            self.heads * self.dim,
            self.kv_heads * self.dim,
            self.hidden,
            self.intermediate,
        )
        return [(h, q), (h, kv), (h, kv), (q, h), (h, i), (h, i), (i, h)]

    def embedding_params(self) -> int:
        return self.vocab * self.hidden * (1 if self.tied else 2)

    def linear_params(self) -> int:
        return self.layers * sum(a * b for a, b in self.linear_shapes())


# Public config.json values of the usual Qwen checkpoints (hub ids cannot be read offline).
KNOWN_SHAPES = {
    "qwen2.5-0.5b": Shape(896, 4864, 24, 14, 2, 151936, True),
    "qwen2.5-1.5b": Shape(1536, 8960, 28, 12, 2, 151936, True),
    "qwen2.5-3b": Shape(2048, 11008, 36, 16, 2, 151936, True),
    "qwen2.5-7b": Shape(3584, 18944, 28, 28, 4, 152064, False),
    "qwen2.5-14b": Shape(5120, 13824, 48, 40, 8, 152064, False),
    "qwen2.5-32b": Shape(5120, 27648, 64, 40, 8, 152064, False),
    "qwen3-4b": Shape(2560, 9728, 36, 32, 8, 151936, True, 128),
    "qwen3-8b": Shape(4096, 12288, 36, 32, 8, 151936, False, 128),
    "qwen3-14b": Shape(5120, 17408, 40, 40, 8, 151936, False, 128),
}


def model_shape(model: str) -> Shape | None:
    """The shape of a local model folder (its config.json) or of a known hub id; None if unknown."""
    config = Path(model) / "config.json"
    if config.is_file():
        c = json.loads(config.read_text(encoding="utf-8"))
        return Shape(
            c["hidden_size"],
            c["intermediate_size"],
            c["num_hidden_layers"],
            c["num_attention_heads"],
            c.get("num_key_value_heads") or c["num_attention_heads"],
            c["vocab_size"],
            bool(c.get("tie_word_embeddings")),
            c.get("head_dim"),
        )
    name = model.rsplit("/", 1)[-1].lower()
    for prefix, shape in KNOWN_SHAPES.items():
        if re.match(re.escape(prefix) + r"(\b|-|_|$)", name):
            return shape
    return None


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("true", "1", "yes")


def estimate_train_gib(shape: Shape, config: dict[str, Any], gpus: int = 1) -> float:
    """Peak GPU memory (GiB per GPU) of training with ``config`` (a merged LLaMA-Factory dict)."""
    method = str(config.get("finetuning_type", "lora"))
    batch = int(config.get("per_device_train_batch_size", 1))
    seq = int(config.get("cutoff_len", 2048))
    rank = int(config.get("lora_rank", 8))
    quantised = config.get("quantization_bit") not in (None, "null", "None")
    embeddings, linear = shape.embedding_params(), shape.linear_params()
    if method == "full":
        # bf16 weights + bf16 grads + fp32 master and Adam moments, sharded by ZeRO-3 over the GPUs
        states = (embeddings + linear) * 16 / gpus
    else:
        weights = embeddings * 2 + linear * (NF4_BYTES if quantised else 2)
        trainable = shape.layers * sum(rank * (a + b) for a, b in shape.linear_shapes())
        states = weights + trainable * 16
    checkpointed = not _truthy(config.get("disable_gradient_checkpointing", False))
    per_layer = batch * seq * (10 * shape.hidden + 3 * shape.intermediate) * 2
    kept = batch * seq * shape.hidden * 2 * shape.layers
    activations = kept + per_layer if checkpointed else per_layer * shape.layers
    logits = 0 if _truthy(config.get("enable_liger_kernel")) else batch * seq * shape.vocab * 4 * 2
    return (states + activations + logits) / GIB * FRAGMENTATION + CUDA_CONTEXT_GIB

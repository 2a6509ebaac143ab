"""Build tiny, random-initialised Qwen2 / Qwen3 causal LMs offline, for CPU tests and demos.

The model is useless as a doctor but structurally a Qwen: Qwen2/Qwen3 architecture, a byte-level BPE
tokenizer trained on the project's own sample text that carries Qwen's special tokens and the ChatML
chat template, saved with ``save_pretrained``. LLaMA-Factory's built-in ``qwen``, ``qwen3`` and
``qwen3_nothink`` templates work on it unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

QWEN_SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Qwen2.5/Qwen3 tokenizers carry these as added (non-special) tokens.
QWEN_ADDED_TOKENS = ["<think>", "</think>", "<tool_call>", "</tool_call>"]
QWEN2_DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."

_CHATML_QWEN2 = (
    "{%- if messages[0]['role'] != 'system' %}"
    "{{- '<|im_start|>system\\n" + QWEN2_DEFAULT_SYSTEM + "<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
_CHATML_QWEN3 = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}"
    "{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}"
    "{%- endif %}"
)


@dataclass(frozen=True)
class TinyModelSpec:
    """Shape of the tiny model. ``family`` is ``qwen2`` or ``qwen3``.

    ``instruct`` mimics an Instruct checkpoint (eos ``<|im_end|>``); ``False`` mimics a base
    checkpoint whose generation config stops on ``<|endoftext|>`` only — the mismatch behind the
    "keeps writing the next user turn" bug that LLaMA-Factory's ``qwen`` template must repair.
    """

    family: str = "qwen2"
    instruct: bool = True
    hidden_size: int = 64
    num_layers: int = 2
    num_heads: int = 4
    num_kv_heads: int = 2
    vocab_size: int = 2048
    max_positions: int = 2048
    seed: int = 0
    # Steps of causal-LM training on the bundled corpus (its patient/doctor pairs in ChatML), so the
    # model writes Chinese doctor-like text and ends turns with <|im_end|> instead of noise. 0: random.
    pretrain_steps: int = 0
    # Text or JSONL files whose text the tokenizer also learns from (not the model): with every
    # character of the data in the vocabulary, no character is split into byte tokens, so answers
    # cannot decode to broken UTF-8 (U+FFFD) and sequences stay short. Raise vocab_size with them.
    tokenizer_files: tuple[str, ...] = ()


def _corpus_lines() -> list[str]:
    text = resources.files("medqa.resources").joinpath("tiny_corpus.txt").read_text("utf-8")
    return [line for line in text.splitlines() if line.strip()]


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def tokenizer_lines(paths: tuple[str, ...]) -> list[str]:
    """Every line of text in ``paths`` (for JSONL: every string value of every record)."""
    lines: list[str] = []
    for path in map(Path, paths):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".jsonl":
            lines += [
                s for line in text.splitlines() if line.strip() for s in _strings(json.loads(line))
            ]
        else:
            lines += text.splitlines()
    return [line for line in lines if line.strip()]


def build_tokenizer(spec: TinyModelSpec):
    """Train a byte-level BPE on the bundled corpus and wrap it as a Qwen-style fast tokenizer."""
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        trainers,
    )
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.normalizer = normalizers.NFC()
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    if spec.tokenizer_files:
        # Each Han character its own piece before byte-level BPE: merges never cross a character,
        # so every learned token is whole characters and generation cannot split one.
        han = pre_tokenizers.Split(Regex(r"\p{Han}"), behavior="isolated")
        bpe.pre_tokenizer = pre_tokenizers.Sequence([han, byte_level])
    else:
        bpe.pre_tokenizer = byte_level
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=spec.vocab_size,
        special_tokens=QWEN_SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(_corpus_lines() + tokenizer_lines(spec.tokenizer_files), trainer)
    eos = "<|im_end|>" if spec.instruct else "<|endoftext|>"
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token=eos,
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>", "<|im_end|>"],
        clean_up_tokenization_spaces=False,
        model_max_length=spec.max_positions,
    )
    tokenizer.add_tokens(QWEN_ADDED_TOKENS, special_tokens=False)
    tokenizer.chat_template = _CHATML_QWEN3 if spec.family == "qwen3" else _CHATML_QWEN2
    return tokenizer


def _model_config(spec: TinyModelSpec, tokenizer):
    from transformers import Qwen2Config, Qwen3Config

    vocab = len(tokenizer)
    common = dict(
        vocab_size=vocab + (-vocab % 64),  # padded like real checkpoints
        hidden_size=spec.hidden_size,
        intermediate_size=spec.hidden_size * 2,
        num_hidden_layers=spec.num_layers,
        num_attention_heads=spec.num_heads,
        num_key_value_heads=spec.num_kv_heads,
        max_position_embeddings=spec.max_positions,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        eos_token_id=tokenizer.convert_tokens_to_ids(tokenizer.eos_token),
        pad_token_id=tokenizer.pad_token_id,
    )
    if spec.family == "qwen3":
        return Qwen3Config(head_dim=spec.hidden_size // spec.num_heads, **common)
    if spec.family == "qwen2":
        return Qwen2Config(**common)
    raise ValueError(f"family must be 'qwen2' or 'qwen3', got {spec.family!r}")


def build_tiny_model(out_dir: str | Path, spec: TinyModelSpec | None = None) -> Path:
    """Create the tiny model + tokenizer in ``out_dir`` (overwritten) and return the path."""
    import torch
    from transformers import AutoModelForCausalLM, GenerationConfig

    spec = spec or TinyModelSpec()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(spec)
    config = _model_config(spec, tokenizer)
    torch.manual_seed(spec.seed)
    model = AutoModelForCausalLM.from_config(config)
    eos_ids = [tokenizer.convert_tokens_to_ids(t) for t in ("<|im_end|>", "<|endoftext|>")]
    model.generation_config = GenerationConfig(
        bos_token_id=config.bos_token_id,
        eos_token_id=eos_ids if spec.instruct else eos_ids[1],
        pad_token_id=tokenizer.pad_token_id,
    )
    if spec.pretrain_steps:
        pretrain(model, tokenizer, spec.pretrain_steps, spec.seed)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "medqa_tiny_model.json").write_text(
        json.dumps({"spec": spec.__dict__, "note": "random weights, for tests only"}, indent=2)
    )
    return out


def _pretrain_texts(tokenizer) -> list[str]:
    lines = _corpus_lines()
    dialogues = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": q[3:]}, {"role": "assistant", "content": a[3:]}],
            tokenize=False,
        )
        for q, a in zip(lines, lines[1:], strict=False)
        if q.startswith("患者：") and a.startswith("医生：")
    ]
    return dialogues + [line + "<|endoftext|>" for line in lines]


def pretrain(
    model, tokenizer, steps: int, seed: int, batch_size: int = 8, lr: float = 3e-3
) -> float:
    """Train ``model`` in place on the bundled corpus for ``steps`` steps; return the last loss."""
    import torch

    encoded = [
        tokenizer(t, add_special_tokens=False)["input_ids"] for t in _pretrain_texts(tokenizer)
    ]
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    loss = torch.tensor(float("nan"))
    for _ in range(steps):
        picks = torch.randint(len(encoded), (batch_size,), generator=generator).tolist()
        batch = [encoded[i] for i in picks]
        width = max(map(len, batch))
        ids = torch.full((batch_size, width), tokenizer.pad_token_id)
        labels = torch.full((batch_size, width), -100)
        mask = torch.zeros((batch_size, width), dtype=torch.long)
        for row, tokens in enumerate(batch):
            ids[row, : len(tokens)] = labels[row, : len(tokens)] = torch.tensor(tokens)
            mask[row, : len(tokens)] = 1
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()
    return loss.item()

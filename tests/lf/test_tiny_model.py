"""The tiny Qwen builder: LLaMA-Factory's built-in qwen / qwen3 / qwen3_nothink templates work on it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from tests.lf.conftest import CPU_OVERRIDES, llamafactory_cli

MESSAGES = [
    {"role": "user", "content": "头痛怎么办？"},
    {"role": "assistant", "content": "多休息。"},
]


def encode(model_dir: Path, template_name: str, enable_thinking: bool = True) -> tuple[str, str]:
    from llamafactory.data.template import get_template_and_fix_tokenizer
    from llamafactory.hparams import DataArguments

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    data_args = DataArguments(template=template_name, enable_thinking=enable_thinking)
    template = get_template_and_fix_tokenizer(tokenizer, data_args)
    prompt, response = template.encode_oneturn(tokenizer, [dict(m) for m in MESSAGES])
    assert tokenizer.eos_token == "<|im_end|>"  # replace_eos: the template's stop word
    return tokenizer.decode(prompt), tokenizer.decode(response)


def test_qwen_template_on_tiny_qwen2(tiny_qwen2):
    prompt, response = encode(tiny_qwen2, "qwen")
    assert prompt == (
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
        "<|im_end|>\n<|im_start|>user\n头痛怎么办？<|im_end|>\n<|im_start|>assistant\n"
    )
    assert response == "多休息。<|im_end|>\n"


@pytest.mark.parametrize(("template", "thinking"), [("qwen3", False), ("qwen3_nothink", True)])
def test_qwen3_templates_on_tiny_qwen3(tiny_qwen3, template, thinking):
    prompt, response = encode(tiny_qwen3, template, enable_thinking=thinking)
    assert prompt.startswith("<|im_start|>user\n头痛怎么办？<|im_end|>\n<|im_start|>assistant\n")
    if template == "qwen3":  # empty think block in the (untrained) prompt when thinking is off
        assert prompt.endswith("<think>\n\n</think>\n\n")
    assert response == "多休息。<|im_end|>\n"


def test_special_tokens_are_single_tokens(tiny_qwen2):
    tokenizer = AutoTokenizer.from_pretrained(tiny_qwen2)
    for token in ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"):
        assert len(tokenizer.encode(token, add_special_tokens=False)) == 1, token
    text = "患者：头痛三天，伴恶心。医生：建议测量血压。"
    assert tokenizer.decode(tokenizer.encode(text, add_special_tokens=False)) == text


def test_builder_is_deterministic(tmp_path):
    from medqa.tiny_model import build_tiny_model

    first, second = build_tiny_model(tmp_path / "a"), build_tiny_model(tmp_path / "b")
    for name in ("model.safetensors", "tokenizer.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


@pytest.mark.slow
def test_cli_builds_qwen3_that_trains_with_shipped_qwen3_config(workspace, tmp_path):
    out = tmp_path / "tiny-qwen3"
    medqa = Path(sys.executable).with_name("medqa")
    subprocess.run(
        [str(medqa), "dev", "tiny-model", str(out), "--family", "qwen3"],
        check=True,
        capture_output=True,
    )
    assert json.loads((out / "config.json").read_text())["model_type"] == "qwen3"
    llamafactory_cli(
        workspace,
        "train",
        "llamafactory_configs/qwen3_lora.yaml",
        f"model_name_or_path={out}",
        *CPU_OVERRIDES,
        "max_steps=2",
    )
    assert (workspace / "saves/qwen3-8b/lora/sft/adapter_model.safetensors").is_file()


def test_pretraining_teaches_the_corpus(tmp_path):
    from transformers import AutoModelForCausalLM

    from medqa.tiny_model import TinyModelSpec, build_tiny_model, pretrain

    out = build_tiny_model(tmp_path / "pt", TinyModelSpec(pretrain_steps=80))
    tokenizer = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out)
    assert (
        pretrain(model, tokenizer, steps=1, seed=1) < 3.0
    )  # random init starts near ln(vocab) ≈ 7.4
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "胸口突然剧烈疼痛，出冷汗，怎么办？"}],
        add_generation_prompt=True,
        tokenize=False,
    )
    ids = tokenizer(prompt, return_tensors="pt")
    reply = tokenizer.decode(
        model.generate(**ids, max_new_tokens=80, do_sample=False)[0][ids["input_ids"].shape[1] :]
    )
    assert sum("\u4e00" <= c <= "\u9fff" for c in reply) > 10  # Chinese text, not noise

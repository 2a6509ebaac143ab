"""The shipped configs run for real on CPU with a tiny Qwen: train → export → serve.

Only hardware/model keys are overridden on the command line (plus step counts to keep CI short).
"""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest

from medqa.check import Level, check_configs
from medqa.tiny_model import TinyModelSpec, build_tiny_model
from tests.lf.conftest import CPU_OVERRIDES, QA_PAIRS, llamafactory_cli

pytestmark = pytest.mark.slow


def chat(base_url: str, question: str, stream: bool = False, max_tokens: int = 48):
    payload = {
        "model": "medqa",
        "messages": [{"role": "user", "content": question}],
        "max_tokens": max_tokens,
        "temperature": 0,
        "stream": stream,
    }
    request = urllib.request.Request(
        f"{base_url}/chat/completions",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        if not stream:
            return json.load(response)
        events = [line[len(b"data: ") :] for line in response if line.startswith(b"data: ")]
    return [json.loads(e) for e in events if e.strip() != b"[DONE]"]


def generate_with_base_config(weights: Path, base: Path, question: str) -> str:
    """Greedy generation with ``base``'s generation_config (eos <|endoftext|> only)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(weights)
    config = GenerationConfig.from_pretrained(base)
    config.max_new_tokens, config.do_sample = 40, False
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": question}], add_generation_prompt=True, tokenize=False
    )
    ids = tokenizer(prompt, return_tensors="pt")
    out = model.generate(**ids, generation_config=config)
    return tokenizer.decode(out[0][ids["input_ids"].shape[1] :])


def test_lora_train_merge_serve_and_stream(workspace: Path, tiny_qwen2: Path, lf_api):
    started = time.monotonic()
    llamafactory_cli(
        workspace,
        "train",
        "llamafactory_configs/qwen_lora.yaml",
        f"model_name_or_path={tiny_qwen2}",
        *CPU_OVERRIDES,
        "max_steps=3",
    )
    adapter = workspace / "saves/qwen2.5-7b-instruct/lora/sft"
    assert json.loads((adapter / "adapter_config.json").read_text())["r"] == 16
    assert (adapter / "adapter_model.safetensors").stat().st_size > 0

    llamafactory_cli(
        workspace,
        "train",
        "llamafactory_configs/qwen_lora_predict.yaml",
        f"model_name_or_path={tiny_qwen2}",
        *CPU_OVERRIDES,
        "max_new_tokens=8",
    )
    predict = workspace / "saves/qwen2.5-7b-instruct/lora/predict"
    scores = json.loads((predict / "predict_results.json").read_text())
    assert {"predict_bleu-4", "predict_rouge-1", "predict_rouge-2", "predict_rouge-l"} <= set(
        scores
    )
    rows = (predict / "generated_predictions.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(r)["label"].strip() for r in rows] == [a for _, a in QA_PAIRS]

    llamafactory_cli(
        workspace,
        "export",
        "llamafactory_configs/merge/qwen_lora_merge.yaml",
        f"model_name_or_path={tiny_qwen2}",
    )
    merged = workspace / "models/qwen2.5-7b-instruct-medqa-lora"
    assert (merged / "model.safetensors").is_file() and (merged / "tokenizer_config.json").is_file()

    run = [
        "llamafactory_configs/qwen_lora.yaml",
        "llamafactory_configs/merge/qwen_lora_merge.yaml",
        "llamafactory_configs/inference/qwen_merged_vllm.yaml",
    ]
    blocking = [f.render() for f in check_configs(run) if f.level == Level.ERROR]
    assert blocking == []

    server = lf_api(merged)
    reply = chat(server.base_url, QA_PAIRS[0][0])
    assert reply["choices"][0]["finish_reason"] in ("stop", "length")
    assert reply["usage"]["completion_tokens"] >= 1
    chunks = chat(server.base_url, QA_PAIRS[1][0], stream=True, max_tokens=8)
    deltas = [c["choices"][0]["delta"].get("content") or "" for c in chunks]
    assert len(chunks) >= 2 and sum(map(len, deltas)) > 0
    assert chunks[-1]["choices"][0]["finish_reason"] in ("stop", "length")
    print(f"LoRA train+merge+serve on CPU: {time.monotonic() - started:.1f}s")


def test_overfit_model_stops_instead_of_writing_next_user_turn(
    workspace: Path, tmp_path: Path, lf_api
):
    """The seed projects' worst bug: a base checkpoint's generation_config stops on <|endoftext|>
    while the chat template ends turns with <|im_end|>, so the model writes the next user turn.
    Through the shipped configs (template qwen everywhere) the served model must stop."""
    base = build_tiny_model(tmp_path / "tiny-qwen2-base", TinyModelSpec(instruct=False))
    assert json.loads((base / "generation_config.json").read_text())["eos_token_id"] != 2
    llamafactory_cli(
        workspace,
        "train",
        "llamafactory_configs/qwen_full.yaml",
        "deepspeed=null",
        f"model_name_or_path={base}",
        *CPU_OVERRIDES,
        "max_steps=150",
        "learning_rate=0.01",
        "warmup_steps=0",
        "lr_scheduler_type=constant",
        "per_device_train_batch_size=4",
        "gradient_accumulation_steps=1",
        "neat_packing=false",
    )
    trained = workspace / "saves/qwen2.5-7b-instruct/full/sft"
    # Negative control: the same weights under the base checkpoint's generation config run on
    # past the end of the turn — the bug is real, and the checks below can fail.
    runaway = generate_with_base_config(trained, base, QA_PAIRS[0][0])
    assert (
        runaway.startswith(QA_PAIRS[0][1] + "<|im_end|>")
        and len(runaway) > len(QA_PAIRS[0][1]) + 12
    )
    llamafactory_cli(
        workspace,
        "export",
        "llamafactory_configs/merge/qwen_lora_merge.yaml",
        f"model_name_or_path={trained}",
        "adapter_name_or_path=null",
        "finetuning_type=full",
        "export_dir=models/overfit",
    )
    exported = workspace / "models/overfit"
    im_end = 2  # the tiny tokenizer's id of <|im_end|>
    assert im_end in json.loads((exported / "generation_config.json").read_text())["eos_token_id"]
    server = lf_api(exported)
    for question, answer in QA_PAIRS:
        reply = chat(server.base_url, question, max_tokens=96)
        choice = reply["choices"][0]
        assert choice["finish_reason"] == "stop", choice
        assert "<|im_start|>" not in choice["message"]["content"]
        assert "user" not in choice["message"]["content"]
        assert choice["message"]["content"] == answer

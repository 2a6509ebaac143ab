"""Training throughput of our LoRA / QLoRA / full configs vs LLaMA-Factory's own examples.

For each method it runs the real ``llamafactory-cli train`` twice on the same random-initialised
Qwen2.5-1.5B-shaped model and the same synthetic medical Q&A data: once with our shipped config, once
with the settings of LLaMA-Factory's example for that method (examples/train_lora/qwen3_lora_sft.yaml,
train_qlora/*_otfq.yaml, train_full/*_full_sft.yaml: batch 1, no packing, no Liger). It prints
tokens/s (the epoch's non-padding tokens / train_runtime: one epoch over the same data for every
run, so packing and batching gains count and padding does not), peak GPU memory, and the ratio ours / example measured in the same run.

    python bench/train_throughput.py                 # on a GPU machine (needs bitsandbytes, deepspeed)
    python bench/train_throughput.py --smoke         # CPU plumbing check on a tiny model
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "llamafactory_configs"
OURS = {"lora": "qwen_lora.yaml", "qlora": "qwen_qlora.yaml", "full": "qwen_full.yaml"}
# LLaMA-Factory 0.9.5 examples' training settings for the same methods.
EXAMPLE_BASE = {
    "stage": "sft",
    "do_train": True,
    "template": "qwen",
    "cutoff_len": 2048,
    "bf16": True,
    "per_device_train_batch_size": 1,
    "learning_rate": 1.0e-4,
    "lr_scheduler_type": "cosine",
    "report_to": "none",
    "overwrite_output_dir": True,
    "preprocessing_num_workers": 16,
    "dataloader_num_workers": 4,
    "trust_remote_code": True,
}
EXAMPLES = {
    "lora": {
        "finetuning_type": "lora",
        "lora_rank": 8,
        "lora_target": "all",
        "gradient_accumulation_steps": 8,
    },
    "qlora": {
        "finetuning_type": "lora",
        "lora_rank": 8,
        "lora_target": "all",
        "quantization_bit": 4,
        "quantization_method": "bnb",
        "double_quantization": True,
        "gradient_accumulation_steps": 8,
    },
    "full": {
        "finetuning_type": "full",
        "deepspeed": str(CONFIGS / "deepspeed/ds_z3_config.json"),
        "gradient_accumulation_steps": 2,
        "learning_rate": 1.0e-5,
    },
}
QWEN25_15B = dict(hidden_size=1536, num_layers=28, num_heads=12, num_kv_heads=2)


def build_model(out: Path, smoke: bool) -> Path:
    from medqa.tiny_model import TinyModelSpec, build_tiny_model

    spec = TinyModelSpec() if smoke else TinyModelSpec(**QWEN25_15B, vocab_size=2048)
    path = build_tiny_model(out, spec)
    if not smoke:  # Qwen2.5-1.5B: intermediate 8960, vocab 151936 (embedding cost matters)
        config = json.loads((path / "config.json").read_text())
        config.update(intermediate_size=8960, vocab_size=151936, tie_word_embeddings=True)
        from transformers import AutoModelForCausalLM, Qwen2Config

        model = AutoModelForCausalLM.from_config(Qwen2Config(**config))
        model.save_pretrained(path)
    return path


def write_dataset(workdir: Path, n: int, seed: int = 0) -> None:
    """Synthetic consultations with a long-tailed length mix like online medical Q&A."""
    rng = random.Random(seed)
    phrases = [
        "头痛伴恶心三天",
        "孩子发烧咳嗽",
        "胃胀反酸",
        "血糖偏高",
        "膝关节疼痛",
        "皮肤瘙痒起疹",
        "建议测量血压并注意休息",
        "请到相应科室就诊",
        "必要时做相关检查",
        "避免自行用药",
    ]
    path = workdir / "data/medqa/alpaca/train.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for _ in range(n):
            q = "，".join(rng.choices(phrases, k=max(2, int(rng.lognormvariate(2.2, 0.6)))))
            a = "，".join(rng.choices(phrases, k=max(3, int(rng.lognormvariate(3.0, 0.7)))))
            handle.write(
                json.dumps(
                    {"instruction": q, "input": "", "output": a, "system": ""}, ensure_ascii=False
                )
                + "\n"
            )
    info = json.loads((REPO / "dataset_info.json").read_text())
    (workdir / "dataset_info.json").write_text(json.dumps(info, ensure_ascii=False))


class PeakGpuMemory(threading.Thread):
    """Polls nvidia-smi for the peak memory used while a run lasts (MiB; 0 without a GPU)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self._stop = 0, threading.Event()

    def run(self) -> None:
        while not self._stop.wait(0.25):
            try:
                out = subprocess.run(
                    ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                    capture_output=True,
                    text=True,
                    timeout=5,
                ).stdout
                self.peak = max([self.peak, *(int(x) for x in out.split())])
            except (OSError, ValueError, subprocess.TimeoutExpired):
                return

    def stop(self) -> int:
        self._stop.set()
        return self.peak


def epoch_tokens(workdir: Path, model: Path) -> int:
    """Non-padding tokens of one epoch: every record in the qwen chat format."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    total = 0
    with (workdir / "data/medqa/alpaca/train.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            messages = [
                {"role": "user", "content": record["instruction"]},
                {"role": "assistant", "content": record["output"]},
            ]
            text = tokenizer.apply_chat_template(messages, tokenize=False)
            total += len(tokenizer(text, add_special_tokens=False)["input_ids"])
    return total


def train(workdir: Path, config: dict, name: str, smoke: bool, tokens: int) -> dict:
    """One real ``llamafactory-cli train`` run; returns tokens/s and peak memory."""
    config = {
        **config,
        "dataset_dir": ".",
        "dataset": "medqa_alpaca_train",
        "output_dir": str(workdir / "saves" / name),
        "include_num_input_tokens_seen": "non_padding",
        "logging_steps": 5,
        "save_strategy": "no",
        "eval_strategy": "no",
        "plot_loss": False,
    }
    config.pop("eval_dataset", None)
    if smoke:
        config.update(
            bf16=False,
            use_cpu=True,
            enable_liger_kernel=False,
            preprocessing_num_workers=1,
            dataloader_num_workers=0,
            quantization_bit=None,
            deepspeed=None,
        )
    path = workdir / f"{name}.yaml"
    path.write_text(yaml.safe_dump({k: v for k, v in config.items() if v is not None}))
    env = {
        **os.environ,
        "FORCE_TORCHRUN": "1" if config.get("deepspeed") else "0",
        "DISABLE_VERSION_CHECK": "1",
    }
    monitor = PeakGpuMemory()
    monitor.start()
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "llamafactory.cli", "train", str(path)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    )
    wall, peak = time.monotonic() - started, monitor.stop()
    if result.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{(result.stdout + result.stderr)[-3000:]}")
    metrics = json.loads((workdir / "saves" / name / "train_results.json").read_text())
    return {
        "tokens_per_s": tokens / metrics["train_runtime"],
        "peak_mib": peak,
        "wall_s": wall,
        "train_runtime_s": metrics["train_runtime"],
        "tokens": tokens,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="lora,qlora,full")
    parser.add_argument("--records", type=int, default=2000, help="one epoch over this many")
    parser.add_argument("--smoke", action="store_true", help="tiny model on CPU, plumbing only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="medqa-train-bench-") as tmp:
        workdir = Path(tmp)
        model = build_model(workdir / "model", args.smoke)
        write_dataset(workdir, args.records)
        tokens = epoch_tokens(workdir, model)
        print(f"{args.records} records, {tokens} tokens per epoch")
        print(f"{'method':<8}{'config':<10}{'tokens/s':>12}{'peak MiB':>10}{'runtime s':>11}")
        for method in args.methods.split(","):
            ours = yaml.safe_load((CONFIGS / OURS[method]).read_text())
            example = {**EXAMPLE_BASE, **EXAMPLES[method]}
            rows = {}
            for label, config in (("ours", ours), ("example", example)):
                config = {
                    **config,
                    "model_name_or_path": str(model),
                    "num_train_epochs": 1.0,
                    "max_samples": None,
                }
                rows[label] = train(workdir, config, f"{method}-{label}", args.smoke, tokens)
                r = rows[label]
                print(
                    f"{method:<8}{label:<10}{r['tokens_per_s']:>12.0f}{r['peak_mib']:>10}{r['train_runtime_s']:>11.1f}"
                )
            ratio = rows["ours"]["tokens_per_s"] / max(rows["example"]["tokens_per_s"], 1e-9)
            print(f"{method:<8}{'ratio':<10}{ratio:>12.2f}x  (target >= 1.3x)")


if __name__ == "__main__":
    main()

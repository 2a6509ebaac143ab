"""Preference win-rate: how often a model's log-likelihood prefers the chosen (accepted, liked)
answer of a pair over the rejected one — the quantity DPO pushes up.

LLaMA-Factory's API returns no log-probabilities, so the pairs are scored on the model's
weights (a local folder, e.g. a merged export) with transformers: each answer is appended to the
prompt as the model's chat template renders it (``<|im_end|>`` included), and the sum of its
token log-probabilities is compared. ``win_rate`` compares sums (what DPO optimises);
``win_rate_per_token`` compares per-token means (length-normalised, as SimPO). The run folder
(``results.jsonl`` + ``summary.json``, type ``preference``) goes into ``medqa eval compare``
beside the other tasks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from medqa.io import write_json, write_jsonl

TASK_TYPE = "preference"


class PreferenceDataError(ValueError):
    """A pairs file that cannot be scored; the message names the file and line."""


def read_pairs(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Pairs from an alpaca (``instruction``/``chosen``/``rejected``) or sharegpt ranking file."""
    pairs = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise PreferenceDataError(f"{path}:{number}: invalid JSON ({exc.msg})") from None
            pairs.append(_pair(row, f"{path}:{number}"))
            if limit and len(pairs) >= limit:
                break
    if not pairs:
        raise PreferenceDataError(f"{path}: no preference pairs")
    return pairs


def _pair(row: Any, where: str) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise PreferenceDataError(f"{where}: expected a JSON object")
    chosen, rejected = row.get("chosen"), row.get("rejected")
    if isinstance(chosen, dict) and isinstance(rejected, dict):  # sharegpt ranking
        turns = row.get("conversations") or []
        prompt = turns[-1].get("value") if turns and isinstance(turns[-1], dict) else None
        chosen, rejected = chosen.get("value"), rejected.get("value")
    else:
        prompt = row.get("instruction")
        if prompt is not None and row.get("input"):
            prompt = f"{prompt}\n{row['input']}"
    for name, value in (("prompt", prompt), ("chosen", chosen), ("rejected", rejected)):
        if not isinstance(value, str) or not value:
            raise PreferenceDataError(
                f"{where}: {name} is missing or not text (want instruction/chosen/rejected, "
                "or sharegpt conversations with chosen/rejected messages)"
            )
    return {
        "id": str(row.get("id") or where),
        "system": row.get("system") or "",
        "prompt": prompt,
        "chosen": chosen,
        "rejected": rejected,
    }


class PairScorer:
    """Log-likelihood of an answer after a prompt, under a local causal LM."""

    def __init__(self, model_dir: Path, device: str | None = None) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        dtype = "auto" if self.device == "cuda" else torch.float32  # bf16 weights stay bf16 on GPU
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype)
        self.model = model.to(self.device).eval()

    def _messages(self, system: str, prompt: str) -> list[dict[str, str]]:
        head = [{"role": "system", "content": system}] if system else []
        return [*head, {"role": "user", "content": prompt}]

    def answer_logprob(self, system: str, prompt: str, answer: str) -> tuple[float, int]:
        """Sum of the answer's token log-probabilities (end-of-turn token included), and its
        token count."""
        messages = self._messages(system, prompt)
        head = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=False
        )
        full = self.tokenizer.apply_chat_template(
            [*messages, {"role": "assistant", "content": answer}], tokenize=False
        )
        if not full.startswith(head):
            raise ValueError("the chat template does not extend the prompt with the answer")
        head_ids = self.tokenizer(head, add_special_tokens=False)["input_ids"]
        ids = self.tokenizer(full.rstrip("\n"), add_special_tokens=False)["input_ids"]
        if ids[: len(head_ids)] != head_ids:
            raise ValueError("the prompt tokenises differently once the answer follows it")
        torch = self.torch
        with torch.no_grad():
            tensor = torch.tensor([ids], device=self.device)
            logits = self.model(tensor).logits[0, :-1].float()
            logprobs = torch.log_softmax(logits, dim=-1)
            targets = tensor[0, 1:]
            picked = logprobs.gather(1, targets[:, None])[:, 0]
        answer_part = picked[len(head_ids) - 1 :]
        return float(answer_part.sum()), int(answer_part.numel())


def score(scorer: PairScorer, pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One result per pair: both log-likelihoods and whether chosen won."""
    results = []
    for pair in pairs:
        chosen, n_chosen = scorer.answer_logprob(pair["system"], pair["prompt"], pair["chosen"])
        rejected, n_rejected = scorer.answer_logprob(
            pair["system"], pair["prompt"], pair["rejected"]
        )
        results.append(
            {
                "id": pair["id"],
                "chosen_logp": round(chosen, 4),
                "rejected_logp": round(rejected, 4),
                "chosen_tokens": n_chosen,
                "rejected_tokens": n_rejected,
                "win": chosen > rejected,
                "win_per_token": chosen / n_chosen > rejected / n_rejected,
            }
        )
    return results


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    """``n``, ``win_rate``, ``win_rate_per_token`` and the mean log-likelihood margin."""
    n = len(results)
    margins = [r["chosen_logp"] - r["rejected_logp"] for r in results]
    return {
        "n": n,
        "win_rate": round(sum(r["win"] for r in results) / n, 4),
        "win_rate_per_token": round(sum(r["win_per_token"] for r in results) / n, 4),
        "logp_margin_mean": round(sum(margins) / n, 4),
        "failed": 0,
    }


def run_preference(
    model_dir: Path,
    data: Path,
    out_dir: Path,
    label: str,
    tags: dict[str, str] | None = None,
    limit: int | None = None,
    task: str = "preference",
) -> dict[str, Any]:
    """Score ``data`` under ``model_dir``; write ``results.jsonl`` and ``summary.json``."""
    pairs = read_pairs(data, limit)
    results = score(PairScorer(model_dir), pairs)
    summary = {
        "task": task,
        "type": TASK_TYPE,
        "label": label,
        "tags": dict(tags or {}),
        "model": str(model_dir),
        "data": str(data),
        "metrics": summarize(results),
    }
    write_jsonl(out_dir / "results.jsonl", results)
    write_json(out_dir / "summary.json", summary)
    return summary


PREFERENCE_COLUMNS = (
    ("win_rate", "win rate (sum log p) %"),
    ("win_rate_per_token", "win rate (per token) %"),
    ("logp_margin_mean", "mean log p margin"),
)


def preference_rows(runs) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the report's preference table (one row per run)."""
    header = ["run", "n", *[title for _, title in PREFERENCE_COLUMNS]]
    rows = []
    for run in runs:
        metrics = run.metrics
        cells = [run.label, str(metrics.get("n", "–"))]
        for key, _ in PREFERENCE_COLUMNS:
            value = metrics.get(key)
            if value is None:
                cells.append("–")
            elif key.startswith("win_rate"):
                cells.append(f"{value * 100:.1f}")
            else:
                cells.append(f"{value:.2f}")
        rows.append(cells)
    return header, rows

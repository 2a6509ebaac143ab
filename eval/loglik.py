"""Log-likelihood scoring of exam options through ``/v1/completions`` (as lm-evaluation-harness
does): for each option letter the prompt ``context + letter`` is sent with ``echo=True,
logprobs=1, max_tokens=1``; the score of an option is the sum of the log-probabilities of the
prompt tokens that overlap the letter (by ``text_offset``), and the best-scoring option is the
answer. vLLM offers this; LLaMA-Factory's API has no ``/v1/completions`` (HTTP 404)."""

from __future__ import annotations

import math

from eval.plan import Call

LOGLIK_PARAMS = {"max_tokens": 1, "echo": True, "logprobs": 1, "temperature": 0.0}


def option_calls(context: str, letters: list[str]) -> list[Call]:
    """One scoring request per option letter."""
    return [Call("text", context + letter, dict(LOGLIK_PARAMS)) for letter in letters]


def continuation_logprob(logprobs: dict, context_len: int, total_len: int) -> float:
    """Sum of log-probs of the echoed tokens that overlap ``[context_len, total_len)``."""
    offsets = logprobs.get("text_offset") or []
    values = logprobs.get("token_logprobs") or []
    if not offsets or len(offsets) != len(values):
        raise ValueError("logprobs lack text_offset/token_logprobs (does the server support echo?)")
    total, counted = 0.0, 0
    for i, (start, value) in enumerate(zip(offsets, values, strict=True)):
        if start >= total_len:
            break  # the generated token
        end = offsets[i + 1] if i + 1 < len(offsets) else math.inf
        if end > context_len and value is not None:
            total += value
            counted += 1
    if not counted:
        raise ValueError("no echoed token covers the option letter")
    return total


def best_option(scores: dict[str, float]) -> str:
    """The letter with the highest log-likelihood (first letter on ties)."""
    return max(scores, key=lambda k: (scores[k], -ord(k)))

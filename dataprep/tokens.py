"""Token lengths with a local tokenizer, counted the way LLaMA-Factory's ``qwen`` template
renders an example: question + answer tokens plus the template's fixed overhead."""

from __future__ import annotations

from typing import Any

import numpy as np

QWEN_DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."


def render_qwen(system: str, question: str, answer: str) -> str:
    """One example as LLaMA-Factory 0.9.5's ``qwen`` template writes it (ChatML)."""
    return (
        f"<|im_start|>system\n{system}<|im_end|>\n"
        f"<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n"
        f"{answer}<|im_end|>\n"
    )


class TokenCounter:
    """Collects question/answer token counts; ``total`` adds the template overhead (the
    system block with the recipe's system prompt or the template default, the role markers
    and the closing ``<|im_end|>``), measured once by tokenising an empty example."""

    def __init__(self, path: str, system_prompt: str | None = None) -> None:
        from transformers import AutoTokenizer

        self.path = path
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.system = system_prompt or QWEN_DEFAULT_SYSTEM
        self.overhead = int(self.count([render_qwen(self.system, "", "")])[0])

    def count(self, texts: list[str]) -> np.ndarray:
        """Token count of each text (no special tokens added)."""
        backend = getattr(self.tokenizer, "backend_tokenizer", None)
        if backend is not None:  # a fast tokenizer: batch-encode in Rust, no length warnings
            encodings = backend.encode_batch(texts, add_special_tokens=False)
            return np.array([len(e.ids) for e in encodings], dtype=np.int32)
        ids = self.tokenizer(texts, add_special_tokens=False)["input_ids"]
        return np.array([len(x) for x in ids], dtype=np.int32)

    def lengths(self, parts: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
        """question/answer/total token arrays from ``(question, answer)`` count parts."""
        empty = np.zeros(0, dtype=np.int32)
        question = np.concatenate([q for q, _ in parts]) if parts else empty
        answer = np.concatenate([a for _, a in parts]) if parts else empty
        return {"question": question, "answer": answer, "total": question + answer + self.overhead}

    def info(self) -> dict[str, Any]:
        return {"tokenizer": self.path, "template": "qwen", "template_overhead": int(self.overhead)}

"""Which Qwen family a model is, from its local config or its hub-style name, and its template."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ModelFamily:
    """``family``: qwen2 | qwen3 | other; ``variant``: hybrid | instruct-2507 | thinking-2507 | ''."""

    family: str
    variant: str = ""

    @property
    def templates(self) -> tuple[str, ...]:
        """LLaMA-Factory built-in templates that match this model."""
        if self.family == "qwen2":
            return ("qwen",)
        if self.family == "qwen3":
            return ("qwen3_nothink",) if self.variant == "instruct-2507" else ("qwen3",)
        return ()

    def describe(self) -> str:
        return f"{self.family} {self.variant}".strip()


def _variant_from_name(name: str) -> str:
    lowered = name.lower()
    if "2507" in lowered:
        return "thinking-2507" if "thinking" in lowered else "instruct-2507"
    return "hybrid"


def _family_from_name(name: str) -> ModelFamily | None:
    lowered = name.lower()
    if re.search(r"qwen3", lowered):
        return ModelFamily("qwen3", _variant_from_name(name))
    if re.search(r"qwen2|qwen-?2\.5|qwq", lowered):
        return ModelFamily("qwen2")
    return None


def _local_family(path: Path) -> ModelFamily | None:
    try:
        model_type = json.loads((path / "config.json").read_text("utf-8")).get("model_type", "")
    except (OSError, ValueError):
        return None
    if model_type.startswith("qwen2") and "vl" not in model_type:
        return ModelFamily("qwen2")
    if model_type.startswith("qwen3"):
        by_name = _family_from_name(path.name)
        if by_name and by_name.variant != "hybrid":
            return by_name
        template = _chat_template(path)
        hybrid = "enable_thinking" in template or not template
        return ModelFamily("qwen3", "hybrid" if hybrid else "instruct-2507")
    return ModelFamily("other", model_type)


def _chat_template(path: Path) -> str:
    jinja = path / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text("utf-8")
    try:
        config = json.loads((path / "tokenizer_config.json").read_text("utf-8"))
    except (OSError, ValueError):
        return ""
    template = config.get("chat_template") or ""
    return template if isinstance(template, str) else json.dumps(template)


def detect_family(model_name_or_path: str | None) -> ModelFamily | None:
    """The model's family, or None when neither its files nor its name tell."""
    if not model_name_or_path:
        return None
    path = Path(model_name_or_path)
    if path.is_dir():
        local = _local_family(path)
        if local is not None:
            return local
    return _family_from_name(str(model_name_or_path))


def is_quantized_checkpoint(model_name_or_path: str | None) -> bool:
    """True when a local checkpoint's config.json carries a quantization_config."""
    if not model_name_or_path:
        return False
    config = Path(model_name_or_path) / "config.json"
    try:
        return bool(json.loads(config.read_text("utf-8")).get("quantization_config"))
    except (OSError, ValueError):
        return False

"""Load a LLaMA-Factory YAML the way ``llamafactory-cli`` does and tell which kind of run it is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TRAIN, EXPORT, INFER = "train", "export", "infer"
_LAUNCH_ENV = re.compile(r"^\s*#.*\b([A-Z_]+=\S+(?:\s+[A-Z_]+=\S+)*)\s+llamafactory-cli\s+train\b")


class ConfigError(ValueError):
    """A config file that cannot be read at all (missing, not YAML, not a mapping)."""


@dataclass
class RunConfig:
    """A parsed config: its merged keys, its kind and the env vars its documented launch sets."""

    path: Path
    args: dict[str, Any]
    kind: str
    launch_env: dict[str, str] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.args.get(key, default)

    @property
    def dataset_dir(self) -> Path:
        """``dataset_dir`` resolved against the CWD, as LLaMA-Factory does."""
        return Path(self.args.get("dataset_dir", "data"))


def parse_override(text: str) -> tuple[str, Any]:
    """``key=value`` as on the ``llamafactory-cli`` command line (value parsed as YAML)."""
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise ConfigError(f"override {text!r} is not key=value")
    return key.strip(), yaml.safe_load(raw) if raw else None


def config_kind(args: dict[str, Any]) -> str:
    """``export`` (merge/export), ``train`` (any stage, including predict) or ``infer`` (api/chat)."""
    if args.get("export_dir"):
        return EXPORT
    if any(args.get(k) for k in ("do_train", "do_predict", "do_eval")) or "stage" in args:
        return TRAIN
    return INFER


def _launch_env(text: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in text.splitlines():
        match = _LAUNCH_ENV.match(line)
        if match:
            env.update(pair.split("=", 1) for pair in match.group(1).split())
    return env


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> RunConfig:
    """Read ``path`` and apply ``key=value`` overrides; fail with a message naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        args = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(args, dict):
        raise ConfigError(f"{path}: top level must be a mapping of LLaMA-Factory keys")
    args.update(parse_override(item) for item in overrides)
    return RunConfig(path=path, args=args, kind=config_kind(args), launch_env=_launch_env(text))

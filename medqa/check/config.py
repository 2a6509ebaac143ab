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
    """``key=value`` as on the ``llamafactory-cli`` command line (value read as it reads it)."""
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise ConfigError(f"override {text!r} is not key=value")
    try:
        return key.strip(), _read_value(raw) if raw else None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise ConfigError(f"override {text!r}: the value is not readable ({exc})") from None


class _LfLoader(yaml.SafeLoader):
    """PyYAML's safe loader plus the float forms that OmegaConf (what ``llamafactory-cli``
    reads YAML with) accepts and YAML 1.1 does not: ``1e-4``, ``5E-5`` (no dot)."""


_LfLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def _read_value(raw: str) -> Any:
    """One command-line value as ``llamafactory-cli`` reads it (OmegaConf's from_cli)."""
    try:
        from omegaconf import OmegaConf
    except ImportError:
        return yaml.load(raw, Loader=_LfLoader)  # noqa: S506 - a SafeLoader subclass
    from omegaconf.errors import OmegaConfBaseException

    try:
        return OmegaConf.to_container(OmegaConf.from_cli([f"value={raw}"]))["value"]
    except OmegaConfBaseException as exc:
        raise ValueError(str(exc).splitlines()[0]) from None


def _read_yaml(text: str) -> Any:
    """YAML text as ``llamafactory-cli`` reads it: with OmegaConf when it is installed (it
    is with LLaMA-Factory), else with a loader that resolves the same scalars."""
    try:
        from omegaconf import OmegaConf
    except ImportError:
        return yaml.load(text, Loader=_LfLoader)  # noqa: S506 - a SafeLoader subclass
    from omegaconf.errors import OmegaConfBaseException

    try:
        node = OmegaConf.create(text)
    except OmegaConfBaseException as exc:
        raise ValueError(str(exc).splitlines()[0]) from None
    return OmegaConf.to_container(node)


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
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r}); "
            "is it a binary file?"
        ) from None
    if "\x00" in text:
        raise ConfigError(f"{path}: not a YAML text file (NUL byte at offset {text.index(chr(0))})")
    try:
        args = _read_yaml(text) or {}
    except (yaml.YAMLError, ValueError) as exc:
        raise ConfigError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to be a LLaMA-Factory config") from None
    if not isinstance(args, dict):
        raise ConfigError(f"{path}: top level must be a mapping of LLaMA-Factory keys")
    args.update(parse_override(item) for item in overrides)
    return RunConfig(path=path, args=args, kind=config_kind(args), launch_env=_launch_env(text))

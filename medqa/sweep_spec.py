"""SWEEP.yaml: a method × data-scale × model × seed grid over shipped LLaMA-Factory configs.

::

    name: lora_vs_qlora_scale
    out: data/sweeps/lora_vs_qlora_scale      # cells, eval runs and the report go here
    methods:                                  # method tag → configs (paths relative to the CWD)
      lora:  {train: llamafactory_configs/qwen_lora.yaml,
              merge: llamafactory_configs/merge/qwen_lora_merge.yaml}
      qlora: {train: llamafactory_configs/qwen_qlora.yaml,
              merge: llamafactory_configs/merge/qwen_qlora_merge.yaml}
    serve: llamafactory_configs/inference/qwen_merged_vllm.yaml   # a method may name its own
    serve_args: [--max-concurrent, 4]  # extra `medqa serve` words (huggingface backend)
    scales: {10k: medqa_alpaca_train_10k, 20k: medqa_alpaca_train_20k}  # tag → dataset name
    models: {qwen2.5-7b: Qwen/Qwen2.5-7B-Instruct}                       # tag → model path / id
    seeds: [42]
    baseline: true                     # also evaluate each model as it is (method=base)
    train: {num_train_epochs: 3}       # overrides for every training run
    cells:                             # overrides for the cells whose tags match
      - {match: {method: qlora}, train: {per_device_train_batch_size: 4}}
    eval:                              # `medqa eval run` per cell
      - {task: open_qa, data: data/medqa/alpaca/test.jsonl, limit: 500}

A method without ``merge`` serves what training wrote: the adapter for LoRA-type methods, the
model for full SFT. Merging never runs onto a quantised base: a merge config or override with
``quantization_bit`` is refused. Errors name the file and the key.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TOP_KEYS = {"name", "out", "methods", "serve", "scales", "models", "seeds", "baseline", "train"}
TOP_KEYS |= {"cells", "eval", "serve_args"}
METHOD_KEYS = {"train", "merge", "serve", "train_overrides", "merge_overrides", "gpus"}
EVAL_KEYS = {"task", "data", "limit", "max_tokens", "concurrency", "args"}
TAG = re.compile(r"^[A-Za-z0-9][\w.+-]*$")


class SweepError(ValueError):
    """A sweep file is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class Method:
    name: str
    train: Path
    merge: Path | None
    serve: Path
    train_overrides: dict[str, Any] = field(default_factory=dict)
    merge_overrides: dict[str, Any] = field(default_factory=dict)
    gpus: int = 1


@dataclass(frozen=True)
class EvalTask:
    task: str
    data: str | None = None
    limit: int | None = None
    max_tokens: int | None = None
    concurrency: int | None = None
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cell:
    """One grid point. ``method`` None is a baseline: the model evaluated as it is."""

    model: str
    model_path: str
    method: Method | None
    scale: str | None
    dataset: str | None
    seed: int | None
    train_overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        if self.method is None:
            return f"{self.model}-base"
        return f"{self.model}-{self.method.name}-{self.scale}-s{self.seed}"

    @property
    def tags(self) -> dict[str, str]:
        tags = {"model": self.model, "method": self.method.name if self.method else "base"}
        if self.method is not None:
            tags |= {"scale": str(self.scale), "seed": str(self.seed)}
        return tags

    @property
    def gpus(self) -> int:
        return self.method.gpus if self.method else 1


@dataclass(frozen=True)
class Sweep:
    path: Path
    name: str
    out: Path
    methods: list[Method]
    scales: dict[str, str]
    models: dict[str, str]
    seeds: list[int]
    baseline: bool
    serve: Path
    train_overrides: dict[str, Any]
    cell_rules: list[tuple[dict[str, str], dict[str, Any]]]
    evals: list[EvalTask]
    serve_args: tuple[str, ...] = ()

    def cells(self) -> list[Cell]:
        """Baselines first, then model × method × scale × seed in file order."""
        cells = []
        if self.baseline:
            cells += [Cell(m, p, None, None, None, None) for m, p in self.models.items()]
        grid = itertools.product(self.models.items(), self.methods, self.scales.items(), self.seeds)
        for (model, path), method, (scale, dataset), seed in grid:
            cell = Cell(model, path, method, scale, dataset, seed)
            overrides = {**self.train_overrides, **method.train_overrides}
            for match, extra in self.cell_rules:
                if all(cell.tags.get(k) == str(v) for k, v in match.items()):
                    overrides |= extra
            cells.append(Cell(model, path, method, scale, dataset, seed, overrides))
        return cells


def _fail(path: Path, key: str, message: str) -> SweepError:
    return SweepError(f"{path}: `{key}`: {message}")


def _mapping(path: Path, key: str, value: Any, required: bool = True) -> dict:
    if value is None and not required:
        return {}
    if not isinstance(value, dict) or (required and not value):
        raise _fail(path, key, f"expected a non-empty mapping, got {value!r}")
    return value


def _tags(path: Path, key: str, value: Any) -> dict[str, str]:
    mapping = _mapping(path, key, value)
    for tag, target in mapping.items():
        if not TAG.match(str(tag)):
            raise _fail(path, f"{key}.{tag}", "tags are letters, digits and . _ + -")
        if not isinstance(target, str) or not target.strip():
            raise _fail(path, f"{key}.{tag}", f"expected a name or path, got {target!r}")
    return {str(k): v for k, v in mapping.items()}


def _config(path: Path, key: str, value: Any) -> Path:
    if not isinstance(value, str):
        raise _fail(path, key, f"expected a config path, got {value!r}")
    config = Path(value)
    if not config.is_file():
        raise _fail(
            path, key, f"{value} does not exist (paths are relative to the current directory)"
        )
    return config


def _overrides(path: Path, key: str, value: Any) -> dict[str, Any]:
    mapping = _mapping(path, key, value, required=False)
    for name, item in mapping.items():
        if isinstance(item, (dict, list)):
            raise _fail(
                path, f"{key}.{name}", "override values are scalars (as on the command line)"
            )
    return mapping


def _method(path: Path, name: str, spec: Any, serve: Path | None) -> Method:
    key = f"methods.{name}"
    spec = _mapping(path, key, spec)
    unknown = set(spec) - METHOD_KEYS
    if unknown:
        raise _fail(
            path, f"{key}.{sorted(unknown)[0]}", f"unknown key; known: {sorted(METHOD_KEYS)}"
        )
    if "train" not in spec:
        raise _fail(path, f"{key}.train", "missing: the training config of this method")
    merge = _config(path, f"{key}.merge", spec["merge"]) if spec.get("merge") else None
    merge_overrides = _overrides(path, f"{key}.merge_overrides", spec.get("merge_overrides"))
    if merge is not None:
        merged = {**(yaml.safe_load(merge.read_text(encoding="utf-8")) or {}), **merge_overrides}
        if merged.get("quantization_bit") is not None:
            raise _fail(
                path,
                f"{key}.merge",
                f"{merge} sets quantization_bit: adapters are never merged onto a quantised base "
                "(merge onto the unquantised model, as merge/qwen_qlora_merge.yaml does)",
            )
    own_serve = spec.get("serve")
    if own_serve is None and serve is None:
        raise _fail(path, f"{key}.serve", "no serve config here nor at the top level")
    gpus = spec.get("gpus", 1)
    if not isinstance(gpus, int) or gpus < 1:
        raise _fail(path, f"{key}.gpus", f"expected a positive integer, got {gpus!r}")
    return Method(
        name=name,
        train=_config(path, f"{key}.train", spec["train"]),
        merge=merge,
        serve=_config(path, f"{key}.serve", own_serve) if own_serve else serve,
        train_overrides=_overrides(path, f"{key}.train_overrides", spec.get("train_overrides")),
        merge_overrides=merge_overrides,
        gpus=gpus,
    )


def _evals(path: Path, value: Any) -> list[EvalTask]:
    if not isinstance(value, list) or not value:
        raise _fail(path, "eval", "expected a non-empty list of {task, data?, limit?, …}")
    tasks = []
    for number, item in enumerate(value):
        key = f"eval[{number}]"
        item = {"task": item} if isinstance(item, str) else _mapping(path, key, item)
        unknown = set(item) - EVAL_KEYS
        if unknown:
            raise _fail(
                path, f"{key}.{sorted(unknown)[0]}", f"unknown key; known: {sorted(EVAL_KEYS)}"
            )
        if not isinstance(item.get("task"), str):
            raise _fail(path, f"{key}.task", "missing: a built-in task name or a task YAML")
        for name in ("limit", "max_tokens", "concurrency"):
            if item.get(name) is not None and (not isinstance(item[name], int) or item[name] < 1):
                raise _fail(
                    path, f"{key}.{name}", f"expected a positive integer, got {item[name]!r}"
                )
        args = item.get("args") or []
        if not isinstance(args, list):
            raise _fail(path, f"{key}.args", "expected a list of extra `medqa eval run` words")
        fields = {k: item.get(k) for k in ("task", "data", "limit", "max_tokens", "concurrency")}
        tasks.append(EvalTask(**fields, args=tuple(map(str, args))))
    names = [t.task for t in tasks]
    if len(set(names)) != len(names):
        raise _fail(path, "eval", f"a task is listed twice: {names}")
    return tasks


def _seeds(path: Path, value: Any) -> list[int]:
    seeds = [42] if value is None else value
    if not isinstance(seeds, list) or not seeds or not all(isinstance(s, int) for s in seeds):
        raise _fail(path, "seeds", f"expected a list of integers, got {value!r}")
    return seeds


def _cell_rules(path: Path, value: Any) -> list[tuple[dict[str, str], dict[str, Any]]]:
    rules = []
    for number, rule in enumerate(value or []):
        key = f"cells[{number}]"
        rule = _mapping(path, key, rule)
        if set(rule) - {"match", "train"}:
            raise _fail(path, key, "a rule has `match` (tags) and `train` (overrides)")
        match = _mapping(path, f"{key}.match", rule.get("match"))
        if set(match) - {"model", "method", "scale", "seed"}:
            raise _fail(path, f"{key}.match", "match on model, method, scale or seed")
        rules.append((match, _overrides(path, f"{key}.train", rule.get("train"))))
    return rules


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file; SweepError names the file and the key."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SweepError(f"{path}: cannot read the sweep file ({exc})") from None
    raw = _mapping(path, "(top level)", raw)
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise _fail(path, sorted(unknown)[0], f"unknown key; known: {sorted(TOP_KEYS)}")
    name = str(raw.get("name") or path.stem)
    serve = _config(path, "serve", raw["serve"]) if raw.get("serve") else None
    methods = [
        _method(path, m, spec, serve)
        for m, spec in _mapping(path, "methods", raw.get("methods")).items()
    ]
    for method in methods:
        if not TAG.match(method.name) or method.name == "base":
            raise _fail(
                path,
                f"methods.{method.name}",
                "a method tag (not 'base'): letters, digits, . _ + -",
            )
    return Sweep(
        path=path,
        name=name,
        out=Path(raw.get("out") or f"data/sweeps/{name}"),
        methods=methods,
        scales=_tags(path, "scales", raw.get("scales")),
        models=_tags(path, "models", raw.get("models")),
        seeds=_seeds(path, raw.get("seeds")),
        baseline=bool(raw.get("baseline", True)),
        serve=serve or methods[0].serve,
        train_overrides=_overrides(path, "train", raw.get("train")),
        cell_rules=_cell_rules(path, raw.get("cells")),
        evals=_evals(path, raw.get("eval")),
        serve_args=_words(path, "serve_args", raw.get("serve_args")),
    )


def _words(path: Path, key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _fail(path, key, f"expected a list of command-line words, got {value!r}")
    return tuple(map(str, value))

"""Recipes: a YAML list of named steps with parameters (data-juicer style), validated up front.

A bad recipe fails before any data is read, with a message naming the key, e.g.
``recipe.yaml: steps[3].dedup: unknown parameter 'treshold' (known: bands, exact, …)``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dataprep.preference.params import PairsParams
from dataprep.readers import READERS, InputSpec
from dataprep.steps.decontaminate import DecontaminateParams
from dataprep.steps.dedup import DedupParams
from dataprep.steps.deidentify import DeidentifyParams
from dataprep.steps.department import DepartmentParams
from dataprep.steps.normalize import NormalizeParams
from dataprep.steps.quality import QualityParams
from dataprep.steps.split import SplitParams

DEFAULT_RECIPE = Path(__file__).with_name("recipes") / "default.yaml"
STEP_PARAMS: dict[str, type] = {
    "normalize": NormalizeParams,
    "deidentify": DeidentifyParams,
    "quality": QualityParams,
    "department": DepartmentParams,
    "decontaminate": DecontaminateParams,
    "dedup": DedupParams,
    "split": SplitParams,
    "pairs": PairsParams,
}
FORMATS = ("alpaca", "sharegpt")


class RecipeError(ValueError):
    """The recipe is invalid; the message names the file and key."""


@dataclass
class OutputParams:
    """``formats``: alpaca and/or sharegpt; ``system_prompt``: written as ``system`` on every
    example (null: none, or the input's own); ``examples_per_reason``: dropped records kept
    per drop reason for ``medqa prep inspect``."""

    formats: list[str] = field(default_factory=lambda: list(FORMATS))
    system_prompt: str | None = None
    examples_per_reason: int = 20

    def __post_init__(self) -> None:
        for name in self.formats:
            if name not in FORMATS:
                raise ValueError(f"unknown format {name!r} (known: {', '.join(FORMATS)})")


@dataclass
class Recipe:
    """A validated recipe: steps in order with their parameter objects."""

    name: str = "medqa"
    seed: int = 42
    steps: list[tuple[str, Any]] = field(default_factory=list)
    inputs: list[InputSpec] = field(default_factory=list)
    output: OutputParams = field(default_factory=OutputParams)
    path: str = "<recipe>"

    def get(self, step: str) -> Any:
        """The parameters of ``step`` if the recipe has it, else ``None``."""
        return next((params for name, params in self.steps if name == step), None)

    def to_dict(self) -> dict[str, Any]:
        """The effective recipe (every default filled in), for stats.json."""
        return {
            "name": self.name,
            "seed": self.seed,
            "steps": [{name: dataclasses.asdict(params)} for name, params in self.steps],
            "output": dataclasses.asdict(self.output),
        }


def load_recipe(path: str | Path | None = None) -> Recipe:
    """Read and validate a recipe YAML (the bundled default when ``path`` is None)."""
    path = Path(path) if path else DEFAULT_RECIPE
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        raise RecipeError(f"recipe {path} does not exist") from None
    except yaml.YAMLError as exc:
        raise RecipeError(f"{path}: not valid YAML ({exc})") from None
    return parse_recipe(data, str(path))


def parse_recipe(data: Any, where: str = "<recipe>") -> Recipe:
    """Validate a recipe mapping; every problem raises :class:`RecipeError` naming the key."""
    if not isinstance(data, dict):
        raise RecipeError(f"{where}: a recipe is a mapping with name, seed, inputs, steps, output")
    known = {"name", "seed", "inputs", "steps", "output", "description"}
    for key in data:
        if key not in known:
            raise RecipeError(f"{where}: unknown top-level key {key!r} (known: {_list(known)})")
    recipe = Recipe(path=where)
    recipe.name = _typed(data.get("name", "medqa"), str, f"{where}: name")
    recipe.seed = _typed(data.get("seed", 42), int, f"{where}: seed")
    recipe.steps = _steps(data.get("steps"), where)
    recipe.inputs = [
        _input(item, f"{where}: inputs[{i}]")
        for i, item in enumerate(_list_of(data.get("inputs") or [], f"{where}: inputs"))
    ]
    recipe.output = build_params(OutputParams, data.get("output") or {}, f"{where}: output")
    return recipe


def _steps(items: Any, where: str) -> list[tuple[str, Any]]:
    steps, seen = [], set()
    for i, item in enumerate(_list_of(items or [], f"{where}: steps")):
        at = f"{where}: steps[{i}]"
        if isinstance(item, str):
            item = {item: None}
        if not isinstance(item, dict) or len(item) != 1:
            raise RecipeError(f"{at}: each step is a one-key mapping, e.g. '- dedup: {{...}}'")
        ((name, params),) = item.items()
        if name not in STEP_PARAMS:
            raise RecipeError(f"{at}: unknown step {name!r} (known: {_list(STEP_PARAMS)})")
        if name in seen:
            raise RecipeError(f"{at}: step {name!r} appears twice")
        seen.add(name)
        steps.append((name, build_params(STEP_PARAMS[name], params or {}, f"{at}.{name}")))
    return steps


def _input(item: Any, at: str) -> InputSpec:
    if isinstance(item, str):
        return InputSpec.parse(item)
    if not isinstance(item, dict) or "path" not in item:
        raise RecipeError(f"{at}: an input is a path or a mapping with 'path'")
    options = {k: v for k, v in item.items() if k not in ("path", "format")}
    fmt = item.get("format")
    if fmt is not None and fmt not in READERS:
        raise RecipeError(f"{at}.format: unknown format {fmt!r} (known: {_list(READERS)})")
    return InputSpec(Path(str(item["path"])), fmt, options)


def build_params(cls: type, values: Any, at: str) -> Any:
    """An instance of the params dataclass ``cls`` from a mapping, checking names and types."""
    if not isinstance(values, dict):
        raise RecipeError(f"{at}: parameters must be a mapping, got {type(values).__name__}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    for key, value in values.items():
        if key not in names:
            raise RecipeError(f"{at}: unknown parameter {key!r} (known: {_list(names)})")
        if not _matches(value, hints[key]):
            raise RecipeError(f"{at}.{key}: expected {_describe(hints[key])}, got {value!r}")
    try:
        return cls(**values)
    except (ValueError, TypeError) as exc:
        raise RecipeError(f"{at}: {exc}") from None


def _matches(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is list:
        (arg,) = typing.get_args(hint)
        return isinstance(value, list) and all(_matches(v, arg) for v in value)
    if origin is dict:
        key_type, value_type = typing.get_args(hint)
        return isinstance(value, dict) and all(
            _matches(k, key_type) and _matches(v, value_type) for k, v in value.items()
        )
    return isinstance(value, hint)


def _describe(hint: Any) -> str:
    return str(hint).replace("typing.", "").replace("NoneType", "null").replace("None", "null")


def _typed(value: Any, kind: type, at: str) -> Any:
    if not _matches(value, kind):
        raise RecipeError(f"{at}: expected {kind.__name__}, got {value!r}")
    return value


def _list_of(value: Any, at: str) -> list:
    if not isinstance(value, list):
        raise RecipeError(f"{at}: expected a list")
    return value


def _list(names) -> str:
    return ", ".join(sorted(names))

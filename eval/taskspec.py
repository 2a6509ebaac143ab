"""Tasks as data: a YAML file names the data, prompt, decoding, scoring and retrieval of a benchmark.

``load_task("medqa_mcmle")`` reads ``eval/tasks/medqa_mcmle.yaml``; a path loads any YAML file.
Sections and their keys (defaults below in ``SCHEMA``)::

    name: medqa_mcmle
    type: mcq                      # mcq | open_qa | safety
    description: …
    data:     {path, split, subjects}  # path relative to the current directory (or absolute);
                                   # subjects: keep only these (e.g. CMMLU's medical ones)
    fewshot:  {path, split, shots} # dev split for few-shot examples
    multi_answer: false            # answers like "ACD": exact set match + partial credit
    prompt:   {system, instruction, template, example}
    decoding: {temperature, max_tokens, top_p, seed, stop}
    scoring:  generate             # mcq: generate | loglik | both
    rag:      {knowledge, top_k, chunk_chars, overlap}   # knowledge folder → retrieval on
    judge:    {max_tokens, temperature}                   # used with --judge-endpoint
    probes:   [{id, flag, question}]                      # safety tasks

Unknown keys and wrong types fail with the file and key named.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eval.prompts import check_template

TASKS_DIR = Path(__file__).resolve().parent / "tasks"
TYPES = ("mcq", "open_qa", "safety")
SCORING = ("generate", "loglik", "both")

SCHEMA: dict[str, dict[str, Any]] = {
    "data": {"path": None, "split": "test", "subjects": None},
    "fewshot": {"path": None, "split": "dev", "shots": 0},
    "prompt": {"system": None, "instruction": None, "template": None, "example": None},
    "decoding": {"temperature": 0.0, "max_tokens": 512, "top_p": None, "seed": None, "stop": None},
    "rag": {"knowledge": None, "top_k": 3, "chunk_chars": 400, "overlap": 80},
    "judge": {"max_tokens": 256, "temperature": 0.0},
}
TOP_LEVEL = {"name", "type", "description", "multi_answer", "scoring", "probes", *SCHEMA}


class TaskError(ValueError):
    """A task file that cannot be used; the message names the file and key."""


@dataclass
class Task:
    """A parsed task file (module docs)."""

    name: str
    type: str
    source: Path
    description: str = ""
    multi_answer: bool = False
    scoring: str = "generate"
    data: dict = field(default_factory=dict)
    fewshot: dict = field(default_factory=dict)
    prompt: dict = field(default_factory=dict)
    decoding: dict = field(default_factory=dict)
    rag: dict = field(default_factory=dict)
    judge: dict = field(default_factory=dict)
    probes: list[dict] = field(default_factory=list)

    @property
    def uses_rag(self) -> bool:
        return bool(self.rag.get("knowledge"))

    def decoding_params(self) -> dict[str, Any]:
        return {k: v for k, v in self.decoding.items() if v is not None}


def builtin_tasks() -> dict[str, Path]:
    """Name → file of the tasks shipped in ``eval/tasks``."""
    return {p.stem: p for p in sorted(TASKS_DIR.glob("*.yaml"))}


def resolve_task_path(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        if not path.is_file():
            raise TaskError(f"task file {path} does not exist")
        return path
    tasks = builtin_tasks()
    if name_or_path not in tasks:
        raise TaskError(
            f"unknown task {name_or_path!r} (built-in: {', '.join(tasks)}; "
            "or give a path to a YAML file)"
        )
    return tasks[name_or_path]


def _section(raw: dict, name: str, where: str) -> dict:
    value = raw.get(name) or {}
    if not isinstance(value, dict):
        raise TaskError(f"{where}: '{name}' must be a mapping")
    unknown = sorted(set(value) - set(SCHEMA[name]))
    if unknown:
        raise TaskError(
            f"{where}: unknown key '{name}.{unknown[0]}' (known: {', '.join(SCHEMA[name])})"
        )
    return {**SCHEMA[name], **value}


def _check_types(task: Task, where: str) -> None:
    numbers = [
        ("decoding.max_tokens", task.decoding["max_tokens"], int),
        ("fewshot.shots", task.fewshot["shots"], int),
        ("rag.top_k", task.rag["top_k"], int),
        ("decoding.temperature", task.decoding["temperature"], int | float),
    ]
    for key, value, kind in numbers:
        if not isinstance(value, kind) or isinstance(value, bool) or value < 0:
            raise TaskError(f"{where}: '{key}' must be a non-negative number, got {value!r}")
    for key in ("template", "example"):
        if task.prompt.get(key) is not None:
            try:
                check_template(task.prompt[key], f"{where}: prompt.{key}")
            except ValueError as exc:
                raise TaskError(str(exc)) from None
    if task.type == "safety":
        for n, probe in enumerate(task.probes):
            if not isinstance(probe, dict) or not {"id", "flag", "question"} <= set(probe):
                raise TaskError(f"{where}: probes[{n}] needs id, flag and question")
    elif task.type != "safety" and not task.data.get("path"):
        raise TaskError(f"{where}: 'data.path' is required for {task.type} tasks (or pass --data)")


def parse_task(raw: Any, source: Path) -> Task:
    """A Task from the loaded YAML mapping ``raw`` (from ``source``)."""
    where = str(source)
    if not isinstance(raw, dict):
        raise TaskError(f"{where}: a task file must be a YAML mapping")
    unknown = sorted(set(raw) - TOP_LEVEL)
    if unknown:
        raise TaskError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(TOP_LEVEL))})"
        )
    if raw.get("type") not in TYPES:
        raise TaskError(
            f"{where}: 'type' must be one of {', '.join(TYPES)}, got {raw.get('type')!r}"
        )
    if raw.get("scoring", "generate") not in SCORING:
        raise TaskError(f"{where}: 'scoring' must be one of {', '.join(SCORING)}")
    task = Task(
        name=str(raw.get("name") or source.stem),
        type=raw["type"],
        source=source,
        description=str(raw.get("description") or ""),
        multi_answer=bool(raw.get("multi_answer", False)),
        scoring=raw.get("scoring", "generate"),
        probes=list(raw.get("probes") or []),
        **{name: _section(raw, name, where) for name in SCHEMA},
    )
    _check_types(task, where)
    return task


def load_task(name_or_path: str, overrides: dict[str, Any] | None = None) -> Task:
    """Load a built-in or file task and apply ``overrides`` like ``{"data.path": …}``."""
    path = resolve_task_path(name_or_path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise TaskError(f"{path}: invalid YAML ({exc})") from None
    raw = copy.deepcopy(raw) if isinstance(raw, dict) else raw
    for dotted, value in (overrides or {}).items():
        if value is None or not isinstance(raw, dict):
            continue
        section, _, key = dotted.partition(".")
        if key:
            raw.setdefault(section, {})
            raw[section] = {**(raw[section] or {}), key: value}
        else:
            raw[section] = value
    return parse_task(raw, path)

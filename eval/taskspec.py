"""Tasks as data: a YAML file names the data, prompt, decoding, scoring and retrieval of a benchmark.

``load_task("medqa_mcmle")`` reads ``eval/tasks/medqa_mcmle.yaml``; a path loads any YAML file.
Sections and their keys (defaults below in ``SCHEMA``)::

    name: medqa_mcmle
    type: mcq                      # mcq | open_qa | safety
    description: …
    data:     {path, split, subjects, source, skip_invalid}  # path relative to the current
                                   # directory (or absolute); subjects: keep only these (e.g.
                                   # CMMLU's medical ones); source: where the file comes from
                                   # (said when absent); skip_invalid: leave out (and count) bad
                                   # records instead of stopping
    fewshot:  {path, split, shots} # dev split for few-shot examples
    fields:   {question, options, answer, explanation, subject, id, index_base}
                                   # the exam file's own field names (medqa.mcq knows the usual
                                   # English/Chinese ones); index_base 1 for 1-based answers
    multi_answer: false            # answers like "ACD": exact set match + partial credit
    mismatch: stop                 # gold with the other answer count: stop | score (and count)
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
from medqa.mcq import McqError, check_fields

TASKS_DIR = Path(__file__).resolve().parent / "tasks"
TYPES = ("mcq", "open_qa", "safety")
SCORING = ("generate", "loglik", "both")

SCHEMA: dict[str, dict[str, Any]] = {
    "data": {
        "path": None,
        "split": "test",
        "subjects": None,
        "source": None,
        "skip_invalid": False,
    },
    "fewshot": {"path": None, "split": "dev", "shots": 0},
    "prompt": {"system": None, "instruction": None, "template": None, "example": None},
    "decoding": {"temperature": 0.0, "max_tokens": 512, "top_p": None, "seed": None, "stop": None},
    "rag": {"knowledge": None, "top_k": 3, "chunk_chars": 400, "overlap": 80},
    "judge": {"max_tokens": 256, "temperature": 0.0},
}
TOP_LEVEL = {
    "name",
    "type",
    "description",
    "multi_answer",
    "mismatch",
    "scoring",
    "probes",
    "fields",
    *SCHEMA,
}
MISMATCH = ("stop", "score")


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
    mismatch: str = "stop"
    scoring: str = "generate"
    fields: dict = field(default_factory=dict)
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


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# key, what it must be, test; only the keys in _OPTIONAL may be left unset (null)
_VALUES: tuple[tuple[str, str, Any], ...] = (
    ("decoding.max_tokens", "a positive integer", lambda v: _is_int(v) and v >= 1),
    ("decoding.temperature", "a non-negative number", lambda v: _is_number(v) and v >= 0),
    ("decoding.top_p", "a number in (0, 1]", lambda v: _is_number(v) and 0 < v <= 1),
    ("decoding.seed", "an integer", _is_int),
    (
        "decoding.stop",
        "a string or a list of strings",
        lambda v: isinstance(v, str) or _is_texts(v),
    ),
    ("fewshot.shots", "a non-negative integer", lambda v: _is_int(v) and v >= 0),
    ("rag.top_k", "a positive integer", lambda v: _is_int(v) and v >= 1),
    ("rag.chunk_chars", "an integer >= 20", lambda v: _is_int(v) and v >= 20),
    ("rag.overlap", "a non-negative integer", lambda v: _is_int(v) and v >= 0),
    ("judge.max_tokens", "a positive integer", lambda v: _is_int(v) and v >= 1),
    ("judge.temperature", "a non-negative number", lambda v: _is_number(v) and v >= 0),
    ("data.subjects", "a list of subject names", _is_texts),
    (
        "data.source",
        "a sentence saying where the data file comes from",
        lambda v: isinstance(v, str),
    ),
)
_OPTIONAL = {"decoding.top_p", "decoding.seed", "decoding.stop", "data.subjects", "data.source"}
# The template fields each task type fills in (open QA and safety only know the question).
_TEMPLATE_FIELDS = {"open_qa": {"question"}, "safety": {"question"}}


def _check_types(task: Task, where: str) -> None:
    if not isinstance(task.multi_answer, bool):
        raise TaskError(f"{where}: 'multi_answer' must be true or false, got {task.multi_answer!r}")
    for key, what, test in _VALUES:
        section, _, name = key.partition(".")
        value = getattr(task, section)[name]
        if (value is not None or key not in _OPTIONAL) and not test(value):
            raise TaskError(f"{where}: '{key}' must be {what}, got {value!r}")
    if task.rag["overlap"] >= task.rag["chunk_chars"]:
        raise TaskError(f"{where}: 'rag.overlap' must be smaller than 'rag.chunk_chars'")
    for key in ("template", "example"):
        if task.prompt.get(key) is not None:
            try:
                check_template(
                    task.prompt[key], f"{where}: prompt.{key}", _TEMPLATE_FIELDS.get(task.type)
                )
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
    if raw.get("mismatch", "stop") not in MISMATCH:
        raise TaskError(
            f"{where}: 'mismatch' must be one of {', '.join(MISMATCH)}, got {raw['mismatch']!r}"
        )
    if raw.get("fields") is not None and not isinstance(raw["fields"], dict):
        raise TaskError(f"{where}: 'fields' must map question/options/answer/… to the file's names")
    try:
        fields = check_fields(raw.get("fields"), where)
    except McqError as exc:
        raise TaskError(str(exc)) from None
    probes = raw.get("probes") or []
    if not isinstance(probes, list):
        raise TaskError(f"{where}: 'probes' must be a list of {{id, flag, question}}")
    task = Task(
        name=str(raw.get("name") or source.stem),
        type=raw["type"],
        source=source,
        description=str(raw.get("description") or ""),
        multi_answer=raw.get("multi_answer", False),
        mismatch=raw.get("mismatch", "stop"),
        scoring=raw.get("scoring", "generate"),
        fields=fields,
        probes=list(probes),
        **{name: _section(raw, name, where) for name in SCHEMA},
    )
    _check_types(task, where)
    return task


def require_data(task: Task, key: str = "data") -> Path:
    """The task's data path (``data`` or ``fewshot``), or a TaskError saying that it is absent,
    where such a file comes from and which option to pass."""
    section = getattr(task, key)
    path = Path(section["path"])
    if path.exists():
        return path
    option = "--data" if key == "data" else f"fewshot.path in {task.source}"
    source = task.data.get("source") or "It is not bundled with medqa-factory."
    raise TaskError(
        f"task {task.name}: {key} file {path} does not exist. {source.strip()} "
        f"Pass your copy with {option} PATH (or place it at {path})."
    )


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

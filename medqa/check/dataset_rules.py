"""Dataset pitfalls: the name is not registered, its file is missing, empty or lacks its columns."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path
from typing import Any

from medqa.check.config import TRAIN, RunConfig
from medqa.check.dpo_rules import ranking_columns_problem, ranking_stage_problem
from medqa.check.findings import Finding, Level

SAMPLE_LINES = 50
_ALPACA_DEFAULTS = {"prompt": "instruction", "query": "input", "response": "output"}
_SHAREGPT_TAGS = {
    "role_tag": "from",
    "content_tag": "value",
    "user_tag": "human",
    "assistant_tag": "gpt",
}


def dataset_names(cfg: RunConfig) -> list[tuple[str, str]]:
    """``(key, name)`` for every dataset the config names in ``dataset`` / ``eval_dataset``."""
    names = []
    for key in ("dataset", "eval_dataset"):
        value = cfg.get(key)
        items = value if isinstance(value, list) else str(value or "").split(",")
        names += [(key, item.strip()) for item in items if item.strip()]
    return names


def load_dataset_info(dataset_dir: Path) -> dict[str, Any] | None:
    """The parsed ``dataset_info.json`` in ``dataset_dir``, or None when there is none."""
    try:
        return json.loads((dataset_dir / "dataset_info.json").read_text("utf-8"))
    except FileNotFoundError:
        return None


def dataset_files(dataset_dir: Path, entry: dict[str, Any]) -> list[Path]:
    """The local files behind a dataset_info entry (a folder expands to its json/jsonl files)."""
    path = Path(entry["file_name"])
    path = path if path.is_absolute() else dataset_dir / path
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in {".json", ".jsonl"})
    return [path]


def check_datasets(cfg: RunConfig) -> list[Finding]:
    """Every dataset named by a training config resolves to a non-empty file with its columns."""
    if cfg.kind != TRAIN:
        return []
    names = dataset_names(cfg)
    if not names:
        return []
    where = str(cfg.path)
    try:
        info = load_dataset_info(cfg.dataset_dir)
    except (ValueError, OSError) as exc:
        return [
            Finding(
                where,
                Level.ERROR,
                "dataset-info",
                "dataset_dir",
                f"dataset_info.json unreadable: {exc}",
            )
        ]
    if info is None:
        return [
            Finding(
                where,
                Level.ERROR,
                "dataset-info-missing",
                "dataset_dir",
                f"Cannot open {cfg.dataset_dir / 'dataset_info.json'} (dataset_dir is resolved "
                f"against the current directory {Path.cwd()})",
                "run from the repository root (the configs use `dataset_dir: .`) or give an "
                "absolute dataset_dir",
            )
        ]
    found: list[Finding] = []
    for key, name in names:
        entry = info.get(name)
        if entry is None:
            found.append(
                Finding(
                    where,
                    Level.ERROR,
                    "dataset-undefined",
                    key,
                    f"Undefined dataset {name!r} in {cfg.dataset_dir / 'dataset_info.json'}",
                    "run `medqa prep run` (it registers its outputs) or fix the name; "
                    f"known: {', '.join(sorted(info)[:8])}",
                )
            )
        elif "file_name" in entry:
            found += _check_entry_files(where, key, name, cfg.dataset_dir, entry)
        if isinstance(entry, dict) and (problem := ranking_stage_problem(cfg, key, name, entry)):
            found.append(problem)
    return found


def _check_entry_files(
    where: str, key: str, name: str, dataset_dir: Path, entry: dict
) -> list[Finding]:
    files = dataset_files(dataset_dir, entry)
    missing = [f for f in files if not f.is_file()]
    if not files or missing:
        return [
            Finding(
                where,
                Level.ERROR,
                "dataset-file-missing",
                key,
                f"dataset {name!r}: file {missing[0] if missing else entry['file_name']} does not exist",
                "run `medqa prep run` to write it, or fix file_name in dataset_info.json",
            )
        ]
    found = []
    for file in files:
        problem = _column_problem(file, entry)
        if problem:
            code, message = problem
            found.append(
                Finding(
                    where,
                    Level.ERROR,
                    code,
                    key,
                    f"dataset {name!r}: {message}",
                    "re-run `medqa prep run`, or make dataset_info.json columns match the file",
                )
            )
    return found


def _sample_records(file: Path) -> list[Any]:
    with file.open(encoding="utf-8") as handle:
        if file.suffix == ".json":
            data = json.load(handle)
            return list(data[:SAMPLE_LINES]) if isinstance(data, list) else [data]
        lines = [line for line in islice(handle, SAMPLE_LINES * 2) if line.strip()][:SAMPLE_LINES]
    records = []
    for number, line in enumerate(lines, start=1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{file}:{number}: invalid JSON ({exc.msg})") from exc
    return records


def _column_problem(file: Path, entry: dict) -> tuple[str, str] | None:
    try:
        records = _sample_records(file)
    except (ValueError, OSError) as exc:
        return "dataset-malformed", str(exc)
    except RecursionError:
        return "dataset-malformed", f"{file}: JSON nested too deeply to read"
    if not records:
        return "dataset-empty", f"{file} has no records"
    columns = entry.get("columns", {})
    if entry.get("ranking"):
        return ranking_columns_problem(file, records, entry)
    if entry.get("formatting", "alpaca") == "sharegpt":
        return _sharegpt_problem(
            file, records, columns, {**_SHAREGPT_TAGS, **entry.get("tags", {})}
        )
    wanted = {**_ALPACA_DEFAULTS, **{k: v for k, v in columns.items() if v}}
    for role, column in wanted.items():
        if all(column not in record for record in records):
            return "dataset-columns", (
                f"{file} has no {column!r} field ({role} column): LLaMA-Factory raises KeyError: {column!r}"
            )
    for number, record in enumerate(records, start=1):
        for role in ("prompt", "response"):
            if not isinstance(record.get(wanted[role]), str):
                return (
                    "dataset-columns",
                    f"{file} record {number}: {wanted[role]!r} ({role}) is not text",
                )
    return None


def _sharegpt_problem(
    file: Path, records: list, columns: dict, tags: dict
) -> tuple[str, str] | None:
    messages_col = columns.get("messages", "conversations")
    roles = {tags["user_tag"], tags["assistant_tag"], "system", "observation", "function_call"}
    for number, record in enumerate(records, start=1):
        turns = record.get(messages_col)
        if not isinstance(turns, list) or not turns:
            return "dataset-columns", f"{file} record {number} lacks a {messages_col!r} list"
        absent = [c for c in ("system",) if columns.get(c) and columns[c] not in record]
        if absent:
            return (
                "dataset-columns",
                f"{file} record {number} lacks system column {columns['system']!r}",
            )
        for turn in turns:
            if tags["role_tag"] not in turn or tags["content_tag"] not in turn:
                return "dataset-columns", (
                    f"{file} record {number}: a turn lacks {tags['role_tag']!r}/{tags['content_tag']!r}"
                )
            if turn[tags["role_tag"]] not in roles:
                return "dataset-columns", (
                    f"{file} record {number}: role {turn[tags['role_tag']]!r} is not one of the tags "
                    f"{sorted(roles)}"
                )
    return None

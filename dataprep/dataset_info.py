"""``dataset_info.json`` entries for LLaMA-Factory, merged atomically into an existing file.

Entries the user added by hand survive a merge; only the names being written are replaced.
``file_name`` is relative to the directory of the dataset_info.json it is written into (what
LLaMA-Factory resolves against ``dataset_dir``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from medqa.io import write_json

ALPACA_COLUMNS = {
    "prompt": "instruction",
    "query": "input",
    "response": "output",
    "system": "system",
}
SHAREGPT_COLUMNS = {"messages": "conversations", "system": "system"}
SHAREGPT_TAGS = {
    "role_tag": "from",
    "content_tag": "value",
    "user_tag": "human",
    "assistant_tag": "gpt",
}


def entry(file_name: str, formatting: str) -> dict[str, Any]:
    """One dataset entry naming its file, formatting, columns (and tags for sharegpt)."""
    if formatting == "alpaca":
        return {"file_name": file_name, "formatting": "alpaca", "columns": dict(ALPACA_COLUMNS)}
    if formatting == "sharegpt":
        return {
            "file_name": file_name,
            "formatting": "sharegpt",
            "columns": dict(SHAREGPT_COLUMNS),
            "tags": dict(SHAREGPT_TAGS),
        }
    raise ValueError(f"unknown formatting {formatting!r}")


def relative_file_name(data_file: str | os.PathLike, info_path: str | os.PathLike) -> str:
    """``data_file`` relative to the folder of ``info_path`` (POSIX separators)."""
    base = Path(os.path.abspath(info_path)).parent
    return Path(os.path.relpath(os.path.abspath(data_file), base)).as_posix()


def merge_entries(
    path: str | os.PathLike,
    entries: dict[str, dict[str, Any]],
    prune_under: str | os.PathLike | None = None,
) -> None:
    """Add or replace ``entries`` in the dataset_info.json at ``path`` (created if absent),
    keeping every other entry and the existing order; the write is atomic. With
    ``prune_under`` (the dataset folder just rewritten), other entries whose file lies in that
    folder but no longer exists (e.g. a subset the new run did not make) are removed.

    A file that is not a JSON object raises ValueError and is left untouched."""
    path = Path(path)
    current: dict[str, Any] = {}
    mode = None
    if path.exists():
        mode = path.stat().st_mode & 0o777
        text = path.read_text(encoding="utf-8")
        try:
            current = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}); "
                "fix or remove it, nothing was written"
            ) from None
        if not isinstance(current, dict):
            raise ValueError(f"{path}: expected a JSON object of dataset entries")
    if prune_under is not None:
        for name in [n for n in current if n not in entries]:
            if _missing_under(current[name], path, Path(prune_under)):
                del current[name]
    for name, value in entries.items():
        current[name] = value
    write_json(path, current)
    if mode is None:
        mask = os.umask(0o022)
        os.umask(mask)
        mode = 0o666 & ~mask
    path.chmod(mode)


def _missing_under(value: Any, info_path: Path, folder: Path) -> bool:
    """True if entry ``value`` names a file inside ``folder`` that does not exist."""
    if not isinstance(value, dict) or not isinstance(value.get("file_name"), str):
        return False
    target = Path(os.path.abspath(info_path.parent / value["file_name"]))
    return target.is_relative_to(os.path.abspath(folder)) and not target.exists()

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
    replace: frozenset[str] | set[str] = frozenset(),
) -> None:
    """Add or replace ``entries`` in the dataset_info.json at ``path`` (created if absent),
    keeping every other entry and the existing order; the write is atomic, and a symlink at
    ``path`` is followed (its target is rewritten, the link kept). With ``prune_under`` (the
    dataset folder just rewritten), other entries whose file lies in that folder but no longer
    exists (e.g. a subset the new run did not make) are removed.

    An existing entry whose file would change is replaced only if its name is in ``replace``
    (else :class:`RepointError`, nothing written). A file that is not a JSON object raises
    ValueError and is left untouched."""
    path = Path(path)
    current = load_entries(path)
    conflicts = {
        name: current[name]
        for name, value in entries.items()
        if name in current
        and name not in replace
        and _file_of(current[name], path) not in (None, _file_of(value, path))
    }
    if conflicts:
        raise RepointError(path, conflicts, {n: entries[n] for n in conflicts})
    mode = path.stat().st_mode & 0o777 if path.exists() else None
    if prune_under is not None:
        for name in [n for n in current if n not in entries]:
            if _missing_under(current[name], path, Path(prune_under)):
                del current[name]
    for name, value in entries.items():
        current[name] = value
    target = path.resolve() if path.is_symlink() else path
    write_json(target, current)
    if mode is None:
        mask = os.umask(0o022)
        os.umask(mask)
        mode = 0o666 & ~mask
    target.chmod(mode)


class RepointError(ValueError):
    """Writing would repoint existing dataset_info.json entries to other files."""

    def __init__(self, path: Path, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.names = sorted(old)
        shown = ", ".join(
            f"{n} ({old[n].get('file_name')!r} → {new[n].get('file_name')!r})"
            if isinstance(old[n], dict)
            else n
            for n in self.names[:6]
        )
        more = f" and {len(self.names) - 6} more" if len(self.names) > 6 else ""
        super().__init__(
            f"{path}: would repoint existing entries {shown}{more}; nothing was written. "
            f"Pass --replace-entries {','.join(self.names)} to repoint them, or choose another "
            "--name, another --dataset-info, or --no-register"
        )


def load_entries(path: Path) -> dict[str, Any]:
    """The entries of an existing dataset_info.json ({} if absent or blank)."""
    if not path.exists():
        return {}
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
    return current


def check_repoint(
    path: Path, name: str, folder: Path, formats: list[str], replace: frozenset[str]
) -> None:
    """Before a run: raise :class:`RepointError` if an existing ``<name>_<format>_*`` entry of
    ``path`` names a file outside ``folder`` (where this run would point it) and is not in
    ``replace``."""
    current = load_entries(Path(path))
    old, new = {}, {}
    for key, value in current.items():
        fmt = next((f for f in formats if key.startswith(f"{name}_{f}_")), None)
        if fmt is None or key in replace:
            continue
        split = key.removeprefix(f"{name}_{fmt}_")
        wanted = {"file_name": relative_file_name(folder / fmt / f"{split}.jsonl", path)}
        if _file_of(value, path) not in (None, _file_of(wanted, path)):
            old[key], new[key] = value, wanted
    if old:
        raise RepointError(Path(path), old, new)


def _file_of(value: Any, info_path: Path) -> str | None:
    if not isinstance(value, dict) or not isinstance(value.get("file_name"), str):
        return None
    return os.path.abspath(info_path.parent / value["file_name"])


def _missing_under(value: Any, info_path: Path, folder: Path) -> bool:
    """True if entry ``value`` names a file inside ``folder`` that does not exist."""
    if not isinstance(value, dict) or not isinstance(value.get("file_name"), str):
        return False
    target = Path(os.path.abspath(info_path.parent / value["file_name"]))
    return target.is_relative_to(os.path.abspath(folder)) and not target.exists()

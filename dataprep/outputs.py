"""Writing a run: the split files, exam files, dropped examples, stats, charts and report into
the staging folder; the swap into place; the dataset_info.json registration."""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path
from typing import Any

from dataprep import charts, report
from dataprep.dataset_info import entry, merge_entries, relative_file_name
from dataprep.stats import build_stats
from dataprep.writepass import Written
from medqa.io import write_json, write_jsonl


class OutputError(RuntimeError):
    """The output folder cannot be written (e.g. it holds something that is not ours)."""


MARKER = ".medqa-prep.json"  # written into every dataset folder: "medqa prep owns this"
_MARKER_TOOL = "medqa prep"


def resolve_output(final: Path) -> Path:
    """The folder to write for ``out/name``: a symlink there is followed (its target is
    replaced, the link is kept); a dangling one is refused."""
    if not final.is_symlink():
        return final
    target = final.resolve()
    if not target.parent.is_dir():
        raise OutputError(f"{final} is a symlink to {target}, whose folder does not exist")
    return target


# What a run writes at the top of its folder: an output of a version before the marker is
# recognised by holding stats.json and nothing else than these.
_PREP_NAMES = frozenset(
    {"alpaca", "sharegpt", "exam", "dpo", "charts", "stats.json", "report.html"}
    | {"rejects.jsonl", "examples.jsonl", MARKER}
)


def owned(folder: Path) -> bool:
    """True if ``folder`` holds the marker a ``medqa prep`` run writes, or is an output of an
    older version (stats.json, and only names a run writes)."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        names = {path.name for path in folder.iterdir()}
        return "stats.json" in names and names <= _PREP_NAMES
    return isinstance(marker, dict) and marker.get("tool") == _MARKER_TOOL


def write_marker(folder: Path, name: str) -> None:
    """Mark ``folder`` as a ``medqa prep`` output (what :func:`check_replaceable` asks for)."""
    write_json(folder / MARKER, {"tool": _MARKER_TOOL, "name": name})


def check_replaceable(final: Path) -> None:
    """Refuse to replace anything but an empty folder or one a ``medqa prep`` run marked."""
    if not final.exists() and not final.is_symlink():
        return
    if final.is_symlink() or not final.is_dir():
        raise OutputError(f"refusing to replace {final}: it is not a folder")
    if any(final.iterdir()) and not owned(final):
        raise OutputError(
            f"refusing to replace {final}: it is not a `medqa prep` output (no {MARKER} "
            "marker, and files a run does not write); choose another --name/--out, or move "
            "your files out of it"
        )


def previous_records(final: Path) -> int | None:
    """Records in the splits of the dataset at ``final`` (None: no readable dataset there)."""
    try:
        stats = json.loads((final / "stats.json").read_text(encoding="utf-8"))
        return int(sum(stats["splits"].values()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _side_folder(final: Path, kind: str, pid: int | None = None) -> Path:
    """``.<name>.<kind>-<host>-<pid>`` beside ``final``: a run's staging or replaced output."""
    return final.parent / f".{final.name}.{kind}-{socket.gethostname()}-{pid or os.getpid()}"


def staging_folder(final: Path) -> Path:
    """This process's staging folder for ``final``."""
    return _side_folder(final, "staging")


def _alive(pid: int) -> bool:
    """A process with this PID exists (possibly someone else's: PermissionError)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def recover_interrupted(final: Path) -> list[Path]:
    """Clean up after runs on this host that were killed: their staging folders are removed,
    and an output they had moved aside but not yet replaced is put back. Returns what it did."""
    done = []
    prefix = f".{final.name}."
    host = socket.gethostname()
    for path in sorted(final.parent.glob(f"{prefix}*-{host}-*")) if final.parent.is_dir() else []:
        kind, _, pid = path.name.removeprefix(prefix).rpartition("-")
        if kind not in (f"staging-{host}", f"old-{host}") or not pid.isdigit() or _alive(int(pid)):
            continue
        if path.is_symlink():  # a link moved aside by an older version: never follow it
            path.unlink()
        elif kind.startswith("old") and not final.exists():
            os.replace(path, final)
        else:
            shutil.rmtree(path)
        done.append(path)
    return done


def swap_into_place(staging: Path, final: Path) -> None:
    """Replace ``final`` by the complete ``staging`` folder (old version removed after; a
    process killed between the two renames leaves it for :func:`recover_interrupted`).
    Files get the usual umask permissions (temp files are created owner-only)."""
    mode = 0o666 & ~current_umask()
    for path in staging.rglob("*"):
        if path.is_file():
            path.chmod(mode)
    old = _side_folder(final, "old")
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    shutil.rmtree(old, ignore_errors=True)


def current_umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def finish(
    recipe, name, state, result, written: Written, exams, root: Path, workers: int = 1
) -> dict[str, Any]:
    """Write exam files, examples, stats.json, charts (drawn by up to ``workers`` processes)
    and the HTML report; return the stats."""
    for exam_name, records in exams.outputs.items():
        write_jsonl(root / "exam" / f"{exam_name}.jsonl", records)
        written.files[f"exam/{exam_name}.jsonl"] = len(records)
    examples = [e for bucket in state.examples.values() for e in bucket] + written.examples
    write_jsonl(root / "examples.jsonl", examples)
    write_marker(root, name)
    stats = build_stats(recipe, name, state, result, written, exams)
    chart_files = charts.render_all(stats, written, root / "charts", workers)
    stats["charts"] = [f"charts/{path.name}" for path in chart_files]
    write_json(root / "stats.json", stats)
    report.write_report(stats, chart_files, examples, root / "report.html")
    return stats


def register(
    final: Path,
    name: str,
    stats: dict,
    info_path: Path,
    formats: list[str],
    replace: frozenset[str] = frozenset(),
) -> None:
    """Merge this dataset's entries into ``info_path`` (paths relative to its folder); an
    existing entry that points into another folder is repointed only if named in ``replace``."""
    entries = {}
    for file_key in stats["files"]:
        fmt, _, file_name = file_key.partition("/")
        if fmt not in formats:
            continue
        split = file_name.removesuffix(".jsonl")
        entries[f"{name}_{fmt}_{split}"] = entry(
            relative_file_name(final / file_key, info_path), fmt
        )
    merge_entries(info_path, entries, prune_under=final, replace=replace)

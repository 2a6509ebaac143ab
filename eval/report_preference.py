"""The preference part of ``medqa eval compare``'s report: win-rates, what the pairs are, a chart.

For each preference task (runs of ``medqa eval preference``): the win-rate table, a pair-statistics
table per pair file (pairs, prompts, score margins where the file carries them, chosen/rejected
length ratio and how often chosen is the longer answer — a win-rate that only tracks length is
no preference), the win-rate split by whether chosen is the longer answer, and a bar chart.
Everything is read from the runs' own ``results.jsonl`` and, for margins, the pair file their
summary names (absent file: margins shown as –).
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from eval import charts
from eval.preference import preference_rows


def _results(run) -> list[dict[str, Any]]:
    path = Path(run.path) / "results.jsonl"
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _pair_file(run, scored: set[str]) -> tuple[int | None, list[float]]:
    """(distinct prompts, score margins) of the pairs the run scored (ids in ``scored``, as
    ``read_pairs`` names them), read from the pair file; (None, []) if the file is gone."""
    data = run.summary.get("data")
    if not data or not Path(data).is_file():
        return None, []
    prompts, margins = set(), []
    lines = Path(data).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if str(row.get("id") or f"{data}:{number}") not in scored:
            continue
        prompts.add(
            row.get("instruction") or json.dumps(row.get("conversations"), ensure_ascii=False)
        )
        if isinstance(row.get("margin"), int | float):
            margins.append(float(row["margin"]))
    return len(prompts), margins


def _median(values: list[float], digits: int = 2) -> str:
    return f"{statistics.median(values):.{digits}f}" if values else "–"


def pair_stats_rows(runs) -> tuple[list[str], list[list[str]]]:
    """One row per distinct pair file: pairs, prompts, margins, chosen/rejected length ratio."""
    header = ["pairs of", "pairs", "prompts", "margin median (min–max)"]
    header += ["length ratio median (p10–p90)", "chosen longer %"]
    rows, seen = [], set()
    for run in runs:
        key = run.summary.get("data") or run.label
        results = _results(run)
        if key in seen or not results:
            continue
        seen.add(key)
        prompts, margins = _pair_file(run, {str(r["id"]) for r in results})
        ratios = sorted(r["chosen_tokens"] / max(1, r["rejected_tokens"]) for r in results)
        deciles = statistics.quantiles(ratios, n=10) if len(ratios) >= 2 else ratios * 9
        longer = sum(r["chosen_tokens"] > r["rejected_tokens"] for r in results)
        margin = f"{_median(margins, 1)} ({min(margins):g}–{max(margins):g})" if margins else "–"
        rows.append(
            [
                Path(str(key)).name if run.summary.get("data") else run.label,
                str(len(results)),
                "–" if prompts is None else str(prompts),
                margin,
                f"{_median(ratios)} ({deciles[0]:.2f}–{deciles[-1]:.2f})",
                f"{100 * longer / len(results):.1f}",
            ]
        )
    return header, rows


def length_split_rows(runs) -> tuple[list[str], list[list[str]]]:
    """Win-rate (sum log p) where chosen is the longer answer and where it is not."""
    header = ["run", "chosen longer: pairs", "win %", "chosen not longer: pairs", "win %"]
    rows = []
    for run in runs:
        results = _results(run)
        if not results:
            continue
        cells = [run.label]
        for longer in (True, False):
            part = [r for r in results if (r["chosen_tokens"] > r["rejected_tokens"]) == longer]
            wins = sum(bool(r["win"]) for r in part)
            cells += [str(len(part)), f"{100 * wins / len(part):.1f}" if part else "–"]
        rows.append(cells)
    return header, rows


def preference_parts(task: str, runs, chart_dir: Path, table_class) -> tuple[list, list[str]]:
    """The tables (built with ``table_class(title, header, rows, note)``) and chart file names of
    one preference task's section."""
    header, rows = preference_rows(runs)
    note = "How often the model's log-likelihood prefers the chosen answer of a pair."
    tables = [table_class(f"{task}: preference win-rate", header, rows, note)]
    header, rows = pair_stats_rows(runs)
    if rows:
        note = (
            "Length ratio: chosen / rejected answer tokens. A win-rate that rises with "
            "'chosen longer %' may be a length preference, not a quality one."
        )
        tables.append(table_class(f"{task}: preference pairs", header, rows, note))
    header, rows = length_split_rows(runs)
    if rows:
        tables.append(table_class(f"{task}: win-rate by answer length", header, rows, ""))
    keys = ["win_rate", "win_rate_per_token"]
    series = {run.label: [run.metrics.get(k) for k in keys] for run in runs}
    name = "".join(c if c.isalnum() or c in "._-" else "_" for c in task)
    chart = charts.grouped_bars(
        chart_dir / f"preference_{name}.png",
        f"{task}：偏好胜率（%）",
        ["胜率（总对数似然）", "胜率（逐词元）"],
        series,
        "胜率（%）",
    )
    return tables, [chart.name]

"""One self-contained HTML report: stats tables, the charts (embedded PNG) and dropped examples."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from medqa.io import atomic_write

_STYLE = """body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;
margin:2em auto;max-width:1100px;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}img{max-width:100%;border:1px solid #eee;margin:.5em 0}
.q{color:#555}.small{font-size:90%}"""


def _table(rows: list[list[Any]], header: list[str]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _funnel(stats) -> str:
    rows = []
    for row in stats["funnel"]:
        dropped = ", ".join(f"{k}: {v}" for k, v in row["dropped"].items() if v) or "—"
        rows.append([row["step"], row["seen"], row["kept"], dropped])
    return _table(rows, ["step", "seen", "kept", "dropped (reason: count)"])


def _lengths(stats) -> str:
    rows = []
    for unit, table in stats["length"].items():
        if unit == "tokens_info":
            continue
        for key, values in table.items():
            rows.append([unit, key, values["p50"], values["p95"], values["p99"], values["max"]])
    return _table(rows, ["unit", "text", "p50", "p95", "p99", "max"])


def _examples(examples: list[dict], per_reason: int = 3) -> str:
    shown: dict[tuple[str, str], int] = {}
    rows = []
    for example in examples:
        key = (example["step"], example["reason"])
        if shown.get(key, 0) >= per_reason:
            continue
        shown[key] = shown.get(key, 0) + 1
        rows.append([f"{key[0]}: {key[1]}", example["question"][:160], example["answer"][:200]])
    return _table(rows, ["dropped by", "question", "answer"])


def write_report(stats: dict, charts: list[Path], examples: list[dict], path: Path) -> None:
    """Write ``report.html`` with everything embedded (no external files)."""
    department = stats.get("department") or {}
    classifier = department.get("classifier") or {}
    parts = [
        f"<h1>medqa prep — {html.escape(stats['name'])}</h1>",
        "<h2>Splits</h2>",
        _table(
            [[k, v] for k, v in {**stats["splits"], **stats["subsets"]}.items()],
            ["file", "records"],
        ),
        "<h2>Funnel</h2>",
        _funnel(stats),
        "<h2>De-identification (replacements per type)</h2>",
        _table([[k, v] for k, v in stats["deidentify"].items()], ["type", "count"]),
        "<h2>Departments</h2>",
        _table(
            [[k, v] for k, v in (department.get("top_level") or {}).items()],
            ["department", "records"],
        ),
        _table([[k, v] for k, v in classifier.items()], ["classifier", "value"])
        if classifier
        else "",
        "<h2>Contamination</h2>",
        _table([[k, v] for k, v in stats["contamination"].items()], ["check", "value"]),
        "<h2>Lengths</h2>",
        _lengths(stats),
        "<h2>Charts</h2>",
    ]
    for chart in charts:
        data = base64.b64encode(chart.read_bytes()).decode("ascii")
        parts.append(f'<img alt="{chart.stem}" src="data:image/png;base64,{data}">')
    parts += ["<h2>Dropped examples</h2>", _examples(examples)]
    page = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>medqa prep — {html.escape(stats['name'])}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(parts)}</body></html>\n"
    )
    with atomic_write(path) as handle:
        handle.write(page)

"""``medqa eval compare RUN…``: one Markdown + HTML report with tables and PNG charts.

Runs are run folders (``summary.json`` inside) from ``medqa eval run`` or ``medqa eval
predictions``. Tags given at run time drive the layout: ``method`` (base, lora, qlora, full, …)
orders the runs, and ``scale`` (10k, 20k, 40k, 60k) draws the data-scale curve per method.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval import charts
from eval.report_preference import preference_parts
from medqa.io import atomic_write

METHOD_ORDER = ("base", "lora", "qlora", "full")
MAIN_METRIC = {
    "mcq": "accuracy",
    "open_qa": "rouge-l",
    "safety": "urgent_care_pass_rate",
    "preference": "win_rate",
}
METRIC_NAMES = {
    "accuracy": "准确率",
    "rouge-l": "ROUGE-L",
    "urgent_care_pass_rate": "急症建议通过率",
    "win_rate": "偏好胜率",
}
BARS_MAX = 48  # more subject × run bars than this: a heatmap instead
QA_COLUMNS = ("bleu-4", "rouge-1", "rouge-2", "rouge-l", "answer_chars_mean", "refusal_rate")


@dataclass
class Run:
    """One finished run: its folder, summary and the label shown in the report."""

    path: Path
    summary: dict[str, Any]
    label: str

    @property
    def tags(self) -> dict[str, str]:
        return self.summary.get("tags") or {}

    @property
    def metrics(self) -> dict[str, Any]:
        return self.summary.get("metrics") or {}

    @property
    def task(self) -> str:
        return str(self.summary.get("task", "?"))


def parse_scale(value: str | int | float | None) -> float | None:
    """'10k' → 10000, '1.5m' → 1500000, '60000' → 60000; None if unreadable."""
    if value is None:
        return None
    match = re.fullmatch(r"\s*([\d.]+)\s*([kKmMwW万]?)\s*", str(value))
    if not match:
        return None
    factor = {"k": 1e3, "m": 1e6, "w": 1e4, "万": 1e4}.get(match.group(2).lower(), 1)
    return float(match.group(1)) * factor


def load_runs(paths: list[Path]) -> list[Run]:
    """Runs in report order (by method tag, then scale, then as given); labels made unique."""
    runs = []
    for path in paths:
        file = path / "summary.json" if path.is_dir() else path
        if not file.is_file():
            raise ValueError(f"{path}: no summary.json (not a finished run folder)")
        summary = json.loads(file.read_text(encoding="utf-8"))
        runs.append(Run(file.parent, summary, str(summary.get("label") or file.parent.name)))

    def order(item: tuple[int, Run]) -> tuple:
        index, run = item
        method = run.tags.get("method", "")
        rank = METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER)
        return (rank, parse_scale(run.tags.get("scale")) or 0, index)

    runs = [run for _, run in sorted(enumerate(runs), key=order)]
    # One model evaluated on several tasks keeps its label: labels are columns of per-task tables,
    # so they only need to be unique within a task.
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for run in runs:
        key = (run.task, run.label)
        seen[key] += 1
        if seen[key] > 1:
            run.label = f"{run.label} ({seen[key]})"
    return runs


def run_names(runs: list[Run]) -> list[str]:
    """Labels for places that list runs of every task together: ``label · task`` when needed."""
    if len({run.task for run in runs}) == 1:
        return [run.label for run in runs]
    return [f"{run.label} · {run.task}" for run in runs]


def _pct(value: Any) -> str:
    return "–" if value is None else f"{value * 100:.1f}"


def _num(value: Any, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""

    def markdown(self) -> str:
        lines = [f"### {self.title}", ""]
        if self.note:
            lines += [self.note, ""]
        lines.append("| " + " | ".join(self.header) + " |")
        lines.append("|" + "|".join("---" for _ in self.header) + "|")
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in self.rows]
        return "\n".join(lines) + "\n"

    def html(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.header)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in self.rows
        )
        note = f"<p>{html.escape(self.note)}</p>" if self.note else ""
        return f"<h3>{html.escape(self.title)}</h3>{note}<table><tr>{head}</tr>{body}</table>"


def overview_table(runs: list[Run]) -> Table:
    rows = []
    for run in runs:
        s, m, r = run.summary, run.metrics, run.summary.get("requests") or {}
        main = MAIN_METRIC.get(s.get("type", ""), "accuracy")
        value = m.get(main)
        shown = _num(value) if main == "rouge-l" else _pct(value)
        tags = ", ".join(f"{k}={v}" for k, v in run.tags.items())
        rows.append(
            [
                run.label,
                run.task,
                str(s.get("model") or "–"),
                tags or "–",
                str(m.get("n", "–")),
                f"{main} {shown}",
                _pct(m.get("unparsed_rate")),
                str(m.get("failed", 0)),
                _num(r.get("latency_p50_s"), 3),
                _num(r.get("latency_p95_s"), 3),
                _num(r.get("gen_tokens_per_s"), 1),
            ]
        )
    header = [
        "run",
        "task",
        "model",
        "tags",
        "n",
        "main metric",
        "unparsed %",
        "failed",
        "p50 s",
        "p95 s",
        "gen tok/s",
    ]
    return Table(
        "Overview", header, rows, "Percentages ×100; ROUGE/BLEU as LLaMA-Factory reports them."
    )


def subject_sizes(runs: list[Run]) -> dict[str, int]:
    """Questions per subject (the largest count any run has)."""
    sizes: dict[str, int] = {}
    for run in runs:
        for subject, stats in run.metrics.get("per_subject", {}).items():
            sizes[subject] = max(sizes.get(subject, 0), stats.get("n", 0))
    return dict(sorted(sizes.items()))


def subject_table(task: str, runs: list[Run]) -> Table:
    sizes = subject_sizes(runs)
    rows = [
        [subject, str(n), *[_pct(_subject_score(run, subject)) for run in runs]]
        for subject, n in sizes.items()
    ]
    rows.append(
        [
            "overall",
            str(max(run.metrics.get("n", 0) for run in runs)),
            *[_pct(run.metrics.get("accuracy")) for run in runs],
        ]
    )
    extras = (
        ("loglik_accuracy", "log-likelihood"),
        ("partial_credit", "partial credit"),
        ("unparsed_rate", "unparsed"),
        ("retrieval_hit_rate", "retrieval hit"),
    )
    for key, name in extras:
        if any(key in run.metrics for run in runs):
            rows.append([name, "", *[_pct(run.metrics.get(key)) for run in runs]])
    counts = sorted({run.metrics.get("n") for run in runs}, key=str)
    note = (
        f"Runs cover different numbers of items ({', '.join(map(str, counts))}): "
        "compare per subject with care."
        if len(counts) > 1
        else ""
    )
    what = "pass rate" if runs[0].summary.get("type") == "safety" else "accuracy"
    return Table(
        f"{task}: {what} per subject (%)", ["subject", "n", *[r.label for r in runs]], rows, note
    )


def _subject_score(run: Run, subject: str) -> float | None:
    return run.metrics.get("per_subject", {}).get(subject, {}).get("accuracy")


def openqa_table(task: str, runs: list[Run]) -> Table:
    rows = []
    for run in runs:
        m = run.metrics
        judge = m.get("judge") or {}
        rows.append(
            [
                run.label,
                str(m.get("n", "–")),
                *[_num(m.get(k)) for k in QA_COLUMNS[:4]],
                _num(m.get("answer_chars_mean"), 0),
                _pct(m.get("refusal_rate")),
                _pct(m.get("retrieval_hit_rate")),
                " / ".join(_num(judge.get(k), 1) for k in ("accuracy", "helpfulness", "safety"))
                if judge
                else "–",
            ]
        )
    header = [
        "run",
        "n",
        "BLEU-4",
        "ROUGE-1",
        "ROUGE-2",
        "ROUGE-L",
        "chars",
        "refusal %",
        "retrieval hit %",
        "judge acc/help/safe",
    ]
    return Table(f"{task}: open QA", header, rows)


def safety_table(task: str, runs: list[Run]) -> Table:
    rows = [
        [
            run.label,
            str(run.metrics.get("n")),
            _pct(run.metrics.get("urgent_care_pass_rate")),
            _pct(run.metrics.get("disclaimer_rate")),
            _pct(run.metrics.get("detector_recall")),
        ]
        for run in runs
    ]
    return Table(
        f"{task}: safety probes (%)",
        ["run", "n", "advises urgent care", "disclaimer", "red-flag detector recall"],
        rows,
    )


def scale_points(runs: list[Run]) -> dict[str, list[tuple[float, float]]]:
    """Main metric per scale, one line per method (runs without a scale tag left out)."""
    lines: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for run in runs:
        scale = parse_scale(run.tags.get("scale"))
        main = MAIN_METRIC.get(run.summary.get("type", ""), "accuracy")
        value = run.metrics.get(main)
        if scale is not None and value is not None:
            lines[run.tags.get("method", "run")].append((scale, value))
    return {k: v for k, v in lines.items() if len({x for x, _ in v}) >= 2}


@dataclass
class Section:
    """A task's part of the report: its tables and charts (paths relative to the report)."""

    title: str
    tables: list[Table]
    charts: list[str]


def _task_section(task: str, runs: list[Run], chart_dir: Path) -> Section:
    kind = runs[0].summary.get("type")
    tables: list[Table] = []
    images: list[str] = []
    name = re.sub(r"[^\w.-]+", "_", task)
    if kind in ("mcq", "safety"):
        tables.append(subject_table(task, runs))
        if kind == "safety":
            tables.append(safety_table(task, runs))
        sizes = subject_sizes(runs)
        subjects = [f"{s} ({n})" for s, n in sizes.items()]  # labels carry the question count
        series = {run.label: [_subject_score(run, s) for s in sizes] for run in runs}
        what = "通过率" if kind == "safety" else "准确率"
        chart = chart_dir / f"subjects_{name}.png"
        chart_title = f"{task}：各科目{what}（%）"
        if len(subjects) * len(runs) > BARS_MAX:
            grid = [[series[run.label][i] for run in runs] for i in range(len(subjects))]
            charts.heatmap(chart, chart_title, subjects, [run.label for run in runs], grid)
        else:
            charts.grouped_bars(chart, chart_title, subjects, series, f"{what}（%）")
        images.append(chart.name)
    elif kind == "preference":
        more_tables, more_images = preference_parts(task, runs, chart_dir, Table)
        tables += more_tables
        images += more_images
    else:
        tables.append(openqa_table(task, runs))
        metrics = ["bleu-4", "rouge-1", "rouge-2", "rouge-l"]
        series = {run.label: [run.metrics.get(k) for k in metrics] for run in runs}
        images.append(
            charts.grouped_bars(
                chart_dir / f"openqa_{name}.png",
                f"{task}：BLEU-4 / ROUGE",
                metrics,
                series,
                "分数",
                percent=False,
            ).name
        )
    lines = scale_points(runs)
    if lines:
        main = MAIN_METRIC.get(kind or "", "accuracy")
        rows = [
            [method, f"{x:,.0f}", _pct(y) if main != "rouge-l" else _num(y)]
            for method, pts in lines.items()
            for x, y in sorted(pts)
        ]
        tables.append(
            Table(f"{task}: data-scale curve ({main})", ["method", "train examples", main], rows)
        )
        images.append(
            charts.scale_curve(
                chart_dir / f"scale_{name}.png",
                f"{task}：训练数据量与{METRIC_NAMES.get(main, main)}",
                lines,
                METRIC_NAMES.get(main, main) + ("" if main == "rouge-l" else "（%）"),
                percent=main != "rouge-l",
            ).name
        )
    return Section(task, tables, [f"charts/{img}" for img in images])


def build_report(
    paths: list[Path], out_dir: Path, title: str = "medqa eval report", notes: list[str] = ()
) -> Path:
    """Write ``report.md``, ``report.html`` and ``charts/*.png`` into ``out_dir``; ``notes``
    (one line each) go under the title. Run folders are named relative to the report."""
    runs = load_runs(paths)
    if not runs:
        raise ValueError("no runs to compare")
    chart_dir = out_dir / "charts"
    chart_dir.mkdir(parents=True, exist_ok=True)
    by_task: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        by_task[run.task].append(run)
    sections = [_task_section(task, task_runs, chart_dir) for task, task_runs in by_task.items()]
    timed = [r for r in runs if (r.summary.get("requests") or {}).get("latency_p50_s") is not None]
    overview = Section("Runs", [overview_table(runs)], [])
    if timed:
        req = [r.summary["requests"] for r in timed]
        charts.latency_chart(
            chart_dir / "latency.png",
            run_names(timed),
            [q.get("latency_p50_s") for q in req],
            [q.get("latency_p95_s") for q in req],
            [q.get("gen_tokens_per_s") for q in req],
        )
        overview.charts.append("charts/latency.png")
    all_sections = [overview, *sections]
    _write_markdown(out_dir / "report.md", title, runs, all_sections, list(notes))
    _write_html(out_dir / "report.html", title, runs, all_sections, list(notes))
    return out_dir / "report.md"


def _sources(runs: list[Run], out_dir: Path) -> list[str]:
    """``name: folder`` per run, the folder relative to the report (the report can move with
    its runs)."""
    base = out_dir.resolve()
    return [
        f"{name}: {os.path.relpath(r.path.resolve(), base)}"
        for name, r in zip(run_names(runs), runs, strict=True)
    ]


def _write_markdown(
    path: Path, title: str, runs: list[Run], sections: list[Section], notes: list[str]
) -> None:
    sources = [f"- {s}" for s in _sources(runs, path.parent)]
    parts = [f"# {title}", "", *[f"{note}\n" for note in notes], "Runs compared:", "", *sources, ""]
    for section in sections:
        parts += [f"## {section.title}", ""]
        parts += [t.markdown() for t in section.tables]
        parts += [f"![{Path(c).stem}]({c})\n" for c in section.charts]
    with atomic_write(path) as handle:
        handle.write("\n".join(parts))


_CSS = (
    "body{font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;"
    "max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;"
    "padding:.3em .6em;text-align:right}td:first-child,th:first-child{text-align:left}"
    "th{background:#f3f3f3}img{max-width:100%;margin:.5em 0 1.5em}"
)


def _write_html(
    path: Path, title: str, runs: list[Run], sections: list[Section], notes: list[str]
) -> None:
    body = [f"<h1>{html.escape(title)}</h1>", *[f"<p>{html.escape(n)}</p>" for n in notes], "<ul>"]
    body += [f"<li>{html.escape(s)}</li>" for s in _sources(runs, path.parent)] + ["</ul>"]
    for section in sections:
        body.append(f"<h2>{html.escape(section.title)}</h2>")
        body += [t.html() for t in section.tables]
        body += [
            f'<img src="{html.escape(c)}" alt="{html.escape(Path(c).stem)}">'
            for c in section.charts
        ]
    page = (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
    with atomic_write(path) as handle:
        handle.write(page)

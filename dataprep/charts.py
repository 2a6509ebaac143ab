"""PNG charts (matplotlib, Agg, no global pyplot state): departments by split, length
histograms with the p95/p99 that ``medqa check`` uses for ``cutoff_len``, and the filter funnel.

Chinese labels use a CJK font: the Noto Sans CJK SC that ``mplfonts`` installs with the
project (``pip install -e '.[prep]'``), else an installed system CJK font (fonts-noto-cjk,
WenQuanYi, …). A label is drawn in Chinese only if the chosen font has a glyph for every
character; otherwise its English name is used, so a chart never shows tofu boxes.
"""

from __future__ import annotations

import functools
import multiprocessing
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dataprep import parallel
from dataprep.taxonomy import Taxonomy
from medqa.io import atomic_write

_SPLIT_COLOURS = {"train": "#4C72B0", "val": "#DD8452", "test": "#55A868"}
_CJK_NAME_HINTS = ("CJK", "Hei", "Song", "WenQuanYi", "Noto Sans SC", "Source Han", "YaHei")


@dataclass(frozen=True)
class ChartFont:
    """The font charts use, and which characters it can draw (None: Latin only)."""

    family: str
    charmap: frozenset[int] | None

    def can_draw(self, text: str) -> bool:
        if all(ord(c) < 0x250 for c in text):
            return True
        return self.charmap is not None and all(ord(c) in self.charmap or c.isspace() for c in text)


@functools.cache
def chart_font() -> ChartFont:
    """The CJK font to draw with (mplfonts' bundled font first), or DejaVu Sans."""
    for path in _candidate_fonts():
        try:
            font_manager.fontManager.addfont(str(path))
            family = font_manager.FontProperties(fname=str(path)).get_name()
            from matplotlib.ft2font import FT2Font

            charmap = frozenset(FT2Font(str(path)).get_charmap())
        except (OSError, RuntimeError, ValueError):
            continue
        if ord("科") in charmap:
            return ChartFont(family, charmap)
    return ChartFont("DejaVu Sans", None)


def _candidate_fonts() -> list[Path]:
    found: list[Path] = []
    try:
        import mplfonts

        bundled = Path(mplfonts.__file__).parent / "fonts"
        found += [bundled / "NotoSansCJKsc-Regular.otf", bundled / "SourceHanSansSC-Regular.otf"]
    except ImportError:
        pass
    system = sorted(font_manager.findSystemFonts())
    found += [Path(p) for p in system if any(h in Path(p).name for h in _CJK_NAME_HINTS)]
    return [p for p in found if p.is_file() and p.suffix.lower() in (".otf", ".ttf", ".ttc")]


def label(chinese: str, english: str) -> str:
    """``chinese`` if the chart font draws it, else ``english``."""
    return chinese if chart_font().can_draw(chinese) else english


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Figure, path: Path) -> Path:
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", metadata={"Software": None})
    return path


def render_all(stats: dict[str, Any], written, folder: Path, workers: int = 1) -> list[Path]:
    """Every chart the stats support; returns the PNG paths in a fixed order."""
    jobs: list[tuple[Callable[..., Path], tuple]] = []
    if stats.get("department", {}).get("by_split"):
        jobs.append((_departments, (stats["department"], folder / "departments.png")))
    jobs.append((_lengths, (written.chars, stats["length"]["chars"], "chars", folder)))
    if written.tokens is not None:
        jobs.append((_lengths, (written.tokens, stats["length"]["tokens"], "tokens", folder)))
    jobs.append((_funnel, (stats["funnel"], folder / "funnel.png")))
    return render_jobs(jobs, workers)


def render_jobs(jobs: list[tuple[Callable[..., Path], tuple]], workers: int = 1) -> list[Path]:
    """Run chart functions ``func(*args) -> path`` with the chart font; with ``workers`` > 1
    (on Linux, outside a distributed run) a forked process draws every other chart while this
    one draws the rest. Each PNG is drawn whole by one process, so its bytes do not depend on
    ``workers`` (matplotlib reloads fonts in a forked child, hence one helper, not a pool
    per chart); the paths come back in job order."""
    chart_font()  # found once, before the helper forks
    forking = sys.platform.startswith("linux") and parallel.forking_is_safe()
    if workers <= 1 or len(jobs) < 2 or not forking:
        return [_render_job(job) for job in jobs]
    with multiprocessing.get_context("fork").Pool(1) as helper:
        theirs = helper.map_async(_render_job, jobs[1::2])
        mine = [_render_job(job) for job in jobs[0::2]]
        drawn = theirs.get()
    paths = [None] * len(jobs)
    paths[0::2], paths[1::2] = mine, drawn
    return paths


def _render_job(job: tuple[Callable[..., Path], tuple]) -> Path:
    import matplotlib

    func, args = job
    font = chart_font()
    with matplotlib.rc_context(
        {"font.family": [font.family, "DejaVu Sans"], "axes.unicode_minus": False}
    ):
        return func(*args)


def _department_label(name: str) -> str:
    taxonomy = Taxonomy.load()
    english = " / ".join(taxonomy.english.get(part, "Unclassified") for part in name.split("/"))
    return label(name, english)


def _departments(info: dict[str, Any], path: Path) -> Path:
    names = list(info["distribution"])[:25]
    figure = _figure(9, 0.35 * len(names) + 1.8)
    axes = figure.add_subplot()
    left = np.zeros(len(names))
    for split, colour in _SPLIT_COLOURS.items():
        counts = np.array([info["by_split"][split].get(n, 0) for n in names], dtype=float)
        axes.barh(range(len(names)), counts, left=left, color=colour, label=split)
        left += counts
    for y, total in enumerate(left):
        axes.annotate(
            f"{int(total)}",
            (total, y),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    axes.set_yticks(range(len(names)), [_department_label(n) for n in names])
    axes.invert_yaxis()
    axes.set_xlabel(label("记录数", "records"))
    axes.set_title(label("科室分布（按数据划分）", "Departments by split"))
    axes.legend(loc="lower right")
    return _save(figure, path)


def _lengths(arrays: dict[str, np.ndarray], summary: dict, unit: str, folder: Path) -> Path:
    figure = _figure(11, 3.8)
    titles = {
        "question": ("问题长度", "question length"),
        "answer": ("回答长度", "answer length"),
        "total": ("问答总长度", "question + answer"),
    }
    unit_label = label("字符" if unit == "chars" else "token", unit)
    for k, key in enumerate(("question", "answer", "total")):
        axes = figure.add_subplot(1, 3, k + 1)
        values = arrays[key]
        if len(values):
            top = max(int(summary[key]["p99"] * 1.3), 10)
            axes.hist(np.minimum(values, top), bins=40, color="#4C72B0")
            for pct, style in (("p95", "--"), ("p99", ":")):
                axes.axvline(
                    summary[key][pct],
                    color="#C44E52",
                    linestyle=style,
                    label=f"{pct} = {summary[key][pct]}",
                )
            axes.legend(fontsize=8)
        zh, en = titles[key]
        axes.set_title(label(zh, en))
        axes.set_xlabel(
            unit_label + label("（超过 1.3×p99 计入最后一格）", " (tail > 1.3×p99 in last bin)")
        )
    if unit == "tokens":
        figure.suptitle(
            label(
                "token 数（qwen 模板）— 供 cutoff_len 参考",
                "tokens (qwen template) — for cutoff_len",
            )
        )
    return _save(figure, folder / f"length_{unit}.png")


_STEP_ZH = {
    "read": "读取",
    "quality": "质量过滤",
    "dedup": "去重",
    "decontaminate (exams)": "考试题污染",
    "decontaminate (test split)": "测试集污染",
}


def _funnel(funnel: list[dict[str, Any]], path: Path) -> Path:
    rows = [
        (row["step"], reason, count)
        for row in funnel
        for reason, count in row["dropped"].items()
        if count
    ]
    kept = funnel[-1]["kept"] if funnel else 0
    labels = [f"{label(_STEP_ZH.get(s, s), s)}: {r}" for s, r, _ in rows]
    labels.append(label("保留", "kept"))
    counts = [c for _, _, c in rows] + [kept]
    figure = _figure(9, 0.35 * len(labels) + 1.8)
    axes = figure.add_subplot()
    colours = ["#C44E52"] * len(rows) + ["#55A868"]
    bars = axes.barh(range(len(labels)), counts, color=colours)
    axes.bar_label(bars, padding=3, fontsize=8)
    axes.set_yticks(range(len(labels)), labels)
    axes.invert_yaxis()
    axes.set_xlabel(label("记录数", "records"))
    axes.set_title(
        label("过滤漏斗：各步骤按原因删除的记录", "Filter funnel: records removed by reason")
    )
    return _save(figure, path)

"""PNG charts for the comparison report (matplotlib, Agg), with a bundled CJK font so Chinese
subject names render: mplfonts' Noto Sans CJK SC, else any Noto/Source Han CJK font installed."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

CJK_FILES = ("NotoSansCJKsc-Regular.otf", "SourceHanSansSC-Regular.otf", "SimHei.ttf")
SYSTEM_CJK = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",)


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Register a CJK font with matplotlib and return its family name (None if none found)."""
    candidates: list[Path] = []
    try:
        import mplfonts

        folder = Path(mplfonts.__file__).parent / "fonts"
        candidates += [folder / name for name in CJK_FILES]
    except ImportError:
        pass
    candidates += [Path(p) for p in SYSTEM_CJK]
    for path in candidates:
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
            return font_manager.FontProperties(fname=str(path)).get_name()
    return None


def _style() -> None:
    family = cjk_font()
    plt.rcParams.update(
        {
            "font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"],
            "axes.unicode_minus": False,
            "figure.dpi": 110,
            "axes.grid": True,
            "grid.alpha": 0.3,
        }
    )


def grouped_bars(
    path: Path,
    title: str,
    categories: list[str],
    series: dict[str, list[float | None]],
    xlabel: str,
    percent: bool = True,
) -> Path:
    """Horizontal grouped bars: one group per category, one bar per series (run)."""
    _style()
    n_series = max(len(series), 1)
    height = max(3.0, 0.32 * len(categories) * n_series + 1.5)
    fig, ax = plt.subplots(figsize=(9, height))
    bar = 0.8 / n_series
    for i, (name, values) in enumerate(series.items()):
        ys = [c + (i - (n_series - 1) / 2) * bar for c in range(len(categories))]
        xs = [(v or 0.0) * (100 if percent else 1) for v in values]
        bars = ax.barh(ys, xs, height=bar, label=name)
        ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=2)
    ax.set_yticks(range(len(categories)), categories)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    if percent:
        ax.set_xlim(0, 105)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def scale_curve(
    path: Path,
    title: str,
    lines: dict[str, list[tuple[float, float]]],
    ylabel: str,
    percent: bool = True,
) -> Path:
    """Metric vs training-data size, one line per method (shares ×100 when ``percent``)."""
    _style()
    factor = 100 if percent else 1
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for name, points in lines.items():
        points = sorted(points)
        ax.plot([p[0] for p in points], [p[1] * factor for p in points], marker="o", label=name)
        for x, y in points:
            ax.annotate(
                f"{y * factor:.1f}",
                (x, y * factor),
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
                fontsize=8,
            )
    ticks = sorted({x for points in lines.values() for x, _ in points})
    ax.set_xticks(ticks, [f"{x / 1000:g}k" if x >= 1000 else f"{x:g}" for x in ticks])
    ax.set_xlabel("训练数据量（条）")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def latency_chart(
    path: Path,
    runs: list[str],
    p50: list[float | None],
    p95: list[float | None],
    tokens_per_s: list[float | None],
) -> Path:
    """Latency p50/p95 bars and generated tokens/s per run, side by side."""
    _style()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, max(3.0, 0.45 * len(runs) + 1.5)))
    ys = range(len(runs))
    left.barh([y - 0.2 for y in ys], [v or 0 for v in p50], height=0.4, label="p50")
    left.barh([y + 0.2 for y in ys], [v or 0 for v in p95], height=0.4, label="p95")
    left.set_yticks(list(ys), runs)
    left.invert_yaxis()
    left.set_xlabel("请求延迟（秒）")
    left.set_title("延迟 p50 / p95")
    left.legend(fontsize=8)
    bars = right.barh(list(ys), [v or 0 for v in tokens_per_s], color="tab:green")
    # A run answered wholly from the cache generated nothing this time: say so, don't draw 0.
    labels = ["缓存" if v is None else f"{v:.0f}" for v in tokens_per_s]
    right.bar_label(bars, labels=labels, fontsize=7, padding=2)
    right.set_yticks(list(ys), runs)
    right.invert_yaxis()
    right.set_xlabel("生成 tokens/秒")
    right.set_title("吞吐量")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def heatmap(
    path: Path, title: str, rows: list[str], columns: list[str], values: list[list[float | None]]
) -> Path:
    """A subjects × runs table of percentages as a colour grid (for many subjects or runs)."""
    import numpy as np

    _style()
    grid = np.array([[np.nan if v is None else v * 100 for v in row] for row in values])
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(columns) + 3), 0.38 * len(rows) + 1.8))
    image = ax.imshow(grid, cmap="RdYlGn", vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(range(len(columns)), columns, rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.grid(False)
    for i in range(len(rows)):
        for j in range(len(columns)):
            if not np.isnan(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.1f}", ha="center", va="center", fontsize=7)
    fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path

"""``medqa sweep SWEEP.yaml``: train, merge, serve and evaluate every cell of a method × data-scale
× model × seed grid, then one ``medqa eval compare`` report.

Resumable: each cell's stages (train, merge, eval) are skipped while their recorded inputs still
match (configs, dataset files, model, exact command lines), so a killed sweep goes on where it
stopped and a cell whose inputs changed is redone. With several GPUs in ``CUDA_VISIBLE_DEVICES``,
independent cells run at the same time, one per GPU (``gpus: N`` in a method takes N).
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from medqa.io import write_json
from medqa.stages import Stage, StageError, StageRunner, terminate_running, why_incomplete
from medqa.sweep_cell import CellPlan, cell_stages, dataset_file, tool, train_figures
from medqa.sweep_memory import estimate_train_gib, model_shape
from medqa.sweep_spec import Cell, Sweep, SweepError, load_sweep

MAIN_METRIC = {"mcq": "accuracy", "open_qa": "rouge-l", "safety": "urgent_care_pass_rate"}


def visible_devices(env: dict[str, str] | None = None) -> list[str]:
    """GPU ids in CUDA_VISIBLE_DEVICES ("" or unset: none listed, cells run one at a time)."""
    value = (env if env is not None else os.environ).get("CUDA_VISIBLE_DEVICES", "")
    return [d.strip() for d in value.split(",") if d.strip() and d.strip() != "-1"]


def run_grid(
    cells: list[Cell],
    devices: list[str],
    run_cell: Callable[[Cell, list[str]], str],
    stop: threading.Event,
) -> dict[str, str]:
    """Run ``run_cell(cell, its_devices)`` for every cell, as many at once as the devices allow
    (one at a time without devices); return each cell's status. Cells start in order."""
    pending = list(cells)
    free = list(devices)
    statuses: dict[str, str] = {}
    changed = threading.Condition()
    slots = max(1, len(devices))

    def take(cell: Cell) -> list[str] | None:
        need = min(cell.gpus, len(devices)) if devices else 0
        if len(free) < need:
            return None
        mine = free[:need]
        del free[:need]
        return mine

    def worker() -> None:
        while True:
            with changed:
                while not stop.is_set() and pending and (mine := take(pending[0])) is None:
                    changed.wait(0.5)
                if stop.is_set() or not pending:
                    return
                cell = pending.pop(0)
            try:
                status = run_cell(cell, mine)
            except Exception as exc:  # a bug must not hang the other workers
                status = f"failed: {exc}"
            with changed:
                statuses[cell.id] = status
                free.extend(mine)
                free.sort(key=devices.index)  # a multi-GPU cell gets them in the order given
                changed.notify_all()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(slots)]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.5)  # short waits: signals reach the main thread
    return statuses


def shown(command: list[str], cwd: Path | None = None) -> str:
    """A command as one would type it: the tool's bare name, paths under ``cwd`` relative."""
    words = [Path(command[0]).name, *command[1:]] if cwd else command
    text = " ".join(shlex.quote(w) for w in words)
    return text.replace(f"{cwd}/", "") if cwd else text


def estimate(plan: CellPlan) -> float | None:
    if plan.cell.method is None:
        return None
    shape = model_shape(plan.cell.model_path)
    return estimate_train_gib(shape, plan.train_config(), plan.cell.gpus) if shape else None


def _records(plan: CellPlan) -> str:
    if plan.cell.method is None:
        return "–"
    dataset_dir = plan.cwd / str(plan.train_config().get("dataset_dir", "."))
    try:
        path = dataset_file(dataset_dir, plan.cell.dataset)
    except StageError:
        return "not registered"
    if not path.is_file():
        return "file missing"
    with path.open("rb") as handle:
        return f"{sum(1 for line in handle if line.strip()):,}"


NO_DATA = ("not registered", "file missing")


def cell_state(plan: CellPlan) -> str:
    """'finished', or the first stage that would run and why (nothing is written)."""
    try:
        stages = cell_stages(plan, api_key="")
    except StageError:
        return "no data"
    for stage in stages:
        reason = why_incomplete(plan.folder / "logs", stage)
        if reason is not None:
            return f"{stage.name}: {reason}"
    return "finished"


def grid_table(plans: list[CellPlan], devices: list[str]) -> Table:
    title = f"{len(plans)} cells; " + (
        f"{len(devices)} GPUs ({','.join(devices)}): cells run in parallel, one per GPU"
        if len(devices) > 1
        else "one cell at a time"
    )
    table = Table(title=title)
    for column in (
        "cell",
        "model",
        "method",
        "scale",
        "dataset",
        "records",
        "seed",
        "GPU mem est.",
        "state",
    ):
        table.add_column(column)
    for plan in plans:
        cell, gib = plan.cell, estimate(plan)
        table.add_row(
            cell.id,
            cell.model_path,
            cell.tags["method"],
            cell.scale or "–",
            cell.dataset or "–",
            _records(plan),
            "–" if cell.seed is None else str(cell.seed),
            "–"
            if gib is None
            else f"~{gib:.1f} GiB" + (f" × {cell.gpus}" if cell.gpus > 1 else ""),
            cell_state(plan),
        )
    return table


def print_dry_run(console: Console, sweep: Sweep, plans: list[CellPlan], devices) -> None:
    console.print(grid_table(plans, devices))
    console.print(
        "GPU memory: an estimate of training peak per GPU (bf16/NF4 weights, LoRA or full "
        "optimizer states, checkpointed activations, logits); serving takes what the serve "
        "config allows (vLLM: vllm_gpu_util of the card)."
    )
    for plan in plans:
        console.print(f"\n[bold]{plan.cell.id}[/bold]  → {plan.folder}", highlight=False)
        commands = []
        if plan.cell.method is not None:
            commands.append(plan.train_command())
            if (merge := plan.merge_command()) is not None:
                commands.append(merge)
        commands.append(plan.serve_command("<free port>", f"{plan.cell.id}-<model digest>"))
        commands += plan.eval_commands("http://127.0.0.1:<free port>/v1")
        for command in commands:
            console.print("  " + shown(command, plan.cwd), highlight=False, soft_wrap=True)
    console.print(
        f"\nthen: {shown(compare_command(sweep, plans), plans[0].cwd)}",
        highlight=False,
        soft_wrap=True,
    )


def compare_command(sweep: Sweep, plans: list[CellPlan]) -> list[str]:
    runs = [str(p.eval_dir(t.task)) for p in plans for t in sweep.evals]
    title = f"medqa sweep {sweep.name}"
    return [
        tool("medqa"),
        "eval",
        "compare",
        *runs,
        "--out",
        str(report_dir(plans)),
        "--title",
        title,
    ]


def report_dir(plans: list[CellPlan]) -> Path:
    return plans[0].root / "report"


def check_stage(sweep: Sweep) -> Stage:
    """``medqa check`` on every config of the sweep, once per model, before the first cell."""
    configs = sorted(
        {str(c) for m in sweep.methods for c in (m.train, m.merge, m.serve) if c}
        | {str(sweep.serve)}
    )
    commands = [
        [tool("medqa"), "check", *configs, "--set", f"model_name_or_path={path}"]
        for path in sweep.models.values()
    ]

    def work(ctx) -> None:
        for command in commands:
            ctx.run(command, cwd=Path.cwd())

    inputs = [*map(Path, configs), *(shown(c) for c in commands)]
    return Stage("check", "medqa check on every config", [], work, inputs=inputs)


def cell_scores(sweep: Sweep, plan: CellPlan) -> dict[str, float | None]:
    """Each eval task's main metric for this cell (accuracy ×100, ROUGE-L as reported)."""
    scores: dict[str, float | None] = {}
    for task in sweep.evals:
        summary_path = plan.eval_dir(task.task) / "summary.json"
        if not summary_path.is_file():
            scores[task.task] = None
            continue
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        metric = MAIN_METRIC.get(summary.get("type", ""), "accuracy")
        value = (summary.get("metrics") or {}).get(metric)
        if value is not None and metric != "rouge-l":
            value = value * 100
        scores[task.task] = None if value is None else round(value, 2)
    return scores


def cells_table(sweep: Sweep, plans: list[CellPlan], statuses: dict[str, str]) -> list[dict]:
    """One row per cell: tags, scores, training figures, estimate, status; written to cell.json."""
    rows = []
    for plan in plans:
        figures = train_figures(plan.train_dir) if plan.cell.method else {}
        gib = estimate(plan)
        row = {
            "cell": plan.cell.id,
            **plan.cell.tags,
            "scores": cell_scores(sweep, plan),
            **figures,
            "gpu_mem_estimate_gib": None if gib is None else round(gib, 1),
            "status": statuses.get(plan.cell.id, "not run"),
        }
        rows.append(row)
        if row["status"] in ("done", "skipped"):
            write_json(plan.folder / "cell.json", row)
    return rows


def render_cells(sweep: Sweep, rows: list[dict]) -> tuple[Table, str]:
    """The per-cell table for the terminal and as Markdown."""
    tasks = [t.task for t in sweep.evals]
    header = ["cell", "method", "scale", "seed", *tasks, "train s", "tokens/s", "peak GiB"]
    header += ["est. GiB", "status"]

    def num(value, digits: int = 1) -> str:
        return "–" if value is None else f"{value:,.{digits}f}"

    lines = []
    for row in rows:
        lines.append(
            [
                row["cell"],
                row["method"],
                row.get("scale", "–"),
                row.get("seed", "–"),
                *[num(row["scores"].get(t), 2) for t in tasks],
                num(row.get("train_s")),
                num(row.get("tokens_per_s")),
                num(row.get("peak_gib"), 2),
                num(row.get("gpu_mem_estimate_gib")),
                row["status"],
            ]
        )
    table = Table(title=f"sweep {sweep.name}: cells")
    for column in header:
        table.add_column(column)
    for line in lines:
        table.add_row(*line)
    markdown = "| " + " | ".join(header) + " |\n|" + "---|" * len(header) + "\n"
    markdown += "".join("| " + " | ".join(line) + " |\n" for line in lines)
    return table, markdown


def write_cells_report(path: Path, sweep: Sweep, markdown: str) -> None:
    """``sweep.md`` beside compare's report: the per-cell table (paths relative to it)."""
    text = (
        f"# medqa sweep {sweep.name}: cells\n\n"
        "Scores: exams accuracy (%), open QA ROUGE-L (as LLaMA-Factory computes it). Train time, "
        "tokens/s and peak GPU memory as LLaMA-Factory reported them (– where it did not: peak "
        "memory needs a GPU); est. GiB is the sweep's estimate.\n\n"
        f"{markdown}\n"
        "Curves, per-subject tables and charts: [report.md](report.md) · "
        "[report.html](report.html). Cell folders: `../cells/<cell>/` "
        "(train/, merged/, eval/, logs/).\n"
    )
    from medqa.io import atomic_write

    with atomic_write(path) as handle:
        handle.write(text)


def run_one_cell(
    plan: CellPlan, devices: list[str], force: bool, api_key: str, console: Console, parallel: bool
) -> str:
    """Run a cell's stages with its GPUs visible; 'skipped' when nothing needed doing."""
    env = dict(os.environ)
    if devices:
        env["CUDA_VISIBLE_DEVICES"] = ",".join(devices)
    where = f" on GPU {','.join(devices)}" if devices else ""
    console.print(f"[bold]{plan.cell.id}[/bold]{where}", highlight=False)
    runner = StageRunner(plan.folder, force=force, console=console, env=env, spinner=not parallel)
    try:
        results = runner.run(cell_stages(plan, api_key))
    except StageError as exc:
        console.print(f"[red]{plan.cell.id} failed[/red]: {exc}", highlight=False)
        return "failed"
    return "skipped" if all(r.status == "skipped" for r in results) else "done"


def _install_stop_handlers(stop: threading.Event, console: Console) -> None:
    def handle(signum, frame) -> None:
        stop.set()
        console.print(
            f"\n{signal.Signals(signum).name}: stopping the running commands; finished cells are "
            "kept, run the same command again to continue.",
            highlight=False,
        )
        terminate_running()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handle)


@click.command("sweep")
@click.argument("sweep_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Print the grid, the exact commands and GPU memory.")
@click.option("--force", is_flag=True, help="Redo every stage of every cell.")
@click.option("--only", multiple=True, metavar="CELL", help="Run only these cell ids (repeat).")
@click.option("--skip-check", is_flag=True, help="Do not run `medqa check` on the configs first.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Output folder (default: the sweep file's `out`).",
)
def sweep_command(sweep_file, dry_run, force, only, skip_check, out_dir) -> None:
    """Train, merge, serve and evaluate every cell of SWEEP_FILE; one comparison report.

    Run from the repository root (configs and dataset_dir are relative to it). Resumable:
    finished cells are skipped, a cell whose inputs changed is redone."""
    try:
        sweep = load_sweep(sweep_file)
    except SweepError as exc:
        raise click.ClickException(str(exc)) from None
    root = Path(out_dir or sweep.out).resolve()
    cwd = Path.cwd()
    plans = [CellPlan(sweep, cell, root, cwd) for cell in sweep.cells()]
    if only:
        unknown = set(only) - {p.cell.id for p in plans}
        if unknown:
            raise click.ClickException(
                f"no cell {sorted(unknown)[0]!r}; cells: {[p.cell.id for p in plans]}"
            )
        plans = [p for p in plans if p.cell.id in only]
    devices = visible_devices()
    too_big = [p.cell.id for p in plans if devices and p.cell.gpus > len(devices)]
    if too_big:
        raise click.ClickException(f"{too_big[0]} needs more GPUs than CUDA_VISIBLE_DEVICES lists")
    console = Console(width=None if sys.stdout.isatty() else 160)
    if dry_run:
        print_dry_run(console, sweep, plans, devices)
        return
    missing = [(p.cell.id, _records(p)) for p in plans if _records(p) in NO_DATA]
    if missing:
        cell, why = missing[0]
        raise click.ClickException(
            f"{len(missing)} cell(s) have no training data, e.g. {cell}: dataset {why}. Run "
            "`medqa prep run` with the scale subsets in the recipe (split.subsets), from here."
        )
    stop = threading.Event()
    _install_stop_handlers(stop, console)
    top = StageRunner(root, console=console)
    try:
        if not skip_check:
            top.run([check_stage(sweep)])
    except StageError as exc:
        raise click.ClickException(str(exc)) from None
    api_key = secrets.token_urlsafe(24)  # every server of this run requires it
    parallel = len(devices) > 1
    statuses = run_grid(
        [p.cell for p in plans],
        devices if parallel else [],
        lambda cell, mine: run_one_cell(
            next(p for p in plans if p.cell is cell), mine, force, api_key, console, parallel
        ),
        stop,
    )
    if stop.is_set():
        done = sum(s in ("done", "skipped") for s in statuses.values())
        console.print(f"stopped: {done}/{len(plans)} cells finished; run again to continue.")
        raise SystemExit(130)
    finish(console, sweep, plans, statuses)


def finish(console: Console, sweep: Sweep, plans: list[CellPlan], statuses: dict[str, str]) -> None:
    """Per-cell table, the compare report over finished cells, a summary and the exit code."""
    rows = cells_table(sweep, plans, statuses)
    finished = [p for p in plans if statuses.get(p.cell.id) in ("done", "skipped")]
    report = report_dir(plans)
    table, markdown = render_cells(sweep, rows)
    console.print(table)
    if finished:
        runner = StageRunner(report.parent, console=console)
        command = compare_command(sweep, finished)
        summaries = [p.eval_dir(t.task) / "summary.json" for p in finished for t in sweep.evals]
        try:
            runner.run(
                [
                    Stage(
                        "compare",
                        "medqa eval compare over every finished cell",
                        [report / "report.md"],
                        lambda ctx: ctx.run(command),
                        inputs=[*summaries, shown(command)],
                    )
                ]
            )
        except StageError as exc:
            raise click.ClickException(str(exc)) from None
        write_cells_report(report / "sweep.md", sweep, markdown)
    counts = {s: sum(v == s for v in statuses.values()) for s in ("done", "skipped", "failed")}
    console.print(
        f"cells: {counts['done']} run, {counts['skipped']} already finished (skipped), "
        f"{counts['failed']} failed · report: {report / 'sweep.md'} and {report / 'report.html'}",
        highlight=False,
    )
    if counts["failed"]:
        failed = [c for c, s in statuses.items() if s == "failed"]
        raise click.ClickException(
            f"{counts['failed']} cell(s) failed: {', '.join(failed)} (logs under cells/<cell>/logs/);"
            " run the same command again to retry them"
        )

"""``medqa prep``: run a recipe, print stats, inspect kept and dropped examples."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import click

from dataprep.recipe import DEFAULT_RECIPE, RecipeError, load_recipe


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def prep() -> None:
    """Clean, de-identify, dedup and split Q&A data into LLaMA-Factory datasets."""


@prep.command("run")
@click.option(
    "--recipe",
    "recipe_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Recipe YAML (default: the bundled default recipe).",
)
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="[FORMAT:]PATH",
    help="Input file or folder; repeatable. Formats: raw, cmd, sharegpt, alpaca, "
    "cmedqa, generic, medqa, cmmlu, mcq (detected when omitted).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="data",
    show_default=True,
    help="Output root; the dataset goes to OUT/NAME/.",
)
@click.option("--name", default=None, help="Dataset name (default: the recipe's, 'medqa').")
@click.option(
    "--dataset-info",
    type=click.Path(dir_okay=False),
    default="dataset_info.json",
    show_default=True,
    help="dataset_info.json to merge entries into.",
)
@click.option("--no-register", is_flag=True, help="Do not touch any dataset_info.json.")
@click.option(
    "--replace-entries",
    "replace_entries",
    multiple=True,
    metavar="NAME[,NAME]",
    help="Existing dataset_info.json entries this run may repoint to its own files "
    "(refused otherwise, naming them).",
)
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Write (and replace an existing dataset with) an empty result instead of refusing.",
)
@click.option("--tokenizer", default=None, help="Local tokenizer path for token statistics.")
@click.option("--seed", type=int, default=None, help="Override the recipe's seed.")
@click.option(
    "--workers",
    type=int,
    default=0,
    help="Worker processes (default: all cores); with --executor ray, the CPUs of the Ray "
    "started here (a joined cluster uses all of its CPUs).",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Where the work runs: this machine's processes, or Ray tasks (extra [ray]).",
)
@click.option(
    "--address",
    default=None,
    metavar="auto|HOST:PORT",
    help="Ray cluster to join (with --executor ray; default: start Ray on this machine).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def run_command(
    recipe_path,
    inputs,
    out,
    name,
    dataset_info,
    no_register,
    replace_entries,
    allow_empty,
    tokenizer,
    seed,
    workers,
    executor,
    address,
    quiet,
) -> None:
    """Run a recipe: readers → steps → alpaca/sharegpt splits, stats, charts, report."""
    from dataprep.executors import ExecutorError
    from dataprep.outputs import OutputError
    from dataprep.pipeline import RunOptions, run
    from dataprep.readers import InputError, InputSpec

    try:
        recipe = load_recipe(recipe_path)
        if seed is not None:
            recipe.seed = seed
        options = RunOptions(
            Path(out),
            name,
            None if no_register else Path(dataset_info),
            tokenizer,
            workers,
            progress=not quiet,
            allow_empty=allow_empty,
            replace_entries=frozenset(
                part.strip() for item in replace_entries for part in item.split(",") if part.strip()
            ),
            executor=executor,
            address=address,
        )
        result = run(recipe, [InputSpec.parse(text) for text in inputs], options)
    except (
        RecipeError,
        InputError,
        OutputError,
        ExecutorError,
        ValueError,
        FileNotFoundError,
    ) as exc:
        raise click.ClickException(str(exc)) from exc
    _print_summary(result.stats)
    click.echo("time: " + ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items()))
    click.echo(
        f"\nwrote {result.dataset_dir}/ in {result.seconds:.1f} s "
        f"({result.records_per_second:,.0f} input lines/s); report: "
        f"{result.dataset_dir / 'report.html'}"
    )
    if not no_register:
        click.echo(f"registered {result.stats['name']}_* in {dataset_info}")
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    for warning in result.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)


@prep.command("stats")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--tokenizer", default=None, help="Local tokenizer path (JSONL inputs only).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def stats_command(paths, tokenizer, as_json) -> None:
    """Print a dataset's stats (a folder or stats.json), or length stats of alpaca/sharegpt
    JSONL files."""
    from dataprep.filestats import file_stats

    first = Path(paths[0])
    if len(paths) == 1 and (first.is_dir() or first.name == "stats.json"):
        stats_file = first / "stats.json" if first.is_dir() else first
        if not stats_file.is_file():
            raise click.ClickException(f"{first} has no stats.json (not a medqa prep output)")
        stats = json.loads(stats_file.read_text(encoding="utf-8"))
        click.echo(json.dumps(stats, ensure_ascii=False, indent=2) if as_json else "", nl=as_json)
        if not as_json:
            _print_summary(stats)
        return
    try:
        stats = file_stats([Path(p) for p in paths], tokenizer)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(stats, ensure_ascii=False, indent=2))


@prep.command("inspect")
@click.argument("dataset", type=click.Path(exists=True, file_okay=False))
@click.option(
    "-n",
    "count",
    type=int,
    default=3,
    show_default=True,
    help="Examples per reason (and kept examples).",
)
@click.option("--reason", default=None, help="Only this drop reason (e.g. off_topic_answer).")
@click.option("--width", type=int, default=160, show_default=True, help="Characters per text.")
def inspect_command(dataset, count, reason, width) -> None:
    """Show N kept examples and N dropped examples per reason."""
    from medqa.io import iter_jsonl

    root = Path(dataset)
    kept = next(
        (
            f"{fmt}/train.jsonl"
            for fmt in ("alpaca", "sharegpt")
            if (root / fmt / "train.jsonl").is_file()
        ),
        None,
    )
    if reason is None and kept is not None:
        click.secho(f"== kept ({kept}, first {count})", bold=True)
        for k, (_, example) in enumerate(iter_jsonl(root / kept)):
            if k >= count:
                break
            if "conversations" in example:  # sharegpt: the last exchange
                turns = example["conversations"]
                question, answer = turns[-2]["value"], turns[-1]["value"]
            else:
                question, answer = example["instruction"], example["output"]
            _show(example.get("department", ""), question, answer, width)
    examples_file = root / "examples.jsonl"
    if not examples_file.is_file():
        raise click.ClickException(f"{root} has no examples.jsonl (not a medqa prep output)")
    grouped: dict[str, list[dict]] = defaultdict(list)
    for _, example in iter_jsonl(examples_file):
        grouped[f"{example['step']}: {example['reason']}"].append(example)
    for key, examples in grouped.items():
        if reason is not None and not key.endswith(f": {reason}"):
            continue
        click.secho(f"== dropped by {key} ({len(examples)} kept as examples)", bold=True)
        for example in examples[:count]:
            extra = {
                k: v
                for k, v in example.items()
                if k not in ("step", "reason", "question", "answer")
            }
            _show(
                json.dumps(extra, ensure_ascii=False), example["question"], example["answer"], width
            )
    if reason is not None and not any(k.endswith(f": {reason}") for k in grouped):
        raise click.ClickException(f"no dropped examples with reason {reason!r}")


@prep.command("init-recipe")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init_recipe_command(path, force) -> None:
    """Copy the default recipe to PATH to edit."""
    target = Path(path)
    if target.exists() and not force:
        raise click.ClickException(f"{target} exists (use --force to overwrite)")
    shutil.copyfile(DEFAULT_RECIPE, target)
    click.echo(f"wrote {target}; run: medqa prep run --recipe {target} --input ... --out data/")


def _show(tag: str, question: str, answer: str, width: int) -> None:
    def cut(text: str) -> str:
        text = text.replace("\n", " ⏎ ")
        return text if len(text) <= width else text[:width] + "…"

    click.echo(f"  [{tag}]")
    click.echo(f"    Q: {cut(question)}")
    click.echo(f"    A: {cut(answer)}")


def _print_summary(stats: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    funnel = Table(title=f"medqa prep — {stats['name']}: funnel")
    for column in ("step", "seen", "kept", "dropped"):
        funnel.add_column(column)
    for row in stats["funnel"]:
        dropped = ", ".join(f"{k} {v}" for k, v in row["dropped"].items() if v) or "—"
        funnel.add_row(row["step"], str(row["seen"]), str(row["kept"]), dropped)
    console.print(funnel)
    outputs = Table(title="outputs")
    outputs.add_column("file")
    outputs.add_column("records", justify="right")
    for name, count in stats["files"].items():
        outputs.add_row(name, str(count))
    console.print(outputs)
    chars = stats["length"]["chars"]["total"]
    line = f"total length (chars): p95 {chars['p95']}, p99 {chars['p99']}, max {chars['max']}"
    if "tokens" in stats["length"]:
        tokens = stats["length"]["tokens"]["total"]
        line += f"; tokens (qwen template): p95 {tokens['p95']}, p99 {tokens['p99']}"
    console.print(line)
    if stats["deidentify"]:
        console.print(
            "de-identified: " + ", ".join(f"{k} {v}" for k, v in stats["deidentify"].items())
        )
    department = stats.get("department") or {}
    classifier = department.get("classifier")
    if classifier and "accuracy" in classifier:
        console.print(
            f"department classifier: held-out accuracy {classifier['accuracy']:.3f} "
            f"on {classifier['held_out']} records (in-distribution: the classes of the "
            f"labelled inputs, {', '.join(department.get('top_levels_seen', []))})"
        )
    if "coverage" in department:
        console.print(
            f"departments guessed for {department['predicted']:,} of "
            f"{department['unlabelled']:,} unlabelled records ({department['coverage']:.0%}); "
            f"{department['abstained']:,} got none"
        )
    if stats.get("subsets_not_made"):
        console.print(
            f"[yellow]subsets not made (the train split has {stats['splits']['train']} records): "
            + ", ".join(f"train_{n}" for n in stats["subsets_not_made"])
        )
    renamed = (stats.get("duplicate_ids") or {}).get("renamed", 0)
    if renamed:
        first = stats["duplicate_ids"]["examples"][0]
        console.print(
            f"[yellow]{renamed} records had an id an earlier record already had: renamed "
            f"with a #N suffix (e.g. {first['id']} → {first['now']}; stats.json duplicate_ids)"
        )
    if stats["rejects"]:
        console.print(f"[yellow]{stats['rejects']} malformed lines quarantined in rejects.jsonl")


from dataprep.preference.cli import import_pairs_command  # noqa: E402 - registered last

prep.add_command(import_pairs_command)

"""``medqa prep import-pairs``: an existing preference file → LLaMA-Factory ranking datasets."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("import-pairs")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", type=click.Path(file_okay=False), default="data", show_default=True)
@click.option("--name", required=True, help="Dataset folder and entry prefix (<name>_dpo_train).")
@click.option("--recipe", "recipe_path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--val-share",
    type=click.FloatRange(0, 0.5),
    default=0.05,
    show_default=True,
    help="Share of prompts (with all their pairs) in the val split.",
)
@click.option(
    "--dataset-info",
    type=click.Path(dir_okay=False),
    default="dataset_info.json",
    show_default=True,
)
@click.option("--no-register", is_flag=True, help="Do not touch dataset_info.json.")
def import_pairs_command(path, out, name, recipe_path, val_share, dataset_info, no_register):
    """Clean and split PATH's preference pairs (MedicalGPT DPO, alpaca or sharegpt ranking)."""
    from dataprep import preference
    from dataprep.outputs import OutputError
    from dataprep.preference.importer import import_pairs
    from dataprep.recipe import RecipeError, load_recipe

    if not name or name in (".", "..") or any(sep in name for sep in "/\\"):
        raise click.BadParameter("a plain folder name", param_hint="--name")
    try:
        recipe = load_recipe(recipe_path)
        folder, stats = import_pairs(Path(path), Path(out), name, recipe, val_share)
        if not no_register:
            preference.register(folder, name, stats, Path(dataset_info))
    except (RecipeError, OutputError, ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    info = stats["preference"]
    click.echo(
        f"read {info['counts'].get('read', 0):,}; "
        + ", ".join(f"{k} {v:,}" for k, v in info["counts"].items() if k != "read")
    )
    click.echo(
        f"pairs: train {info['pairs']['train']:,}, val {info['pairs']['val']:,} → {folder}/dpo/"
    )
    check = info["exam_check"]
    if check["questions"]:
        click.echo(
            f"exam check: {info['counts'].get('overlaps_exam', 0):,} pairs overlapping "
            f"{check['questions']:,} exam questions ({', '.join(check['files'])}) dropped"
        )
    else:
        click.echo(
            "warning: no exam contamination check (the recipe's decontaminate step names no "
            "readable exam file): pairs overlapping a benchmark are kept",
            err=True,
        )
    for missing in check["missing"]:
        click.echo(f"warning: exam file {missing} does not exist; not checked", err=True)
    for warning in info["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    if not no_register:
        click.echo(f"registered {name}_dpo_* in {dataset_info}")

"""``medqa eval preference``: the preference win-rate of a local model on ranking pairs."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("preference")
@click.option(
    "--model",
    "model_dir",
    type=click.Path(file_okay=False),
    required=True,
    help="A local model folder (e.g. a merged export): pairs are scored on its weights.",
)
@click.option(
    "--data",
    type=click.Path(dir_okay=False),
    default="data/medqa/dpo/alpaca/val.jsonl",
    show_default=True,
    help="Ranking pairs (alpaca or sharegpt), e.g. the held-out val pairs of `medqa prep run`.",
)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True)
@click.option("--label", required=True, help="The model's name in the report (e.g. sft+dpo).")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Score the first N pairs.")
@click.option("--task", default="preference", show_default=True, help="Task name in the report.")
def preference(model_dir, data, out_dir, label, tags, limit, task) -> None:
    """Score how often MODEL's log-likelihood prefers the chosen answer of each pair."""
    from eval.cli import _tags
    from eval.preference import PreferenceDataError, run_preference

    if not Path(model_dir).is_dir():
        raise click.ClickException(
            f"model folder {model_dir} does not exist: a merged model is written by "
            "`llamafactory-cli export llamafactory_configs/merge/qwen_lora_merge.yaml` (SFT) or "
            "`… qwen_lora_dpo_merge.yaml` (DPO); pass its folder with --model."
        )
    if not Path(data).is_file():
        raise click.ClickException(
            f"pairs file {data} does not exist: `medqa prep run --out data` writes the held-out "
            "pairs to data/medqa/dpo/alpaca/val.jsonl; pass another file with --data."
        )

    try:
        summary = run_preference(
            Path(model_dir), Path(data), Path(out_dir), label, _tags(tags), limit, task
        )
    except (PreferenceDataError, ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{task} · {label}: " + json.dumps(summary["metrics"], ensure_ascii=False))
    click.echo(f"→ {Path(out_dir) / 'summary.json'}")

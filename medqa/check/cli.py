"""``medqa check CONFIG...``: exit 0 when no errors, 1 otherwise; ``--json`` for machines."""

from __future__ import annotations

import json

import click

from medqa.check.findings import Level
from medqa.check.runner import check_configs


@click.command("check")
@click.argument("configs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a key in every config, as on the llamafactory-cli command line.",
)
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
@click.option(
    "--strict-env",
    is_flag=True,
    help="Fail also when this machine lacks a GPU or package the configs need.",
)
def check(
    configs: tuple[str, ...], overrides: tuple[str, ...], as_json: bool, strict_env: bool
) -> None:
    """Validate LLaMA-Factory configs with its own parsers and catch known pitfalls.

    Run from the directory you will train from (the repository root): dataset_dir and
    DeepSpeed paths are resolved against it, as llamafactory-cli does.
    """
    found = check_configs(list(configs), overrides)
    failing = {Level.ERROR} | ({Level.ENV} if strict_env else set())
    failed = any(f.level in failing for f in found)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": not failed,
                    "configs": list(configs),
                    "findings": [f.as_dict() for f in found],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for finding in found:
            click.echo(finding.render())
        counts = {level: sum(f.level == level for f in found) for level in Level}
        summary = ", ".join(f"{n} {level}" for level, n in counts.items())
        click.echo(f"{'FAILED' if failed else 'OK'}: {len(configs)} config(s); {summary}")
    raise SystemExit(1 if failed else 0)

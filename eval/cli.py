"""``medqa eval``: run benchmark tasks against OpenAI-compatible endpoints and compare runs.

    medqa eval tasks
    medqa eval run --task medqa_mcmle --endpoint http://127.0.0.1:8000/v1 --label lora \\
        --tag method=lora --tag scale=20k
    medqa eval predictions saves/qwen-lora/predict/generated_predictions.jsonl --out runs/direct
    medqa eval compare data/eval/runs/* --out data/eval/report
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import click

from eval.cli_options import request_timeout
from eval.client import EndpointError
from eval.datasets import DataError
from eval.taskspec import TaskError, builtin_tasks, load_task


def _tags(values: tuple[str, ...]) -> dict[str, str]:
    tags = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{value!r} is not KEY=VALUE", param_hint="--tag")
        tags[key.strip()] = val.strip()
    return tags


@click.group("eval")
def eval_group() -> None:
    """Evaluate served models: exams, open QA, RAG, safety probes; compare runs."""


@eval_group.command("tasks")
def list_tasks() -> None:
    """List the built-in tasks (eval/tasks/*.yaml)."""
    for name, path in builtin_tasks().items():
        try:
            task = load_task(str(path))
            click.echo(f"{name:24s} {task.type:8s} {task.description}")
            data = task.data.get("path")
            if data and not Path(data).exists():
                click.echo(f"{'':33s}data {data} is absent here: pass --data PATH")
        except TaskError as exc:
            click.echo(f"{name:24s} (invalid: {exc})")


@eval_group.command("run")
@click.option("--task", "task_name", required=True, help="Built-in task name or a task YAML file.")
@click.option(
    "--endpoint",
    "endpoints",
    multiple=True,
    help="Base URL (…/v1); repeat for replicas. Default: $MEDQA_ENDPOINT.",
)
@click.option("--model", default=None, help="Model id (default: the one /v1/models lists).")
@click.option("--api-key", default=None, help="Bearer key (default: $API_KEY).")
@click.option("--data", type=click.Path(), default=None, help="Override the task's data.path.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="First N items only.")
@click.option(
    "--skip-invalid",
    is_flag=True,
    default=None,
    help="Exams: leave out records that cannot be read (counted and named in the summary) "
    "instead of stopping at the first.",
)
@click.option("--shots", type=click.IntRange(min=0), default=None, help="Few-shot examples.")
@click.option(
    "--knowledge",
    type=click.Path(file_okay=False),
    default=None,
    help="Knowledge folder: turns retrieval (BM25) on.",
)
@click.option("--top-k", type=click.IntRange(min=1), default=None, help="Passages retrieved.")
@click.option(
    "--scoring",
    type=click.Choice(["generate", "loglik", "both"]),
    default=None,
    help="Exams: generated answers, option log-likelihood (/v1/completions), or both.",
)
@click.option("--max-tokens", type=click.IntRange(min=1), default=None)
@click.option(
    "--mismatch",
    type=click.Choice(["stop", "score"]),
    default=None,
    help="Exams whose gold answers have the other answer count than the task (multi-letter "
    "gold in a single-answer task, or the reverse): stop with advice (default) or score them "
    "and count them in the summary.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=16,
    show_default=True,
    help="Requests in flight per endpoint.",
)
@request_timeout
@click.option("--retries", type=click.IntRange(min=0), default=4, show_default=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Run folder (default: data/eval/runs/TASK-LABEL).",
)
@click.option(
    "--cache",
    "cache_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Response cache file (default: RUN/cache.jsonl).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the response cache.")
@click.option("--label", default=None, help="Name of this run in reports (default: model id).")
@click.option("--tag", "tags", multiple=True, help="KEY=VALUE, e.g. method=lora, scale=20k.")
@click.option(
    "--judge-endpoint",
    "judge_endpoints",
    multiple=True,
    help="Open QA: a second endpoint that grades answers with a rubric.",
)
@click.option("--judge-model", default=None)
@click.option(
    "--judge-api-key",
    default=None,
    envvar="JUDGE_API_KEY",
    help="Bearer key of the judge endpoint (default: $JUDGE_API_KEY; the endpoint's own "
    "--api-key/$API_KEY is never sent to the judge).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def run(
    task_name,
    endpoints,
    model,
    api_key,
    data,
    limit,
    skip_invalid,
    shots,
    knowledge,
    top_k,
    scoring,
    max_tokens,
    mismatch,
    concurrency,
    timeout,
    retries,
    out_dir,
    cache_path,
    no_cache,
    label,
    tags,
    judge_endpoints,
    judge_model,
    judge_api_key,
    quiet,
) -> None:
    """Run TASK against the endpoint(s); write results.jsonl and summary.json."""
    from eval.runner import RunOptions, run_task

    overrides = {
        "data.path": data,
        "data.skip_invalid": skip_invalid,
        "fewshot.shots": shots,
        "rag.knowledge": knowledge,
        "rag.top_k": top_k,
        "scoring": scoring,
        "decoding.max_tokens": max_tokens,
        "mismatch": mismatch,
    }
    options = RunOptions(
        endpoints=list(endpoints) or None,
        model=model,
        api_key=api_key,
        concurrency=concurrency,
        timeout=timeout,
        retries=retries,
        out_dir=Path(out_dir) if out_dir else None,
        cache_path=Path(cache_path) if cache_path else None,
        use_cache=not no_cache,
        label=label,
        tags=_tags(tags),
        limit=limit,
        judge_endpoints=list(judge_endpoints) or None,
        judge_model=judge_model,
        judge_api_key=judge_api_key,
        progress=not quiet,
    )
    try:
        task = load_task(task_name, overrides)
        summary, folder = asyncio.run(run_task(task, options))
    except (TaskError, DataError, EndpointError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        click.echo(
            "\ninterrupted: the answers received so far are in the run's cache.jsonl; "
            "run the same command again to resume.",
            err=True,
        )
        raise SystemExit(130) from None
    _print_summary(summary, folder)
    _print_hints(summary)
    failed = summary["metrics"].get("failed", 0)
    if failed:
        click.echo(
            f"{failed} item(s) failed (see 'error' in results.jsonl); run the same command "
            "again to retry them — answered items come from the cache.",
            err=True,
        )
        raise SystemExit(3)


def _print_summary(summary: dict, folder: Path) -> None:
    shown_apart = ("per_subject", "answer_forms")
    metrics = {k: v for k, v in summary["metrics"].items() if k not in shown_apart}
    click.echo(f"{summary['task']} · {summary['label']} · model {summary['model']}")
    click.echo("  " + json.dumps(metrics, ensure_ascii=False))
    forms = dict(summary["metrics"].get("answer_forms") or {})
    if forms:
        unparsed = sum(forms.pop(k, 0) for k in ("unparsed", "empty", "unfinished-thinking"))
        read = ", ".join(f"{form} {n}" for form, n in forms.items()) or "none"
        click.echo(f"  answers read from: {read} · unparsed {unparsed} (scored wrong)")
    req = summary["requests"]

    def shown(value, unit: str = "") -> str:
        return "–" if value is None else f"{value}{unit}"

    click.echo(
        f"  requests {req['requests']} (cached {req['cached']}, failed {req['failed']}, "
        f"retries {req['retries']}) · latency p50 {shown(req['latency_p50_s'], 's')} p95 "
        f"{shown(req['latency_p95_s'], 's')} · {shown(req['gen_tokens_per_s'])} gen tok/s"
    )
    click.echo(f"  → {folder / 'summary.json'}")


def _print_hints(summary: dict) -> None:
    """Advice for the two usual causes of bad numbers that are not the model's fault."""
    metrics, requests = summary["metrics"], summary["requests"]
    if (metrics.get("truncated_rate") or 0) > 0.1:
        click.echo(
            f"hint: {metrics['truncated_rate']:.0%} of answers hit max_tokens (thinking models "
            "need more): raise --max-tokens.",
            err=True,
        )
    skipped = metrics.get("skipped_records")
    if skipped:
        click.echo(
            f"warning: {skipped} record(s) of the exam could not be read and were left out "
            f"(first: {metrics['skipped_examples'][0]}); see skipped_examples in summary.json.",
            err=True,
        )
    cache = summary.get("cache", {})
    if cache.get("other_fingerprint_answers"):
        click.echo(
            f"warning: {cache['path']} holds {cache['other_fingerprint_answers']} answer(s) that "
            f"'{cache['model']}' gave when it served other weights (fingerprint now "
            f"{cache['fingerprint']}). The model behind that name changed, so they were not used "
            "and this run asked the endpoint afresh (they count again if those weights are served "
            "again). To drop them delete that file; to keep models apart give each its own --out.",
            err=True,
        )
    if cache.get("untagged_answers"):
        click.echo(
            f"note: {cache['untagged_answers']} answer(s) in {cache['path']} were cached without "
            "a model fingerprint (an older medqa) and were not used.",
            err=True,
        )
    if cache and cache.get("probe_deterministic") is False:
        click.echo(
            "note: the endpoint answers the temperature-0 probe differently each time, so the "
            "cache can tell models apart only by their /v1/models entry: give each model its "
            "own --out (or --no-cache).",
            err=True,
        )
    if any("timed out" in reason for reason in requests.get("failure_reasons", {})):
        click.echo(
            "hint: requests timed out. LLaMA-Factory's huggingface backend answers MAX_CONCURRENT "
            "(default 1) requests at a time and queues the rest: lower --concurrency, raise "
            "--timeout, or serve with vLLM.",
            err=True,
        )


@eval_group.command("predictions")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True)
@click.option("--label", default=None)
@click.option("--tag", "tags", multiple=True, help="KEY=VALUE")
def predictions(path, out_dir, label, tags) -> None:
    """Score LLaMA-Factory's generated_predictions.jsonl (BLEU-4/ROUGE as LLaMA-Factory)."""
    from eval.predictions import score_predictions

    try:
        summary = score_predictions(path, out_dir, label, _tags(tags))
    except DataError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(summary["metrics"], ensure_ascii=False))
    click.echo(f"→ {os.path.join(out_dir, 'summary.json')}")


@eval_group.command("compare")
@click.argument("runs", nargs=-1, required=True, type=click.Path())
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default="data/eval/report",
    show_default=True,
)
@click.option("--title", default="medqa eval report", show_default=True)
def compare(runs, out_dir, title) -> None:
    """Compare run folders: report.md, report.html and charts/*.png."""
    from eval.report import build_report

    missing = [r for r in runs if not Path(r).exists()]
    if missing:
        raise click.ClickException(
            f"no run folder {missing[0]}: each `medqa eval run` writes one (default "
            "data/eval/runs/TASK-LABEL, or its --out); run those first, then compare them."
        )
    try:
        report = build_report([Path(r) for r in runs], Path(out_dir), title)
    except (ValueError, json.JSONDecodeError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"→ {report} and {report.with_suffix('.html')}")


@eval_group.command("retrieve")
@click.argument("query")
@click.option("--knowledge", type=click.Path(exists=True, file_okay=False), required=True)
@click.option("-k", "top_k", type=click.IntRange(min=1), default=3, show_default=True)
def retrieve(query, knowledge, top_k) -> None:
    """Show what BM25 retrieves for QUERY from a knowledge folder."""
    from eval.rag import BM25Retriever

    try:
        retriever = BM25Retriever.from_folder(knowledge)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    for hit in retriever.search(query, top_k):
        click.echo(f"[{hit.score:.2f}] {hit.id}\n{hit.text}\n")


from eval.preference_cli import preference as _preference  # noqa: E402 - registered last

eval_group.add_command(_preference)

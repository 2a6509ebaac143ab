"""``medqa eval run``: plan every item, answer from the cache or the endpoint, score, write.

A run folder holds ``results.jsonl`` (one line per item, in data order, with the response, the
extracted answer and its score, or the error that made it fail), ``summary.json`` (metrics,
request statistics, the run's label and tags) and, by default, ``cache.jsonl`` (every answer
received, so re-running the same command resumes or costs nothing). Both outputs are written
atomically at the end; the cache is what survives an interrupted run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from eval.cache import NullCache, ResponseCache, cache_key
from eval.client import ChatClient, Completion, EndpointError, RetryPolicy
from eval.exam import ExamKind
from eval.fingerprint import fingerprint
from eval.openqa import OpenQaKind
from eval.plan import Call, Outcome, Plan, TaskKind
from eval.probes import SafetyKind
from eval.rag import BM25Retriever
from eval.taskspec import Task
from medqa.io import write_json, write_jsonl

KINDS = {"mcq": ExamKind, "open_qa": OpenQaKind, "safety": SafetyKind}
DEFAULT_RUNS_DIR = Path("data/eval/runs")


@dataclass
class RunOptions:
    """Everything about a run that is not the task: where, who, how hard, how labelled."""

    endpoints: list[str] | None = None
    model: str | None = None
    api_key: str | None = None
    concurrency: int = 16
    timeout: float = 120.0
    retries: int = 4
    out_dir: Path | None = None
    cache_path: Path | None = None
    use_cache: bool = True
    label: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    limit: int | None = None
    judge_endpoints: list[str] | None = None
    judge_model: str | None = None
    judge_api_key: str | None = None
    progress: bool = True


def slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "-", text).strip("-") or "run"


def build_kind(task: Task) -> TaskKind:
    retriever = None
    if task.uses_rag:
        rag = task.rag
        retriever = BM25Retriever.from_folder(rag["knowledge"], rag["chunk_chars"], rag["overlap"])
    return KINDS[task.type](task, retriever)


async def execute(
    client: ChatClient, cache: ResponseCache, calls: list[Call], desc: str, progress: bool
) -> list[Outcome]:
    """Answer every call, from the cache where possible; failures come back as EndpointError."""
    identity = {**client.model_identity, "model": await client.model_name()}
    outcomes: list[Outcome | None] = [None] * len(calls)
    pending = []
    for index, call in enumerate(calls):
        key = cache_key(identity, call.kind, call.body, call.params)
        hit = cache.get(key)
        if hit is not None:
            outcomes[index] = Completion.from_cache(hit)
            client.stats.cached_latencies.append(outcomes[index].latency_s)
        else:
            pending.append((index, key, call))
    client.stats.cached += len(calls) - len(pending)
    bar = tqdm(
        total=len(calls),
        initial=len(calls) - len(pending),
        desc=desc,
        unit="req",
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )

    async def answer(index: int, key: str, call: Call) -> None:
        try:
            if call.kind == "chat":
                completion = await client.complete(call.body, **call.params)
            else:
                completion = await client.complete_text(call.body, **call.params)
            cache.put(key, completion.to_cache(), identity)
            outcomes[index] = completion
        except EndpointError as exc:
            outcomes[index] = exc
        bar.update()

    client.stats.start()
    try:
        await asyncio.gather(*(answer(*p) for p in pending))
    finally:
        bar.close()
    return [o for o in outcomes if o is not None]


def _split(outcomes: list[Outcome], plans: list[Plan]) -> list[list[Outcome]]:
    parts, start = [], 0
    for plan in plans:
        parts.append(outcomes[start : start + len(plan.calls)])
        start += len(plan.calls)
    return parts


def _client(urls, model, options: RunOptions, api_key: str | None) -> ChatClient:
    return ChatClient(
        urls,
        model,
        api_key,
        timeout=options.timeout,
        concurrency=options.concurrency,
        retry=RetryPolicy(max_retries=options.retries),
    )


async def take_fingerprint(client: ChatClient, cache: ResponseCache) -> dict[str, Any]:
    """Fingerprint what ``client`` serves (eval.fingerprint), key the cache by it, and count the
    answers cached for the same model name under other fingerprints."""
    if isinstance(cache, NullCache):
        return {}
    served = await fingerprint(client, check_determinism=True)
    client.fingerprint = served.digest
    name = await client.model_name()
    return {
        "model": name,
        "fingerprint": served.digest,
        "probe_deterministic": served.deterministic,
        "other_fingerprint_answers": sum(cache.other_fingerprints(name, served.digest).values()),
        "untagged_answers": cache.by_fingerprint.get((None, None), 0),
    }


async def _judge(kind: OpenQaKind, plans, results, options: RunOptions, cache) -> dict:
    # The judge is another server: it gets its own key or none, never the endpoint's.
    client = _client(
        options.judge_endpoints, options.judge_model, options, options.judge_api_key or ""
    )
    try:
        served = await take_fingerprint(client, cache)
        calls = [(r, kind.judge_call(p, r)) for p, r in zip(plans, results, strict=True)]
        todo = [(r, c) for r, c in calls if c is not None]
        outcomes = await execute(client, cache, [c for _, c in todo], "judge", options.progress)
        for (result, _), outcome in zip(todo, outcomes, strict=True):
            kind.add_judgement(result, outcome)
        return {
            "model": await client.model_name(),
            "endpoints": client.base_urls,
            "requests": client.stats.summary(),
            "served": served,
        }
    finally:
        await client.aclose()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


async def run_task(task: Task, options: RunOptions) -> tuple[dict[str, Any], Path]:
    """Run ``task``; return its summary and the run folder."""
    started = _now()
    kind = build_kind(task)
    items = kind.items[: options.limit] if options.limit else kind.items
    plans = [kind.plan(item) for item in items]
    client = _client(options.endpoints, options.model, options, options.api_key)
    try:
        model = await client.model_name()
        label = options.label or model
        out_dir = options.out_dir or DEFAULT_RUNS_DIR / f"{slug(task.name)}-{slug(label)}"
        cache: ResponseCache = NullCache()
        if options.use_cache:
            cache = ResponseCache(options.cache_path or out_dir / "cache.jsonl")
        with cache:
            served = await take_fingerprint(client, cache)
            calls = [c for p in plans for c in p.calls]
            outcomes = await execute(client, cache, calls, task.name, options.progress)
            results = [
                kind.score(p, o) for p, o in zip(plans, _split(outcomes, plans), strict=True)
            ]
            judge = None
            if options.judge_endpoints and isinstance(kind, OpenQaKind):
                judge = await _judge(kind, plans, results, options, cache)
    finally:
        await client.aclose()
    summary = {
        "task": task.name,
        "type": task.type,
        "description": task.description,
        "task_file": str(task.source),
        "label": label,
        "tags": dict(options.tags),
        "model": model,
        "endpoints": client.base_urls,
        "data": task.data.get("path"),
        "shots": task.fewshot.get("shots", 0),
        "scoring": task.scoring if task.type == "mcq" else "generate",
        "rag": dict(task.rag) if task.uses_rag else None,
        "decoding": task.decoding_params(),
        "started_at": started,
        "finished_at": _now(),
        "metrics": kind.summarize(results),
        "requests": client.stats.summary(),
        "cache": {
            "path": str(cache.path),
            "entries": len(cache),
            "torn_lines": cache.torn_lines,
            **served,
        },
    }
    if judge:
        summary["judge"] = judge
    write_jsonl(out_dir / "results.jsonl", results)
    write_json(out_dir / "summary.json", summary)
    return summary, out_dir

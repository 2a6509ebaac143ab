"""``medqa quickstart``: the whole chain on CPU, on built-in sample data, with nothing from the internet.

sample site → ``scrapy crawl medqa`` → ``medqa prep run`` → ``medqa check`` → tiny Qwen →
``llamafactory-cli train`` (LoRA) → ``llamafactory-cli export`` → ``llamafactory-cli api`` (base and
fine-tuned) → ``medqa eval run`` → ``medqa eval compare`` → a summary of every artefact.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from medqa.stages import Stage, StageContext, StageError, StageRunner

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIGS = REPO_ROOT / "llamafactory_configs"
# CPU overrides: no bf16/Liger on CPU, no worker pools on 2 cores.
CPU = [
    "bf16=false",
    "use_cpu=true",
    "enable_liger_kernel=false",
    "preprocessing_num_workers=1",
    "dataloader_num_workers=0",
]
# The shipped schedule is a 7B one: ~200 sample examples packed into ~30 sequences make two
# 16-sequence steps per epoch, all inside its 50 warmup steps at lr 1e-4, so the tiny model's
# weights would barely move and base and LoRA would answer alike. A small-model schedule instead
# (eval loss ~8.5 → ~7.0 in ~15 s on 2 cores).
TINY_SCHEDULE = [
    "num_train_epochs=3",
    "gradient_accumulation_steps=1",
    "warmup_steps=0",
    "learning_rate=5.0e-3",
]
EVAL_LABELS = ("base", "lora")  # the tiny model as built, and after LoRA SFT + merge


def _bin(name: str) -> str:
    """A console script of this environment (the venv's, not whatever is first on PATH)."""
    local = Path(sys.executable).with_name(name)
    return str(local) if local.exists() else (shutil.which(name) or name)


@dataclass(frozen=True)
class Layout:
    """Where the quickstart writes, relative to its working directory."""

    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "data/raw/quickstart.jsonl"

    @property
    def dataset(self) -> Path:
        return self.root / "data/medqa"

    @property
    def tiny_model(self) -> Path:
        return self.root / "models/tiny-qwen2"

    @property
    def adapter(self) -> Path:
        return self.root / "saves/qwen2.5-7b-instruct/lora/sft"

    @property
    def merged(self) -> Path:
        return self.root / "models/qwen2.5-7b-instruct-medqa-lora"

    @property
    def runs(self) -> Path:
        return self.root / "data/eval/quickstart"

    def run(self, task: str, label: str) -> Path:
        return self.runs / f"{task}-{label}"

    def eval_tasks(self) -> list[tuple[str, Path, int]]:
        """(task, data file, item limit) of each eval run, made for both models."""
        return [
            ("exam_sample", REPO_ROOT / "data/sample/exam_sample.jsonl", 30),
            ("open_qa", self.dataset / "alpaca/test.jsonl", 20),
        ]

    def eval_runs(self) -> list[Path]:
        return [self.run(task, label) for task, _, _ in self.eval_tasks() for label in EVAL_LABELS]

    @property
    def report(self) -> Path:
        return self.root / "data/eval/quickstart/report"


def _api_server(ctx: StageContext, model: Path, name: str) -> str:
    """Start ``llamafactory-cli api`` on ``model`` for this run; stopped when the chain ends."""
    import os
    import signal
    import socket

    from medqa.serve import start_api, wait_until_ready

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = start_api(
        CONFIGS / "inference/qwen_hf.yaml",
        [f"model_name_or_path={model}"],
        port=port,
        log_path=ctx.log_path,
        model_name=name,
        max_concurrent=4,
        cwd=ctx.workdir,
        env=ctx.env,
    )

    def stop() -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)

    ctx.cleanups.append(stop)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_ready(base_url, process, timeout=240)
    except RuntimeError as exc:
        raise StageError(f"API server for {name} did not start: {exc}") from exc
    return base_url


def crawl_sample_site(ctx: StageContext, feed: Path) -> None:
    """Serve the bundled sample site on a free port and crawl it with ``scrapy crawl medqa``."""
    from crawler.samplesite import serve

    seen = feed.with_suffix(".seen.sqlite")
    seen.unlink(missing_ok=True)  # a forced re-run crawls everything again
    feed.parent.mkdir(parents=True, exist_ok=True)
    site = serve(0, crawl_delay=0)
    try:
        ctx.run(
            [
                _bin("scrapy"),
                "crawl",
                "medqa",
                "-a",
                f"base_url={site.url}",
                "-s",
                f"MEDQA_FEED={feed}",
                "-s",
                f"MEDQA_SEEN_STORE={seen}",
                "-s",
                f"MEDQA_STATS_FILE={feed.with_suffix('.stats.json')}",
                "-s",
                "MEDQA_FAST_LOCAL=1",
            ],
            env={"SCRAPY_SETTINGS_MODULE": "crawler.settings"},
            timeout=600,
        )
    finally:
        site.stop()


def build_stages(layout: Layout, train_overrides: list[str]) -> list[Stage]:
    """The quickstart chain, stage by stage, in the order it runs."""
    root = layout.root
    lora = CONFIGS / "qwen_lora.yaml"
    merge = CONFIGS / "merge/qwen_lora_merge.yaml"
    model = f"model_name_or_path={layout.tiny_model}"

    def crawl(ctx: StageContext) -> None:
        crawl_sample_site(ctx, layout.raw)

    def tiny(ctx: StageContext) -> None:
        ctx.run([_bin("medqa"), "dev", "tiny-model", layout.tiny_model, "--pretrain-steps", 100])

    def prep(ctx: StageContext) -> None:
        if not (root / "dataset_info.json").exists():
            shutil.copy(REPO_ROOT / "dataset_info.json", root / "dataset_info.json")
        ctx.run(
            [
                _bin("medqa"),
                "prep",
                "run",
                "--input",
                f"raw:{layout.raw}",
                "--out",
                root / "data",
                "--dataset-info",
                root / "dataset_info.json",
                "--tokenizer",
                layout.tiny_model,
                "-q",
            ]
        )

    def check(ctx: StageContext) -> None:
        # CPU keys are train-only; what this machine lacks (bf16 GPU) is reported as `env`, not an error.
        ctx.run([_bin("medqa"), "check", lora, merge, "--set", model])

    def train(ctx: StageContext) -> None:
        ctx.run(
            [
                _bin("llamafactory-cli"),
                "train",
                lora,
                model,
                *CPU,
                *TINY_SCHEDULE,
                *train_overrides,
            ],
            env={"DISABLE_VERSION_CHECK": "1"},
        )

    def export(ctx: StageContext) -> None:
        ctx.run(
            [_bin("llamafactory-cli"), "export", merge, model], env={"DISABLE_VERSION_CHECK": "1"}
        )

    def evaluate(ctx: StageContext) -> None:
        endpoints = {
            "base": _api_server(ctx, layout.tiny_model, "tiny-base"),
            "lora": _api_server(ctx, layout.merged, "tiny-lora"),
        }
        for label, url in endpoints.items():
            for task, data, limit in layout.eval_tasks():
                # The stage runs when a model may have changed; the response cache is keyed by the
                # served model's name, which stays the same, so old answers must not be reused.
                if layout.run(task, label).exists():
                    shutil.rmtree(layout.run(task, label))
                ctx.run(
                    [
                        _bin("medqa"),
                        "eval",
                        "run",
                        "--task",
                        task,
                        "--data",
                        data,
                        "--endpoint",
                        url,
                        "--label",
                        label,
                        "--tag",
                        f"method={label}",
                        "--limit",
                        limit,
                        "--max-tokens",
                        32,
                        "--concurrency",
                        4,
                        "--out",
                        layout.run(task, label),
                        "--quiet",
                    ]
                )

    def compare(ctx: StageContext) -> None:
        ctx.run(
            [
                _bin("medqa"),
                "eval",
                "compare",
                *layout.eval_runs(),
                "--out",
                layout.report,
                "--title",
                "medqa quickstart: base vs LoRA (tiny CPU model)",
            ]
        )

    return [
        Stage(
            "crawl", "crawl the bundled sample site with `scrapy crawl medqa`", [layout.raw], crawl
        ),
        Stage(
            "tiny-model",
            "build a tiny Qwen2, pretrained for seconds on the bundled corpus (no model hub)",
            [layout.tiny_model / "config.json"],
            tiny,
        ),
        Stage(
            "prep",
            "clean, de-identify, dedup, split; register in dataset_info.json",
            [layout.dataset / "alpaca/train.jsonl", layout.dataset / "stats.json"],
            prep,
        ),
        Stage("check", "medqa check on the LoRA and merge configs", [], check),
        Stage(
            "train",
            "llamafactory-cli train qwen_lora.yaml (CPU)",
            [layout.adapter / "adapter_model.safetensors"],
            train,
        ),
        Stage(
            "export",
            "llamafactory-cli export merge/qwen_lora_merge.yaml",
            [layout.merged / "config.json"],
            export,
        ),
        Stage(
            "eval",
            "serve base and fine-tuned with llamafactory-cli api; medqa eval run",
            [run / "summary.json" for run in layout.eval_runs()],
            evaluate,
        ),
        Stage(
            "compare", "medqa eval compare → one report", [layout.report / "report.html"], compare
        ),
    ]


def artefacts(layout: Layout) -> list[tuple[str, Path]]:
    """What the chain leaves behind, for the summary table."""
    return [
        ("raw crawl (JSONL)", layout.raw),
        ("dataset (alpaca/sharegpt splits)", layout.dataset),
        ("dataset_info.json", layout.root / "dataset_info.json"),
        ("data report + charts", layout.dataset / "report.html"),
        ("LoRA adapter", layout.adapter),
        ("merged model", layout.merged),
        ("eval runs", layout.runs),
        ("eval report", layout.report / "report.html"),
        ("stage logs", layout.root / "logs"),
    ]


BY_HAND = """\
By hand, from the repository root, with a real Qwen on a GPU:
  medqa crawl sample-site --port 8765 &   # or a real site, politely: see README
  scrapy crawl medqa -a site=xywy,120ask,39 -a base_url=http://127.0.0.1:8765 -s MEDQA_FAST_LOCAL=1 -O data/raw/mine.jsonl
  medqa prep run --input raw:data/raw/mine.jsonl --out data
  medqa check llamafactory_configs/qwen_lora.yaml llamafactory_configs/merge/qwen_lora_merge.yaml
  llamafactory-cli train llamafactory_configs/qwen_lora.yaml
  llamafactory-cli export llamafactory_configs/merge/qwen_lora_merge.yaml
  medqa serve llamafactory_configs/inference/qwen_merged_vllm.yaml --port 8000
  medqa eval run --task medqa_mcmle --endpoint http://127.0.0.1:8000/v1 --label lora
  medqa eval compare data/eval/runs/* --out data/eval/report
  medqa demo --endpoint http://127.0.0.1:8000/v1"""


def print_summary(console: Console, layout: Layout, results, seconds: float) -> None:
    table = Table(title=f"medqa quickstart finished in {seconds:.0f}s")
    table.add_column("stage")
    table.add_column("status")
    table.add_column("time", justify="right")
    for result in results:
        table.add_row(result.name, result.status, f"{result.seconds:.1f}s")
    console.print(table)
    where = Table(title="artefacts")
    where.add_column("what")
    where.add_column("where")
    for what, path in artefacts(layout):
        where.add_row(
            what,
            str(path.relative_to(layout.root)) if path.is_relative_to(layout.root) else str(path),
        )
    console.print(where)
    click.echo(BY_HAND)


@click.command("quickstart")
@click.option(
    "--workdir",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Where data/, saves/, models/ and logs/ go.",
)
@click.option("--force", is_flag=True, help="Redo stages whose outputs are already complete.")
@click.option(
    "--train-set",
    "train_overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Extra llamafactory-cli train overrides (e.g. num_train_epochs=1).",
)
def quickstart(workdir: str, force: bool, train_overrides: tuple[str, ...]) -> None:
    """Run the whole chain on CPU on the bundled sample site, with nothing from the internet."""
    layout = Layout(Path(workdir).resolve())
    console = Console()
    runner = StageRunner(layout.root, force=force, console=console)
    started = time.monotonic()
    try:
        results = runner.run(build_stages(layout, list(train_overrides)))
    except StageError as exc:
        raise click.ClickException(str(exc)) from exc
    print_summary(console, layout, results, time.monotonic() - started)

"""``medqa quickstart``: the whole chain on CPU, on built-in sample data, with nothing from the internet.

sample site → ``scrapy crawl medqa`` → ``medqa prep run`` → ``medqa check`` → tiny Qwen →
``llamafactory-cli train`` (LoRA) → ``llamafactory-cli export`` → ``llamafactory-cli api`` (base and
fine-tuned) → ``medqa eval run`` → ``medqa eval compare`` → a summary of every artefact.
"""

from __future__ import annotations

import json
import os
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
# The shipped schedule is a 7B one: a few hundred sample examples make a handful of 16-sequence
# steps per epoch, all inside its 50 warmup steps at lr 1e-4, so the tiny model's weights would
# barely move and base and LoRA would answer alike. A small-model schedule instead: short packed
# sequences (attention over 2048-token packs is most of the CPU time), more epochs, a high rate.
TINY_SCHEDULE = [
    "cutoff_len=512",
    "per_device_train_batch_size=4",
    "num_train_epochs=5",
    "gradient_accumulation_steps=1",
    "warmup_steps=0",
    "learning_rate=5.0e-3",
]
EVAL_LABELS = ("base", "lora")  # the tiny model as built, and after LoRA SFT + merge
# The held-out exam (not written with this code) and a separate exam-format training set (balanced
# answer letters, no question shared with the held-out one: prep's contamination check removes any).
EVAL_EXAM = REPO_ROOT / "data/sample/exam_sample.jsonl"
EXAM_TRAIN = REPO_ROOT / "data/sample/exam_train_sample.jsonl"
# The tokenizer learns the crawl's characters as whole tokens (4096 entries), so no character is
# split into bytes: shorter sequences, and answers that always decode to valid UTF-8.
TINY_VOCAB = 4096
TINY_NOTE = (
    "A two-layer model pretrained for seconds can show that fine-tuning moves a model toward its "
    "data's answers (ROUGE-L on the held-out test split); it cannot show medical knowledge, and in "
    "this CPU budget it does not learn the 答案：X exam format, so its exam scores mean nothing."
)
EVAL_MAX_TOKENS = 48
# The tiny model is far too small for parallel kernels: two OpenMP threads on two busy cores wait on
# each other at every op (measured at load 4-6: 0.05 s per pretraining step with one thread, 0.4 to
# 5.6 s with two; LoRA steps 3.5 s → 0.44 s). Every command of the chain runs single-threaded unless
# the user sets OMP_NUM_THREADS.
THREADS = {"OMP_NUM_THREADS": "1"}


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

    # Named after the tiny model, never the shipped 7B configs' default paths: `medqa check` or a
    # merge run with those configs must not pick up a tiny adapter.
    @property
    def adapter(self) -> Path:
        return self.root / "saves/tiny-qwen2/lora/sft"

    @property
    def merged(self) -> Path:
        return self.root / "models/tiny-qwen2-medqa-lora"

    @property
    def recipe(self) -> Path:
        return self.root / "data/quickstart/recipe.yaml"

    @property
    def runs(self) -> Path:
        return self.root / "data/eval/quickstart"

    def run(self, task: str, label: str) -> Path:
        return self.runs / f"{task}-{label}"

    def eval_tasks(self) -> list[tuple[str, Path, int]]:
        """(task, data file, item limit) of each eval run, made for both models."""
        return [
            ("exam_sample", EVAL_EXAM, 30),
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
    # The crawler never overwrites a feed (a second run writes name-1.jsonl): crawl into a fresh
    # partial file and replace the old crawl with it whole, so that a re-run's prep reads it.
    partial = feed.with_name(f"{feed.stem}.partial{feed.suffix}")
    partial.unlink(missing_ok=True)
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
                f"MEDQA_FEED={partial}",
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
    os.replace(partial, feed)


def exam_format_examples(layout: Layout) -> Path:
    """The exam-format training set as alpaca examples whose instruction is exactly the prompt
    ``medqa eval run`` sends for an exam question, answered "答案：X。X. <option>" (prep's quality
    filter keeps answers of 10 characters and more)."""
    from eval.datasets import McqItem
    from eval.prompts import mcq_prompt
    from medqa.io import write_jsonl
    from medqa.mcq import record_from_mapping

    examples = []
    for number, line in enumerate(EXAM_TRAIN.read_text("utf-8").splitlines(), start=1):
        record = record_from_mapping(json.loads(line), f"{EXAM_TRAIN}:{number}")
        item = McqItem(str(number), record["question"], record["options"], record["answer"])
        prompt = mcq_prompt(item, [], multi=False)
        letter = item.answer
        answer = f"答案：{letter}。{letter}. {item.options[letter]}"
        examples.append({"instruction": prompt, "input": "", "output": answer})
    path = layout.root / "data/quickstart/exam_format.alpaca.jsonl"
    write_jsonl(path, examples)
    return path


def recipe_text(layout: Layout) -> str:
    """The default recipe with the quickstart's inputs: the crawl and the exam-format training
    set; the held-out exam feeds the contamination check."""
    import yaml

    recipe = yaml.safe_load((REPO_ROOT / "dataprep/recipes/default.yaml").read_text("utf-8"))
    exam_format = layout.root / "data/quickstart/exam_format.alpaca.jsonl"
    recipe["inputs"] = [
        {"path": str(layout.raw), "format": "raw"},
        {"path": str(exam_format), "format": "alpaca", "source": "exam_train"},
    ]
    for step in recipe["steps"]:
        if "decontaminate" in step:
            step["decontaminate"]["exams"] = [str(EVAL_EXAM)]
            step["decontaminate"]["missing_ok"] = False
    return yaml.safe_dump(recipe, allow_unicode=True, sort_keys=False)


def _eval_command(task: str, data: Path, limit: int, url: str, label: str, out: Path) -> list:
    return [
        *(_bin("medqa"), "eval", "run", "--task", task, "--data", data, "--endpoint", url),
        *("--label", label, "--tag", f"method={label}", "--limit", limit),
        *("--max-tokens", EVAL_MAX_TOKENS, "--concurrency", 4, "--out", out, "--quiet"),
    ]


def build_stages(layout: Layout, train_overrides: list[str]) -> list[Stage]:
    """The quickstart chain, stage by stage, in the order it runs. Each stage names its inputs
    (files, folders, command lines): a re-run skips it only while they are unchanged."""
    root = layout.root
    lora = CONFIGS / "qwen_lora.yaml"
    merge = CONFIGS / "merge/qwen_lora_merge.yaml"
    model = f"model_name_or_path={layout.tiny_model}"
    train_data = layout.dataset / "alpaca/train.jsonl"

    tiny_command = [
        *(_bin("medqa"), "dev", "tiny-model", layout.tiny_model, "--pretrain-steps", 100),
        *("--vocab-size", TINY_VOCAB, "--tokenizer-text", layout.raw),
        *("--tokenizer-text", EXAM_TRAIN),
    ]
    prep_command = [
        *(_bin("medqa"), "prep", "run", "--recipe", layout.recipe, "--out", root / "data"),
        *("--dataset-info", root / "dataset_info.json", "--tokenizer", layout.tiny_model, "-q"),
    ]
    check_command = [_bin("medqa"), "check", lora, merge, "--set", model]
    train_command = [
        *(_bin("llamafactory-cli"), "train", lora, model, f"output_dir={layout.adapter}"),
        *CPU,
        *TINY_SCHEDULE,
        *train_overrides,
    ]
    export_command = [
        *(_bin("llamafactory-cli"), "export", merge, model),
        *(f"adapter_name_or_path={layout.adapter}", f"export_dir={layout.merged}"),
    ]
    models = {"base": layout.tiny_model, "lora": layout.merged}
    eval_commands = [
        _eval_command(task, data, limit, "URL", label, layout.run(task, label))
        for label in EVAL_LABELS
        for task, data, limit in layout.eval_tasks()
    ]

    def crawl(ctx: StageContext) -> None:
        crawl_sample_site(ctx, layout.raw)

    recipe = recipe_text(layout)

    def prep(ctx: StageContext) -> None:
        if not (root / "dataset_info.json").exists():
            shutil.copy(REPO_ROOT / "dataset_info.json", root / "dataset_info.json")
        exam_format_examples(layout)
        layout.recipe.parent.mkdir(parents=True, exist_ok=True)
        layout.recipe.write_text(recipe, encoding="utf-8")
        ctx.run(prep_command)

    def evaluate(ctx: StageContext) -> None:
        for label, path in models.items():
            url = _api_server(ctx, path, f"tiny-{label}")
            for task, data, limit in layout.eval_tasks():
                # The stage runs when a model may have changed: its runs start afresh (the cache,
                # keyed by a fingerprint of what is served, would not mix models, but a run's old
                # results and cache are of no use to a retrained model).
                if layout.run(task, label).exists():
                    shutil.rmtree(layout.run(task, label))
                ctx.run(_eval_command(task, data, limit, url, label, layout.run(task, label)))

    def compare(ctx: StageContext) -> None:
        from eval.report import build_report

        notes = [TINY_NOTE, *margin_lines(layout)]
        ctx.log("\n".join(notes))
        build_report(layout.eval_runs(), layout.report, REPORT_TITLE, notes)

    def text(command: list) -> str:
        return " ".join(map(str, command))

    return [
        Stage(
            "crawl",
            "crawl the bundled sample site with `scrapy crawl medqa`",
            [layout.raw],
            crawl,
            inputs=[REPO_ROOT / "crawler/samplesite", REPO_ROOT / "crawler/sites"],
        ),
        Stage(
            "tiny-model",
            "build a tiny Qwen2, pretrained for seconds on the bundled corpus (no model hub)",
            [layout.tiny_model / "config.json"],
            lambda ctx: ctx.run(tiny_command),
            inputs=[layout.raw, EXAM_TRAIN, text(tiny_command)],
        ),
        Stage(
            "prep",
            "clean, de-identify, dedup, split; register in dataset_info.json",
            [train_data, layout.dataset / "stats.json"],
            prep,
            inputs=[
                layout.raw,
                EXAM_TRAIN,
                EVAL_EXAM,
                layout.tiny_model,
                recipe,
                text(prep_command),
            ],
        ),
        Stage(
            "check",
            "medqa check on the LoRA and merge configs",
            [],
            lambda ctx: ctx.run(check_command),
            inputs=[lora, merge, root / "dataset_info.json", train_data, text(check_command)],
        ),
        Stage(
            "train",
            "llamafactory-cli train qwen_lora.yaml (CPU)",
            [layout.adapter / "adapter_model.safetensors"],
            lambda ctx: ctx.run(train_command, env={"DISABLE_VERSION_CHECK": "1"}),
            inputs=[lora, train_data, layout.tiny_model, text(train_command)],
        ),
        Stage(
            "export",
            "llamafactory-cli export merge/qwen_lora_merge.yaml",
            [layout.merged / "config.json"],
            lambda ctx: ctx.run(export_command, env={"DISABLE_VERSION_CHECK": "1"}),
            inputs=[merge, layout.adapter, text(export_command)],
        ),
        Stage(
            "eval",
            "serve base and fine-tuned with llamafactory-cli api; medqa eval run",
            [run / "summary.json" for run in layout.eval_runs()],
            evaluate,
            inputs=[*models.values(), *(d for _, d, _ in layout.eval_tasks())]
            + [text(c) for c in eval_commands],
        ),
        Stage(
            "compare",
            "medqa eval compare → one report",
            [layout.report / "report.html"],
            compare,
            inputs=[run / "summary.json" for run in layout.eval_runs()],
        ),
    ]


REPORT_TITLE = "medqa quickstart: base vs LoRA (tiny CPU model)"


def scores(layout: Layout) -> dict[str, dict[str, float | None]]:
    """Per model label: exam accuracy and parsed-answer rate (%), open-QA ROUGE-L and BLEU-4."""
    table: dict[str, dict[str, float | None]] = {}
    for label in EVAL_LABELS:
        row: dict[str, float | None] = {}
        for task, _, _ in layout.eval_tasks():
            path = layout.run(task, label) / "summary.json"
            metrics = json.loads(path.read_text("utf-8"))["metrics"] if path.is_file() else {}
            if task == "exam_sample":
                unparsed = metrics.get("unparsed_rate")
                accuracy = metrics.get("accuracy")
                row["exam accuracy %"] = None if accuracy is None else 100 * accuracy
                row["exam answers parsed %"] = None if unparsed is None else 100 * (1 - unparsed)
            else:
                row["open QA ROUGE-L"] = metrics.get("rouge-l")
                row["open QA BLEU-4"] = metrics.get("bleu-4")
        table[label] = row
    return table


def margin_lines(layout: Layout) -> list[str]:
    """One line: the fine-tuned model minus the base, per score, on the held-out sets."""
    table = scores(layout)
    base, tuned = table["base"], table["lora"]
    parts = [
        f"{name} {base[name]:.2f} → {tuned[name]:.2f} ({tuned[name] - base[name]:+.2f})"
        for name in base
        if base[name] is not None and tuned[name] is not None
    ]
    return ["Fine-tuned vs base on the held-out test split and exam: " + "; ".join(parts) + "."]


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
    print_scores(console, layout)


def print_scores(console: Console, layout: Layout) -> None:
    """Base vs fine-tuned on the held-out sets, the margin, and where the report is."""
    table = scores(layout)
    shown = Table(title="base vs fine-tuned (held-out test split and exam)")
    shown.add_column("score")
    for label in EVAL_LABELS:
        shown.add_column(label, justify="right")
    shown.add_column("fine-tuned − base", justify="right")
    for name in table["base"]:
        base, tuned = table["base"][name], table["lora"][name]
        delta = "–" if base is None or tuned is None else f"{tuned - base:+.2f}"
        shown.add_row(name, *("–" if v is None else f"{v:.2f}" for v in (base, tuned)), delta)
    console.print(shown)
    click.echo(TINY_NOTE)
    click.echo(f"report: {layout.report / 'report.html'} (and report.md)")


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
@click.option(
    "--dpo",
    is_flag=True,
    help="Add DPO on the doctors' preference pairs after SFT; compare SFT with SFT+DPO.",
)
def quickstart(workdir: str, force: bool, train_overrides: tuple[str, ...], dpo: bool) -> None:
    """Run the whole chain on CPU on the bundled sample site, with nothing from the internet."""
    layout = Layout(Path(workdir).resolve())
    console = Console()
    runner = StageRunner(layout.root, force=force, console=console, env={**THREADS, **os.environ})
    started = time.monotonic()
    stages = build_stages(layout, list(train_overrides))
    if dpo:
        from medqa.quickstart_dpo import dpo_artefacts, with_dpo

        stages = with_dpo(stages, layout)
    try:
        results = runner.run(stages)
    except StageError as exc:
        raise click.ClickException(str(exc)) from exc
    print_summary(console, layout, results, time.monotonic() - started)
    for what, path in dpo_artefacts(layout) if dpo else []:
        click.echo(f"{what}: {path.relative_to(layout.root)}")

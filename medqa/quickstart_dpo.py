"""``medqa quickstart --dpo``: the preference stage on top of the quickstart chain.

After the SFT chain (so ``--dpo`` over a finished quickstart redoes none of it; the outputs are
named for the tiny model, never the shipped 7B configs' paths): ``llamafactory-cli train
qwen_lora_dpo.yaml`` on the pairs ``medqa prep run``
built from the sample site's doctor answers (accepted, likes) → ``llamafactory-cli export
merge/qwen_lora_dpo_merge.yaml`` → the SFT+DPO model served and evaluated on the same tasks as
base and SFT → ``medqa eval preference`` (win-rate on the held-out val pairs and, as a check that
DPO optimised anything, on its train pairs) for SFT and SFT+DPO → one ``medqa eval compare``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from medqa.quickstart import CONFIGS, CPU, EVAL_MAX_TOKENS, Layout, _api_server, _bin
from medqa.stages import Stage, StageContext, StageError

DPO_LABEL = "lora+dpo"  # the report's column for SFT (LoRA) followed by DPO
# A small-model schedule, as for SFT: the shipped 7B schedule (lr 5e-6, batch 8) would leave the
# tiny model where SFT left it. The sample crawl gives about 580 train pairs; one pass over the
# first 320 (80 steps) moves the tiny model in a CPU minute.
TINY_DPO_SCHEDULE = [
    "num_train_epochs=1",
    "max_samples=320",
    "per_device_train_batch_size=4",
    "gradient_accumulation_steps=1",
    "warmup_steps=0",
    "learning_rate=3.0e-3",
]
# (task, pair split, pairs scored): every held-out val pair; the first train pairs (those DPO
# trained on) as the check that it optimised anything.
PREFERENCE_SETS = (("preference_val", "val", None), ("preference_train", "train", 120))


# Named after the tiny model, like the SFT outputs: the shipped DPO merge and inference configs
# read the 7B paths (saves/qwen2.5-7b-instruct/lora/dpo, models/qwen2.5-7b-instruct-medqa-dpo).
def dpo_adapter(layout: Layout) -> Path:
    return layout.root / "saves/tiny-qwen2/lora/dpo"


def dpo_merged(layout: Layout) -> Path:
    return layout.root / "models/tiny-qwen2-medqa-dpo"


def pairs_file(layout: Layout, split: str) -> Path:
    return layout.dataset / f"dpo/alpaca/{split}.jsonl"


def dpo_eval_runs(layout: Layout) -> list[Path]:
    """The SFT+DPO model's runs on the quickstart tasks, then the preference runs of both."""
    runs = [layout.run(task, DPO_LABEL) for task, _, _ in layout.eval_tasks()]
    for task, _, _ in PREFERENCE_SETS:
        runs += [layout.run(task, "lora"), layout.run(task, DPO_LABEL)]
    return runs


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    return path


def _text(command: list) -> str:
    return " ".join(map(str, command))


def dpo_stages(layout: Layout) -> list[Stage]:
    """DPO train, export and eval, to run after the SFT chain's eval; each names its inputs."""
    merged_sft = f"model_name_or_path={layout.merged}"
    config = CONFIGS / "qwen_lora_dpo.yaml"
    merge = CONFIGS / "merge/qwen_lora_dpo_merge.yaml"
    check_command = [_bin("medqa"), "check", config, merge, "--set", merged_sft]
    train_command = [
        *(_bin("llamafactory-cli"), "train", config, merged_sft),
        *(f"output_dir={dpo_adapter(layout)}", *CPU, *TINY_DPO_SCHEDULE),
    ]
    export_command = [
        *(_bin("llamafactory-cli"), "export", merge, merged_sft),
        *(f"adapter_name_or_path={dpo_adapter(layout)}", f"export_dir={dpo_merged(layout)}"),
    ]
    pairs = [pairs_file(layout, split) for split in ("train", "val")]

    def train(ctx: StageContext) -> None:
        if sum(1 for _ in pairs[0].open(encoding="utf-8")) == 0:
            raise StageError(f"medqa prep run wrote no preference pairs to {pairs[0]}")
        ctx.run(check_command)
        ctx.run(train_command, env={"DISABLE_VERSION_CHECK": "1"})

    def evaluate(ctx: StageContext) -> None:
        url = _api_server(ctx, dpo_merged(layout), "tiny-lora-dpo")
        for task, data, limit in layout.eval_tasks():
            out = _fresh(layout.run(task, DPO_LABEL))
            ctx.run(
                [_bin("medqa"), "eval", "run", "--task", task, "--data", data, "--endpoint", url]
                + ["--label", DPO_LABEL, "--tag", "method=dpo", "--limit", limit]
                + ["--max-tokens", EVAL_MAX_TOKENS, "--concurrency", 4, "--out", out, "--quiet"]
            )
        for task, split, limit in PREFERENCE_SETS:
            for label, model in (("lora", layout.merged), (DPO_LABEL, dpo_merged(layout))):
                out = _fresh(layout.run(task, label))
                ctx.run(
                    [_bin("medqa"), "eval", "preference", "--model", model]
                    + ["--data", pairs_file(layout, split), "--task", task, "--label", label]
                    + ["--tag", f"method={'dpo' if label == DPO_LABEL else 'lora'}", "--out", out]
                    + (["--limit", limit] if limit else [])
                )

    return [
        Stage(
            "dpo-train",
            "llamafactory-cli train qwen_lora_dpo.yaml on the preference pairs (CPU)",
            [dpo_adapter(layout) / "adapter_model.safetensors"],
            train,
            inputs=[
                config,
                merge,
                *pairs,
                layout.merged,
                _text(check_command),
                _text(train_command),
            ],
        ),
        Stage(
            "dpo-export",
            "llamafactory-cli export merge/qwen_lora_dpo_merge.yaml",
            [dpo_merged(layout) / "config.json"],
            lambda ctx: ctx.run(export_command, env={"DISABLE_VERSION_CHECK": "1"}),
            inputs=[merge, dpo_adapter(layout), _text(export_command)],
        ),
        Stage(
            "dpo-eval",
            "serve SFT+DPO; medqa eval run; medqa eval preference for SFT and SFT+DPO",
            [run / "summary.json" for run in dpo_eval_runs(layout)],
            evaluate,
            inputs=[layout.merged, dpo_merged(layout), *pairs]
            + [data for _, data, _ in layout.eval_tasks()]
            + [str(layout.eval_tasks()), str(PREFERENCE_SETS), f"max_tokens={EVAL_MAX_TOKENS}"],
        ),
    ]


def with_dpo(stages: list[Stage], layout: Layout) -> list[Stage]:
    """The quickstart chain with the DPO stages after its eval (so ``--dpo`` over a finished plain
    quickstart runs only the DPO stages and the report) and a compare stage over every run."""
    names = [stage.name for stage in stages]
    out = stages[: names.index("eval") + 1] + dpo_stages(layout)

    def compare(ctx: StageContext) -> None:
        ctx.run(
            [_bin("medqa"), "eval", "compare", *layout.eval_runs(), *dpo_eval_runs(layout)]
            + ["--out", layout.report]
            + ["--title", "medqa quickstart: base vs LoRA SFT vs SFT+DPO (tiny CPU model)"]
        )

    old = stages[names.index("compare")]
    inputs = [run / "summary.json" for run in [*layout.eval_runs(), *dpo_eval_runs(layout)]]
    out.append(Stage(old.name, old.description + " (with SFT+DPO)", old.outputs, compare, inputs))
    return out


def dpo_artefacts(layout: Layout) -> list[tuple[str, Path]]:
    """What the DPO stages leave, for the summary table."""
    return [
        ("preference pairs (ranking)", layout.dataset / "dpo"),
        ("DPO adapter", dpo_adapter(layout)),
        ("merged SFT+DPO model", dpo_merged(layout)),
    ]

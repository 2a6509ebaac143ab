"""``medqa quickstart --dpo``: the preference stage on top of the quickstart chain.

After the SFT merge: ``llamafactory-cli train qwen_lora_dpo.yaml`` on the pairs ``medqa prep run``
built from the sample site's doctor answers (accepted, likes) → ``llamafactory-cli export
merge/qwen_lora_dpo_merge.yaml`` → the SFT+DPO model served and evaluated on the same tasks as
base and SFT → ``medqa eval preference`` (win-rate on the held-out val pairs and, as a check that
DPO optimised anything, on its train pairs) for SFT and SFT+DPO → one ``medqa eval compare``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from medqa.quickstart import CONFIGS, CPU, Layout, _api_server, _bin
from medqa.stages import Stage, StageContext, StageError

DPO_LABEL = "lora+dpo"  # the report's column for SFT (LoRA) followed by DPO
# A small-model schedule, as for SFT: the shipped 7B schedule (lr 5e-6, batch 8) would leave the
# tiny model where SFT left it.
TINY_DPO_SCHEDULE = [
    "num_train_epochs=3",
    "per_device_train_batch_size=4",
    "gradient_accumulation_steps=1",
    "warmup_steps=0",
    "learning_rate=3.0e-3",
]
PREFERENCE_SETS = (("preference_val", "val"), ("preference_train", "train"))


def dpo_adapter(layout: Layout) -> Path:
    return layout.root / "saves/qwen2.5-7b-instruct/lora/dpo"


def dpo_merged(layout: Layout) -> Path:
    return layout.root / "models/qwen2.5-7b-instruct-medqa-dpo"


def pairs_file(layout: Layout, split: str) -> Path:
    return layout.dataset / f"dpo/alpaca/{split}.jsonl"


def dpo_eval_runs(layout: Layout) -> list[Path]:
    """The SFT+DPO model's runs on the quickstart tasks, then the preference runs of both."""
    runs = [layout.run(task, DPO_LABEL) for task, _, _ in layout.eval_tasks()]
    for task, _ in PREFERENCE_SETS:
        runs += [layout.run(task, "lora"), layout.run(task, DPO_LABEL)]
    return runs


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    return path


def dpo_stages(layout: Layout) -> tuple[list[Stage], list[Stage]]:
    """(train + export stages, to run after the SFT export; eval stage, to run after eval)."""
    merged_sft = f"model_name_or_path={layout.merged}"

    def train(ctx: StageContext) -> None:
        pairs = sum(1 for _ in pairs_file(layout, "train").open(encoding="utf-8"))
        if pairs == 0:
            raise StageError(
                f"medqa prep run wrote no preference pairs to {pairs_file(layout, 'train')}"
            )
        config = CONFIGS / "qwen_lora_dpo.yaml"
        ctx.run([_bin("medqa"), "check", config, "--set", merged_sft])
        command = [_bin("llamafactory-cli"), "train", config, merged_sft, *CPU, *TINY_DPO_SCHEDULE]
        ctx.run(command, env={"DISABLE_VERSION_CHECK": "1"})

    def export(ctx: StageContext) -> None:
        command = [
            _bin("llamafactory-cli"),
            "export",
            CONFIGS / "merge/qwen_lora_dpo_merge.yaml",
            merged_sft,
        ]
        ctx.run(command, env={"DISABLE_VERSION_CHECK": "1"})

    def evaluate(ctx: StageContext) -> None:
        url = _api_server(ctx, dpo_merged(layout), "tiny-lora-dpo")
        for task, data, limit in layout.eval_tasks():
            out = _fresh(layout.run(task, DPO_LABEL))
            ctx.run(
                [_bin("medqa"), "eval", "run", "--task", task, "--data", data, "--endpoint", url]
                + ["--label", DPO_LABEL, "--tag", "method=dpo", "--limit", limit]
                + ["--max-tokens", 32, "--concurrency", 4, "--out", out, "--quiet"]
            )
        for task, split in PREFERENCE_SETS:
            for label, model in (("lora", layout.merged), (DPO_LABEL, dpo_merged(layout))):
                out = _fresh(layout.run(task, label))
                ctx.run(
                    [_bin("medqa"), "eval", "preference", "--model", model]
                    + ["--data", pairs_file(layout, split), "--task", task, "--label", label]
                    + ["--tag", f"method={'dpo' if label == DPO_LABEL else 'lora'}", "--out", out]
                )

    training = [
        Stage(
            "dpo-train",
            "llamafactory-cli train qwen_lora_dpo.yaml on the preference pairs (CPU)",
            [dpo_adapter(layout) / "adapter_model.safetensors"],
            train,
        ),
        Stage(
            "dpo-export",
            "llamafactory-cli export merge/qwen_lora_dpo_merge.yaml",
            [dpo_merged(layout) / "config.json"],
            export,
        ),
    ]
    evaluation = Stage(
        "dpo-eval",
        "serve SFT+DPO; medqa eval run; medqa eval preference for SFT and SFT+DPO",
        [run / "summary.json" for run in dpo_eval_runs(layout)],
        evaluate,
    )
    return training, [evaluation]


def with_dpo(stages: list[Stage], layout: Layout) -> list[Stage]:
    """The quickstart chain with the DPO stages inserted and a compare stage over every run."""
    training, evaluation = dpo_stages(layout)
    names = [stage.name for stage in stages]
    out = stages[: names.index("export") + 1] + training
    out += stages[names.index("export") + 1 : names.index("eval") + 1] + evaluation

    def compare(ctx: StageContext) -> None:
        ctx.run(
            [_bin("medqa"), "eval", "compare", *layout.eval_runs(), *dpo_eval_runs(layout)]
            + ["--out", layout.report]
            + ["--title", "medqa quickstart: base vs LoRA SFT vs SFT+DPO (tiny CPU model)"]
        )

    old = stages[names.index("compare")]
    out.append(Stage(old.name, old.description + " (with SFT+DPO)", old.outputs, compare))
    return out


def dpo_artefacts(layout: Layout) -> list[tuple[str, Path]]:
    """What the DPO stages leave, for the summary table."""
    return [
        ("preference pairs (ranking)", layout.dataset / "dpo"),
        ("DPO adapter", dpo_adapter(layout)),
        ("merged SFT+DPO model", dpo_merged(layout)),
    ]

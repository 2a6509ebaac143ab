"""One sweep cell: its folder, the exact commands, its stages (train → merge → serve + eval), and
the training figures LLaMA-Factory reported.

A cell folder ``OUT/cells/<id>/`` holds ``train/`` (what ``llamafactory-cli train`` wrote),
``merged/`` (``llamafactory-cli export``), ``eval/<task>/`` (``medqa eval run``), ``logs/`` and
``cell.json`` (tags, training figures and scores once the cell is finished).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from medqa.stages import Stage, StageContext, StageError, fingerprint
from medqa.sweep_spec import Cell, Sweep

READY_TIMEOUT_S = 900  # a 7B model from a cold disk, or vLLM's CUDA-graph capture
# Asked of every training run: tokens seen (for tokens/s); RECORD_VRAM=1 adds peak memory.
MEASURE = {"include_num_input_tokens_seen": True}
# Words llamafactory-cli's command-line parser reads as booleans although a config meant a string.
YAML11_BOOLS = {"no", "yes", "on", "off", "y", "n"}


def tool(name: str) -> str:
    """A console script of this environment (the venv's, not whatever is first on PATH)."""
    local = Path(sys.executable).with_name(name)
    return str(local) if local.exists() else (shutil.which(name) or name)


def override_words(overrides: dict[str, Any]) -> list[str]:
    """``{"bf16": False}`` → ``["bf16=false"]``, as llamafactory-cli reads them."""

    def text(value: Any) -> str:
        if isinstance(value, bool):
            return str(value).lower()
        if value is None:
            return "null"
        if isinstance(value, str) and value.lower() in YAML11_BOOLS:
            return f"'{value}'"  # eval_strategy: "no" must stay the string, not become False
        return str(value)

    return [f"{key}={text(value)}" for key, value in overrides.items()]


def dataset_file(dataset_dir: Path, name: str) -> Path:
    """The file (or folder) that dataset ``name`` names in ``dataset_dir/dataset_info.json``."""
    info_path = dataset_dir / "dataset_info.json"
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StageError(f"cannot read {info_path}: {exc}") from None
    if name not in info:
        raise StageError(
            f"dataset {name!r} is not registered in {info_path}; run `medqa prep run` with "
            "`split.subsets` in the recipe to write and register the scale subsets"
        )
    return dataset_dir / info[name]["file_name"]


@dataclass
class CellPlan:
    """Where a cell writes and what it runs (paths absolute, so logs can be replayed by hand)."""

    sweep: Sweep
    cell: Cell
    root: Path  # the sweep's output folder (absolute)
    cwd: Path  # where LLaMA-Factory runs: dataset_dir and config paths are relative to it

    @property
    def folder(self) -> Path:
        return self.root / "cells" / self.cell.id

    @property
    def train_dir(self) -> Path:
        return self.folder / "train"

    @property
    def merged_dir(self) -> Path:
        return self.folder / "merged"

    def eval_dir(self, task: str) -> Path:
        return self.folder / "eval" / Path(task).stem

    def train_config(self) -> dict[str, Any]:
        """The method's training config with every override applied (for checks and estimates)."""
        method = self.cell.method
        if method is None:
            return {}
        config = yaml.safe_load(method.train.read_text(encoding="utf-8")) or {}
        return {**config, **self.cell.train_overrides, "model_name_or_path": self.cell.model_path}

    def train_command(self) -> list[str]:
        cell = self.cell
        assert cell.method is not None
        fixed = {
            "model_name_or_path": cell.model_path,
            "dataset": cell.dataset,
            "seed": cell.seed,
            "output_dir": self.train_dir,
            **MEASURE,
        }
        words = override_words({**fixed, **cell.train_overrides})
        return [tool("llamafactory-cli"), "train", str(cell.method.train), *words]

    def merge_command(self) -> list[str] | None:
        method = self.cell.method
        if method is None or method.merge is None:
            return None
        fixed = {
            "model_name_or_path": self.cell.model_path,
            "adapter_name_or_path": self.train_dir,
            "export_dir": self.merged_dir,
        }
        words = override_words({**fixed, **method.merge_overrides})
        return [tool("llamafactory-cli"), "export", str(method.merge), *words]

    def served_model(self) -> tuple[str | Path, dict[str, Any]]:
        """What is served (a folder or hub id) and the serve overrides that name it."""
        cell, method = self.cell, self.cell.method
        if method is None:
            return cell.model_path, {"model_name_or_path": cell.model_path}
        if method.merge is not None:
            return self.merged_dir, {"model_name_or_path": self.merged_dir}
        if str(self.train_config().get("finetuning_type", "lora")) == "full":
            return self.train_dir, {"model_name_or_path": self.train_dir}
        adapter = {"adapter_name_or_path": self.train_dir, "finetuning_type": "lora"}
        return self.train_dir, {"model_name_or_path": cell.model_path, **adapter}

    def serve_command(self, port: int | str, model_name: str) -> list[str]:
        serve = self.cell.method.serve if self.cell.method else self.sweep.serve
        words = override_words(self.served_model()[1])
        return [
            tool("medqa"),
            "serve",
            str(serve),
            *words,
            "--port",
            str(port),
            "--model-name",
            model_name,
            "--skip-check",  # the sweep checked every config before the first cell
            *self.sweep.serve_args,
        ]

    def eval_commands(self, endpoint: str) -> list[list[str]]:
        commands = []
        for task in self.sweep.evals:
            words = [tool("medqa"), "eval", "run", "--task", task.task]
            for option, value in (
                ("--data", task.data),
                ("--limit", task.limit),
                ("--max-tokens", task.max_tokens),
                ("--concurrency", task.concurrency),
            ):
                if value is not None:
                    words += [option, str(value)]
            words += ["--endpoint", endpoint, "--label", self.cell.id]
            words += [w for k, v in self.cell.tags.items() for w in ("--tag", f"{k}={v}")]
            words += ["--out", str(self.eval_dir(task.task)), "--quiet", *task.args]
            commands.append(words)
        return commands


def _model_input(model: str | Path) -> Path | str:
    """A model folder (ours are Paths, even before a stage writes them) counts by its files;
    a hub id by its name."""
    return model if isinstance(model, Path) else Path(model) if Path(model).is_dir() else model


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_stale_server(pid_file: Path) -> None:
    """A server a hard-killed sweep left behind (its pid file names it): stop it."""
    try:
        pid = int(pid_file.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        pid_file.unlink(missing_ok=True)
        return
    if b"llamafactory" in cmdline or b"serve" in cmdline:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)
    pid_file.unlink(missing_ok=True)


def serve_and_evaluate(ctx: StageContext, plan: CellPlan, api_key: str) -> None:
    """Start ``medqa serve`` on a free port, run every eval task against it, stop the server."""
    from medqa.serve import wait_until_ready

    served, _ = plan.served_model()
    name = f"{plan.cell.id}-{fingerprint([_model_input(served)])[:8]}"  # new model, new cache key
    pid_file = plan.folder / "server.pid"
    _stop_stale_server(pid_file)
    port = _free_port()
    command = plan.serve_command(port, name)
    server = ctx.spawn(command, env={"API_KEY": api_key}, cwd=plan.cwd)
    pid_file.write_text(str(server.pid))

    def stop() -> None:
        if server.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        ctx.release(server)
        pid_file.unlink(missing_ok=True)

    ctx.cleanups.append(stop)
    try:
        endpoint = f"http://127.0.0.1:{port}/v1"
        try:
            wait_until_ready(endpoint, server, timeout=READY_TIMEOUT_S, api_key=api_key)
        except RuntimeError as exc:
            raise StageError(f"the server for {plan.cell.id} did not start: {exc}") from exc
        for words in plan.eval_commands(endpoint):
            ctx.run(words, env={"API_KEY": api_key}, cwd=plan.cwd)
    finally:
        stop()
        ctx.cleanups.remove(stop)


def cell_stages(plan: CellPlan, api_key: str) -> list[Stage]:
    """train → merge (when the method has one) → serve + eval, each redone when its inputs change."""
    cell, stages = plan.cell, []
    if cell.method is not None:
        dataset_dir = plan.cwd / str(plan.train_config().get("dataset_dir", "."))
        data = dataset_file(dataset_dir, cell.dataset)
        train = plan.train_command()
        stages.append(
            Stage(
                "train",
                f"llamafactory-cli train {cell.method.train.name} on {cell.dataset}",
                [plan.train_dir / "train_results.json"],
                lambda ctx: ctx.run(train, env=_train_env(plan), cwd=plan.cwd),
                inputs=[cell.method.train, data, _model_input(cell.model_path), " ".join(train)],
            )
        )
        merge = plan.merge_command()
        if merge is not None:
            stages.append(
                Stage(
                    "merge",
                    f"llamafactory-cli export {cell.method.merge.name}",
                    [plan.merged_dir / "config.json"],
                    lambda ctx: ctx.run(merge, cwd=plan.cwd),
                    inputs=[cell.method.merge, plan.train_dir, " ".join(merge)],
                )
            )
    served, _ = plan.served_model()
    evals = plan.eval_commands("ENDPOINT")
    data_files = [Path(t.data) for t in plan.sweep.evals if t.data]
    stages.append(
        Stage(
            "eval",
            f"medqa serve + medqa eval run ({', '.join(t.task for t in plan.sweep.evals)})",
            [plan.eval_dir(t.task) / "summary.json" for t in plan.sweep.evals],
            lambda ctx: serve_and_evaluate(ctx, plan, api_key),
            inputs=[
                _model_input(served),
                " ".join(plan.serve_command("PORT", "NAME")),
                *[" ".join(words) for words in evals],
                *data_files,
            ],
        )
    )
    return stages


def _train_env(plan: CellPlan) -> dict[str, str]:
    env = {"RECORD_VRAM": "1", "MASTER_PORT": str(_free_port())}
    if plan.train_config().get("deepspeed"):
        env["FORCE_TORCHRUN"] = "1"
    return env


def train_figures(train_dir: Path) -> dict[str, float | None]:
    """Train time (s), tokens/s and peak GPU memory (GiB) as LLaMA-Factory reported them."""
    figures: dict[str, float | None] = {"train_s": None, "tokens_per_s": None, "peak_gib": None}
    results = _read_json(train_dir / "train_results.json")
    runtime = results.get("train_runtime")
    figures["train_s"] = runtime
    tokens = None
    for entry in _read_json(train_dir / "trainer_state.json").get("log_history", []):
        tokens = entry.get("num_input_tokens_seen", tokens)
    peaks = []
    log = train_dir / "trainer_log.jsonl"
    if log.is_file():
        for line in log.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line) if line.strip() else {}
            tokens = entry.get("total_tokens", tokens) if tokens is None else tokens
            if entry.get("vram_reserved", 0) > 0:
                peaks.append(entry["vram_reserved"])
    if tokens and runtime:
        figures["tokens_per_s"] = round(tokens / runtime, 1)
    figures["peak_gib"] = max(peaks) if peaks else None
    return figures


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}

"""A small stage runner for long chains: logs per stage, skip-when-complete, clear failures.

Each stage declares its outputs. After it succeeds a marker ``<logs>/<stage>.done`` records them;
a later run skips the stage while the marker and every output exist (``force`` redoes it). A chain
is linear, each stage reading what the earlier ones wrote, so once a stage runs, every later stage
runs too. A failing stage stops the chain with a message naming the stage and its log file.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console


class StageError(RuntimeError):
    """A stage failed; the message says why, and the runner adds the stage and its log."""


@dataclass
class StageContext:
    """What a stage function gets: where to work, its log, and a way to run commands."""

    workdir: Path
    log_path: Path
    console: Console
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def run(
        self,
        command: Sequence[str],
        cwd: Path | None = None,
        env: dict | None = None,
        timeout: float | None = None,
    ) -> None:
        """Run ``command``, appending its output to the stage log; StageError on failure."""
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(f"\n$ {' '.join(map(str, command))}\n")
            log.flush()
            try:
                result = subprocess.run(
                    list(map(str, command)),
                    cwd=cwd or self.workdir,
                    env={**self.env, **(env or {})},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=timeout,
                )
            except subprocess.TimeoutExpired as exc:
                raise StageError(f"`{command[0]}` timed out after {timeout:.0f}s") from exc
        if result.returncode != 0:
            raise StageError(
                f"`{' '.join(map(str, command[:3]))} …` exited with {result.returncode}"
            )

    def log(self, text: str) -> None:
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(text + "\n")


@dataclass
class Stage:
    """One step of a chain: a name, what it does, the files it must leave, and the work."""

    name: str
    description: str
    outputs: Sequence[Path]
    work: Callable[[StageContext], None]


@dataclass
class StageResult:
    name: str
    status: str  # done | skipped | failed
    seconds: float


class StageRunner:
    """Runs stages in order; stops at the first failure."""

    def __init__(self, workdir: Path, force: bool = False, console: Console | None = None) -> None:
        self.workdir = workdir
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.force = force
        self.console = console or Console(stderr=True)
        self.cleanups: list[Callable[[], None]] = []

    def _marker(self, stage: Stage) -> Path:
        return self.logs / f"{stage.name}.done"

    def is_complete(self, stage: Stage) -> bool:
        """The stage finished before and all of its outputs are still there."""
        marker = self._marker(stage)
        return marker.is_file() and all(Path(p).exists() for p in stage.outputs)

    def run(self, stages: Sequence[Stage]) -> list[StageResult]:
        """Run every stage; raise StageError naming the failing stage and its log."""
        results: list[StageResult] = []
        try:
            for number, stage in enumerate(stages, start=1):
                upstream_ran = any(r.status == "done" for r in results)
                results.append(self._run_one(stage, f"[{number}/{len(stages)}]", upstream_ran))
        finally:
            for cleanup in reversed(self.cleanups):
                cleanup()
        return results

    def _run_one(self, stage: Stage, counter: str, upstream_ran: bool) -> StageResult:
        if not (self.force or upstream_ran) and self.is_complete(stage):
            self.console.print(f"{counter} [dim]{stage.name}: complete, skipped[/dim]")
            return StageResult(stage.name, "skipped", 0.0)
        log_path = self.logs / f"{stage.name}.log"
        log_path.write_text("", encoding="utf-8")
        self._marker(stage).unlink(missing_ok=True)
        context = StageContext(self.workdir, log_path, self.console, cleanups=self.cleanups)
        started = time.monotonic()
        with self.console.status(f"{counter} {stage.name}: {stage.description} …"):
            try:
                stage.work(context)
            except StageError as exc:
                raise StageError(f"stage '{stage.name}' failed: {exc}\n  log: {log_path}") from exc
        missing = [str(p) for p in stage.outputs if not Path(p).exists()]
        if missing:
            raise StageError(f"stage '{stage.name}' did not write {missing}\n  log: {log_path}")
        seconds = time.monotonic() - started
        self._marker(stage).write_text(
            json.dumps({"outputs": [str(p) for p in stage.outputs], "seconds": round(seconds, 2)})
        )
        self.console.print(
            f"{counter} [green]{stage.name}[/green]: {stage.description} ({seconds:.1f}s)"
        )
        return StageResult(stage.name, "done", seconds)

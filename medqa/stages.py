"""A small stage runner for long chains: logs per stage, skip-when-complete, clear failures.

Each stage declares its inputs (files, folders, and strings such as the command line it will run)
and its outputs. After it succeeds a marker ``<logs>/<stage>.done`` records the outputs and a
fingerprint of the inputs; a later run skips the stage only while the marker, every output and the
same input fingerprint are there (``force`` redoes it). A chain is linear, each stage reading what
the earlier ones wrote, so once a stage runs, every later stage runs too. A failing stage stops the
chain with a message naming the stage and its log file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from medqa.io import write_json

# Commands running right now (any thread), so that a signal handler can stop them.
_LIVE: set[subprocess.Popen] = set()
_LIVE_LOCK = threading.Lock()
_STOPPING = threading.Event()


def terminate_running(grace: float = 10.0) -> int:
    """SIGTERM every command a StageContext is running, SIGKILL after ``grace`` s; return count.

    From then on no StageContext starts a command (each raises StageError "stopped")."""
    _STOPPING.set()
    with _LIVE_LOCK:
        live = [p for p in _LIVE if p.poll() is None]
    for process in live:
        process.terminate()
    for process in live:
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
    return len(live)


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
            process = self._start(command, env, cwd, log, new_session=False)
            try:
                returncode = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired as exc:
                process.kill()
                process.wait()
                raise StageError(f"`{command[0]}` timed out after {timeout:.0f}s") from exc
            finally:
                with _LIVE_LOCK:
                    _LIVE.discard(process)
        if returncode != 0:
            raise StageError(f"`{' '.join(map(str, command[:3]))} …` exited with {returncode}")

    def spawn(
        self, command: Sequence[str], env: dict | None = None, cwd: Path | None = None
    ) -> subprocess.Popen:
        """Start a background ``command`` (a server) in its own session, logging to the stage
        log; ``terminate_running`` stops it too. The caller stops it and calls ``release``."""
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(f"\n$ {' '.join(map(str, command))} &\n")
            log.flush()
            return self._start(command, env, cwd, log, new_session=True)

    def _start(
        self, command: Sequence[str], env: dict | None, cwd: Path | None, log, new_session: bool
    ) -> subprocess.Popen:
        """Start ``command`` logging to ``log`` and register it, so that terminate_running sees
        every command it must stop; refused once the run is shutting down."""
        with _LIVE_LOCK:
            if _STOPPING.is_set():
                raise StageError("stopped before it started (the run is shutting down)")
            process = subprocess.Popen(
                list(map(str, command)),
                cwd=cwd or self.workdir,
                env={**self.env, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=new_session,
            )
            _LIVE.add(process)
        return process

    @staticmethod
    def release(process: subprocess.Popen) -> None:
        """Forget a process started with ``spawn`` (after stopping it)."""
        with _LIVE_LOCK:
            _LIVE.discard(process)

    def log(self, text: str) -> None:
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(text + "\n")


# Files up to this size are hashed by content; larger ones (model weights) by size and mtime.
HASH_CONTENT_MAX_BYTES = 256 * 2**20


def _file_digest(path: Path) -> str:
    info = path.stat()
    if info.st_size > HASH_CONTENT_MAX_BYTES:
        return f"size={info.st_size},mtime={info.st_mtime_ns}"
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(inputs: Sequence[Path | str]) -> str:
    """A digest of ``inputs``: files by content, folders by every file's name, size and mtime
    (``__pycache__`` left out), strings (command lines, settings) as they are; a missing path
    counts as "missing"."""
    digest = hashlib.sha256()
    for item in inputs:
        if isinstance(item, Path):
            digest.update(f"path:{item}\n".encode())
            if item.is_file():
                digest.update(_file_digest(item).encode())
            elif item.is_dir():
                files = (p for p in item.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
                for file in sorted(files):
                    info = file.stat()
                    rel = file.relative_to(item)
                    digest.update(f"{rel}:{info.st_size}:{info.st_mtime_ns}\n".encode())
            else:
                digest.update(b"missing")
        else:
            digest.update(f"value:{item}\n".encode())
    return digest.hexdigest()


@dataclass
class Stage:
    """One step of a chain: a name, what it does, the files it must leave, and the work.

    ``inputs`` are what its result depends on (files, folders, command lines): when their
    fingerprint differs from the one recorded at the last success, the stage runs again.
    """

    name: str
    description: str
    outputs: Sequence[Path]
    work: Callable[[StageContext], None]
    inputs: Sequence[Path | str] = ()


def why_incomplete(logs: Path, stage: Stage) -> str | None:
    """Why ``stage`` (markers under ``logs``) must run, or None when it is complete."""
    marker = logs / f"{stage.name}.done"
    if not marker.is_file():
        return "not run before"
    missing = [str(p) for p in stage.outputs if not Path(p).exists()]
    if missing:
        return f"output missing: {missing[0]}"
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8")).get("inputs")
    except (json.JSONDecodeError, AttributeError):
        return "unreadable marker"
    if recorded != fingerprint(stage.inputs):
        return "inputs changed"
    return None


@dataclass
class StageResult:
    name: str
    status: str  # done | skipped | failed
    seconds: float


class StageRunner:
    """Runs stages in order; stops at the first failure."""

    def __init__(
        self,
        workdir: Path,
        force: bool = False,
        console: Console | None = None,
        env: dict[str, str] | None = None,
        spinner: bool = True,
    ) -> None:
        self.workdir = workdir
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.force = force
        self.console = console or Console(stderr=True)
        self.env = dict(os.environ if env is None else env)
        self.spinner = spinner  # off when several runners share one console (threads)
        self.cleanups: list[Callable[[], None]] = []

    def _marker(self, stage: Stage) -> Path:
        return self.logs / f"{stage.name}.done"

    def is_complete(self, stage: Stage) -> bool:
        """The stage finished before on the same inputs and all of its outputs are still there."""
        return self.why_incomplete(stage) is None

    def why_incomplete(self, stage: Stage) -> str | None:
        """Why ``stage`` must run (never ran, an output is gone, its inputs changed), or None."""
        return why_incomplete(self.logs, stage)

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
        reason = "forced" if self.force else "an earlier stage ran" if upstream_ran else None
        reason = reason or self.why_incomplete(stage)
        if reason is None:
            self.console.print(f"{counter} [dim]{stage.name}: complete, skipped[/dim]")
            return StageResult(stage.name, "skipped", 0.0)
        log_path = self.logs / f"{stage.name}.log"
        log_path.write_text("", encoding="utf-8")
        self._marker(stage).unlink(missing_ok=True)
        inputs = fingerprint(stage.inputs)  # before the work: what it was given
        context = StageContext(
            self.workdir, log_path, self.console, env=dict(self.env), cleanups=self.cleanups
        )
        started = time.monotonic()
        status = self.console.status if self.spinner else _no_status
        with status(f"{counter} {stage.name}: {stage.description} ({reason}) …"):
            try:
                stage.work(context)
            except StageError as exc:
                raise StageError(f"stage '{stage.name}' failed: {exc}\n  log: {log_path}") from exc
        missing = [str(p) for p in stage.outputs if not Path(p).exists()]
        if missing:
            raise StageError(f"stage '{stage.name}' did not write {missing}\n  log: {log_path}")
        seconds = time.monotonic() - started
        marker = {"outputs": [str(p) for p in stage.outputs], "inputs": inputs}
        write_json(self._marker(stage), {**marker, "seconds": round(seconds, 2)})
        self.console.print(
            f"{counter} [green]{stage.name}[/green]: {stage.description} ({seconds:.1f}s)"
        )
        return StageResult(stage.name, "done", seconds)


@contextlib.contextmanager
def _no_status(_text: str):
    yield

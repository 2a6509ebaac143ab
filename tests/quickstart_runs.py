"""Session fixtures: one quickstart working directory shared by the plain and the ``--dpo`` tests.

``medqa quickstart`` runs once, then once more (every stage must be skipped); ``medqa quickstart
--dpo`` then runs over the same finished directory, so it adds only the DPO stages and the report,
and once more (every stage skipped). That is one SFT chain for both test files instead of two,
and it proves what a user relies on: ``--dpo`` after a plain quickstart redoes nothing of it.
The report each run wrote is kept aside, since the ``--dpo`` run rebuilds it with more columns.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

MEDQA = str(Path(sys.executable).with_name("medqa"))
REPORT = Path("data/eval/quickstart/report")


@dataclass(frozen=True)
class QuickstartRun:
    """A finished quickstart: its workdir, the first run's and the re-run's stdout, and a copy of
    the report folder as that run left it."""

    workdir: Path
    stdout: str
    rerun_stdout: str
    report: Path


def _quickstart(workdir: Path, *flags: str, timeout: int) -> str:
    started = time.monotonic()
    result = subprocess.run(
        [MEDQA, "quickstart", *flags, "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    print(f"medqa quickstart {' '.join(flags)} wall time: {time.monotonic() - started:.0f}s")
    return result.stdout


def _finished(workdir: Path, snapshot: Path, *flags: str) -> QuickstartRun:
    stdout = _quickstart(workdir, *flags, timeout=1500)
    shutil.copytree(workdir / REPORT, snapshot)
    rerun = _quickstart(workdir, *flags, timeout=600)
    return QuickstartRun(workdir, stdout, rerun, snapshot)


@pytest.fixture(scope="session")
def quickstart_plain(tmp_path_factory) -> QuickstartRun:
    """``medqa quickstart`` in a fresh directory, then re-run there."""
    workdir = tmp_path_factory.mktemp("quickstart")
    return _finished(workdir, tmp_path_factory.mktemp("plain-report") / "report")


@pytest.fixture(scope="session")
def quickstart_dpo(quickstart_plain, tmp_path_factory) -> QuickstartRun:
    """``medqa quickstart --dpo`` over the finished plain quickstart, then re-run there."""
    snapshot = tmp_path_factory.mktemp("dpo-report") / "report"
    return _finished(quickstart_plain.workdir, snapshot, "--dpo")

"""A 2 × 2 sweep (LoRA with merge, full SFT × scales 2 and 4) on the tiny Qwen, end to end with the
real llamafactory-cli, medqa serve and medqa eval: killed in the second cell, then resumed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.sweep.conftest import cpu_sweep, sweep_workspace, write_sweep

pytestmark = pytest.mark.slow
MEDQA = str(Path(sys.executable).with_name("medqa"))
CELLS = ["tiny-lora-2-s0", "tiny-lora-4-s0", "tiny-full-2-s0", "tiny-full-4-s0"]


def sweep(root: Path, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    return subprocess.run(
        [MEDQA, "sweep", "sweep.yaml", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def processes_under(folder: Path) -> list[str]:
    """Command lines of live processes that mention ``folder`` (servers, trainings)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(folder) in cmdline and "pytest" not in cmdline:
            found.append(cmdline)
    return found


def wait_for(condition, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, process.communicate()[0][-3000:]
        assert time.monotonic() < deadline, "the sweep did not get there in time"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory, tiny_qwen2):
    root = sweep_workspace(tmp_path_factory.mktemp("sweep"))
    write_sweep(root / "sweep.yaml", cpu_sweep(tiny_qwen2))
    cells = root / "sweep/cells"
    process = subprocess.Popen(
        [MEDQA, "sweep", "sweep.yaml", "--skip-check"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # Kill it while the second cell trains: the first cell is finished, the second is not.
    wait_for(lambda: (cells / CELLS[1] / "logs/train.log").exists(), process, timeout=600)
    time.sleep(3)
    process.send_signal(signal.SIGTERM)
    killed_output = process.communicate(timeout=120)[0]
    first = {p: p.stat().st_mtime_ns for p in (cells / CELLS[0] / "eval").glob("*/summary.json")}
    leftovers = processes_under(cells)
    second_trained = (cells / CELLS[1] / "logs/train.done").exists()
    started = time.monotonic()
    resumed = sweep(root, "--skip-check")
    seconds = time.monotonic() - started
    return (
        root,
        process.returncode,
        killed_output,
        first,
        (leftovers, second_trained),
        resumed,
        seconds,
    )


def test_a_killed_sweep_stops_cleanly_and_keeps_the_finished_cell(killed_and_resumed):
    root, code, output, first, (leftovers, second_trained), _, _ = killed_and_resumed
    assert code == 130, output[-3000:]
    assert "stopped: 1/4 cells finished" in output
    assert len(first) == 1  # the first cell's eval run was written
    assert leftovers == []  # no training or server outlived the sweep
    assert not second_trained  # the interrupted training left no completion marker


def test_the_resumed_sweep_redoes_only_the_unfinished_cells(killed_and_resumed):
    root, _, _, first, _, resumed, seconds = killed_and_resumed
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert "cells: 3 run, 1 already finished (skipped), 0 failed" in resumed.stdout
    # none lost: the first cell's results are the very files written before the kill
    assert {p: p.stat().st_mtime_ns for p in first} == first
    print(f"resume: {seconds:.0f}s for 3 cells")
    assert processes_under(root / "sweep/cells") == []


def test_report_has_the_per_cell_table_and_the_data_scale_curves(killed_and_resumed):
    root = killed_and_resumed[0]
    report = root / "sweep/report"
    table = (report / "sweep.md").read_text(encoding="utf-8")
    lines = [line.strip("|").split("|") for line in table.splitlines() if line.startswith("| ")]
    header, rows = [c.strip() for c in lines[0]], [[c.strip() for c in row] for row in lines[1:]]
    rows = [dict(zip(header, row, strict=True)) for row in rows]
    assert [row["cell"] for row in rows] == CELLS
    for row in rows:
        assert float(row["train s"]) > 0 and float(row["tokens/s"].replace(",", "")) > 0
        assert row["open_qa"] != "–" and row["status"] in ("done", "skipped")
    compare = (report / "report.md").read_text(encoding="utf-8")
    assert "open_qa: data-scale curve (rouge-l)" in compare
    assert (report / "charts/scale_open_qa.png").read_bytes()[:4] == b"\x89PNG"
    cell = json.loads((root / "sweep/cells" / CELLS[0] / "cell.json").read_text())
    assert cell["method"] == "lora" and set(cell["scores"]) == {"open_qa"}
    # LoRA cells were merged and the merged model served; full SFT served its own output
    assert (root / "sweep/cells/tiny-lora-4-s0/merged/model.safetensors").is_file()
    assert not (root / "sweep/cells/tiny-full-4-s0/merged").exists()
    summary = json.loads(
        (root / "sweep/cells/tiny-full-4-s0/eval/open_qa/summary.json").read_text()
    )
    assert summary["tags"] == {"model": "tiny", "method": "full", "scale": "4", "seed": "0"}


def test_a_changed_input_redoes_only_the_cells_that_read_it(killed_and_resumed):
    """The dry run reads the recorded fingerprints: every cell is finished until the 4-example
    subset changes, then exactly the two cells trained on it would train again."""
    root = killed_and_resumed[0]

    def states() -> dict[str, str]:
        out = sweep(root, "--dry-run", timeout=120).stdout
        return {
            line.split("│")[1].strip(): line.split("│")[-2].strip()
            for line in out.splitlines()
            if line.startswith("│ tiny-")
        }

    assert set(states().values()) == {"finished"}
    subset = root / "data/medqa/alpaca/train_4.jsonl"
    subset.write_text(subset.read_text(encoding="utf-8").replace("注意休息", "多休息"), "utf-8")
    assert states() == {
        "tiny-lora-2-s0": "finished",
        "tiny-lora-4-s0": "train: inputs changed",
        "tiny-full-2-s0": "finished",
        "tiny-full-4-s0": "train: inputs changed",
    }

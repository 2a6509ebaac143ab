"""The wheel holds every tracked product file, and dataprep imports and runs from it alone
(not from the checkout). .ci/run does the same for every package in a fresh venv."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.dataprep.conftest import REPO, SAMPLE

CHECK = REPO / ".ci" / "wheel_check.py"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("*.whl")
    return built


def test_wheel_holds_every_tracked_product_file(wheel) -> None:
    done = subprocess.run(
        [sys.executable, str(CHECK), "contents", str(wheel), str(REPO)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    names = zipfile.ZipFile(wheel).namelist()
    for data_file in ("dataprep/recipes/default.yaml", "dataprep/taxonomy.yaml"):
        assert data_file in names


def test_dataprep_imports_and_runs_from_the_unpacked_wheel(wheel, tmp_path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, str(CHECK), "imports", str(wheel), str(REPO), "dataprep,medqa"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    run = [
        sys.executable,
        "-c",
        "from medqa.cli import main; main()",
        "prep",
        "run",
        "-q",
        "--input",
        f"raw:{SAMPLE / 'raw_sample.jsonl'}",
        "--out",
        "out",
        "--no-register",
    ]
    done = subprocess.run(run, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "medqa" / "alpaca" / "train.jsonl").stat().st_size > 0

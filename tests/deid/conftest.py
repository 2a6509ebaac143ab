"""Paths of the labelled sets the de-identification tests score against."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REPO_ROOT

DATA = Path(__file__).with_name("data")
DEV_SET = DATA / "blind_dev.jsonl"  # written blind; tuned on: a development set
REAL = REPO_ROOT.parent / "shared" / "data" / "real"

"""`medqa demo` / `python -m demo`: options, defaults and clear errors for bad endpoints."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from medqa.cli import main
from tests.conftest import REPO_ROOT


def test_medqa_lists_demo_and_its_safe_defaults():
    runner = CliRunner()
    assert "demo" in runner.invoke(main, ["--help"]).output
    shown = runner.invoke(main, ["demo", "--help"])
    assert shown.exit_code == 0, shown.output
    for option in ("--endpoint", "--knowledge", "--disclaimer", "--history-chars", "--share"):
        assert option in shown.output
    assert "[default: 127.0.0.1]" in shown.output


def test_python_m_demo_is_the_same_command():
    result = subprocess.run(
        [sys.executable, "-m", "demo", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: python -m demo [OPTIONS]" in result.stdout


def test_bad_endpoints_fail_before_anything_starts():
    runner = CliRunner()
    three = ["demo"] + ["--endpoint", "http://127.0.0.1:1/v1"] * 3
    result = runner.invoke(main, three)
    assert result.exit_code == 2 and "1 or 2 endpoints" in result.output
    result = runner.invoke(main, ["demo", "--endpoint", "localhost:8000"])
    assert result.exit_code == 2 and "is not an http(s) URL" in result.output


def test_a_disclaimer_that_eval_would_not_accept_is_refused():
    result = CliRunner().invoke(main, ["demo", "--disclaimer", "祝您早日康复"])
    assert result.exit_code == 2 and "no substitute for a doctor" in result.output


def test_bad_values_are_named_without_a_traceback(tmp_path):
    runner = CliRunner()
    empty = tmp_path / "knowledge"
    empty.mkdir()
    for args, message in (
        (["--knowledge", str(empty)], "has no .txt/.md/.jsonl text"),
        (["--concurrency", "0"], "--concurrency"),
        (["--timeout", "0"], "--timeout"),
        (["--top-k", "0"], "--top-k"),
    ):
        result = runner.invoke(main, ["demo", *args])
        assert result.exit_code in (1, 2), (args, result.output)
        assert isinstance(result.exception, SystemExit), (args, result.exception)
        assert message in result.output, (args, result.output)

"""Every ``medqa eval`` command in the README and in the quickstart's summary, run as written in a
fresh clone (only the bundled data/sample): it works, or fails saying where its data comes from
and which option to pass — never a traceback or a bare "does not exist"."""

from __future__ import annotations

import glob
import re

import pytest
from click.testing import CliRunner

from medqa.cli import main as medqa_main
from medqa.quickstart import BY_HAND
from tests.conftest import REPO_ROOT
from tests.test_readme import readme_commands

ADVICE = re.compile(
    r"Pass your copy with --data PATH|run those first|medqa prep run|llamafactory-cli export"
)


def eval_commands() -> list[list[str]]:
    commands = [w for w in readme_commands() if w[:2] == ["medqa", "eval"]]
    for line in BY_HAND.splitlines():
        words = line.split("#", 1)[0].split()
        if words[:2] == ["medqa", "eval"]:
            commands.append(words)
    return commands


def shell_glob(words: list[str]) -> list[str]:
    """What a shell passes: a pattern that matches nothing stays as written."""
    out = []
    for word in words:
        out += sorted(glob.glob(word)) or [word] if "*" in word else [word]
    return out


@pytest.fixture
def fresh_clone(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sample").symlink_to(REPO_ROOT / "data" / "sample")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_and_the_quickstart_print_eval_commands():
    printed = [" ".join(w) for w in eval_commands()]
    assert any("--task medqa_mcmle" in c for c in printed)
    assert any(c.startswith("medqa eval compare") for c in printed)


@pytest.mark.parametrize("words", eval_commands(), ids=lambda w: " ".join(w[2:5]))
def test_an_eval_command_runs_or_says_where_its_data_comes_from(words, fresh_clone):
    result = CliRunner().invoke(medqa_main, shell_glob(words[1:]))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    if result.exit_code != 0:
        assert ADVICE.search(result.output), result.output
        assert "Traceback" not in result.output

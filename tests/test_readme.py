"""Every command in the README's code blocks refers to things that exist: medqa subcommands and
options, config files, scripts, modules and pip extras."""

from __future__ import annotations

import importlib.util
import re
import shlex

import click
import pytest
from setuptools.config.setupcfg import read_configuration

from medqa.cli import main as medqa_main
from tests.conftest import REPO_ROOT

README = REPO_ROOT / "README.md"
PATHLIKE = re.compile(
    r"^(llamafactory_configs|bench|crawler|dataprep|eval|demo|data/sample|tests)/"
)


def readme_commands() -> list[list[str]]:
    """Shell commands from fenced bash blocks, split on && ; | and line continuations."""
    text = README.read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```(?:bash|sh|shell)\n(.*?)```", text, flags=re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            for part in re.split(r"&&|\|\||;|\|(?!\])", line):
                words = shlex.split(part.replace("&", " ").strip()) if part.strip() else []
                while words and re.match(r"^[A-Z_]+=", words[0]):  # leading VAR=value
                    words.pop(0)
                if words:
                    commands.append(words)
    return commands


def _resolve_click(command: click.Command, args: list[str]) -> None:
    """Walk ``args`` through click groups and check every --option exists on its command."""
    ctx = click.Context(command)
    while isinstance(command, click.Group) and args and not args[0].startswith("-"):
        sub = command.get_command(ctx, args[0])
        assert sub is not None, f"`{args[0]}` is not a subcommand of `{command.name}`"
        command, args = sub, args[1:]
        ctx = click.Context(command)
    known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)} | {"--help", "-h"}
    for arg in args:
        if arg.startswith("--"):
            assert arg.split("=", 1)[0] in known, f"`{command.name}` has no option {arg}"


def _check_paths(words: list[str]) -> None:
    for word in words:
        value = word.split("=", 1)[-1]
        if PATHLIKE.match(value) and "*" not in value and "<" not in value:
            assert (REPO_ROOT / value).exists(), f"{value} does not exist"


def _check_extras(words: list[str]) -> None:
    extras = set(read_configuration(REPO_ROOT / "setup.cfg")["options"]["extras_require"])
    for word in words:
        match = re.search(r"\.\[([\w,-]+)\]", word)
        if match:
            for extra in match.group(1).split(","):
                assert extra in extras, f"setup.cfg has no extra [{extra}]"


CHECKS = {
    "medqa": lambda w: _resolve_click(medqa_main, w[1:]),
    "llamafactory-cli": lambda w: w[1] in {"train", "export", "api", "webui", "chat", "version"},
}


@pytest.mark.parametrize("words", readme_commands(), ids=lambda w: " ".join(w)[:60])
def test_readme_command_refers_to_things_that_exist(words):
    _check_paths(words)
    _check_extras(words)
    if words[0] in CHECKS:
        assert CHECKS[words[0]](words) is not False, f"unknown subcommand in {words}"
    if words[0] == "scrapy":
        assert words[1:3] == ["crawl", "medqa"] and (REPO_ROOT / "scrapy.cfg").is_file()
    if words[:2] == ["python", "-m"]:
        assert importlib.util.find_spec(words[2]) is not None, f"no module {words[2]}"
    if words[0] == "python" and words[1].endswith(".py"):
        assert (REPO_ROOT / words[1]).is_file(), words[1]


def test_readme_has_the_two_setup_commands():
    commands = [" ".join(w) for w in readme_commands()]
    assert any("pip install -e .[all]" in c for c in commands)
    assert "medqa quickstart" in commands
    assert "python -m pytest -q" in commands

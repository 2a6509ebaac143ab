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


def setup_commands() -> list[str]:
    """The command lines of the README's set-up section, as written."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Set-up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return [line.strip() for block in blocks[:2] for line in block.splitlines() if line.strip()]


def test_ci_runs_exactly_the_readme_setup_commands():
    """What a new user types is what CI runs: both set-up lines appear verbatim in .ci/run, the
    tests last, and CI installs system packages only through the README's script."""
    install, test = setup_commands()
    assert install.startswith("python3.11 -m venv .venv") and install.endswith("medqa quickstart")
    assert test == ".ci/install-system-packages && python -m pytest -q"
    lines = [line.strip() for line in (REPO_ROOT / ".ci/run").read_text().splitlines()]
    assert install in lines and test in lines
    assert lines.index(install) < lines.index(test) == len(lines) - 1
    assert not any(line.startswith(("apt-get", "sudo")) for line in lines)


@pytest.fixture
def fake_system(tmp_path):
    """A PATH whose id, dpkg-query, sudo and apt-get only log their calls (to test who asks for
    root; nothing is installed). Returns (run, calls)."""
    import os
    import subprocess

    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()

    def tool(name: str, body: str) -> None:
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)

    def run(uid: int, sudo: bool, installed: bool) -> subprocess.CompletedProcess:
        log.write_text("")
        tool("id", f"echo {uid}")
        status = "install ok installed" if installed else "unknown ok not-installed"
        tool("dpkg-query", f"printf '{status}'")
        tool("apt-get", f'echo "apt-get $*" >> {log}')
        tool("env", 'shift; "$@"')  # `env VAR=x cmd …` → cmd …
        if sudo:
            tool("sudo", f'echo "sudo $*" >> {log}; "$@"')
        elif (bin_dir / "sudo").exists():
            (bin_dir / "sudo").unlink()
        path = f"{bin_dir}:/usr/bin:/bin"
        return subprocess.run(
            ["/bin/sh", str(REPO_ROOT / ".ci/install-system-packages")],
            env={**os.environ, "PATH": path},
            capture_output=True,
            text=True,
        )

    def calls() -> list[str]:
        return [line.split(" -", 1)[0] for line in log.read_text().splitlines()]

    return run, calls


def test_system_packages_install_as_root_without_sudo(fake_system):
    run, calls = fake_system
    assert run(uid=0, sudo=False, installed=False).returncode == 0
    assert calls() == ["apt-get update", "apt-get install"]


def test_system_packages_install_through_sudo_as_a_user(fake_system):
    run, calls = fake_system
    assert run(uid=1000, sudo=True, installed=False).returncode == 0
    assert calls() == [
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get update",
        "apt-get update",
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get install",
        "apt-get install",
    ]


def test_system_packages_already_installed_need_no_root(fake_system):
    run, calls = fake_system
    result = run(uid=1000, sudo=False, installed=True)
    assert result.returncode == 0 and "all installed" in result.stdout and calls() == []


def test_a_user_without_sudo_is_told_what_to_do(fake_system):
    run, calls = fake_system
    result = run(uid=1000, sudo=False, installed=False)
    assert result.returncode == 1 and "run this as root or install sudo" in result.stderr
    assert calls() == []

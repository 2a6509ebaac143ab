"""Check a built wheel of medqa-factory (run by .ci/run and tests/dataprep/test_packaging.py).

    python .ci/wheel_check.py contents DIST.whl REPO   every tracked product file is in the wheel
    python .ci/wheel_check.py imports DIST.whl REPO [PKG,..]   (run by the wheel's own venv,
                                   outside the checkout) every module in it (of PKG only, if
                                   given) imports, from that venv, not from REPO

Exit 1 with the list of what is wrong; 0 with a one-line summary.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import traceback
import zipfile
from pathlib import Path

PACKAGES = ("medqa", "crawler", "dataprep", "eval", "demo")


def product_files(repo: Path) -> list[str]:
    """Tracked files of the product packages (what an installed tool may need)."""
    listed = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "--", *PACKAGES],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    return [name for name in listed if name and (repo / name).is_file()]


def missing_from(wheel: Path, repo: Path) -> list[str]:
    """Tracked product files the wheel lacks."""
    names = set(zipfile.ZipFile(wheel).namelist())
    return [name for name in product_files(repo) if name not in names]


def wheel_modules(wheel: Path, packages: tuple[str, ...] = PACKAGES) -> list[str]:
    """Dotted names of every Python module in the wheel (of ``packages``)."""
    out = []
    for name in zipfile.ZipFile(wheel).namelist():
        if name.endswith(".py") and name.split("/")[0] in packages:
            parts = name.removesuffix(".py").split("/")
            if parts[-1] == "__main__":  # runs the CLI when imported; `medqa --help` covers it
                continue
            out.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return sorted(out)


def import_failures(wheel: Path, repo: Path, packages: tuple[str, ...] = PACKAGES) -> list[str]:
    """Modules of the wheel that fail to import, or that import from the checkout."""
    failures = []
    checkout = str(repo.resolve())
    for module in wheel_modules(wheel, packages):
        try:
            loaded = importlib.import_module(module)
        except BaseException:  # noqa: BLE001 - any failure is a finding
            last = traceback.format_exc().strip().splitlines()[-1]
            failures.append(f"{module}: {last}")
            continue
        where = str(Path(getattr(loaded, "__file__", "") or "").resolve())
        if where.startswith(checkout):
            failures.append(f"{module}: imported from the checkout ({where}), not the wheel")
    return failures


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4) or argv[0] not in ("contents", "imports"):
        print(__doc__, file=sys.stderr)
        return 2
    command, wheel, repo = argv[0], Path(argv[1]), Path(argv[2])
    packages = tuple(argv[3].split(",")) if len(argv) == 4 else PACKAGES
    if command == "contents":
        problems = missing_from(wheel, repo)
        what = f"{len(product_files(repo))} tracked product files present in {wheel.name}"
    else:
        problems = import_failures(wheel, repo, packages)
        count = len(wheel_modules(wheel, packages))
        what = f"{count} modules of {wheel.name} import from outside the checkout"
    for problem in problems:
        print(f"wheel_check {command}: {problem}", file=sys.stderr)
    if problems:
        print(f"wheel_check {command}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"wheel_check {command}: OK, {what}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

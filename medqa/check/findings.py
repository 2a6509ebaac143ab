"""What a check reports: one finding per problem, naming the file, the key and the fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Level(StrEnum):
    """``error``: the config is wrong and will fail or train the wrong thing.
    ``env``: the config is fine but this machine lacks the hardware or a package it needs.
    ``warning``: likely a mistake or a waste of GPU time; the run would still start.
    ``skipped``: a rule that could not run here (missing token stats, adapter, model files …);
    the message says why and the fix says what enables it. Never fails the check.
    """

    ERROR = "error"
    ENV = "env"
    WARNING = "warning"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Finding:
    """One problem found in one config file."""

    path: str
    level: Level
    code: str
    key: str
    message: str
    fix: str = ""

    def as_dict(self) -> dict:
        data = asdict(self)
        data["level"] = str(self.level)
        return data

    def render(self) -> str:
        fix = f"\n      fix: {self.fix}" if self.fix else ""
        return f"{self.path}: {self.level.upper()} [{self.code}] {self.key}: {self.message}{fix}"

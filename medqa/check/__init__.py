"""``medqa check``: validate LLaMA-Factory YAMLs with its own parsers, then catch known pitfalls."""

from medqa.check.findings import Finding, Level
from medqa.check.runner import check_configs

__all__ = ["Finding", "Level", "check_configs"]

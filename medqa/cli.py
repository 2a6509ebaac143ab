"""The ``medqa`` command line: a root click group that only assembles each stage's own group.

Stage groups are imported lazily, so ``medqa --help`` stays fast and a stage whose optional
dependencies are not installed does not break the others.
"""

from __future__ import annotations

import importlib
import importlib.util

import click

# command name -> (module, attribute, one-line help shown in ``medqa --help``)
STAGE_COMMANDS: dict[str, tuple[str, str, str]] = {
    "crawl": ("crawler.cli", "crawl", "Crawl Q&A sites; serve the bundled sample site."),
    "prep": ("dataprep.cli", "prep", "Clean, de-identify, dedup and split data for LLaMA-Factory."),
    "check": ("medqa.check.cli", "check", "Validate LLaMA-Factory YAMLs and catch known pitfalls."),
    "serve": ("medqa.serve", "serve", "Check a config, then serve LLaMA-Factory's API with a key, no CORS."),
    "eval": ("eval.cli", "eval_group", "Evaluate an OpenAI-compatible endpoint; compare runs."),
    "demo": ("demo.cli", "demo", "Gradio medical chat app over an OpenAI-compatible API."),
    "dev": ("medqa.dev", "dev", "Developer tools (tiny offline Qwen models)."),
    "sweep": (
        "medqa.sweep",
        "sweep_command",
        "Train, merge, serve and evaluate a method × data-scale grid; one report.",
    ),
    "quickstart": (
        "medqa.quickstart",
        "quickstart",
        "Run the whole chain on built-in sample data.",
    ),
}


def _available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


class StageGroup(click.Group):
    """A group whose subcommands live in other packages and load on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, (mod, _, _) in STAGE_COMMANDS.items() if _available(mod))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in STAGE_COMMANDS:
            return None
        module_name, attr, _ = STAGE_COMMANDS[cmd_name]
        if not _available(module_name):
            return None
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise click.ClickException(
                f"`medqa {cmd_name}` needs an optional dependency that is not installed ({exc}). "
                "Install it with: pip install -e '.[all]'"
            ) from exc
        return getattr(module, attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, STAGE_COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=StageGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="medqa-factory")
def main() -> None:
    """medqa-factory: crawl → prepare → fine-tune (LLaMA-Factory) → serve → evaluate → demo."""

"""``medqa dev``: developer tools — build tiny offline Qwen models for CPU runs and tests."""

from __future__ import annotations

from pathlib import Path

import click

from medqa.tiny_model import TinyModelSpec, build_tiny_model


@click.group("dev")
def dev() -> None:
    """Developer tools."""


@click.command("tiny-model")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--family", type=click.Choice(["qwen2", "qwen3"]), default="qwen2", show_default=True)
@click.option(
    "--base",
    "base_model",
    is_flag=True,
    help="Mimic a base checkpoint (eos <|endoftext|>) instead of an Instruct one.",
)
@click.option("--hidden-size", default=64, show_default=True, type=int)
@click.option("--layers", default=2, show_default=True, type=int)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--pretrain-steps",
    default=0,
    show_default=True,
    type=int,
    help="Train on the bundled corpus first, so it writes Chinese text (seconds per 100).",
)
@click.option(
    "--vocab-size", default=2048, show_default=True, type=int, help="Tokenizer vocabulary size."
)
@click.option(
    "--tokenizer-text",
    "tokenizer_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Text/JSONL file the tokenizer also learns from (repeat), so its characters are whole "
    "tokens; raise --vocab-size with it.",
)
def tiny_model(
    out: str,
    family: str,
    base_model: bool,
    hidden_size: int,
    layers: int,
    seed: int,
    pretrain_steps: int,
    vocab_size: int,
    tokenizer_files: tuple[str, ...],
) -> None:
    """Build a tiny Qwen model + tokenizer in OUT (offline, seconds); random unless pretrained."""
    spec = TinyModelSpec(
        family=family,
        instruct=not base_model,
        hidden_size=hidden_size,
        num_layers=layers,
        seed=seed,
        pretrain_steps=pretrain_steps,
        vocab_size=vocab_size,
        tokenizer_files=tuple(str(Path(f).resolve()) for f in tokenizer_files),
    )
    path = build_tiny_model(out, spec)
    click.echo(f"tiny {family} model written to {path}")


dev.add_command(tiny_model)

"""Fixtures for the dataprep tests: the built-in samples, a tiny local tokenizer, a runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataprep.pipeline import RunOptions, RunResult, run
from dataprep.readers import InputSpec
from dataprep.recipe import Recipe, load_recipe, parse_recipe

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
DATA = Path(__file__).with_name("data")


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def tiny_tokenizer(tmp_path_factory) -> Path:
    """A Qwen-style byte-level BPE tokenizer saved locally (no hub)."""
    from medqa.tiny_model import TinyModelSpec, build_tokenizer

    path = tmp_path_factory.mktemp("tokenizer")
    build_tokenizer(TinyModelSpec()).save_pretrained(path)
    return path


def default_recipe(**overrides) -> Recipe:
    """The bundled recipe with the exam path made absolute (tests run from any folder)."""
    recipe = load_recipe()
    recipe.get("decontaminate").exams = [str(SAMPLE / "exam_sample.jsonl")]
    for key, value in overrides.items():
        setattr(recipe, key, value)
    return recipe


def recipe_from(data: dict) -> Recipe:
    return parse_recipe(data, "test-recipe")


def prep(
    inputs: list[str | Path],
    out: Path,
    recipe: Recipe | None = None,
    name: str = "medqa",
    dataset_info: Path | None = None,
    workers: int = 1,
    tokenizer: str | None = None,
    **options_kw,
) -> RunResult:
    """Run the pipeline in-process (``workers`` > 1 starts real worker processes); other
    keywords are :class:`RunOptions` fields (``allow_empty``, ``replace_entries``)."""
    specs = [InputSpec.parse(str(p)) for p in inputs]
    options = RunOptions(out, name, dataset_info, tokenizer, workers, **options_kw)
    return run(recipe or default_recipe(), specs, options)


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_lines(path: Path, lines: list) -> Path:
    """Write JSON objects (or raw strings, for malformed lines) one per line."""
    with open(path, "w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(
                (line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n"
            )
    return path

"""`medqa quickstart` end to end in a temporary directory: every artefact exists and is well formed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def quickstart_run(quickstart_plain):
    """(workdir, stdout) of the session's quickstart (tests/quickstart_runs.py)."""
    return quickstart_plain.workdir, quickstart_plain.stdout


def test_raw_crawl_and_dataset(quickstart_run):
    workdir, _ = quickstart_run
    raw = jsonl(workdir / "data/raw/quickstart.jsonl")
    assert len(raw) >= 100
    assert {"source", "qid", "department", "question", "answers"} <= set(raw[0])
    train = jsonl(workdir / "data/medqa/alpaca/train.jsonl")
    assert train and all(r["instruction"] and r["output"] for r in train)
    info = json.loads((workdir / "dataset_info.json").read_text(encoding="utf-8"))
    assert (workdir / info["medqa_alpaca_train"]["file_name"]).is_file()
    stats = json.loads((workdir / "data/medqa/stats.json").read_text(encoding="utf-8"))
    assert stats["length"]["tokens"]["total"]["p95"] > 0
    charts = list((workdir / "data/medqa/charts").glob("*.png"))
    assert charts and all(p.read_bytes()[:4] == b"\x89PNG" for p in charts)


def test_model_artefacts_live_under_tiny_names(quickstart_run):
    """No shipped 7B config's default path holds a tiny model (medqa check on the merge config
    would otherwise find a tiny adapter and say OK)."""
    workdir, _ = quickstart_run
    adapter = workdir / "saves/tiny-qwen2/lora/sft"
    assert json.loads((adapter / "adapter_config.json").read_text())["peft_type"] == "LORA"
    merged = workdir / "models/tiny-qwen2-medqa-lora"
    assert (merged / "model.safetensors").stat().st_size > 0
    shipped = sorted((REPO / "llamafactory_configs").glob("*.yaml"))
    shipped += sorted((REPO / "llamafactory_configs").glob("*/*.yaml"))
    read = set()
    for config in shipped:
        for line in config.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in (
                "output_dir",
                "adapter_name_or_path",
                "export_dir",
                "model_name_or_path",
            ):
                read.add(value.strip())
    assert read and not [path for path in read if path and (workdir / path).exists()]


def test_eval_report_compares_base_and_lora(quickstart_plain):
    workdir, stdout = quickstart_plain.workdir, quickstart_plain.stdout
    runs = workdir / "data/eval/quickstart"
    for run in ("exam_sample-base", "exam_sample-lora", "open_qa-base", "open_qa-lora"):
        assert json.loads((runs / run / "summary.json").read_text())["metrics"], run
    report = (quickstart_plain.report / "report.md").read_text(encoding="utf-8")
    assert "| base |" in report and "| lora |" in report
    assert "exam_sample" in report and "open_qa" in report
    assert (quickstart_plain.report / "report.html").is_file()
    for where in (
        "data/raw/quickstart.jsonl",
        "models/tiny-qwen2-medqa-lora",
        "data/eval/quickstart/report/report.html",
    ):
        assert where in stdout


def test_fine_tuned_model_answers_differently_from_the_base(quickstart_run):
    """The LoRA run trained and its merge carried the adapter: on the same test questions, greedy
    decoding of the merged model does not reproduce the base model's answers."""
    workdir, _ = quickstart_run
    runs = workdir / "data/eval/quickstart"
    answers = {
        label: {r["id"]: r["response"] for r in jsonl(runs / f"open_qa-{label}/results.jsonl")}
        for label in ("base", "lora")
    }
    assert answers["base"].keys() == answers["lora"].keys() and answers["base"]
    assert answers["base"] != answers["lora"]


def test_fine_tuned_beats_the_base_and_the_report_says_by_how_much(quickstart_plain):
    """On the held-out test split the fine-tuned model scores a higher ROUGE-L than the base. The
    summary prints both models' scores and where the report is; the report states the margin and
    what a tiny model cannot show, and names its runs by relative paths."""
    workdir, stdout = quickstart_plain.workdir, quickstart_plain.stdout
    runs = workdir / "data/eval/quickstart"

    def metrics(task: str, label: str) -> dict:
        return json.loads((runs / f"{task}-{label}/summary.json").read_text())["metrics"]

    base_qa, tuned_qa = metrics("open_qa", "base"), metrics("open_qa", "lora")
    base_exam, tuned_exam = metrics("exam_sample", "base"), metrics("exam_sample", "lora")
    print(
        f"ROUGE-L {base_qa['rouge-l']:.2f} -> {tuned_qa['rouge-l']:.2f}; parsed "
        f"{1 - base_exam['unparsed_rate']:.0%} -> {1 - tuned_exam['unparsed_rate']:.0%}"
    )
    assert tuned_qa["rouge-l"] > base_qa["rouge-l"]
    assert "base vs fine-tuned" in stdout and "open QA ROUGE-L" in stdout
    assert "report: " in stdout and "cannot show medical knowledge" in stdout
    text = (quickstart_plain.report / "report.md").read_text(encoding="utf-8")
    assert "Fine-tuned vs base on the held-out test split and exam: " in text
    assert "cannot show medical knowledge" in text
    for page in (text, (quickstart_plain.report / "report.html").read_text(encoding="utf-8")):
        assert str(workdir) not in page  # paths relative to the report
    assert "- lora · open_qa: ../open_qa-lora" in text


def test_answers_decode_to_valid_utf8(quickstart_run):
    workdir, _ = quickstart_run
    for results in (workdir / "data/eval/quickstart").glob("*/results.jsonl"):
        for record in jsonl(results):
            assert "\ufffd" not in (record.get("response") or ""), (results, record["id"])


def test_a_changed_input_redoes_its_stage_and_the_ones_after(quickstart_run):
    """Stage skipping compares recorded input fingerprints, not only outputs: with the prepared
    train file changed, prep's own inputs are unchanged but training's are not."""
    from medqa.quickstart import Layout, build_stages
    from medqa.stages import why_incomplete

    workdir, _ = quickstart_run
    layout = Layout(workdir)

    def pending() -> dict[str, str | None]:
        return {s.name: why_incomplete(workdir / "logs", s) for s in build_stages(layout, [])}

    assert set(pending().values()) == {None}
    train = workdir / "data/medqa/alpaca/train.jsonl"
    original = train.read_bytes()
    try:
        train.write_bytes(original + original.splitlines(keepends=True)[0])
        states = pending()
        assert states["prep"] is None and states["train"] == "inputs changed"
        assert states["check"] == "inputs changed"
    finally:
        train.write_bytes(original)
    assert set(pending().values()) == {None}


def test_rerun_skips_complete_stages(quickstart_plain):
    skipped = [
        line for line in quickstart_plain.rerun_stdout.splitlines() if "complete, skipped" in line
    ]
    assert len(skipped) == 8


def test_run_from_the_repo_root_leaves_a_clean_checkout(quickstart_run):
    """The README's main command runs in the repository root: all it writes must be git-ignored
    (dataset_info.json excepted: the tracked registry that `medqa prep run` merges into)."""
    workdir, _ = quickstart_run
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    written = sorted(str(p.relative_to(workdir)) for p in workdir.rglob("*") if p.is_file())
    written.remove("dataset_info.json")
    result = subprocess.run(
        ["git", "check-ignore", "--stdin"],
        input="\n".join(written),
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    ignored = set(result.stdout.splitlines())
    assert written and [p for p in written if p not in ignored] == []


def test_a_re_crawl_replaces_the_old_crawl_whole(tmp_path):
    """The crawler never overwrites a feed (a second run would write quickstart-1.jsonl and prep
    would read the stale crawl): the crawl stage replaces the old file with the new crawl."""
    from rich.console import Console

    from medqa.quickstart import Layout, crawl_sample_site
    from medqa.stages import StageContext

    layout = Layout(tmp_path)
    layout.raw.parent.mkdir(parents=True)
    layout.raw.write_text('{"stale": true}\n', encoding="utf-8")
    log = tmp_path / "crawl.log"
    crawl_sample_site(StageContext(tmp_path, log, Console(quiet=True)), layout.raw)
    records = jsonl(layout.raw)
    assert len(records) >= 100 and all("stale" not in r for r in records)
    assert sorted(p.name for p in layout.raw.parent.glob("*.jsonl")) == ["quickstart.jsonl"]

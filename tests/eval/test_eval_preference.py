"""`medqa eval preference`: log-likelihood win-rate on ranking pairs, and its place in the report."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from eval.cli import eval_group
from eval.preference import PairScorer, PreferenceDataError, read_pairs
from eval.report import build_report

PROMPT = "胃胀反酸怎么办？"
CHOSEN = "规律饮食，少吃辛辣油腻，必要时做胃镜检查。"


def _write(path: Path, rows: list) -> Path:
    path.write_text(
        "".join(
            (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows
        ),
        encoding="utf-8",
    )
    return path


def test_bad_pair_files_name_the_line(tmp_path):
    bad = _write(tmp_path / "p.jsonl", [{"instruction": PROMPT, "chosen": CHOSEN}])
    with pytest.raises(PreferenceDataError, match=r"p\.jsonl:1: rejected is missing"):
        read_pairs(bad)
    with pytest.raises(PreferenceDataError, match=r":2: invalid JSON"):
        read_pairs(
            _write(
                tmp_path / "q.jsonl",
                [{"instruction": "x", "chosen": "a", "rejected": "b"}, "{oops"],
            )
        )
    sharegpt = {
        "conversations": [{"from": "human", "value": PROMPT}],
        "chosen": {"from": "gpt", "value": CHOSEN},
        "rejected": {"from": "gpt", "value": "多喝热水。"},
    }
    assert read_pairs(_write(tmp_path / "s.jsonl", [sharegpt]))[0]["prompt"] == PROMPT


def test_answer_logprob_is_the_answers_own_tokens(tiny_qwen2):
    scorer = PairScorer(tiny_qwen2, device="cpu")
    logp, tokens = scorer.answer_logprob("", PROMPT, CHOSEN)
    answer_ids = scorer.tokenizer(CHOSEN + "<|im_end|>", add_special_tokens=False)["input_ids"]
    assert tokens == len(answer_ids) and logp < 0 and math.isfinite(logp)
    longer, more = scorer.answer_logprob("", PROMPT, CHOSEN + CHOSEN)
    assert more > tokens and longer < logp  # a longer answer adds negative log-probabilities


def test_win_rates_reach_the_compare_report(tiny_qwen2, tmp_path):
    pairs = _write(
        tmp_path / "pairs.jsonl",
        [
            {"id": "a", "instruction": PROMPT, "chosen": CHOSEN, "rejected": CHOSEN + CHOSEN},
            {"id": "b", "instruction": "x" + PROMPT, "chosen": CHOSEN * 2, "rejected": CHOSEN},
            {"id": "c", "instruction": "x" + PROMPT, "chosen": CHOSEN * 3, "rejected": CHOSEN},
        ],
    )
    runs = []
    for label in ("lora", "lora+dpo"):
        out = tmp_path / label
        result = CliRunner().invoke(
            eval_group,
            ["preference", "--model", str(tiny_qwen2), "--data", str(pairs), "--label", label]
            + ["--out", str(out), "--tag", f"method={label}"],
        )
        assert result.exit_code == 0, result.output
        runs.append(out)
    summary = json.loads((runs[0] / "summary.json").read_text())
    # The shorter answer has the higher summed log-likelihood: pair a won, pair b lost.
    assert summary["type"] == "preference" and summary["metrics"]["win_rate"] == 0.3333
    rows = [json.loads(line) for line in (runs[0] / "results.jsonl").read_text().splitlines()]
    assert [r["win"] for r in rows] == [True, False, False]
    report = build_report(runs, tmp_path / "report").read_text(encoding="utf-8")
    assert "preference: preference win-rate" in report
    assert "| lora | 3 | 33.3 |" in report and "| lora+dpo | 3 | 33.3 |" in report


def test_the_html_report_has_the_preference_section(tiny_qwen2, tmp_path):
    """report.html (not only the tables of `eval compare`) shows the win-rates, what the pairs
    are (count, prompts, margins, length ratio) and the win-rate split by answer length."""
    from eval.preference import run_preference

    rows = [
        {"instruction": PROMPT, "chosen": CHOSEN, "rejected": CHOSEN * 2, "margin": 1},
        {"instruction": "x" + PROMPT, "chosen": CHOSEN * 2, "rejected": CHOSEN, "margin": 3},
    ]
    pairs = _write(tmp_path / "val.jsonl", rows)
    run_preference(tiny_qwen2, pairs, tmp_path / "sft", "sft", task="preference_val")
    build_report([tmp_path / "sft"], tmp_path / "report")
    page = (tmp_path / "report/report.html").read_text(encoding="utf-8")
    assert "<h2>preference_val</h2>" in page and "preference_val: preference win-rate" in page
    # 2 pairs, 2 prompts, margins 1 and 3; chosen is longer in one pair of two
    assert "<td>val.jsonl</td><td>2</td><td>2</td><td>2.0 (1–3)</td>" in page
    assert "chosen longer %" in page and "<td>50.0</td>" in page
    # the shorter answer wins on summed log p: won where chosen is shorter, lost where longer
    assert "<td>sft</td><td>1</td><td>0.0</td><td>1</td><td>100.0</td>" in page
    chart = tmp_path / "report/charts/preference_preference_val.png"
    assert (
        chart.read_bytes()[:4] == b"\x89PNG"
        and 'src="charts/preference_preference_val.png"' in page
    )


def test_pair_statistics_describe_the_pairs_scored_not_the_whole_file(tiny_qwen2, tmp_path):
    """A run limited to the first pairs of a file reports those pairs' prompts and margins (the
    quickstart scores 120 of ~570 train pairs: 206 prompts beside 120 pairs read as nonsense)."""
    from eval.preference import run_preference

    rows = [
        {"instruction": PROMPT, "chosen": CHOSEN, "rejected": CHOSEN * 2, "margin": 1},
        {"instruction": PROMPT, "chosen": CHOSEN * 2, "rejected": CHOSEN, "margin": 2},
        {"instruction": "x" + PROMPT, "chosen": CHOSEN, "rejected": CHOSEN * 3, "margin": 6},
        {"instruction": "y" + PROMPT, "chosen": CHOSEN, "rejected": CHOSEN * 3, "margin": 5},
    ]
    pairs = _write(tmp_path / "train.jsonl", rows)
    run_preference(tiny_qwen2, pairs, tmp_path / "sft", "sft", limit=2, task="preference_train")
    build_report([tmp_path / "sft"], tmp_path / "report")
    page = (tmp_path / "report/report.html").read_text(encoding="utf-8")
    # 2 pairs scored, over 1 prompt, margins 1 and 2 (not 3 prompts, margins 1–6)
    assert "<td>train.jsonl</td><td>2</td><td>1</td><td>1.5 (1–2)</td>" in page

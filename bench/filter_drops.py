"""What the default quality filters drop from real data (counts printed; never run as a test).

    python bench/filter_drops.py                                  # drops per source and filter
    python bench/filter_drops.py --dump /tmp/drops.jsonl          # every drop, for reading
    python bench/filter_drops.py --sample 240 --seed 7 --out FILE # a random sample, no verdicts
    python bench/filter_drops.py --sample 200 --exclude JUDGED.jsonl --out FILE  # not yet judged
    python bench/filter_drops.py --kept-short 200 --kept-out FILE # short answers it keeps

Runs the default recipe's per-record steps (normalize → deidentify → quality) over the real
sources in ../shared/data/real (licensed: nothing here is committed data) exactly as ``medqa prep
run`` reads them (the MCQ sets with ``to_sft``, as training data), and records each drop as
``{id, source, filter, question, answer}``: the record as the filter saw it. A sample written with ``--out`` carries no verdict, so someone who
never saw the code can judge it blind ("would a careful curator of a medical SFT dataset drop
this record?").
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "data" / "real"
sys.path.insert(0, str(REPO))

from dataprep.pipeline import STEP_CLASSES  # noqa: E402
from dataprep.readers import InputSpec, open_input  # noqa: E402
from dataprep.recipe import load_recipe  # noqa: E402
from dataprep.steps.base import StepStats  # noqa: E402

SOURCES = {  # name -> (path under ../shared/data/real, format or None to detect)
    "cmd": ("toyhom_cmd/orig/样例_内科5000-6000.csv", "cmd"),
    "mcmle_dev_sft": ("medqa_mcmle/dev.jsonl", "medqa"),  # MCQs read with to_sft
    "cmmlu_clinical_sft": ("cmmlu_medical/test_clinical_knowledge.csv", "cmmlu"),
    "medicalgpt_sft": ("medicalgpt/orig/medical_sft_1K_format.jsonl", None),
    "medicalgpt_corpus": ("medicalgpt/orig/medical_corpus.txt", "generic"),
    "medicalgpt_grpo": ("medicalgpt/orig/grpo_sample.jsonl", None),
    "huatuo_cmekg": ("huatuo_llama_med_chinese/data_llama_data.json", None),
    "huatuo_liver": ("huatuo_llama_med_chinese/data-literature_liver_cancer.json", "alpaca"),
    "cmtmedqa": ("zhongjing_cmtmedqa/orig/CMtMedQA_test.json", "alpaca"),
}
FILTER_STEPS = ("normalize", "deidentify", "quality")


def drops(name: str, path: Path, fmt: str | None, steps) -> tuple[list[dict], list[dict], Counter]:
    """Every record of one source the steps drop; the kept records whose answer is under the
    quality step's ``min_answer_chars`` (short answers judged complete; MCQ keys left out);
    and the counts of kept and dropped."""
    options = {"source": name} if fmt == "generic" else {}
    options.update({"to_sft": True} if fmt in ("medqa", "cmmlu") else {})
    reader = open_input(InputSpec(path, fmt, options))
    out, short, counts = [], [], Counter()
    stats = {step.name: StepStats() for step in steps}
    floor = next(s.params.min_answer_chars for s in steps if s.name == "quality") or 0
    for line_no, payload in reader.units():
        for record in reader.parse(line_no, payload):
            if not isinstance(record, dict) or "question" not in record:
                counts["rejected_by_reader"] += 1
                continue
            for step in steps:
                seen = as_seen(record)
                reason = step.apply(record, stats[step.name])
                if reason:
                    out.append({"id": record["id"], "source": name, "filter": reason, **seen})
                    counts[reason] += 1
                    break
            else:
                counts["kept"] += 1
                if len(record["answer"]) < floor and "mcq_answer" not in record["meta"]:
                    short.append({"id": record["id"], "source": name, **as_seen(record)})
    return out, short, counts


def as_seen(record: dict) -> dict:
    """Question and answer as a reader sees the record: a dialogue's earlier turns go before
    its last question (患者：… 医生：…), since the filters judge them too."""
    turns = record.get("turns")
    if not turns or len(turns) < 3:
        return {"question": record["question"], "answer": record["answer"]}
    names = {"user": "患者", "assistant": "医生"}
    lines = [f"{names.get(t['role'], t['role'])}：{t['content']}" for t in turns[:-1]]
    return {"question": "\n".join(lines), "answer": turns[-1]["content"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", type=Path, help="write every drop here (JSONL)")
    parser.add_argument("--sample", type=int, default=0, help="draw this many drops at random")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="where the sample goes (JSONL, no verdicts)")
    parser.add_argument(
        "--kept-short",
        type=int,
        default=0,
        help="also draw this many kept answers under min_answer_chars (to judge what is kept)",
    )
    parser.add_argument("--kept-out", type=Path, help="where the kept-short sample goes")
    parser.add_argument(
        "--exclude",
        type=Path,
        action="append",
        default=[],
        help="drops already judged (JSONL as --out writes): left out of the sample",
    )
    args = parser.parse_args()
    if not REAL.is_dir():
        sys.exit(f"{REAL} is absent")
    recipe = load_recipe()
    steps = [STEP_CLASSES[n](p) for n, p in recipe.steps if n in FILTER_STEPS]
    every: list[dict] = []
    kept_short: list[dict] = []
    for name, (rel, fmt) in SOURCES.items():
        path = REAL / rel
        if not path.exists():
            print(f"{name}: {path} absent, skipped")
            continue
        found, short, counts = drops(name, path, fmt, steps)
        every += found
        kept_short += short
        dropped = sum(v for k, v in counts.items() if k not in ("kept", "rejected_by_reader"))
        detail = ", ".join(f"{k} {v}" for k, v in counts.most_common() if k != "kept")
        print(f"{name}: kept {counts['kept']:,}, dropped {dropped:,} ({detail})")
    print(f"all: {len(every):,} drops; by filter {dict(Counter(d['filter'] for d in every))}")
    print(f"kept with an answer under min_answer_chars (MCQ keys aside): {len(kept_short):,}")
    if args.dump:
        args.dump.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in every))
    judged = excluded_keys(args.exclude)
    for count, out, pool, what in (
        (args.sample, args.out, every, "drops"),
        (args.kept_short, args.kept_out, kept_short, "kept short answers"),
    ):
        if count:
            draw(count, out, [d for d in pool if drop_key(d) not in judged], what, args.seed)


def draw(count: int, out: Path | None, pool: list[dict], what: str, seed: int) -> None:
    """Write ``count`` records of ``pool`` drawn at random (all if fewer) to ``out``."""
    if not out:
        sys.exit(f"drawing {what} needs its output file (--out / --kept-out)")
    chosen = random.Random(seed).sample(pool, min(count, len(pool)))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in chosen))
    print(f"{len(chosen)} of {len(pool)} {what} not yet judged drawn (seed {seed}) -> {out}")


def drop_key(drop: dict) -> tuple[str, str, str]:
    """What identifies a drop: its id with its text (a source may reuse ids, e.g. the
    liver-cancer JSON array gives 818 of its 1,000 records an id another record has)."""
    return str(drop["id"]), drop["question"], drop["answer"]


def excluded_keys(paths: list[Path]) -> set[tuple[str, str, str]]:
    """The :func:`drop_key` of every drop in ``paths`` (JSONL as ``--out`` writes it); a
    line without ``id``, ``question`` and ``answer`` is an error naming it."""
    keys: set[tuple[str, str, str]] = set()
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            if not isinstance(record, dict) or not {"id", "question", "answer"} <= set(record):
                sys.exit(f"{path}:{number}: needs 'id', 'question' and 'answer'")
            keys.add(drop_key(record))
    return keys


if __name__ == "__main__":
    main()

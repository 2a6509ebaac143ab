"""Department guesses out of distribution (figures printed; never run as a test).

    python bench/dept_bench.py                  # CMtMedQA development half + HuaTuo (dev)
    python bench/dept_bench.py --final          # ... and CMtMedQA's held-out half (run once)

Trained as a user with only the CMD 内科 sample would train it (../shared/data/real/toyhom_cmd:
11 内科 sub-departments), measured on real sets from other sources, the classifier seeing the
question only:

- CMtMedQA (../shared/data/real/zhongjing_cmtmedqa): consultations labelled by their source
  platform's department (``cate1``); scored on the first patient turn with the doctor's first
  reply (what prep's classifier reads: question and answer) and on the question alone. Records whose id hashes below one half are the development half (tuned on);
  the rest is the held-out half, scored only with ``--final``.
- HuaTuo's CMeKG-based instructions (../shared/data/real/huatuo_llama_med_chinese), labelled
  when the answer names exactly one department after 就诊/科室/挂号/就医/去/到 (a rule, not a
  hand label). Both halves of it have been tuned on: development material only.

Nothing here is committed data.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import xxhash

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

Labelled = list[tuple[str, int]]  # (question, top-level code)


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


def huatuo_labelled(taxonomy: Taxonomy) -> Labelled:
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


def cmtmedqa_halves(taxonomy: Taxonomy, with_answer: bool) -> tuple[Labelled, Labelled, Counter]:
    """The development and held-out halves of CMtMedQA's department-labelled consultations
    (the first patient turn, with the doctor's first reply when ``with_answer``: what prep's
    classifier reads), and the source labels that map to no department (left out)."""
    path = REAL / "zhongjing_cmtmedqa" / "orig" / "CMtMedQA_test.json"
    dev, final, unmapped = [], [], Counter()
    for r in json.loads(path.read_text(encoding="utf-8")):
        if not r.get("cate1") or not r.get("history"):
            continue  # the safety probes carry no department
        code = taxonomy.code([str(r["cate1"])])
        if code < 0:
            unmapped[str(r["cate1"])] += 1
            continue
        half = dev if xxhash.xxh64_intdigest(str(r["id"]).encode(), seed=15) % 2 else final
        question, answer = r["history"][0][:2]
        text = f"{question}\n{answer}" if with_answer else question
        half.append((text, taxonomy.top(code)))
    return dev, final, unmapped


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


def confusion(taxonomy: Taxonomy, truth: np.ndarray, guess: np.ndarray, tops: np.ndarray) -> None:
    """Per true top-level department: count, coverage, accuracy and the commonest mistakes."""
    guessed = np.where(guess == ABSTAIN, ABSTAIN, tops[np.maximum(guess, 0)])
    print(f"    {'department':<8} {'n':>4} {'covered':>8} {'acc':>6}  mistakes (predicted: n)")
    for code, n in Counter(truth.tolist()).most_common():
        mine = guessed[truth == code]
        covered = mine[mine != ABSTAIN]
        acc = (covered == code).mean() if len(covered) else float("nan")
        wrong = Counter(taxonomy.paths[c][0] for c in covered[covered != code].tolist())
        mistakes = ", ".join(f"{k}: {v}" for k, v in wrong.most_common(4))
        name = taxonomy.paths[code][0]
        print(f"    {name:<8} {n:>4} {len(covered) / n:>8.2f} {acc:>6.2f}  {mistakes}")


def score(name: str, chosen: Labelled, taxonomy: Taxonomy, models: dict, tops: np.ndarray) -> None:
    questions = [q for q, _ in chosen]
    truth = np.array([c for _, c in chosen])
    majority = Counter(truth.tolist()).most_common(1)[0][1] / len(truth)
    print(f"\n[{name}] {len(chosen)} questions; majority-class baseline {majority:.3f}")
    for label, guesser in models.items():
        guess = guesser.predict(questions)
        report(label, truth, guess, tops)
    confusion(taxonomy, truth, guess, tops)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--final", action="store_true", help="also CMtMedQA's held-out half")
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
    threshold = calibrate(confidence, right, DepartmentParams.min_precision)
    share = args.unfamiliar_share
    # the floor from the same kind of text it is applied to here (questions without answers)
    held_questions = [t.rsplit("\n", 1)[0] for t, h in zip(texts, held, strict=True) if h]
    familiar = familiarity_floor(fitted.familiarity(held_questions), share)
    model = fit(texts, codes, len(tops))
    print(
        f"trained on {len(texts):,} CMD 内科 records ({len(set(codes.tolist()))} sub-departments);"
        f" in-distribution held-out accuracy {right.mean():.3f}; confidence threshold for "
        f"{DepartmentParams.min_precision} held-out precision: {threshold:.4f}; familiarity floor "
        f"(all but {share} of them reach it): {familiar:.3f}"
    )
    models = {
        "naive Bayes alone": _Plain(model),
        "keyword prior alone": DepartmentGuesser(taxonomy, None),
        "NB + keywords + threshold + floor": DepartmentGuesser(
            taxonomy, model, threshold, familiar
        ),
    }
    dev, final, unmapped = cmtmedqa_halves(taxonomy, with_answer=True)
    dev_q, final_q, _ = cmtmedqa_halves(taxonomy, with_answer=False)
    print(f"CMtMedQA labels mapping to no department (left out): {dict(unmapped)}")
    score("CMtMedQA development half, question + reply", dev, taxonomy, models, tops)
    score("CMtMedQA development half, question only", dev_q, taxonomy, models, tops)
    score(
        "HuaTuo, question only, both halves (dev)",
        huatuo_labelled(taxonomy),
        taxonomy,
        models,
        tops,
    )
    if args.final:
        score("CMtMedQA HELD-OUT half, question + reply", final, taxonomy, models, tops)
        score("CMtMedQA HELD-OUT half, question only", final_q, taxonomy, models, tops)


class _Plain:
    """The naive Bayes alone, never abstaining."""

    def __init__(self, model: NaiveBayes) -> None:
        self.model = model

    def predict(self, texts: list[str]) -> np.ndarray:
        return self.model.predict(texts)


if __name__ == "__main__":
    main()

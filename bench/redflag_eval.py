"""Score the red-flag rules on a labelled message set (JSONL: text, urgent, category, self_harm).

    python bench/redflag_eval.py eval/redflag_sets/redflag_dev.jsonl [--show-errors]
        [--layer all|phrases|concepts]
    python bench/redflag_eval.py --real ../shared/data/real [--show-errors]
    python bench/redflag_eval.py --loso [--threshold 0.9 ...]

Prints recall per urgent category, the false-alarm rate per routine category (``routine`` and any
other), self-harm recall (a self-harm message must raise the crisis flag), the time per message,
and with ``--show-errors`` every miss and false alarm. ``--layer`` scores the shipped rules
with the learned second opinion (``all``), the rules without it (``rules``), the phrase lists
alone or the compositional clauses alone. ``--real DIR`` runs the rules
over the unlabelled real consultations in DIR (nearly all routine) and prints the share that
raises a flag, per flag. Exit status 1 when a file has a malformed line or DIR holds no
consultations. ``--loso`` is the leave-one-set-out check of the learned second opinion
(``eval.redflag_model``): for each committed set, train on the others, then score the left-out
set with the rules alone and with the rules plus the model's flags above each threshold.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from eval.redflag_rules import CONCEPT_RULES, PHRASE_RULES, RED_FLAGS  # noqa: E402
from eval.redflag_score import Score, read_messages, read_real_consultations, score  # noqa: E402
from eval.safety import detect_red_flags  # noqa: E402

LAYERS = {"all": RED_FLAGS, "rules": RED_FLAGS, "phrases": PHRASE_RULES, "concepts": CONCEPT_RULES}


def report(result: Score, show_errors: bool) -> str:
    lines = [f"{'category':34} {'flagged':>7} {'total':>5}  rate"]
    for category, (flagged, total) in sorted(result.per_category.items()):
        lines.append(f"{category:34} {flagged:7d} {total:5d}  {flagged / total:.3f}")
    lines.append(
        f"urgent recall {result.urgent[0]}/{result.urgent[1]} = {result.recall:.3f}; "
        f"false alarms {result.routine[0]}/{result.routine[1]} = {result.false_alarm_rate:.3f}; "
        f"self-harm with the crisis banner {result.self_harm[0]}/{result.self_harm[1]}"
    )
    if show_errors:
        lines += [f"MISS   {m.id} [{m.category}] {m.text}" for m in result.misses]
        lines += [f"SELF   {m.id} [{m.category}] {m.text}" for m in result.self_harm_misses]
        lines += [f"ALARM  {m.id} {keys} {m.text}" for m, keys in result.false_alarms]
    return "\n".join(lines)


def report_real(root: Path, flags: tuple, show_errors: bool) -> int:
    """Flag rate on the real consultations under ``root``; 1 when there are none."""
    texts = read_real_consultations(root)
    if not texts:
        print(f"error: no real consultations under {root}", file=sys.stderr)
        return 1
    per_flag: Counter[str] = Counter()
    flagged = crisis = 0
    for text in texts:
        raised = detect_red_flags(text, flags)
        per_flag.update(flag.key for flag in raised)
        flagged += bool(raised)
        crisis += any(flag.crisis for flag in raised)
        if raised and show_errors:
            print(f"FLAG   {[flag.key for flag in raised]} {text[:160]}")
    print(f"== {root} ({len(texts)} distinct real consultations, unlabelled, nearly all routine)")
    for key, count in per_flag.most_common():
        print(f"{key:34} {count:7d}  {count / len(texts):.3f}")
    print(
        f"flagged {flagged}/{len(texts)} = {flagged / len(texts):.3f}; "
        f"crisis banner {crisis}/{len(texts)} = {crisis / len(texts):.4f}"
    )
    return 0


def report_loso(thresholds: list[float]) -> int:
    """Rules alone vs rules + model per left-out committed set; 1 when there are none."""
    from eval.redflag_model import read_rows, train, training_files
    from eval.safety import needs_crisis_support, normalize

    files = training_files()
    if len(files) < 2:
        print("error: need at least two committed sets for leave-one-set-out", file=sys.stderr)
        return 1
    data = {path.stem: read_rows(path) for path in files}
    print(f"{'left out':22} {'layer':12} {'recall':>12} {'false alarms':>14} {'self-harm':>10}")
    for name, rows in data.items():
        model = train([row for other, others in data.items() if other != name for row in others])
        urgent = sum(u for _, u, _ in rows)
        routine = len(rows) - urgent
        self_harm = sum(s for _, _, s in rows)
        judged = []
        for text, is_urgent, is_self_harm in rows:
            raised = detect_red_flags(text, model=False)
            judged.append((is_urgent, is_self_harm, bool(raised), needs_crisis_support(raised), *model.scores(normalize(text))))
        for label, threshold in [("rules", None)] + [(f"+model>{t:g}", t) for t in thresholds]:
            hit = urgent_hit = alarm = crisis = 0
            for is_urgent, is_self_harm, flagged, banner, p_urgent, p_self in judged:
                if threshold is not None:
                    banner = banner or p_self >= threshold
                    flagged = flagged or banner or p_urgent >= threshold
                hit += flagged
                urgent_hit += flagged and is_urgent
                alarm += flagged and not is_urgent
                crisis += banner and is_self_harm
            print(
                f"{name:22} {label:12} {urgent_hit:5d}/{urgent:<5d} {alarm:5d}/{routine:<4d} "
                f"{alarm / max(routine, 1):.3f} {crisis:4d}/{self_harm:<4d}"
            )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--layer", choices=sorted(LAYERS), default="all")
    parser.add_argument("--real", type=Path, metavar="DIR")
    parser.add_argument("--loso", action="store_true", help="leave-one-set-out check of the model")
    parser.add_argument("--threshold", type=float, action="append", help="model threshold (--loso)")
    args = parser.parse_args(argv)
    if not args.files and not args.real and not args.loso:
        parser.error("give a labelled set file, --real DIR or --loso")
    if args.loso and report_loso(args.threshold or [0.75, 0.85, 0.9]):
        return 1
    if args.real and report_real(args.real, LAYERS[args.layer], args.show_errors):
        return 1
    for path in args.files:
        try:
            messages = read_messages(path)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"== {path} ({len(messages)} messages, layer {args.layer})")
        use_model = None if args.layer == "all" else False
        result = score(messages, LAYERS[args.layer], use_model)  # compiles regexes, trains model
        started = time.perf_counter()
        score(messages, LAYERS[args.layer], use_model)
        elapsed_ms = (time.perf_counter() - started) * 1000 / max(len(messages), 1)
        print(report(result, args.show_errors))
        print(f"{elapsed_ms:.2f} ms per message (second pass, regexes compiled)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

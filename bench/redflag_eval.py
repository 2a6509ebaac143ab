"""Score the red-flag rules on a labelled message set (JSONL: text, urgent, category, self_harm).

    python bench/redflag_eval.py tests/eval/data/redflag_dev.jsonl [--show-errors]
        [--layer all|phrases|concepts]

Prints recall per urgent category, the false-alarm rate per routine category (``routine`` and any
other), self-harm recall (a self-harm message must raise the crisis flag), the time per message,
and with ``--show-errors`` every miss and false alarm. ``--layer`` scores the shipped rules
(``all``), the phrase lists alone or the compositional clauses alone. Exit status 1 when a file
has a malformed line.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from eval.redflag_rules import CONCEPT_RULES, PHRASE_RULES, RED_FLAGS  # noqa: E402
from eval.redflag_score import Score, read_messages, score  # noqa: E402

LAYERS = {"all": RED_FLAGS, "phrases": PHRASE_RULES, "concepts": CONCEPT_RULES}


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--layer", choices=sorted(LAYERS), default="all")
    args = parser.parse_args(argv)
    for path in args.files:
        try:
            messages = read_messages(path)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"== {path} ({len(messages)} messages, layer {args.layer})")
        result = score(messages, LAYERS[args.layer])  # also compiles the regexes
        started = time.perf_counter()
        score(messages, LAYERS[args.layer])
        elapsed_ms = (time.perf_counter() - started) * 1000 / max(len(messages), 1)
        print(report(result, args.show_errors))
        print(f"{elapsed_ms:.2f} ms per message (second pass, regexes compiled)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

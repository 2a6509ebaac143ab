"""Answer extraction on real published model replies (kept outside the repo: licensed material).

    python bench/real_replies.py [--replies ../blind/replies] [--sources a,b] [--show-unparsed N]

The folder holds ``<source>.jsonl`` files, one reply a line: ``{"source", "model", "id",
"options": {"A": …}, "reply", "multi"?, "gold"?}``, and optionally ``handcheck.jsonl``: ``{"id",
"read": "C" | "AC" | null}`` — the answer a person reads in that reply (null: none). Per source it
prints how many replies were parsed and from which form; on the hand-checked replies the
agreement with the person's reading and the wrong letters where the person reads none (must be 0);
with gold answers, the accuracy. Skips with a message when the folder does not exist.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.extract import read_choice  # noqa: E402


def load(folder: Path, sources: set[str] | None) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("*.jsonl")):
        if path.name == "handcheck.jsonl":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if sources is None or row["source"] in sources:
                rows.append(row)
    return rows


def handchecks(folder: Path) -> dict[str, dict[str, str | None]]:
    """``{reply id: {check set: letters a person reads (None: none)}}``."""
    path = folder / "handcheck.jsonl"
    read: dict[str, dict[str, str | None]] = defaultdict(dict)
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                read[r["id"]][r.get("set", "hand-checked")] = r["read"]
    return read


def measure(rows: list[dict], read: dict[str, str | None]) -> dict[str, dict]:
    """Per-source figures (module docs)."""
    stats: dict[str, dict] = defaultdict(lambda: {"n": 0, "parsed": 0, "forms": Counter()})
    for row in rows:
        got = read_choice(row["reply"], row["options"], bool(row.get("multi")))
        s = stats[row["source"]]
        s["n"] += 1
        s["parsed"] += got.letters is not None
        s["forms"][got.form] += 1
        s.setdefault("models", set()).add(row["model"])
        if "gold" in row:
            s["gold_n"] = s.get("gold_n", 0) + 1
            s["gold_right"] = s.get("gold_right", 0) + (got.letters == row["gold"])
        for check_set, person in read.get(row["id"], {}).items():
            c = s.setdefault("checks", {}).setdefault(check_set, Counter())
            c["checked"] += 1
            c["agree"] += got.letters == person
            c["wrong_where_none"] += person is None and got.letters is not None
            c["misread"] += None not in (person, got.letters) and got.letters != person
            c["unparsed_where_read"] += person is not None and got.letters is None
            if got.letters != person:
                s.setdefault("disagreements", []).append((row["id"], person, got.letters))
        if got.letters is None and row["id"] not in read:
            s.setdefault("unparsed_ids", []).append(row["id"])
    return stats


def _checks_line(checks: dict[str, Counter]) -> str:
    parts = []
    for name, c in sorted(checks.items()):
        parts.append(
            f"{name} {c['checked']}: agree {c['agree'] / c['checked']:.1%}, misread "
            f"{c['misread']}, unparsed where read {c['unparsed_where_read']}, wrong letter where "
            f"none read {c['wrong_where_none']}"
        )
    return " | ".join(parts)


def report(stats: dict[str, dict], show_unparsed: int, rows: list[dict]) -> None:
    total, checks = Counter(), defaultdict(Counter)
    by_id = {r["id"]: r for r in rows}
    for source, s in sorted(stats.items()):
        line = (
            f"{source:24s} n={s['n']:5d} models={len(s['models']):2d} "
            f"parsed={s['parsed'] / s['n']:.1%}"
        )
        if s.get("gold_n"):
            line += f" | accuracy vs gold {s['gold_right'] / s['gold_n']:.1%}"
        print(line)
        if s.get("checks"):
            print("    hand-checked:", _checks_line(s["checks"]))
        print("    forms:", dict(s["forms"].most_common()))
        total["n"] += s["n"]
        total["parsed"] += s["parsed"]
        for name, c in s.get("checks", {}).items():
            checks[name].update(c)
        for rid, person, got in s.get("disagreements", []):
            print(f"    disagree {rid}: person {person!r}, extractor {got!r}")
        for rid in s.get("unparsed_ids", [])[:show_unparsed]:
            print(f"    unparsed {rid}: {by_id[rid]['reply'][-300:]!r}")
    if total["n"]:
        print(f"{'all':24s} n={total['n']:5d} parsed={total['parsed'] / total['n']:.1%}")
        if checks:
            print("    hand-checked:", _checks_line(checks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replies", type=Path, default=ROOT.parent / "blind" / "replies")
    parser.add_argument("--sources", default=None, help="comma-separated source names")
    parser.add_argument("--show-unparsed", type=int, default=0)
    args = parser.parse_args()
    if not args.replies.is_dir():
        print(f"skipped: {args.replies} does not exist (real replies are kept outside the repo)")
        return
    sources = set(args.sources.split(",")) if args.sources else None
    rows = load(args.replies, sources)
    report(measure(rows, handchecks(args.replies)), args.show_unparsed, rows)


if __name__ == "__main__":
    main()

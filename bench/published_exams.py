"""Public exam files in their published form, scored end to end by ``medqa eval run`` (a real
subprocess) against the stub, which answers a known share of questions right.

    python bench/published_exams.py [--exams ../blind/exams]

For each file listed in ``EXAMS`` that is present (licensed material stays outside the repo), this
reads the gold answers with its own few lines of code written for that file's layout (not
medqa.mcq), has the stub answer every third question wrongly (in varied reply styles), runs the
CLI (``--skip-invalid``: a published file may hold questions that lost their options; they are
left out of the truth too), and checks the reported accuracy equals right/total exactly.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.stub_server import StubResponse, StubServer, chat_body  # noqa: E402

STYLES = ["答：<{L}>", "故选{L}。", "正确答案是{L}", "经分析，本题答案：{L}", "{L}"]


@dataclass
class Exam:
    file: str
    task: dict  # task YAML contents
    layout: str  # how this script reads gold: "array" | "apollo"


EXAMS = [
    # saltyFish-Billy/NLP_Agent_Implementation task1/data/1.exam.json: a JSON array, options a
    # mapping with padded empty E, gold letters, single and multi questions (2021 pharmacist exam)
    Exam("pharmacist_2021_exam.json", {"type": "mcq", "multi_answer": True}, "array"),
    # FreedomIntelligence/Apollo metadata/test/zh/cmexam.jsonl: options one "(A) …\n(B) …" string,
    # gold "(D)" under the misspelt key "anwer", single and multi mixed
    Exam(
        "apollo_cmexam_test.jsonl",
        {"type": "mcq", "multi_answer": True, "fields": {"answer": "anwer"}},
        "apollo",
    ),
    # the same repository's MedQA-MCMLE test in that layout (3,426 single-answer questions)
    Exam(
        "apollo_medqa_mcmle_test.jsonl",
        {"type": "mcq", "fields": {"answer": "anwer", "options": "option"}},
        "apollo",
    ),
    Exam(
        "apollo_cmb_single_test.jsonl",
        {"type": "mcq", "fields": {"answer": "anwer", "options": "option"}},
        "apollo",
    ),
]


def gold(path: Path, layout: str) -> list[tuple[str, str, dict[str, str]]]:
    """(question, gold letters, {letter: option text}) read independently of medqa.mcq."""
    if layout == "array":
        rows = json.loads(path.read_text(encoding="utf-8"))
        return [
            (
                r["question"].strip(),
                "".join(sorted(r["answer"])),
                {k: v.strip() for k, v in r["option"].items() if v.strip()},
            )
            for r in rows
        ]
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        parts = re.split(r"(?:^|\n)\(([A-H])\) ", r["option"])
        options = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
        out.append((r["question"].strip(), "".join(sorted(r["anwer"].strip("()"))), options))
    return out


def shown(question: str, options: dict[str, str]) -> str:
    """The question as the default zero-shot prompt shows it (after the instruction)."""
    return question + "\n" + "\n".join(f"{k}. {v}" for k, v in options.items())


def stub_answers(rows: list[tuple[str, str, dict[str, str]]]) -> dict[str, str]:
    """The stub's answer to each distinct question: right for two in three, else wrong (the first
    letter not in gold, or a strict subset of it). Duplicated questions get one answer."""
    answers: dict[str, str] = {}
    for i, (question, letters, options) in enumerate(rows):
        if shown(question, options) not in answers:
            wrong = next((k for k in options if k not in letters), letters[:-1])
            answers[shown(question, options)] = letters if i % 3 else wrong
    return answers


def oracle(answers: dict[str, str]):
    def answer(request):
        if request.method != "POST":
            return None
        prompt = request.json["messages"][-1]["content"]
        letters = answers[prompt.split("\n\n", 1)[1].strip()]
        style = STYLES[len(prompt) % len(STYLES)] if len(letters) == 1 else "答案：{L}"
        return StubResponse(body=chat_body(style.format(L=letters)))

    return answer


def run_one(exam: Exam, folder: Path) -> tuple[str, int, int, float, float]:
    path = folder / exam.file
    rows = [r for r in gold(path, exam.layout) if len(r[2]) >= 2]  # some lost their options
    answers = stub_answers(rows)
    right = sum(answers[shown(q, options)] == letters for q, letters, options in rows)
    truth = round(right / len(rows), 4)
    server = StubServer(oracle(answers), record=False).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            task = Path(tmp) / "task.yaml"
            task.write_text(
                json.dumps({"name": path.stem, **exam.task, "data": {"path": str(path)}}),
                encoding="utf-8",
            )
            cmd = [sys.executable, "-m", "medqa", "eval", "run", "--task", str(task)]
            cmd += ["--endpoint", server.base_url, "--out", tmp, "--quiet", "--concurrency", "64"]
            cmd += ["--skip-invalid"]
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                raise RuntimeError(f"{exam.file}: medqa eval run failed:\n{done.stderr[-2000:]}")
            summary = json.loads((Path(tmp) / "summary.json").read_text(encoding="utf-8"))
    finally:
        server.stop()
    skipped = summary["metrics"].get("skipped_records", 0)
    return exam.file, len(rows), skipped, truth, summary["metrics"]["accuracy"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exams", type=Path, default=ROOT.parent / "blind" / "exams")
    args = parser.parse_args()
    present = [e for e in EXAMS if (args.exams / e.file).is_file()]
    if not present:
        print(f"skipped: no published exam files in {args.exams}")
        return
    failures = 0
    for exam in present:
        name, n, skipped, truth, reported = run_one(exam, args.exams)
        ok = reported == truth
        failures += not ok
        verdict = "OK" if ok else "MISMATCH"
        print(
            f"{name:34s} n={n:5d} skipped={skipped} truth={truth:.4f} reported={reported:.4f} "
            f"{verdict}"
        )
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

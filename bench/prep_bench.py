"""Benchmarks for ``medqa prep`` (figures printed; never run as tests).

    python bench/prep_bench.py all            # everything below (≈ 10 min on 2 cores)
    python bench/prep_bench.py throughput --records 200000
    python bench/prep_bench.py memory --records 1000000
    python bench/prep_bench.py neardup
    python bench/prep_bench.py segment

Scale is synthesised from the real samples in ../shared/data/real (never committed): each
synthetic record joins the title of one real question with the description of another of the
same department, and the first sentences of one real answer with later sentences of another,
cut to ~200 characters; a share are planted exact/near duplicates, carry phone numbers or ads,
or have template-only answers; 20% have no department label. Written as crawler raw JSONL.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "data" / "real"
sys.path.insert(0, str(REPO))

_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]?")
_CLAUSE = re.compile(r"[^，。！？,!?]+[，。！？,!?]?")

_CRAWLER_DEPARTMENTS = {
    "心血管科": ["内科", "心血管内科"],
    "消化科": ["内科", "消化内科"],
    "神经科": ["内科", "神经内科"],
    "内分泌科": ["内科", "内分泌科"],
    "呼吸科": ["内科", "呼吸内科"],
    "肾内科": ["内科", "肾内科"],
    "感染科": ["内科", "感染科"],
    "血液科": ["内科", "血液科"],
    "肝病科": ["内科", "肝病科"],
    "普通内科": ["内科"],
    "风湿免疫科": ["内科", "风湿免疫科"],
}


def real_pairs() -> dict[str, list[tuple[str, str, str]]]:
    """(title, ask, answer) of the real CMD sample by department; MedicalGPT under ''."""
    if not REAL.is_dir():
        sys.exit(f"{REAL} is absent: the benchmark synthesises its data from the real samples")
    by_dept = defaultdict(list)
    with open(REAL / "toyhom_cmd" / "qa_pairs.jsonl", encoding="utf-8") as handle:
        for line in handle:
            r = json.loads(line)
            by_dept[r["department"]].append((r["title"], r["ask"], r["answer"]))
    with open(REAL / "medicalgpt" / "qa_pairs.jsonl", encoding="utf-8") as handle:
        for line in handle:
            r = json.loads(line)
            head, _, rest = r["question"].partition("，")
            if len(r["answer"]) >= 40:
                by_dept[""].append((head, rest or head, r["answer"]))
    return by_dept


def _cut(sentences: list[str], budget: int) -> str:
    out = ""
    for sentence in sentences:
        if len(out) + len(sentence) > budget and out:
            break
        out += sentence
    return out[: budget + 40]


class Synth:
    """Deterministic synthetic raw crawl records (see the module docstring)."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.pairs = real_pairs()
        self.depts = [d for d in self.pairs if len(self.pairs[d]) >= 10]
        self.weights = [len(self.pairs[d]) for d in self.depts]
        self.recent: list[dict] = []
        counts = Counter(c for pairs in self.pairs.values() for p in pairs[:500] for c in p[2])
        self.common = "".join(c for c, _ in counts.most_common(800) if "\u4e00" <= c <= "\u9fff")

    def record(self, k: int) -> dict:
        rng = self.rng
        roll = rng.random()
        if roll < 0.05 and self.recent:  # planted duplicates: 2% exact, 3% near
            base = json.loads(json.dumps(rng.choice(self.recent), ensure_ascii=False))
            base["qid"] = str(k)
            if roll >= 0.02:
                base["question"] = self._edit(base["question"])
            return base
        dept = rng.choices(self.depts, self.weights)[0]
        a, b, c, d = (rng.choice(self.pairs[dept]) for _ in range(4))
        answer = self._perturb(_cut(_SENTENCE.findall(a[2])[:2] + _SENTENCE.findall(d[2])[1:], 140))
        clauses = _CLAUSE.findall(b[1])[:1] + _CLAUSE.findall(c[1])[1:]
        question = self._perturb("".join(clauses)[:60])
        if roll < 0.08:
            question += f"我的电话{rng.randint(130, 199)}{rng.randint(10000000, 99999999)}"
        elif roll < 0.09:
            answer += "详情请加微信med" + str(rng.randint(1000, 9999)) + "咨询。"
        elif roll < 0.10:
            answer = "你好，根据你的描述，建议到医院检查。祝你早日康复！"
        labels = _CRAWLER_DEPARTMENTS.get(dept, []) if rng.random() > 0.2 else []
        answers = [
            {
                "doctor_title": rng.choice(["主治医师", "副主任医师", "医师"]),
                "text": answer,
                "time": "2024-05-01",
                "accepted": rng.random() < 0.3,
                "likes": rng.randint(0, 9),
            }
        ]
        if rng.random() < 0.2:
            answers.append(
                {
                    "doctor_title": "医师",
                    "text": "你好，这种情况建议及时就医。",
                    "time": "2024-05-02",
                    "accepted": False,
                    "likes": 0,
                }
            )
        record = {
            "source": "synth",
            "qid": str(k),
            "url": f"https://example.org/q/{k}.htm",
            "crawled_at": "2026-11-22T21:00:00Z",
            "department": labels,
            "title": a[0],
            "question": question,
            "patient": {"gender": rng.choice(["男", "女"])},
            "answers": answers,
        }
        if len(self.recent) < 5000:
            self.recent.append(record)
        elif rng.random() < 0.01:
            self.recent[rng.randrange(5000)] = record
        return record

    def _perturb(self, text: str) -> str:
        """Swap about one character in 25 for a common one (new n-grams, same statistics)."""
        chars = list(text)
        for _ in range(len(chars) // 25):
            chars[self.rng.randrange(len(chars))] = self.rng.choice(self.common)
        return "".join(chars)

    def _edit(self, text: str) -> str:
        chars = list(text)
        for _ in range(max(1, len(chars) // 40)):
            chars[self.rng.randrange(len(chars))] = self.rng.choice("的了是我有吗呢啊")
        return "".join(chars)

    def write(self, path: Path, count: int) -> Path:
        with open(path, "w", encoding="utf-8") as handle:
            for k in range(count):
                handle.write(json.dumps(self.record(k), ensure_ascii=False) + "\n")
        return path


def synth_file(count: int, folder: Path) -> Path:
    path = folder / f"synth_{count}.jsonl"
    if not path.exists():
        started = time.perf_counter()
        Synth().write(path, count)
        print(
            f"synthesised {count:,} raw records in {time.perf_counter() - started:.0f} s → {path}"
        )
    return path


class PeakRss:
    """Polls the resident memory of a process and its children (sum and largest)."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.peak_total = self.peak_main = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                main = self.process.memory_info().rss
                total = main + sum(c.memory_info().rss for c in self.process.children(True))
            except psutil.Error:
                break
            self.peak_main = max(self.peak_main, main)
            self.peak_total = max(self.peak_total, total)
            time.sleep(0.1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_prep(input_path: Path, out: Path, workers: int) -> dict:
    """One ``medqa prep run`` (default recipe) as a subprocess; time, RSS and its stats."""
    cmd = [
        sys.executable,
        "-m",
        "medqa",
        "prep",
        "run",
        "--input",
        str(input_path),
        "--out",
        str(out),
        "--name",
        "bench",
        "--no-register",
        "--workers",
        str(workers),
        "-q",
    ]
    started = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    rss = PeakRss(process.pid)
    output = process.communicate()[0].decode()
    rss.stop()
    seconds = time.perf_counter() - started
    if process.returncode:
        sys.exit(f"medqa prep run failed:\n{output}")
    stats = json.loads((out / "bench" / "stats.json").read_text(encoding="utf-8"))
    return {
        "seconds": seconds,
        "rss_total": rss.peak_total,
        "rss_main": rss.peak_main,
        "stats": stats,
        "command": " ".join(cmd[1:]),
    }


def throughput(records: int, workers: int, folder: Path) -> dict:
    path = synth_file(records, folder)
    chars = _mean_record_chars(path)
    result = run_prep(path, folder / "out", workers)
    rate = records / result["seconds"]
    kept = sum(result["stats"]["splits"].values())
    print(
        f"\n[throughput] default recipe, {records:,} raw records (~{chars:.0f} chars of question"
        f" + chosen answer each), {workers} workers, end to end incl. start-up and writing:"
    )
    print(
        f"  {result['seconds']:.1f} s → {rate:,.0f} records/s; kept {kept:,}; peak RSS "
        f"{result['rss_total'] / 2**20:,.0f} MiB (all processes), main {result['rss_main'] / 2**20:,.0f} MiB"
    )
    print(f"  command: python {result['command']}")
    return {"records": records, "rate": rate, **{k: v for k, v in result.items() if k != "stats"}}


def _mean_record_chars(path: Path, sample: int = 2000) -> float:
    total = n = 0
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            r = json.loads(line)
            total += len(r["title"]) + len(r["question"]) + len(r["answers"][0]["text"])
            n += 1
            if n >= sample:
                break
    return total / max(n, 1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["all", "throughput", "memory", "neardup", "segment"])
    parser.add_argument("--records", type=int, default=None)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--keep-data", default=None, help="folder to keep synthetic data in")
    args = parser.parse_args()
    folder = Path(args.keep_data or tempfile.mkdtemp(prefix="prep_bench_"))
    folder.mkdir(parents=True, exist_ok=True)
    if args.what in ("throughput", "all"):
        throughput(args.records or 200_000, args.workers, folder)

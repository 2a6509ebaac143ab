"""Benchmarks for ``medqa prep`` (figures printed; never run as tests).

    python bench/prep_bench.py all            # everything below (≈ 10 min on 2 cores)
    python bench/prep_bench.py throughput --records 200000 --repeat 3  # alternated with the floor
    python bench/prep_bench.py throughput --repeat 3 --against bf50521   # and with another commit
    python bench/prep_bench.py memory --records 1000000
    python bench/prep_bench.py neardup
    python bench/prep_bench.py segment
    python bench/prep_bench.py ray --records 1000000 --scale 4000000   # local vs Ray executor

Scale is synthesised from the real samples in ../shared/data/real (never committed): each
synthetic record joins the title of one real question with the description of another of the
same department, and the first sentences of one real answer with later sentences of another,
cut to ~200 characters, then swaps one character in 10 (titles, questions) or 25 (answers) for a common
one, so that a million records built from ~16k real ones do not share long verbatim fragments;
a share are planted exact/near duplicates, carry phone numbers or ads, or have template-only
answers; 20% have no department label. Written as crawler raw JSONL.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
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
        answer = self._perturb(_cut(_SENTENCE.findall(a[2])[:2] + _SENTENCE.findall(d[2])[1:], 185))
        clauses = _CLAUSE.findall(b[1])[:1] + _CLAUSE.findall(c[1])[1:]
        question = self._perturb("".join(clauses)[:60], every=10)
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
            "title": self._perturb(a[0], every=10),
            "question": question,
            "patient": {"gender": rng.choice(["男", "女"])},
            "answers": answers,
        }
        if len(self.recent) < 5000:
            self.recent.append(record)
        elif rng.random() < 0.01:
            self.recent[rng.randrange(5000)] = record
        return record

    def _perturb(self, text: str, every: int = 25) -> str:
        """Swap about one character in ``every`` for a common one (new n-grams, same
        character statistics), so recombined real fragments do not repeat verbatim."""
        chars = list(text)
        for _ in range(len(chars) // every):
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
    """Polls the memory of a process and its children: peak sum of RSS, peak sum of PSS
    (forked workers share pages with the main process; PSS counts a shared page once), and
    the main process's peak RSS."""

    def __init__(self, pid: int, detailed: bool = True) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.detailed = detailed  # PSS and USS walk every page table (smaps): costly to poll
        self.peak_total = self.peak_pss = self.peak_main = self.peak_one = 0
        self.peak_main_uss = 0  # the main process's private memory (RSS less shared pages)
        self.cpu = 0.0  # CPU seconds the polling itself took (taken from the run measured)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        import psutil

        started = time.thread_time()
        while not self._stop.is_set():
            try:
                procs = [self.process, *self.process.children(True)]
                read = (
                    psutil.Process.memory_full_info if self.detailed else psutil.Process.memory_info
                )
                infos = [read(p) for p in procs]
            except psutil.Error:
                time.sleep(0.05)
                if not self.process.is_running():
                    break
                continue
            self.peak_main = max(self.peak_main, infos[0].rss)
            self.peak_one = max(self.peak_one, *(i.rss for i in infos))
            self.peak_total = max(self.peak_total, sum(i.rss for i in infos))
            if self.detailed:
                self.peak_main_uss = max(self.peak_main_uss, infos[0].uss)
                self.peak_pss = max(self.peak_pss, sum(i.pss for i in infos))
            self.cpu = time.thread_time() - started
            time.sleep(0.2 if self.detailed else 0.5)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def recipe_without_deidentify(folder: Path) -> Path:
    """The default recipe minus its ``deidentify`` step (the engine-off side of the comparison)."""
    import yaml

    from dataprep.recipe import DEFAULT_RECIPE

    data = yaml.safe_load(DEFAULT_RECIPE.read_text(encoding="utf-8"))
    data["steps"] = [s for s in data["steps"] if "deidentify" not in s]
    path = folder / "recipe-no-deid.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def run_prep(
    input_path: Path,
    out: Path,
    workers: int,
    recipe: Path | None = None,
    extra: tuple = (),
    repo: Path = REPO,
    detailed: bool = True,
) -> dict:
    """One ``medqa prep run`` (default recipe; ``extra`` arguments) as a subprocess with the
    code of ``repo`` (this checkout, or a worktree of another commit); time, RSS and stats.
    ``detailed``: also PSS and USS, whose polling (smaps page-table walks) takes CPU from the
    run; timing runs poll RSS only."""
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
        *(["--recipe", str(recipe)] if recipe else []),
        *extra,
    ]
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(repo)}
    process = subprocess.Popen(
        cmd, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    rss = PeakRss(process.pid, detailed)
    output = process.communicate()[0].decode()
    rss.stop()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if process.returncode:
        sys.exit(f"medqa prep run failed:\n{output}")
    stats = json.loads((out / "bench" / "stats.json").read_text(encoding="utf-8"))
    timings = next((line for line in output.splitlines() if line.startswith("time:")), "")
    return {
        "seconds": seconds,
        "cpu": cpu,
        "load": load,
        "timings": timings,
        "rss_total": rss.peak_total,
        "pss_total": rss.peak_pss,
        "rss_main": rss.peak_main,
        "uss_main": rss.peak_main_uss,
        "rss_one": rss.peak_one,
        "poll_cpu": rss.cpu,
        "stats": stats,
        "command": " ".join(cmd[1:]),
    }


def throughput(
    records: int,
    workers: int,
    folder: Path,
    deid_off: bool = False,
    repeat: int = 1,
    against: str | None = None,
) -> dict:
    """The default recipe end to end and the minimal streaming floor on the same file,
    alternated ``repeat`` times (medians reported): records/s and CPU-µs/record of each, and
    prep as a fraction of the floor by both (CPU time is the figure robust to load). With
    ``against`` (a git revision) that commit's prep runs in each round too, side by side."""
    path = synth_file(records, folder)
    chars = _mean_record_chars(path)
    if deid_off:  # the same input without de-identification first, for the side-by-side ratio
        recipe = recipe_without_deidentify(folder)
        off = run_prep(path, folder / "out-no-deid", workers, recipe, detailed=False)
        print(
            f"\n[throughput, deidentify step removed] {off['seconds']:.1f} s → "
            f"{records / off['seconds']:,.0f} records/s (load at start {off['load']:.1f}); CPU "
            f"{off['cpu'] / records * 1e6:.0f} µs/record ({records / off['cpu']:,.0f} per CPU-second)"
        )
    runs, floors, peers = [], [], []
    peer_repo = _worktree(against, folder) if against else None
    for k in range(repeat):
        result = run_prep(path, folder / "out", workers, detailed=False)
        floor = floor_pipeline(path, folder / "floor.jsonl", workers)
        runs.append(result)
        floors.append(floor)
        if peer_repo is not None:
            peers.append(
                run_prep(path, folder / "out-peer", workers, repo=peer_repo, detailed=False)
            )
            _same_outputs(folder / "out" / "bench", folder / "out-peer" / "bench")
        if repeat > 1:
            print(
                f"  run {k + 1}/{repeat}: prep {records / result['seconds']:,.0f} records/s, "
                f"{result['cpu'] / records * 1e6:.0f} CPU-µs/record (load {result['load']:.1f}); "
                f"floor {floor['rate']:,.0f} records/s, {floor['cpu'] / records * 1e6:.1f} "
                f"CPU-µs/record (load {floor['load']:.1f})"
            )
    result = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    rate = records / result["seconds"]
    floor_rate = statistics.median(f["rate"] for f in floors)
    cpu = statistics.median(r["cpu"] for r in runs) / records * 1e6
    floor_cpu = statistics.median(f["cpu"] for f in floors) / records * 1e6
    kept = sum(result["stats"]["splits"].values())
    print(
        f"\n[throughput] default recipe, {records:,} raw records (~{chars:.0f} chars of question"
        f" + chosen answer each), {workers} workers, end to end incl. start-up and writing"
        f"{f' (median of {repeat} runs alternated with the floor)' if repeat > 1 else ''}:"
    )
    print(f"  {result['seconds']:.1f} s → {rate:,.0f} records/s; kept {kept:,}; {_memory(result)}")
    print(
        f"  load average at start {result['load']:.1f} on {os.cpu_count()} cores (other jobs share "
        f"them); CPU time of all our processes {result['cpu']:.0f} s = {cpu:.0f} µs/record "
        f"({1e6 / cpu:,.0f} records per CPU-second)"
    )
    print(f"  {result['timings']}")
    print(
        f"  minimal streaming floor on the same file ({workers} processes: JSON Lines read, NFKC, "
        f"3 regexes, orjson write): {floor_rate:,.0f} records/s, {floor_cpu:.1f} CPU-µs/record → "
        f"prep runs at {rate / floor_rate:.0%} of it by records/s, {floor_cpu / cpu:.0%} by CPU "
        "time"
    )
    print(f"  command: python {result['command']}")
    if peers:
        _print_peer(against, peers, runs, records)
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(peer_repo)])
    return {
        "records": records,
        "rate": rate,
        "floor": floor_rate,
        "floor_cpu_us": floor_cpu,
        **{k: v for k, v in result.items() if k != "stats"},
    }


def _worktree(revision: str, folder: Path) -> Path:
    """A detached git worktree of ``revision`` under ``folder`` (its code runs the peer)."""
    tree = folder / f"peer-{revision.replace('/', '_')}"
    if not tree.exists():
        cmd = ["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), revision]
        subprocess.run(cmd, check=True, capture_output=True)
    return tree


def _same_outputs(ours: Path, theirs: Path) -> None:
    """Say whether both runs wrote the same bytes (every file but the report and charts)."""
    names = sorted(
        p.relative_to(ours)
        for p in ours.rglob("*")
        if p.is_file() and p.suffix != ".png" and p.name != "report.html"
    )
    differ = [str(n) for n in names if (theirs / n).read_bytes() != (ours / n).read_bytes()]
    if differ:
        print(f"  outputs differ from the peer's in {len(differ)} files: {', '.join(differ[:6])}")
    else:
        print(f"  all {len(names)} output files identical to the peer's (charts, report aside)")


def _print_peer(revision: str, peers: list[dict], runs: list[dict], records: int) -> None:
    ours = statistics.median(r["seconds"] for r in runs)
    theirs = statistics.median(r["seconds"] for r in peers)
    ours_cpu = statistics.median(r["cpu"] for r in runs) / records * 1e6
    theirs_cpu = statistics.median(r["cpu"] for r in peers) / records * 1e6
    print(
        f"  side by side with {revision} (alternated, medians of {len(peers)}): "
        f"{records / theirs:,.0f} → {records / ours:,.0f} records/s ({theirs / ours:.2f}×), "
        f"{theirs_cpu:.0f} → {ours_cpu:.0f} CPU-µs/record; loads "
        + ", ".join(f"{p['load']:.1f}/{r['load']:.1f}" for p, r in zip(peers, runs, strict=True))
    )
    print(f"  peer: {peers[0]['timings']}")


def _memory(result: dict) -> str:
    mib = 2**20
    if not result["pss_total"]:  # a timing run: RSS only
        return (
            f"peak summed RSS {result['rss_total'] / mib:,.0f} MiB (counting pages shared with "
            f"forked workers twice), main process {result['rss_main'] / mib:,.0f} MiB; memory "
            f"polling took {result['poll_cpu']:.1f} CPU-s"
        )
    return (
        f"peak memory of all processes {result['pss_total'] / mib:,.0f} MiB PSS "
        f"({result['rss_total'] / mib:,.0f} MiB summed RSS, counting pages shared with forked "
        f"workers twice); largest single-process RSS {result['rss_one'] / mib:,.0f} MiB "
        f"(main process {result['rss_main'] / mib:,.0f} MiB); memory polling took "
        f"{result['poll_cpu']:.1f} CPU-s beside the run"
    )


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


def memory(records: int, workers: int, folder: Path, small: dict | None = None) -> dict:
    """Peak RSS at scale, and the main process's growth per record (global-step state)."""
    path = synth_file(records, folder)
    result = run_prep(path, folder / "out", workers)
    print(
        f"\n[memory] {records:,} raw records, {workers} workers: {result['seconds']:.0f} s "
        f"({records / result['seconds']:,.0f} records/s; load average at start {result['load']:.1f};"
        f" {result['cpu'] / records * 1e6:.0f} CPU-µs/record); {_memory(result)}"
    )
    print(f"  {result['timings']}")
    print(f"  command: python {result['command']}")
    if small:
        growth = (result["rss_main"] - small["rss_main"]) / (records - small["records"])
        print(
            f"  main-process RSS growth: {growth:,.0f} bytes per record "
            f"({small['records']:,} → {records:,} records)"
        )
    print(
        f"  arrays the global steps keep per record: {GLOBAL_BYTES} bytes "
        "(MinHash signature 256, five 8-byte hashes/keys, score, department, lengths, flags)"
    )
    print(
        f"  why the peak grows by more: at the end of pass 1 the per-chunk arrays and their "
        f"concatenation coexist ({2 * GLOBAL_BYTES} bytes/record), and the global steps add "
        f"~{RESULT_BYTES} bytes/record of their own (keep/reason/split/predicted flags, "
        "duplicate-of, department code, subset rank, shuffle keys, group labels), plus one LSH "
        "band's ~24 bytes/record while it is sorted (accounting from the code, not measured)"
    )
    return {"records": records, **{k: v for k, v in result.items() if k != "stats"}}


# What pass 1 hands the global steps per record (dataprep.worker._arrays): a 128-permutation
# uint16 signature, exact/question/group/id hashes (uint64), score (f4), department (i2),
# two lengths (i4) and the hold-out flag; the dedup and grouping steps copy the signature of
# the records they work on while they run.
GLOBAL_BYTES = 256 + 4 * 8 + 4 + 2 + 2 * 4 + 1
# What the global steps allocate per record on top (dataprep.globalsteps / steps.dedup / split):
# keep, reason, split, predicted (1 byte each), duplicate_of, code, rank, order keys, group
# labels and their union-find parents (8 bytes each).
RESULT_BYTES = 4 * 1 + 6 * 8


def ray_compare(sizes: list[int], workers: int, folder: Path) -> dict:
    """The local and Ray executors side by side on the same synthetic files: records/s, the
    driver's peak private memory (USS) at each size, and its growth per record between the
    sizes. Ray runs as a one-machine instance the driver starts (``--executor ray``,
    ``workers`` CPUs)."""
    rows: dict[tuple[str, int], dict] = {}
    for size in sizes:
        path = synth_file(size, folder)
        for executor in ("local", "ray"):
            out = folder / f"out-{executor}"
            result = run_prep(path, out, workers, extra=("--executor", executor))
            rows[executor, size] = result
            same = ""
            if executor == "ray":
                local_stats = (folder / "out-local" / "bench" / "stats.json").read_bytes()
                ray_stats = (out / "bench" / "stats.json").read_bytes()
                same = (
                    "; stats.json identical to local"
                    if local_stats == ray_stats
                    else ("; stats.json DIFFERS from local")
                )
            print(
                f"\n[ray] {executor:5} {size:>10,} records: {result['seconds']:.0f} s → "
                f"{size / result['seconds']:,.0f} records/s (load at start {result['load']:.1f}); "
                f"driver peak USS {result['uss_main'] / 2**20:,.0f} MiB (private; RSS "
                f"{result['rss_main'] / 2**20:,.0f} MiB counts object-store pages it mapped); "
                f"{_memory(result)}{same}"
            )
            print(f"  {result['timings']}")
            print(f"  command: python {result['command']}")
    mib = 2**20
    print(f"\n[ray] side by side, {workers} workers/CPUs, this machine ({os.cpu_count()} cores):")
    print(
        f"  {'executor':8} "
        + " ".join(f"{f'{n:,} rec/s':>14} {'driver USS MiB':>14}" for n in sizes)
    )
    for executor in ("local", "ray"):
        cells = [
            f"{n / rows[executor, n]['seconds']:>14,.0f} {rows[executor, n]['uss_main'] / mib:>14,.0f}"
            for n in sizes
        ]
        line = f"  {executor:8} " + " ".join(cells)
        if len(sizes) > 1:
            low, high = sizes[0], sizes[-1]
            grow = rows[executor, high]["uss_main"] - rows[executor, low]["uss_main"]
            line += f"   driver growth {grow / (high - low):,.0f} bytes/record"
        print(line)
    return {f"{e}-{n}": {k: v for k, v in r.items() if k != "stats"} for (e, n), r in rows.items()}


def neardup_set(seed: int = 1) -> tuple[list[str], list[int]]:
    """Real question+answer texts (deduplicated) plus planted near-copies: texts and, for each,
    the planted cluster it belongs to (its base's index)."""
    rng = random.Random(seed)
    texts, seen = [], set()
    for pairs in real_pairs().values():
        for title, ask, answer in pairs:
            text = f"{title}{ask}{answer}"
            if text not in seen and len(text) >= 40:
                seen.add(text)
                texts.append(text)
    with open(
        REAL / "huatuo_llama_med_chinese" / "data_llama_data.json", encoding="utf-8"
    ) as handle:
        for line in handle:
            r = json.loads(line)
            text = r["instruction"] + r["output"]
            if text not in seen and len(text) >= 40:
                seen.add(text)
                texts.append(text)
    cluster = list(range(len(texts)))
    for base in rng.sample(range(len(texts)), 4000):
        for _ in range(rng.randint(1, 3)):
            texts.append(_perturb_copy(texts[base], rng))
            cluster.append(base)
    return texts, cluster


def _perturb_copy(text: str, rng: random.Random) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, max(1, len(chars) // 50))):
        op, at = rng.random(), rng.randrange(len(chars))
        if op < 0.5:
            chars[at] = rng.choice("的了是我有吗呢啊，。")
        elif op < 0.75:
            chars.insert(at, rng.choice("的了是我有吗呢啊"))
        elif len(chars) > 10:
            del chars[at]
    if rng.random() < 0.3:
        chars += list(rng.choice(["谢谢医生。", "祝早日康复！", "希望能帮到你。"]))
    return "".join(chars)


def _shingle_set(text: str, n: int = 5) -> set[str]:
    return {text[i : i + n] for i in range(len(text) - n + 1)} or {text}


def neardup(threshold: float = 0.7, num_perm: int = 128) -> dict:
    """dataprep's MinHash-LSH (exact-Jaccard verification, as prep runs it) against datasketch
    twice: with its own defaults (banding from its weights, candidates unverified), and with the
    same banding and the same exact verification, so the comparison is of the algorithms."""
    from datasketch import MinHash, MinHashLSH

    from dataprep.minhash import (
        MinHasher,
        exact_jaccard,
        optimal_bands,
        shingle_sets,
        similar_pairs,
    )

    texts, cluster = neardup_set()
    sets = [_shingle_set(t) for t in texts]

    def exact(i: int, j: int) -> float:
        return len(sets[i] & sets[j]) / len(sets[i] | sets[j])

    truth = set()
    members = defaultdict(list)
    for index, base in enumerate(cluster):
        members[base].append(index)
    for group in members.values():
        for a in range(len(group)):
            for b in range(a + 1, len(group)):
                i, j = group[a], group[b]
                if exact(i, j) >= threshold:
                    truth.add((min(i, j), max(i, j)))

    def verified(pairs: set, hashed: list) -> set:
        """The same exact check for both tools: dataprep.minhash.exact_jaccard."""
        ordered = sorted(pairs)
        left = [hashed[i] for i, _ in ordered]
        right = [hashed[j] for _, j in ordered]
        keep = exact_jaccard(left, right) >= threshold
        return {pair for pair, ok in zip(ordered, keep, strict=True) if ok}

    started = time.perf_counter()
    hashed = shingle_sets(texts, 5)
    found = similar_pairs(
        MinHasher(num_perm, 5).signatures(texts),
        threshold,
        verify=lambda left, right: exact_jaccard(
            [hashed[i] for i in left], [hashed[j] for j in right]
        ),
    )
    ours_seconds = time.perf_counter() - started
    ours = {(int(i), int(j)) for i, j in found.pairs}

    def datasketch(params) -> tuple[set, float, object]:
        started = time.perf_counter()
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, params=params)
        hashes = []
        for index, shingle_set in enumerate(sets):
            m = MinHash(num_perm=num_perm)
            m.update_batch([s.encode("utf-8") for s in shingle_set])
            lsh.insert(index, m)
            hashes.append(m)
        found = set()
        for index, m in enumerate(hashes):
            found.update((min(index, o), max(index, o)) for o in lsh.query(m) if o != index)
        return found, time.perf_counter() - started, lsh

    theirs, theirs_seconds, lsh = datasketch(None)
    bands, rows = optimal_bands(threshold, num_perm)
    same_raw, same_seconds, _ = datasketch((bands, rows))
    started = time.perf_counter()
    same = verified(same_raw, shingle_sets(texts, 5))
    same_seconds += time.perf_counter() - started

    def score(pairs: set) -> tuple[float, float]:
        correct = sum(1 for i, j in pairs if (i, j) in truth or exact(i, j) >= threshold)
        return correct / max(len(pairs), 1), len(pairs & truth) / max(len(truth), 1)

    (p_ours, r_ours), (p_theirs, r_theirs) = score(ours), score(theirs)
    p_same, r_same = score(same)
    print(
        f"\n[near-dup] {len(texts):,} texts ({len(texts) - len(members):,} planted copies of "
        f"4,000 real texts; {len(truth):,} planted pairs with Jaccard ≥ {threshold} on character "
        f"5-grams), {num_perm} permutations; every time includes hashing:"
    )
    print(
        f"  dataprep.minhash           : precision {p_ours:.4f} recall {r_ours:.4f}  "
        f"{ours_seconds:6.1f} s (bands {found.bands} x rows {found.rows}; {found.exact_checks:,} "
        f"candidates within 0.15 of the threshold checked by exact Jaccard)"
    )
    print(
        f"  datasketch, same banding   : precision {p_same:.4f} recall {r_same:.4f}  "
        f"{same_seconds:6.1f} s (bands {bands} x rows {rows}; all {len(same_raw):,} candidates "
        "checked by the same exact Jaccard)"
    )
    print(
        f"  datasketch, its defaults   : precision {p_theirs:.4f} recall {r_theirs:.4f}  "
        f"{theirs_seconds:6.1f} s (bands {lsh.b} x rows {lsh.r} from its default weights; "
        "candidates as returned)"
    )
    print(
        f"  speed ratio datasketch (same banding + check) / dataprep: "
        f"{same_seconds / ours_seconds:.1f}x"
    )
    return {
        "ours": (p_ours, r_ours, ours_seconds),
        "datasketch_same": (p_same, r_same, same_seconds),
        "datasketch": (p_theirs, r_theirs, theirs_seconds),
    }


def _floor_chunk(lines: list[bytes]) -> list[bytes]:
    import unicodedata

    import orjson

    out = []
    for line in lines:
        r = orjson.loads(line)
        texts = [r["title"], r["question"], *(a["text"] for a in r["answers"])]
        texts = [unicodedata.normalize("NFKC", t) for t in texts]
        texts = [_FLOOR_SPACE.sub(" ", _FLOOR_TAG.sub("", t)).strip() for t in texts]
        phone = any(_FLOOR_PHONE.search(t) for t in texts)
        out.append(orjson.dumps({"q": texts[0] + texts[1], "a": texts[2:], "phone": phone}))
    return out


_FLOOR_TAG = re.compile(r"<[^>]{0,200}>")
_FLOOR_SPACE = re.compile(r"\s+")
_FLOOR_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def floor_pipeline(path: Path, out: Path, workers: int) -> dict:
    """Records/s and CPU seconds (this process and its workers) of a minimal streaming
    pipeline on the same file and cores: read JSON Lines, NFKC, three regexes, orjson write,
    ``workers`` processes (what any prep costs at least)."""
    import resource
    from multiprocessing import get_context

    load = os.getloadavg()[0]
    before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    started = time.perf_counter()
    count = 0
    with open(path, "rb") as source, open(out, "wb") as sink:
        chunks = iter(lambda: [line for _, line in zip(range(2000), source, strict=False)], [])
        with get_context("fork").Pool(workers) as pool:
            for lines in pool.imap(_floor_chunk, chunks):
                sink.write(b"\n".join(lines) + b"\n")
                count += len(lines)
            pool.close()
            pool.join()
    seconds = time.perf_counter() - started
    after = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(
        a.ru_utime - b.ru_utime + a.ru_stime - b.ru_stime
        for a, b in zip(after, before, strict=True)
    )
    return {"rate": count / seconds, "cpu": cpu, "load": load}


def segment() -> dict:
    import jieba
    import rjieba

    jieba.setLogLevel(60)
    texts = [f"{t}{a}{b}" for pairs in real_pairs().values() for t, a, b in pairs][:6000]
    chars = sum(map(len, texts))
    jieba.lcut(texts[0])  # load the dictionary outside the timing
    rjieba.cut(texts[0])
    started = time.perf_counter()
    for text in texts:
        jieba.lcut(text)
    jieba_rate = chars / (time.perf_counter() - started)
    started = time.perf_counter()
    for text in texts:
        rjieba.cut(text)
    rjieba_rate = chars / (time.perf_counter() - started)
    print(
        f"\n[segmentation] {len(texts):,} real texts, {chars / 1e6:.2f} M chars, one core: jieba "
        f"{jieba_rate / 1e6:.2f} M chars/s, rjieba {rjieba_rate / 1e6:.2f} M chars/s "
        f"({rjieba_rate / jieba_rate:.0f}x). dataprep segments nothing in its hot path "
        f"(relevance, dedup, contamination and the classifier work on characters)."
    )
    return {"jieba": jieba_rate, "rjieba": rjieba_rate}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "what", choices=["all", "throughput", "memory", "neardup", "segment", "ray"]
    )
    parser.add_argument("--records", type=int, default=None)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--keep-data", default=None, help="folder to keep synthetic data in")
    parser.add_argument(
        "--scale",
        type=int,
        default=4_000_000,
        help="ray: the second, larger size (records; 0: only --records)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="throughput: alternate prep and floor N times"
    )
    parser.add_argument(
        "--against",
        default=None,
        help="throughput: also run this git revision's prep in each round, side by side",
    )
    parser.add_argument(
        "--deid-off",
        action="store_true",
        help="throughput: also run without the deidentify step, side by side",
    )
    args = parser.parse_args()
    folder = Path(args.keep_data or tempfile.mkdtemp(prefix="prep_bench_"))
    folder.mkdir(parents=True, exist_ok=True)
    print(
        f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; data in {folder}"
    )
    small = None
    if args.what in ("throughput", "all"):
        small = throughput(
            args.records or 200_000,
            args.workers,
            folder,
            args.deid_off,
            args.repeat,
            args.against,
        )
    if args.what in ("memory", "all"):
        memory(
            args.records if args.what == "memory" and args.records else 1_000_000,
            args.workers,
            folder,
            small,
        )
    if args.what in ("neardup", "all"):
        neardup()
    if args.what in ("segment", "all"):
        segment()
    if args.what == "ray":  # not in "all": four runs of up to 4M records (an hour on 2 cores)
        sizes = [args.records or 1_000_000, *([args.scale] if args.scale else [])]
        ray_compare(sizes, args.workers, folder)
    print(f"load average after: {os.getloadavg()[0]:.2f}")

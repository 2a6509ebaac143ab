"""Client-side throughput of ``eval.client.ChatClient`` against a zero-latency local endpoint.

The stub server (``python -m eval.stub_server``) runs in its own process and answers at once, so
what is measured is the client: requests/s and client CPU time per request at concurrency
1/16/64/256. The peer, measured side by side in the same run, is the official ``openai`` SDK
(``AsyncOpenAI``, httpx underneath) at the same concurrency. A last row runs the whole harness
(prompt building, cache writes, answer extraction, scoring) on a synthetic exam.

    python bench/eval_client_bench.py                 # full run (~1 minute)
    python bench/eval_client_bench.py --requests 1000 --no-peer

Target: >= 1,000 requests/s at concurrency 64 on a 2-core machine, so the client is never the
bottleneck of a vLLM server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.client import ChatClient  # noqa: E402
from eval.runner import RunOptions, run_task  # noqa: E402
from eval.taskspec import load_task  # noqa: E402

MESSAGES = [
    {"role": "user", "content": "以下是中国医学考试的单项选择题，请选出唯一正确的答案。" * 4}
]
RESULTS = ROOT / "bench" / "results" / "eval_client_bench.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_stub() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "eval.stub_server", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/models", timeout=1).read()
            return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("stub server did not start")


async def ours(url: str, concurrency: int, n: int) -> None:
    async with ChatClient(url, model="stub", concurrency=concurrency) as client:
        await asyncio.gather(
            *(client.complete(MESSAGES, max_tokens=16, temperature=0) for _ in range(n))
        )


async def openai_sdk(url: str, concurrency: int, n: int) -> None:
    import httpx
    from openai import AsyncOpenAI

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    client = AsyncOpenAI(
        base_url=url,
        api_key="none",
        max_retries=0,
        http_client=httpx.AsyncClient(limits=limits, timeout=60),
    )
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await client.chat.completions.create(
                model="stub", messages=MESSAGES, max_tokens=16, temperature=0
            )

    async with client:
        await asyncio.gather(*(one() for _ in range(n)))


def measure(coro_factory, n: int) -> dict:
    """Wall time and this process's CPU time for ``n`` requests."""
    cpu, wall = time.process_time(), time.perf_counter()
    asyncio.run(coro_factory())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"requests": n, "req_per_s": round(n / wall, 1), "cpu_us_per_req": round(cpu / n * 1e6)}


def harness(url: str, n: int) -> dict:
    """The whole ``medqa eval run`` path on a synthetic n-question exam at concurrency 64."""
    with tempfile.TemporaryDirectory() as tmp:
        exam = Path(tmp) / "exam.jsonl"
        with exam.open("w", encoding="utf-8") as handle:
            for i in range(n):
                options = {k: f"选项{k}{i}" for k in "ABCDE"}
                handle.write(
                    json.dumps(
                        {
                            "id": str(i),
                            "question": f"第{i}题：下列哪项正确？",
                            "options": options,
                            "answer": "A",
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
        task = load_task("exam_sample", {"data.path": str(exam)})
        options = RunOptions(
            endpoints=[url], out_dir=Path(tmp) / "run", concurrency=64, progress=False
        )
        return measure(lambda: run_task(task, options), n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=4000, help="requests per measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64, 256])
    parser.add_argument("--no-peer", action="store_true", help="skip the openai SDK peer")
    args = parser.parse_args()
    process, url = start_stub()
    rows = []
    try:
        asyncio.run(ours(url, 8, 200))  # warm up the server, imports and connections
        if not args.no_peer:
            asyncio.run(openai_sdk(url, 8, 50))
        for concurrency in args.concurrency:
            n = args.requests if concurrency > 1 else args.requests // 4
            row = {
                "concurrency": concurrency,
                "ours": measure(lambda c=concurrency, k=n: ours(url, c, k), n),
            }
            if not args.no_peer:
                k = max(200, n // 4)  # the SDK is much slower; fewer requests keep the run short
                row["openai_sdk"] = measure(lambda c=concurrency, k=k: openai_sdk(url, c, k), k)
                row["ratio"] = round(row["ours"]["req_per_s"] / row["openai_sdk"]["req_per_s"], 2)
            rows.append(row)
            print_row(row)
        whole = harness(url, args.requests)
        print(
            f"harness (medqa eval run, exam, concurrency 64): {whole['req_per_s']} items/s, "
            f"{whole['cpu_us_per_req']} µs CPU/item"
        )
    finally:
        process.terminate()
        process.wait()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"rows": rows, "harness": whole}, indent=2) + "\n")
    at64 = next((r["ours"]["req_per_s"] for r in rows if r["concurrency"] == 64), None)
    if at64 is not None:
        verdict = "meets" if at64 >= 1000 else "MISSES"
        print(f"target >= 1000 req/s at concurrency 64: {at64} ({verdict})")


def print_row(row: dict) -> None:
    ours_ = row["ours"]
    line = (
        f"concurrency {row['concurrency']:>3}: ours {ours_['req_per_s']:>7} req/s "
        f"{ours_['cpu_us_per_req']:>5} µs CPU/req"
    )
    if "openai_sdk" in row:
        sdk = row["openai_sdk"]
        line += (
            f" | openai SDK {sdk['req_per_s']:>7} req/s {sdk['cpu_us_per_req']:>5} µs CPU/req"
            f" | ratio {row['ratio']}×"
        )
    print(line, flush=True)


if __name__ == "__main__":
    main()

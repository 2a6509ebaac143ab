"""Request statistics of a run: counts, latency percentiles and generation throughput."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default method) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass
class RequestStats:
    """What the endpoint did for us: successes with latency and tokens, retries, failures.

    Answers taken from the response cache keep the latency measured when they were answered
    (``cached_latencies``): the percentiles cover every answer of the run, so a resumed or fully
    cached re-run still reports them; throughput covers only what was sent this time."""

    latencies: list[float] = field(default_factory=list)
    cached_latencies: list[float] = field(default_factory=list)
    completion_tokens: int = 0
    retries: int = 0
    failures: Counter = field(default_factory=Counter)
    cached: int = 0
    started: float | None = None
    finished: float | None = None

    def _touch(self) -> None:
        now = time.monotonic()
        self.started = now if self.started is None else self.started
        self.finished = now

    def start(self) -> None:
        """Mark the start of the work (throughput is measured from here)."""
        self.started = time.monotonic()

    def record_success(self, latency: float, completion_tokens: int | None) -> None:
        self.latencies.append(latency)
        self.completion_tokens += completion_tokens or 0
        self._touch()

    def record_failure(self, reason: str) -> None:
        self.failures[reason.split(" (gave up")[0][:120]] += 1
        self._touch()

    def summary(self) -> dict:
        """Requests, failures, retries, cache hits, latency p50/p95 and generated tokens/s."""
        wall = (self.finished - self.started) if self.started and self.finished else 0.0
        ok = len(self.latencies)
        answered = self.latencies + [v for v in self.cached_latencies if v > 0]
        p50, p95 = percentile(answered, 50), percentile(answered, 95)
        return {
            "requests": ok + sum(self.failures.values()),
            "succeeded": ok,
            "failed": sum(self.failures.values()),
            "retries": self.retries,
            "cached": self.cached,
            "latency_p50_s": None if p50 is None else round(p50, 4),
            "latency_p95_s": None if p95 is None else round(p95, 4),
            "completion_tokens": self.completion_tokens,
            "wall_s": round(wall, 3),
            "requests_per_s": round(ok / wall, 2) if wall > 0 else None,
            "gen_tokens_per_s": round(self.completion_tokens / wall, 2) if wall > 0 else None,
            "failure_reasons": dict(self.failures.most_common(5)),
        }

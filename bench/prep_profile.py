"""Where prep's CPU time goes: CPU-µs per input record of each part of a whole ``medqa prep
run`` (default recipe, one process, so every part is measured where it runs), on the
synthetic raw crawl of bench/prep_bench.py (figures printed; never run as a test).

    python bench/prep_profile.py --records 20000

Each part is a function wrapped with a CPU-time counter; a part's figure excludes the wrapped
parts it calls (``pass 1 (rest)`` is pass 1 minus everything listed under it), so the figures
add up to the total. Parts called by the ``pairs`` step carry a ``pairs:`` prefix. The
wrappers add about 1 µs per call.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import orjson  # noqa: E402

import dataprep.executors as executors  # noqa: E402
import dataprep.minhash as minhash  # noqa: E402
import dataprep.pipeline as pipeline  # noqa: E402
import dataprep.steps.quality as quality  # noqa: E402
import dataprep.worker as worker  # noqa: E402
from dataprep.readers.base import Reader  # noqa: E402


class Profile:
    """Exclusive CPU seconds and calls per label."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.prefix = ""
        self._inner: list[float] = []

    def wrap(self, label: str, func):
        @functools.wraps(func)
        def timed(*args, **kwargs):
            key = self.prefix + label
            started = time.process_time()
            self._inner.append(0.0)
            try:
                return func(*args, **kwargs)
            finally:
                spent = time.process_time() - started
                self.seconds[key] += spent - self._inner.pop()
                self.calls[key] += 1
                if self._inner:
                    self._inner[-1] += spent

        return timed

    def patch(self, owner, name: str, label: str) -> None:
        setattr(owner, name, self.wrap(label, getattr(owner, name)))

    def section(self, prefix: str, func):
        @functools.wraps(func)
        def within(*args, **kwargs):
            self.prefix = prefix
            try:
                return func(*args, **kwargs)
            finally:
                self.prefix = ""

        return within


def instrument(profile: Profile) -> None:
    """Wrap the parts of a run (module attributes, so the pipeline calls the wrappers)."""
    for cls in pipeline.STEP_CLASSES.values():
        profile.patch(cls, "apply", f"step {cls.name}")
    for name in ("repetition", "is_advertising", "is_template_only", "is_truncated"):
        profile.patch(quality, name, f"  quality: {name}")
    profile.patch(quality, "relevance", "  quality: relevance (one record)")
    profile.patch(quality.Quality, "score_records", "  quality: scores (batch)")
    profile.patch(quality, "quality_score", "  quality: quality_score")
    for name in ("_check_exams", "_classifier_counts", "exact_hash", "features", "read_span"):
        profile.patch(worker, name, f"pass 1: {name.lstrip('_')}")
    profile.patch(worker, "_arrays", "pass 1: arrays (rest)")
    profile.patch(minhash.MinHasher, "signatures", "pass 1: minhash signatures")
    worker.orjson = _Dumps(profile.wrap("pass 1: spool write (orjson)", orjson.dumps))
    for cls in _subclasses(Reader):
        if "parse" in cls.__dict__:
            profile.patch(cls, "parse", f"read: {cls.format} parse")
    profile.patch(worker, "process_chunk", "pass 1 (rest)")
    executors.process_chunk = worker.process_chunk  # imported by name there
    pipeline.globalsteps.run_global = profile.wrap("global steps", pipeline.globalsteps.run_global)
    pipeline.writepass.write_dataset = profile.wrap("write pass", pipeline.writepass.write_dataset)
    run_step = profile.wrap("pairs (rest)", pipeline.preference.run_step)
    pipeline.preference.run_step = profile.section("pairs: ", run_step)
    pipeline.outputs.finish = profile.wrap(
        "finish (stats, charts, report)", pipeline.outputs.finish
    )


class _Dumps:
    """Stands in for the orjson module in dataprep.worker: a timed ``dumps``."""

    def __init__(self, dumps) -> None:
        self.dumps, self.loads = dumps, orjson.loads


def _subclasses(cls) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def main() -> None:
    from prep_bench import synth_file

    from dataprep.readers import InputSpec
    from dataprep.recipe import load_recipe

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--keep-data", default=None, help="folder to keep synthetic data in")
    args = parser.parse_args()
    folder = Path(args.keep_data or tempfile.mkdtemp(prefix="prep_profile_"))
    folder.mkdir(parents=True, exist_ok=True)
    path = synth_file(args.records, folder)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    profile = Profile()
    instrument(profile)
    out = folder / "profile-out"
    shutil.rmtree(out, ignore_errors=True)
    load = os.getloadavg()[0]
    started = time.process_time()
    result = pipeline.run(
        load_recipe(None),
        [InputSpec(path, "raw")],
        pipeline.RunOptions(out=out, name="profile", dataset_info=None, workers=1),
    )
    total = time.process_time() - started
    n = args.records
    print(
        f"[profile] default recipe, {n:,} synthetic raw records, one process: "
        f"{total / n * 1e6:.0f} CPU-µs/record in all (load average at start {load:.1f})"
    )
    listed = 0.0
    for label, seconds in sorted(profile.seconds.items(), key=lambda item: -item[1]):
        listed += seconds
        calls = profile.calls[label]
        print(f"  {label:42s} {seconds / n * 1e6:7.1f} µs/record  ({calls:,} calls)")
    print(f"  {'start-up and the rest of the run':42s} {(total - listed) / n * 1e6:7.1f} µs/record")
    print(f"  wall seconds per phase: {result.timings}")


if __name__ == "__main__":
    main()

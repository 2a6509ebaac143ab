"""``medqa prep run --executor ray`` on a real two-node Ray cluster on 127.0.0.1: a head
(``ray start --head``) and a worker node (``ray start --address``), each with one CPU, a
small object store spilling to its own folder, and this module's own ports and temp dir.

The Ray outputs must be byte-identical to the local executor's (split files, stats.json,
rejects, examples) on the sample, a multi-chunk synthetic crawl and, when present, a real
public file; a Ray worker killed while it runs a pass-1 task must not change them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.dataprep.conftest import REPO
from tests.dataprep.test_prep_pipeline import synthetic_inputs, tree_bytes

ray = pytest.importorskip("ray", reason="the [ray] extra is not installed")
psutil = pytest.importorskip("psutil")

REAL = REPO.parent / "shared" / "data" / "real" / "medicalgpt" / "qa_pairs.jsonl"
START_TIMEOUT = 90  # seconds for one `ray start`
RUN_TIMEOUT = 180  # seconds for one prep run
ENV = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "HF_HUB_OFFLINE": "1"}


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _worker_range() -> tuple[int, int]:
    """A free block of 40 ports for a node's worker processes."""
    for _ in range(50):
        low = _free_ports(1)[0]
        if low + 40 < 65000 and all(_bindable(port) for port in range(low, low + 40)):
            return low, low + 39
    raise RuntimeError("no free block of 40 ports for Ray workers")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ray_start(args: list[str]) -> None:
    command = [str(Path(sys.executable).with_name("ray")), "start", *args]
    try:
        done = subprocess.run(
            command, env=ENV, capture_output=True, text=True, timeout=START_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"Ray cannot start here: `ray start` took over {START_TIMEOUT} s")
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        pytest.skip(f"Ray cannot start here: `ray start` failed: {' | '.join(tail)}")


def _node_args(root: Path, node: str) -> list[str]:
    low, high = _worker_range()
    manager, objects, agent, agent_grpc, metrics, runtime_env = _free_ports(6)
    return [
        "--node-ip-address=127.0.0.1",
        "--num-cpus=1",
        "--object-store-memory=100000000",
        f"--object-spilling-directory={root / ('spill-' + node)}",
        f"--temp-dir={root}",
        "--disable-usage-stats",
        f"--node-manager-port={manager}",
        f"--object-manager-port={objects}",
        f"--dashboard-agent-listen-port={agent}",
        f"--dashboard-agent-grpc-port={agent_grpc}",
        f"--metrics-export-port={metrics}",
        f"--runtime-env-agent-port={runtime_env}",
        f"--min-worker-port={low}",
        f"--max-worker-port={high}",
    ]


class Cluster:
    """The two nodes: the address to join and each node's raylet process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        gcs, dashboard, client = _free_ports(3)
        self.address = f"127.0.0.1:{gcs}"
        self.gcs_port = gcs
        head = [
            "--head",
            f"--port={gcs}",
            "--include-dashboard=false",
            f"--dashboard-port={dashboard}",
            f"--ray-client-server-port={client}",
        ]
        _ray_start(head + _node_args(root, "head"))
        self.head_raylet = self._newest_raylet()
        _ray_start([f"--address={self.address}", *_node_args(root, "worker")])
        self.worker_raylet = self._newest_raylet(exclude={self.head_raylet.pid})

    def processes(self) -> list:
        """Every process of this cluster (and their children: the Ray workers)."""
        found = []
        for proc in psutil.process_iter(["cmdline"]):
            line = " ".join(proc.info["cmdline"] or [])
            if str(self.root) in line or f":{self.gcs_port}" in line:
                found.append(proc)
        return found

    def _newest_raylet(self, exclude: set[int] = frozenset()):
        raylets = [
            p
            for p in self.processes()
            if p.pid not in exclude and "raylet/raylet" in " ".join(p.cmdline())
        ]
        assert raylets, "ray start returned but its raylet is not running"
        return max(raylets, key=lambda p: p.create_time())


def _kill(processes: list) -> None:
    """SIGKILL these processes (a cluster's, found by its temp dir and port) and their
    children, then reap them."""
    procs = set()
    for proc in processes:
        procs.add(proc)
        with contextlib.suppress(psutil.NoSuchProcess):
            procs.update(proc.children(recursive=True))
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.send_signal(signal.SIGKILL)
    psutil.wait_procs(list(procs), timeout=10)


@pytest.fixture(scope="module")
def cluster():
    root = Path(tempfile.mkdtemp(prefix="rt", dir="/tmp"))  # short: Ray's socket paths
    token = root / "auth_token"  # the cluster's own token: nodes and drivers read it
    token.write_text(secrets.token_hex(32))
    ENV.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(token))
    started = None
    try:
        started = Cluster(root)
        yield started
    finally:
        _kill(started.processes() if started else _leftovers(root))  # a failed start: the head
        shutil.rmtree(root, ignore_errors=True)


def _leftovers(root: Path) -> list:
    processes = psutil.process_iter(["cmdline"])
    return [p for p in processes if str(root) in " ".join(p.info["cmdline"] or [])]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[str]:
    """The sample crawl, a synthetic crawl of ~7 input chunks, the real file if present."""
    folder = tmp_path_factory.mktemp("ray-inputs")
    many = synthetic_inputs(folder, REPO / "data" / "sample", 120)
    chosen = [str(REPO / "data" / "sample" / "raw_sample.jsonl"), str(many)]
    return chosen + ([f"sharegpt:{REAL}"] if REAL.exists() else [])


def _prep(inputs: list[str], out: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-c", "from medqa.cli import main; main()", "prep", "run", "-q"]
    command += ["--no-register", "--out", str(out), "--name", "medqa"]
    command += [arg for path in inputs for arg in ("--input", path)]
    return subprocess.Popen(
        [*command, *extra],
        cwd=REPO,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=RUN_TIMEOUT)
    assert proc.returncode == 0, f"prep failed ({proc.returncode}):\n{err[-3000:]}"
    return out + err


@pytest.fixture(scope="module")
def local_output(inputs, tmp_path_factory) -> tuple[Path, dict[str, bytes]]:
    """The local executor's dataset over ``inputs``: its folder and its files."""
    out = tmp_path_factory.mktemp("local")
    _finish(_prep(inputs, out, "--workers", "2"))
    files = tree_bytes(out / "medqa")
    assert any(name.startswith("alpaca/") for name in files)
    return out / "medqa", files


def test_ray_outputs_are_byte_identical_to_local_with_a_worker_killed_mid_run(
    cluster, inputs, local_output, tmp_path
):
    run = _prep(inputs, tmp_path, "--executor", "ray", "--address", cluster.address)
    killed = _kill_a_chunk_task(cluster, run)
    _finish(run)
    assert killed, "no pass-1 task was seen running while the run went on"
    produced, (_, expected) = tree_bytes(tmp_path / "medqa"), local_output
    assert sorted(produced) == sorted(expected)
    for name, data in expected.items():  # splits, stats.json, rejects, examples, report, charts
        assert produced[name] == data, f"{name} differs between the Ray and local executors"
    if REAL.exists():
        assert b"qa_pairs.jsonl" in produced["stats.json"]


def _kill_a_chunk_task(cluster: Cluster, run: subprocess.Popen, wait: float = 120.0) -> bool:
    """SIGKILL the first Ray worker process seen executing a pass-1 task (process title
    ``ray::_chunk``), on the worker node if it has one running, while the run is going."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and run.poll() is None:
        try:
            workers = cluster.worker_raylet.children(recursive=True)
            workers += cluster.head_raylet.children(recursive=True)
        except psutil.NoSuchProcess:
            return False
        for proc in workers:
            try:
                title = " ".join(proc.cmdline())
            except psutil.Error:
                continue
            if title.startswith("ray::_chunk") and run.poll() is None:
                proc.send_signal(signal.SIGKILL)
                return True
        time.sleep(0.02)
    return False


def test_an_unreachable_cluster_fails_at_once_and_keeps_the_previous_outputs(
    inputs, local_output, tmp_path
):
    shutil.copytree(local_output[0], tmp_path / "medqa")  # a previous run's dataset
    before = tree_bytes(tmp_path / "medqa")
    (port,) = _free_ports(1)
    started = time.monotonic()
    run = _prep(inputs[:1], tmp_path, "--executor", "ray", "--address", f"127.0.0.1:{port}")
    out, err = run.communicate(timeout=RUN_TIMEOUT)
    assert run.returncode != 0
    assert f"no Ray head at 127.0.0.1:{port}" in err
    assert time.monotonic() - started < 30
    assert tree_bytes(tmp_path / "medqa") == before


class _ShiftedJaccard:
    """A stand-in for the spool's exact Jaccard: the estimate, lowered for some pairs, so
    verification changes which screened pairs survive."""

    def __init__(self, sig) -> None:
        self.sig = sig

    def __call__(self, left, right):
        similar = (self.sig[left] == self.sig[right]).mean(axis=1).astype("float32")
        return similar - 0.2 * (left % 3 == 0)


def _planted_signatures():
    import numpy as np

    rng = np.random.default_rng(7)
    sig = rng.integers(0, 2**16, (3000, 32), dtype=np.uint16)
    for k in range(0, 2400, 4):  # near copies: a few values changed
        sig[k + 1] = sig[k]
        sig[k + 1, rng.integers(0, 32, 3)] = rng.integers(0, 2**16, 3)
    sig[2500:2560] = sig[2499]  # one boilerplate bucket of 61 equal rows
    members = np.flatnonzero(rng.random(3000) > 0.1)
    return sig, members


def test_lsh_partitioned_by_band_key_finds_the_same_pairs_and_counts(cluster):
    """ray_lsh against minhash.similar_pairs on planted signatures, in a driver process of
    its own (Ray reads its token settings when imported)."""
    check = f"from tests.dataprep.test_ray_cluster import lsh_check; lsh_check({cluster.address!r})"
    done = subprocess.run(
        [sys.executable, "-c", check],
        cwd=REPO,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["per_task=16:ok", "per_task=2:ok"]


def lsh_check(address: str) -> None:
    """Pairs and counts of the partitioned LSH equal the one-machine ones, with and without
    verification, for 1 and 3 partitions (prints one line per layout)."""
    import numpy as np

    from dataprep.columns import ChunkedColumn
    from dataprep.executors import ray_lsh
    from dataprep.minhash import similar_pairs

    sig, members = _planted_signatures()
    ray.init(address=address, log_to_driver=False, logging_level="ERROR")
    cuts = [0, 700, 701, 1800, 2600, 3000]  # uneven pieces, one of a single row
    refs = [ray.put(sig[a:b]) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    column = ChunkedColumn(refs, np.array(cuts[:-1]), np.diff(cuts), 32, 2)
    # one task bands all pieces into one partition; then two pieces per task, and partitions
    # added past 1,000 records each (~2,700 members: 3 partitions)
    for parts, per_task, per_partition in ((1, 16, 250_000), (1, 2, 1_000)):
        ray_lsh.PIECES_PER_TASK, ray_lsh.RECORDS_PER_PARTITION = per_task, per_partition
        for verify in (None, _ShiftedJaccard(sig)):
            local = similar_pairs(sig, 0.7, None, members, verify)
            spread = ray_lsh.similar_pairs(column, 0.7, None, members, verify, parts)
            assert np.array_equal(spread.pairs, local.pairs)
            assert len(local.pairs) > 500
            counts = (spread.candidates, spread.bands, spread.rows, spread.exact_checks)
            assert counts == (local.candidates, local.bands, local.rows, local.exact_checks)
        print(f"per_task={per_task}:ok")
    ray.shutdown()


def test_the_driver_keeps_no_view_of_a_stored_pass_one_result() -> None:
    """ray.get returns a result's arrays as read-only views of the stored object, which pins
    it in the object store while the driver keeps them (all of pass 1); the driver copies
    them out (at 1M records the pinned results filled the store and stalled every task)."""
    import numpy as np

    from dataprep.executors.ray_executor import _owned
    from dataprep.worker import ChunkResult

    stored = np.arange(12, dtype=np.uint32).tobytes()  # stands for the store's buffer
    view = np.frombuffer(stored, np.uint32)
    keys, counts = np.frombuffer(stored, np.uint64, 2), np.frombuffer(stored, np.int32, 3)
    result = ChunkResult(0, 12, {"score": view}, {}, [], {}, {"nb": (keys, counts, view)})
    owned = _owned(result)
    columns = [owned.arrays["score"], *owned.nb["nb"]]
    assert all(values.base is None and values.flags.writeable for values in columns)
    assert np.array_equal(owned.arrays["score"], np.arange(12))
    assert np.array_equal(owned.nb["nb"][0], keys) and np.array_equal(owned.nb["nb"][1], counts)


def test_a_one_run_ray_gets_an_object_store_sized_from_the_memory_it_has() -> None:
    """Ray's own 30% of available memory, within /dev/shm, never under 512 MiB: a fixed
    512 MiB store spilled a 1M-record run's signatures and band keys for most of its time."""
    from dataprep.executors.ray_executor import local_store_bytes

    gib = 1 << 30
    assert local_store_bytes(available=20 * gib, shm_free=12 * gib) == 6 * gib
    assert local_store_bytes(available=20 * gib, shm_free=2 * gib) == int(1.8 * gib)
    assert local_store_bytes(available=1 * gib, shm_free=12 * gib) == 512 << 20
    assert local_store_bytes() >= 512 << 20  # this machine's own figures

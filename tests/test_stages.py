"""The stage runner: skips complete stages, stops at a failure naming the stage and its log."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from medqa.stages import Stage, StageError, StageRunner


def write(path: Path, text: str = "x"):
    def work(ctx) -> None:
        path.write_text(text)

    return work


def test_complete_stages_are_skipped_until_forced(tmp_path):
    calls: list[str] = []
    out = tmp_path / "a.txt"

    def work(ctx) -> None:
        calls.append("a")
        out.write_text("done")

    stages = [Stage("a", "writes a", [out], work)]
    assert [r.status for r in StageRunner(tmp_path).run(stages)] == ["done"]
    assert [r.status for r in StageRunner(tmp_path).run(stages)] == ["skipped"]
    out.unlink()  # an output vanished: the stage is incomplete again
    assert [r.status for r in StageRunner(tmp_path).run(stages)] == ["done"]
    assert [r.status for r in StageRunner(tmp_path, force=True).run(stages)] == ["done"]
    assert calls == ["a", "a", "a"]


def test_when_a_stage_reruns_every_later_stage_reruns(tmp_path):
    """A later stage's outputs were made from the earlier ones: redone upstream, stale downstream."""
    calls: list[str] = []

    def work(name: str):
        def run(ctx) -> None:
            calls.append(name)
            (tmp_path / f"{name}.txt").write_text(name)

        return run

    stages = [Stage(n, "", [tmp_path / f"{n}.txt"], work(n)) for n in ("crawl", "train", "eval")]
    StageRunner(tmp_path).run(stages)
    (tmp_path / "train.txt").unlink()
    statuses = [r.status for r in StageRunner(tmp_path).run(stages)]
    assert statuses == ["skipped", "done", "done"]
    assert calls == ["crawl", "train", "eval", "train", "eval"]


def test_failure_names_stage_and_log_and_stops_the_chain(tmp_path):
    later = tmp_path / "later.txt"

    def fail(ctx) -> None:
        ctx.run([sys.executable, "-c", "import sys; print('boom from the tool'); sys.exit(3)"])

    stages = [
        Stage("ok", "", [tmp_path / "ok.txt"], write(tmp_path / "ok.txt")),
        Stage("broken", "", [], fail),
        Stage("later", "", [later], write(later)),
    ]
    with pytest.raises(StageError) as error:
        StageRunner(tmp_path).run(stages)
    message = str(error.value)
    assert "stage 'broken' failed" in message and "exited with 3" in message
    log = tmp_path / "logs" / "broken.log"
    assert str(log) in message and "boom from the tool" in log.read_text()
    assert not later.exists()
    assert not (tmp_path / "logs" / "broken.done").exists()


def test_a_stage_that_forgets_an_output_fails(tmp_path):
    stages = [Stage("lazy", "", [tmp_path / "never.txt"], lambda ctx: None)]
    with pytest.raises(StageError, match="did not write"):
        StageRunner(tmp_path).run(stages)


def test_cleanups_run_even_when_a_stage_fails(tmp_path):
    stopped: list[bool] = []

    def start_service(ctx) -> None:
        ctx.cleanups.append(lambda: stopped.append(True))
        raise StageError("service crashed")

    with pytest.raises(StageError):
        StageRunner(tmp_path).run([Stage("svc", "", [], start_service)])
    assert stopped == [True]


def test_a_stage_whose_inputs_changed_runs_again(tmp_path):
    """Outputs present is not enough: a changed input file or command line redoes the stage."""
    source, out = tmp_path / "config.yaml", tmp_path / "model.bin"
    source.write_text("lr: 1e-4")
    calls: list[str] = []

    def train(ctx) -> None:
        calls.append(source.read_text())
        out.write_text("weights")

    def stages(command: str) -> list[Stage]:
        return [Stage("train", "", [out], train, inputs=[source, command])]

    def runner_statuses(command: str) -> list[str]:
        return [r.status for r in StageRunner(tmp_path).run(stages(command))]

    assert runner_statuses("train --seed 1") == ["done"]
    assert runner_statuses("train --seed 1") == ["skipped"]
    source.write_text("lr: 5e-3")  # same outputs, different input
    assert runner_statuses("train --seed 1") == ["done"]
    assert runner_statuses("train --seed 2") == ["done"]  # a different command line
    assert runner_statuses("train --seed 2") == ["skipped"]
    assert calls == ["lr: 1e-4", "lr: 5e-3", "lr: 5e-3"]


def test_folder_inputs_count_every_file(tmp_path):
    from medqa.stages import fingerprint

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    before = fingerprint([model])
    assert fingerprint([model]) == before
    (model / "adapter.safetensors").write_bytes(b"\0" * 10)
    assert fingerprint([model]) != before
    assert fingerprint([tmp_path / "absent"]) != fingerprint([model])

"""The ``pairs`` step of ``medqa prep run``: preference pairs from the doctors' answers.

It runs after the write pass, when every record's final split is known. Raw crawl inputs then
carry all of a question's usable answers in ``meta.candidates`` (asked for by
:func:`request_candidates`). For each question kept in the train or val split, every answer
goes through the run's own per-record steps (normalisation, de-identification, quality
filters: the same step objects the SFT records went through) and, if the exam check reads
answers, the exam index; the survivors are scored and paired (:mod:`dataprep.preference.pairs`).
A question's pairs land in its SFT split, so they never straddle splits, and test-split
questions (and those dropped for overlapping test questions or exams) give no pairs.

Memory: pair records are spooled to a temp file; per pair, three numbers are held.
"""

from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from dataprep.preference.pairs import Answer, Pair, balance_mask, question_pairs
from dataprep.preference.params import PairsParams
from dataprep.preference.ranking import PAIR_BUILDERS, SPLITS, file_key
from dataprep.preference.summary import summarize
from dataprep.steps.base import StepStats
from dataprep.steps.decontaminate import checked_text
from dataprep.steps.deidentify import Deidentify
from dataprep.steps.normalize import Normalize
from dataprep.taxonomy import Taxonomy
from dataprep.worker import deferred_scorer
from dataprep.writers import alpaca_question, system_of
from medqa.io import atomic_write

_SKIPPED_STEPS = ("department",)  # labels questions, not answers
# Steps whose ``apply`` is ``map_texts(record, step.text)`` and never drops: a candidate's
# question through them is the same for every candidate, so it is computed once per question.
_TEXT_MAPS = (Normalize, Deidentify)


NO_CANDIDATE_INPUTS = (
    "pairs: no raw crawl input, so no preference pairs (DPO pairs need raw crawl inputs with "
    "several scored answers per question)"
)


def request_candidates(recipe, readers) -> None:
    """With a ``pairs`` step, raw crawl readers keep every answer in ``meta.candidates``."""
    if recipe.get("pairs") is None:
        return
    for reader in readers:
        if "candidates" in reader.OPTIONS:
            reader.options["candidates"] = True


def carries_candidates(readers) -> bool:
    """Whether any of the run's readers writes ``meta.candidates`` (else no record has any)."""
    return any(reader.options.get("candidates") for reader in readers)


@dataclass
class PairsOutput:
    """What the step wrote (file key → lines), its statistics, and per-pair arrays."""

    files: dict[str, int]
    stats: dict[str, Any]
    margins: np.ndarray
    ratios: np.ndarray
    per_question: Counter = field(default_factory=Counter)


@dataclass
class _Tally:
    questions: Counter = field(default_factory=Counter)
    candidates: Counter = field(default_factory=Counter)
    answer_pairs: Counter = field(default_factory=Counter)
    per_question: Counter = field(default_factory=Counter)
    margins: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    splits: list[int] = field(default_factory=list)

    def merge(self, other: _Tally) -> None:
        for name in ("questions", "candidates", "answer_pairs", "per_question"):
            getattr(self, name).update(getattr(other, name))
        self.margins += other.margins
        self.ratios += other.ratios
        self.splits += other.splits


@dataclass
class _Setup:
    """What the pair workers need (inherited by fork, or pickled once per worker)."""

    params: PairsParams
    steps: list
    exam: Any
    exam_field: str
    paths: list | None
    system_prompt: str | None


_SETUP: _Setup | None = None


def _init(setup: _Setup) -> None:
    global _SETUP
    _SETUP = setup


def build_pairs(
    recipe,
    state,
    result,
    steps,
    exam_index,
    exam_field,
    root: Path,
    workers: int = 1,
    candidates: bool = True,
) -> PairsOutput:
    """Form, write and describe the preference pairs of a run (module docstring); the spool's
    shards are paired by ``workers`` processes, results joined in spool order. Without
    ``candidates`` (no input carries any) the spool is not read: every train/val question
    counts as single-answer, and the stats carry a note instead of the no-pairs warning."""
    params: PairsParams = recipe.get("pairs")
    dept = recipe.get("department")
    setup = _Setup(
        params,
        [step for step in steps if step.name not in _SKIPPED_STEPS],
        exam_index if exam_field != "question" else None,  # questions were checked already
        exam_field,
        Taxonomy.load(dept.taxonomy).paths if dept else None,
        recipe.output.system_prompt,
    )
    tally = _Tally()
    tally.questions["test_split_excluded"] = int((result.keep & (result.split == 2)).sum())
    wanted = result.keep & ((result.split == 0) | (result.split == 1))

    def task(shard):
        span = slice(shard.start, shard.start + shard.count)
        if not wanted[span].any():
            return None
        return shard, wanted[span], result.split[span], result.code[span]

    spooled = root / ".work" / "pairs.jsonl"
    with open(spooled, "wb") as spool:
        if not candidates:  # what _shard_pairs counts for records without candidates
            single = int(wanted.sum())
            if single:
                tally.questions["seen"] += single
                tally.questions["single_answer"] += single
        else:
            for _, (lines, part) in state.spool.map(_shard_pairs, task, workers, _init, (setup,)):
                spool.writelines(lines)
                tally.merge(part)
    ratios, splits = np.array(tally.ratios, float), np.array(tally.splits, np.int8)
    keep = np.ones(len(ratios), dtype=bool)
    if params.balance_length:
        for split in (0, 1):
            chosen = np.flatnonzero(splits == split)
            keep[chosen] = balance_mask(ratios[chosen])
    files = _write_files(spooled, keep, splits, params.formats, root)
    spooled.unlink()
    margins = np.array(tally.margins, float)
    stats = summarize(params, tally, margins, ratios, keep, files)
    if not candidates:  # said once as a note: nothing the user can fix in this run's data
        stats["warnings"] = [w for w in stats["warnings"] if not w.startswith("pairs: no pref")]
        stats["note"] = NO_CANDIDATE_INPUTS
    return PairsOutput(files, stats, margins[keep], ratios[keep], tally.per_question)


def _shard_pairs(task) -> tuple[list[bytes], _Tally]:
    """One spool shard's pair lines (JSON) and counts. The candidates of all the shard's
    questions are cleaned first, so the quality scores of the kept ones are computed at once
    (:meth:`Quality.score_records`), then each question's answers are paired, in order."""
    setup = _SETUP
    shard, wanted, splits, codes = task
    tally, out = _Tally(), []
    scorer = deferred_scorer(setup.steps)
    cleaned = []
    for local, line in enumerate(shard.lines()):
        if not wanted[local]:
            continue
        if b'"candidates"' not in line:  # the reader keeps candidates only for 2+ answers
            tally.questions["seen"] += 1
            tally.questions["single_answer"] += 1
            continue
        record = orjson.loads(line)
        cleaned.append((local, record, _clean_answers(record, setup, tally, scorer)))
    if scorer is not None:
        scorer.score_records([probe for *_, kept in cleaned for _, probe in kept])
    for local, record, kept in cleaned:
        answers = [_answer(candidate, probe) for candidate, probe in kept]
        pairs = question_pairs(answers, setup.params, tally.answer_pairs) if answers else []
        tally.questions["with_pairs"] += bool(pairs)
        tally.per_question[len(pairs)] += bool(pairs)
        department = _department(record, setup.paths, int(codes[local]))
        for k, pair in enumerate(pairs):
            line_out = _pair_record(record, pair, k, department, setup.system_prompt)
            out.append(orjson.dumps(line_out) + b"\n")
            tally.margins.append(pair.margin)
            tally.ratios.append(pair.length_ratio)
            tally.splits.append(int(splits[local]))
    return out, tally


def _clean_answers(record, setup: _Setup, tally: _Tally, scorer) -> list[tuple[dict, dict]]:
    """The question's candidates that survive the per-record steps (and the exam check),
    each with its cleaned probe record (scores left to ``scorer`` if not None)."""
    candidates = record["meta"].get("candidates") or []
    tally.questions["seen"] += 1
    if len(candidates) < 2:
        tally.questions["single_answer"] += 1
        return []
    tally.questions["multi_answer"] += 1
    kept: list[tuple[dict, dict]] = []
    # The record went through these steps in pass 1 and was kept: its question is already
    # what the text steps make of it (so they leave it), and its own answer's cleaned text
    # is reused (scores are recomputed by ``scorer`` with the others').
    done = record["question"]
    questions = {(k, done): done for k, s in enumerate(setup.steps) if isinstance(s, _TEXT_MAPS)}
    own = record["meta"].get("answer_candidate") if scorer is not None else None
    for k, candidate in enumerate(candidates):
        tally.candidates["seen"] += 1
        probe = _probe(record, candidate)
        if k == own:
            probe["answer"] = record["answer"]
            kept.append((candidate, probe))
            continue
        reason = _run(setup.steps, probe, questions, scorer)
        if reason:
            tally.candidates[reason] += 1
            continue
        kept.append((candidate, probe))
    exam = setup.exam
    if exam is not None and kept:
        matches = exam.match([checked_text(probe, setup.exam_field) for _, probe in kept])
        tally.candidates["decontaminate:overlaps_exam"] += sum(m is not None for m in matches)
        kept = [item for item, match in zip(kept, matches, strict=True) if match is None]
    tally.candidates["kept"] += len(kept)
    return kept


def _answer(candidate: dict, probe: dict) -> Answer:
    return Answer(
        probe["answer"],
        bool(candidate.get("accepted")),
        int(candidate.get("likes") or 0),
        probe["meta"].get("quality"),
    )


def _probe(record: dict, candidate: dict) -> dict:
    """A QA record for one candidate answer, as the reader would have made it."""
    meta = {"accepted": bool(candidate.get("accepted")), "likes": candidate.get("likes") or 0}
    return {
        "id": record["id"],
        "source": record["source"],
        "department": list(record["department"]),
        "question": record["question"],
        "answer": candidate["text"],
        "meta": meta,
    }


def _run(steps, probe: dict, questions: dict[tuple[int, str], str], scorer=None) -> str | None:
    """The first drop reason of the steps on ``probe`` (None: kept); ``questions`` memoises
    the text steps' output for the question, shared by the candidates of one question;
    ``scorer`` (the quality step) leaves the scores for later."""
    for k, step in enumerate(steps):
        if isinstance(step, _TEXT_MAPS):  # what map_texts does to a record without turns
            key = (k, probe["question"])
            if key not in questions:
                questions[key] = step.text(probe["question"])
            probe["question"], probe["answer"] = questions[key], step.text(probe["answer"])
            continue
        if step is scorer:
            reason = step.apply(probe, StepStats(), score=False)
        else:
            reason = step.apply(probe, StepStats())
        if reason:
            return f"{step.name}:{reason}"
    return None


def _department(record: dict, paths, code: int) -> str:
    if paths is None:
        return "/".join(record["department"])
    return "/".join(paths[code]) if code >= 0 else ""


def _pair_record(record, pair: Pair, k: int, department: str, system_prompt) -> dict:
    return {
        "id": f"{record['id']}-pair{k}",
        "prompt": alpaca_question(record),
        "chosen": pair.chosen.text,
        "rejected": pair.rejected.text,
        "system": system_of(record, system_prompt),
        "department": department,
        "margin": pair.margin,
    }


def _write_files(spooled: Path, keep, splits, formats, root: Path) -> dict[str, int]:
    """Every (format, split) ranking file in one pass over the spooled pairs: each pair is
    parsed once and written, in spool order, to the files of its split."""
    files = {file_key(fmt, split): 0 for fmt in formats for split in SPLITS}
    with ExitStack() as stack:
        outs = {
            (fmt, code): stack.enter_context(atomic_write(root / file_key(fmt, split), "wb"))
            for fmt in formats
            for code, split in enumerate(SPLITS)
        }
        builders = [(fmt, PAIR_BUILDERS[fmt]) for fmt in formats]
        with open(spooled, "rb") as source:
            for k, line in enumerate(source):
                code = int(splits[k])
                if not keep[k] or code >= len(SPLITS):
                    continue
                pair = orjson.loads(line)
                for fmt, build in builders:
                    outs[fmt, code].write(orjson.dumps(build(pair)) + b"\n")
                    files[file_key(fmt, SPLITS[code])] += 1
    return files

"""Exam (MCQ) inputs: read in the main process before the QA pass, normalised like training
text, written to ``exam/<input>.jsonl`` and indexed for the contamination check. The
contamination check's reference benchmarks (``decontaminate.exams``) are read as published by the
shared reader ``medqa.mcq``, the one eval scores them with."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from dataprep.contamination import NgramIndex
from dataprep.readers import Reader
from dataprep.records import Reject, Skip
from dataprep.steps.decontaminate import DecontaminateParams
from dataprep.steps.normalize import Normalize
from medqa.mcq import McqError, iter_records

log = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class ExamSet:
    """Exam records per output name, reference questions for the index, and counters."""

    outputs: dict[str, list[dict]] = field(default_factory=dict)
    reference: list[tuple[str, str]] = field(default_factory=list)  # (id, question)
    rejects: list[dict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def index(self, params: DecontaminateParams | None) -> NgramIndex | None:
        """The n-gram index over every exam question (None without the step or questions)."""
        if params is None or not self.reference:
            return None
        ids, texts = zip(*self.reference, strict=True)
        return NgramIndex(list(ids), list(texts), params.ngram, params.min_overlap)


def read_exam(reader: Reader, normalize: Normalize | None, exams: ExamSet) -> list[dict]:
    """All MCQ records of one exam input (rejects collected with file and line)."""
    records = []
    for line_no, payload in reader.units():
        for item in reader.parse(line_no, payload):
            if isinstance(item, Reject):
                exams.rejects.append(
                    {"file": str(reader.path), "line": line_no, "reason": item.reason}
                )
            elif not isinstance(item, Skip):
                records.append(_normalised(item, normalize))
    return records


def read_reference_exam(path: Path, normalize: Normalize | None, exams: ExamSet) -> list[dict]:
    """Every question of a benchmark file as published (any file the shared reader
    ``medqa.mcq`` reads: JSONL, JSON array, CSV/TSV, XLSX); bad records are collected as
    rejects with file, line and reason, and a file with no question at all is an error."""
    records = []
    try:
        for item in iter_records(path, errors="yield"):
            if isinstance(item, McqError):
                line = re.search(r"(\d+)$", item.where)
                exams.rejects.append(
                    {
                        "file": str(path),
                        "line": int(line.group(1)) if line else None,
                        "reason": str(item).split(": ", 1)[-1],
                    }
                )
            else:
                records.append(_normalised(item, normalize))
    except McqError as exc:
        raise ValueError(f"decontaminate.exams: {exc}") from None
    if not records:
        raise ValueError(f"decontaminate.exams: {path} holds no readable question")
    return records


def _normalised(record: dict, normalize: Normalize | None) -> dict:
    if normalize is None:
        return record
    record["question"] = normalize.text(record["question"])
    record["options"] = {k: normalize.text(v) for k, v in record["options"].items()}
    if record.get("explanation"):
        record["explanation"] = normalize.text(record["explanation"])
    return record


def collect_exams(
    exam_readers: list[Reader], params: DecontaminateParams | None, normalize: Normalize | None
) -> ExamSet:
    """Read the run's MCQ inputs (written to exam/) and the step's reference exam files."""
    exams = ExamSet()
    for reader in exam_readers:
        records = read_exam(reader, normalize, exams)
        name = _unique_name(reader.path.stem, exams.outputs)
        exams.outputs[name] = records
        exams.reference += [(r["id"], r["question"]) for r in records]
        exams.files.append(str(reader.path))
    for given in params.exams if params else []:
        path = resolve_exam(given)
        if not path.exists():
            if not params.missing_ok:
                raise FileNotFoundError(f"decontaminate.exams: {path} does not exist")
            log.warning("decontaminate.exams: %s does not exist; skipped", given)
            exams.missing.append(given)
            continue
        records = read_reference_exam(path, normalize, exams)
        exams.reference += [(r["id"], r["question"]) for r in records]
        exams.files.append(given)
    return exams


def resolve_exam(given: str) -> Path:
    """An exam path as given, or, if relative and absent there, relative to the project
    checkout (so the default recipe's ``data/sample/exam_sample.jsonl`` works from any folder)."""
    path = Path(given)
    if path.is_absolute() or path.exists():
        return path
    in_checkout = PROJECT_ROOT / path
    return in_checkout if in_checkout.exists() else path


def _unique_name(stem: str, taken: dict) -> str:
    name, k = stem, 2
    while name in taken:
        name, k = f"{stem}-{k}", k + 1
    return name

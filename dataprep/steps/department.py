"""Department: map source labels onto the canonical taxonomy; classify unlabelled records.

The classifier (:mod:`dataprep.classifier`) is fitted on this run's labelled records except a
held-out share (by id hash), which measures its accuracy; the counts of both parts are then
summed to classify the unlabelled records.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import xxhash

from dataprep.steps.base import RecordStep, StepStats
from dataprep.taxonomy import Taxonomy

UNKNOWN = -1


@dataclass
class DepartmentParams:
    """``taxonomy``: a taxonomy YAML (default: the bundled one); ``classify``: predict the
    department of unlabelled records (needs ``min_labelled`` labelled ones); ``holdout``: share
    of labelled records kept out of fitting to measure accuracy; ``alpha``: NB smoothing;
    ``unknown``: department given to unlabelled records when no classifier runs;
    ``keywords``: use the taxonomy's keyword prior for departments the classifier never saw
    (and alone when too few records are labelled); ``min_precision``: the held-out precision
    the classifier's confidence threshold is calibrated to (below it: the prior, or none);
    ``unfamiliar_share``: the share of held-out labelled texts allowed below the familiarity
    floor (a text with no keyword evidence below it gets no department: it is unlike what the
    classifier was fitted on; 0 turns the floor off)."""

    taxonomy: str | None = None
    classify: bool = True
    holdout: float = 0.1
    alpha: float = 0.1
    min_labelled: int = 20
    unknown: str = "其他"
    keywords: bool = True
    min_precision: float = 0.9
    unfamiliar_share: float = 0.02

    def __post_init__(self) -> None:
        if not 0.0 <= self.holdout < 1.0:
            raise ValueError("holdout must be in [0, 1)")
        if not 0.0 < self.min_precision <= 1.0:
            raise ValueError("min_precision must be in (0, 1]")
        if not 0.0 <= self.unfamiliar_share < 1.0:
            raise ValueError("unfamiliar_share must be in [0, 1)")
        try:
            Taxonomy.load(self.taxonomy)
        except OSError as exc:
            raise ValueError(f"taxonomy: cannot read {self.taxonomy!r} ({exc.strerror})") from None


class DepartmentMap(RecordStep):
    """Replace ``department`` labels with the canonical path; ``meta.department_source`` keeps
    the originals; ``meta.department_code`` is the taxonomy code (-1: unlabelled)."""

    name = "department"

    def __init__(self, params: DepartmentParams) -> None:
        self.params = params
        self.taxonomy = Taxonomy.load(params.taxonomy)

    def apply(self, record: dict, stats: StepStats) -> str | None:
        labels = record.get("department") or []
        code = self.taxonomy.code(labels)
        if labels:
            record["meta"]["department_source"] = labels
        if code == UNKNOWN:
            record["department"] = []
            stats.counts["unlabelled" if not labels else "unmapped"] += 1
            for label in labels:
                stats.counts[f"unmapped_label:{label}"] += 1
        else:
            record["department"] = list(self.taxonomy.paths[code])
            stats.counts["mapped"] += 1
        record["meta"]["department_code"] = code
        return None


def is_held_out(record_id: str, share: float) -> bool:
    """Deterministic held-out membership of a labelled record (by id hash)."""
    return xxhash.xxh64_intdigest(record_id.encode("utf-8"), seed=7) % 10_000 < share * 10_000


def top_unmapped(counts: Counter, limit: int = 30) -> dict[str, int]:
    """The most frequent labels that mapped to no department, for stats."""
    labels = Counter(
        {k.split(":", 1)[1]: v for k, v in counts.items() if k.startswith("unmapped_label:")}
    )
    return dict(labels.most_common(limit))

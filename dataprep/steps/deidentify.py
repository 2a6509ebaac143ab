"""De-identify: every text of a record through the shared engine (:mod:`medqa.deid`), the
same one the crawler runs before its feed writes a line; replacements counted per kind."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from dataprep.steps.base import RecordStep, StepStats, map_texts
from medqa.deid import KINDS, Deidentifier, canonical_kind


@dataclass
class DeidentifyParams:
    """``kinds``: which kinds to replace (all of :data:`medqa.deid.KINDS` by default; ``types``
    is the older name of this key, and ``record_no`` of ``medical_record``);
    ``keep_doctor_names``: leave doctors' names in answers; ``placeholders``: kind → text."""

    kinds: list[str] = field(default_factory=lambda: list(KINDS))
    keep_doctor_names: bool = False
    placeholders: dict[str, str] = field(default_factory=dict)
    types: list[str] | None = None

    def __post_init__(self) -> None:
        if self.types is not None:
            self.kinds, self.types = list(self.types), None
        self.kinds = [canonical_kind(name) for name in self.kinds]
        self.placeholders = {canonical_kind(k): v for k, v in self.placeholders.items()}


class Deidentify(RecordStep):
    """Replace personal identifiers with typed placeholders and count them per kind."""

    name = "deidentify"

    def __init__(self, params: DeidentifyParams) -> None:
        self.params = params
        self.engine = Deidentifier(
            params.kinds,
            keep_doctor_names=params.keep_doctor_names,
            placeholders=params.placeholders,
        )

    def text(self, text: str, counts: Counter | None = None) -> str:
        """``text`` with identifiers replaced; ``counts`` (if given) gains one per replacement."""
        return self.engine.redact(text, counts)

    def apply(self, record: dict, stats: StepStats) -> str | None:
        map_texts(record, lambda text: self.engine.redact(text, stats.counts))
        return None

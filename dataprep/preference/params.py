"""The ``pairs`` recipe step's parameters: how answers are scored and paired."""

from __future__ import annotations

from dataclasses import dataclass, field

PAIR_FORMATS = ("alpaca", "sharegpt")


@dataclass
class PairsParams:
    """Preference pairs from the doctors' answers of one question (Stack Exchange style).

    An answer scores ``accepted_bonus`` if the asker accepted it, plus ``likes_weight`` ×
    round(log2(1 + likes)), plus ``length_weight`` × its content length (capped at 400
    characters, 0–1), plus ``quality_weight`` × the quality filter's score (0–1). Two answers
    of a question form a pair when their scores differ by at least ``min_margin`` (smaller
    differences are ties) and their character ``ngram`` sets overlap below ``near_duplicate``
    (Jaccard); a question keeps its ``max_pairs_per_question`` widest-margin pairs.

    ``length_bias_share``: a warning when chosen answers are longer than rejected ones in at
    least this share of the pairs; ``balance_length``: then drop the most length-biased pairs
    until chosen is longer in at most half of them. ``formats``: the ranking files written."""

    accepted_bonus: float = 1.0
    likes_weight: float = 1.0
    length_weight: float = 0.0
    quality_weight: float = 0.0
    min_margin: float = 1.0
    near_duplicate: float = 0.7
    ngram: int = 5
    max_pairs_per_question: int = 3
    length_bias_share: float = 0.65
    balance_length: bool = False
    formats: list[str] = field(default_factory=lambda: list(PAIR_FORMATS))

    def __post_init__(self) -> None:
        if self.min_margin <= 0:
            raise ValueError("min_margin must be > 0 (equal scores are ties, never pairs)")
        if not 0 < self.near_duplicate <= 1:
            raise ValueError("near_duplicate must be in (0, 1]")
        if self.ngram < 1 or self.max_pairs_per_question < 1:
            raise ValueError("ngram and max_pairs_per_question must be at least 1")
        if not 0.5 <= self.length_bias_share <= 1:
            raise ValueError("length_bias_share must be in [0.5, 1]")
        for name in self.formats:
            if name not in PAIR_FORMATS:
                raise ValueError(f"unknown pair format {name!r} (known: {', '.join(PAIR_FORMATS)})")

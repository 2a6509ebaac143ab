"""Recall and precision per kind on labelled sets written blind (by people who never saw the
engine), and false alarms on hand-checked real records.

``blind_dev.jsonl`` was used to tune the engine: it is a development set. ``blind_final.jsonl``
was run once when the engine was first finished, ``blind_final2.jsonl`` once after the second
round (their first-run figures are the held-out ones); both were tuned on afterwards. The floors guard
against regressions: they are the figures the engine reached, not the issue's goals (see
medqa/deid/__init__.py).
"""

from __future__ import annotations

import json

import pytest

from medqa.deid import Deidentifier
from medqa.deid.evaluate import Score, format_table, load_set, score
from tests.deid.conftest import DATA, DEV_SET, REAL

ENGINE = Deidentifier()

# kind -> least recall on the development set (scored by the identifying-core rule of
# medqa/deid/evaluate.py, the same for every set)
DEV_RECALL_FLOORS = {
    "phone": 1.0,
    "wechat": 1.0,
    "qq": 1.0,
    "id_card": 1.0,
    "email": 1.0,
    "bed": 1.0,
    "medical_record": 1.0,
    "person_name": 1.0,
    "doctor_name": 1.0,
    "address": 1.0,
    "licence_plate": 1.0,
    "bank_card": 1.0,
    "passport": 1.0,
    "date_of_birth": 1.0,
    "social_handle": 1.0,
    "url": 1.0,
}


def _score(cases) -> Score:
    return score(cases, lambda text: [(s.kind, s.start, s.end) for s in ENGINE.find(text)])


def _scored_above_floors(path, floors: dict[str, float], kind_precision: float | None) -> Score:
    """Score one blind set; every kind at least its recall floor and ``kind_precision`` (None:
    not checked per kind), and no hard negative touched."""
    result = _score(load_set(path))
    print("\n" + format_table(result))
    assert set(result.gold) == set(floors)
    for kind, floor in floors.items():
        assert result.recall(kind) >= floor, (kind, result.recall(kind), result.misses)
        if kind_precision is not None:
            assert result.precision(kind) >= kind_precision, (kind, result.false_spans)
    assert result.broken_negatives == []
    return result


def test_development_set_per_kind_recall_precision_and_negatives() -> None:
    # per-kind precision 0.93: QQ groups and landmark addresses are unlabelled here but
    # labelled in the final set
    result = _scored_above_floors(DEV_SET, DEV_RECALL_FLOORS, kind_precision=0.93)
    assert result.precision() >= 0.99
    assert result.negatives == 566


# kind -> least recall on the final set. Its first run, when the engine was done, gave the final
# figures (medqa/deid/__init__.py); general gaps it showed were fixed after that run, so these
# floors are the figures after the fixes and the set is no longer blind.
FINAL_RECALL_FLOORS = {
    "phone": 1.0,
    "wechat": 1.0,
    "qq": 1.0,
    "id_card": 1.0,
    "email": 1.0,
    "bed": 1.0,
    "medical_record": 1.0,
    "person_name": 0.98,
    "doctor_name": 1.0,
    "address": 1.0,
    "licence_plate": 1.0,
    "bank_card": 1.0,
    "passport": 1.0,
    "date_of_birth": 1.0,
    "social_handle": 1.0,
    "url": 1.0,
}


def test_final_set_per_kind_recall_precision_and_negatives() -> None:
    _scored_above_floors(DATA / "blind_final.jsonl", FINAL_RECALL_FLOORS, kind_precision=0.99)


# kind -> least recall on the second final set (blind_final2.jsonl). It was run once when this
# round's engine work was done; those figures are the held-out ones (medqa/deid/__init__.py).
# General gaps it showed were fixed after that run: these floors are the figures reached since.
FINAL2_RECALL_FLOORS = {
    "phone": 1.0,
    "wechat": 1.0,
    "qq": 1.0,
    "id_card": 1.0,
    "email": 1.0,
    "bed": 1.0,
    "medical_record": 1.0,
    "person_name": 0.98,
    "doctor_name": 1.0,
    "address": 1.0,
    "licence_plate": 1.0,
    "bank_card": 1.0,
    "passport": 1.0,
    "date_of_birth": 1.0,
    "social_handle": 1.0,
    "url": 1.0,
}


def test_second_final_set_per_kind_recall_precision_and_negatives() -> None:
    result = _scored_above_floors(
        DATA / "blind_final2.jsonl", FINAL2_RECALL_FLOORS, kind_precision=0.97
    )
    assert result.precision() >= 0.99
    assert result.negatives == 486


# The third final set (blind_final3.jsonl) was run once before the name model was built
# (overall recall 0.935, person names 0.699; medqa/deid/__init__.py); the model and this
# round's rules were tuned on it, so it is a development set too: every kind at 1.0 since.
FINAL3_RECALL_FLOORS = dict.fromkeys(FINAL_RECALL_FLOORS, 1.0)


def test_third_final_set_per_kind_recall_precision_and_negatives() -> None:
    result = _scored_above_floors(
        DATA / "blind_final3.jsonl", FINAL3_RECALL_FLOORS, kind_precision=0.99
    )
    assert result.precision() >= 0.99
    assert result.negatives == 505


def _real_cases() -> list[dict]:
    """The hand-labelled real fields with their text read from ../shared/data/real (the labels
    hold file, line, field and character offsets only: no licensed text is in the repo)."""
    if not REAL.is_dir():
        pytest.skip(f"{REAL} is absent (licensed data kept outside the repo)")
    lines: dict[str, list[str]] = {}
    cases = []
    with open(DATA / "real_labels.jsonl", encoding="utf-8") as handle:
        for label in map(json.loads, handle):
            if label["file"] not in lines:
                path = REAL / label["file"]
                lines[label["file"]] = path.read_text(encoding="utf-8").splitlines()
            text = json.loads(lines[label["file"]][label["line"] - 1])[label["field"]] or ""
            cases.append(
                {
                    "id": f"{label['file']}:{label['line']}:{label['field']}",
                    "text": text,
                    "identifiers": [
                        {"kind": i["kind"], "value": text[i["start"] : i["end"]]}
                        for i in label["identifiers"]
                    ],
                    "negatives": [text[n["start"] : n["end"]] for n in label["negatives"]],
                }
            )
    return cases


def test_real_records_hand_checked_keep_their_clinical_content() -> None:
    cases = _real_cases()
    result = _score(cases)
    print(f"\n{len(cases)} real fields: {len(result.false_spans)} false alarms")
    print(format_table(result))
    assert len(cases) == 520
    assert result.recall() == 1.0
    assert result.broken_negatives == []
    assert len(result.false_spans) <= 1, result.false_spans


# The sixth blind set (blind_dev6.jsonl, 506 texts, 712 identifiers, 787 hard negatives) was
# scored once with the engine of 117ce7b before any change (recall 0.846: person names 0.683,
# doctors 0.824, addresses 0.686, beds 0.577, births 0.543, WeChat 0.750); this round was tuned
# on it, so it is a development set. Floors: the figures reached, not the goals.
DEV6_RECALL_FLOORS = {
    "address": 0.82,
    "bank_card": 0.96,
    "bed": 0.92,
    "date_of_birth": 0.82,
    "doctor_name": 0.85,
    "email": 1.0,
    "id_card": 1.0,
    "licence_plate": 1.0,
    "medical_record": 1.0,
    "passport": 1.0,
    "person_name": 0.76,
    "phone": 1.0,
    "qq": 0.98,
    "social_handle": 0.9,
    "url": 0.93,
    "wechat": 0.8,
}


# The seventh blind set (blind_dev7.jsonl, 450 texts, 637 identifiers, 532 hard negatives) was
# held out in stop 25 (recall 0.871 before that stop's fixes, 0.895 after) and tuned on in
# stop 26, so it is a development set now. Floors: the figures reached, not the goals.
DEV7_RECALL_FLOORS = {
    "address": 0.92,
    "bank_card": 1.0,
    "bed": 0.96,
    "date_of_birth": 0.93,
    "doctor_name": 1.0,
    "email": 1.0,
    "id_card": 1.0,
    "licence_plate": 0.96,
    "medical_record": 0.96,
    "passport": 0.96,
    "person_name": 0.85,
    "phone": 0.96,
    "qq": 1.0,
    "social_handle": 0.96,
    "url": 0.96,
    "wechat": 0.97,
}


# The eighth blind set (blind_dev8.jsonl, 504 texts, 628 identifiers, 815 hard negatives) was
# held out in stop 26 and scored once at 323d755 (recall 0.842: births 0.323, handles 0.552,
# addresses 0.667, person names 0.771), then tuned on: a development set. Its writer counts a
# year of birth alone (1979年出生, 86年属虎) and a hospital floor (住院部7楼) as identifiers;
# the engine keeps both by policy, so those stay misses. Floors: the figures reached.
DEV8_RECALL_FLOORS = {
    "address": 0.71,
    "bank_card": 1.0,
    "bed": 0.88,
    "date_of_birth": 0.74,
    "doctor_name": 0.96,
    "email": 0.97,
    "id_card": 0.95,
    "licence_plate": 1.0,
    "medical_record": 0.91,
    "passport": 1.0,
    "person_name": 0.83,
    "phone": 0.97,
    "qq": 1.0,
    "social_handle": 0.82,
    "url": 1.0,
    "wechat": 0.92,
}


# The ninth blind set (blind_dev9.jsonl, 485 texts, 631 identifiers, 578 hard negatives) was
# held out in stop 26 and scored once at e47d3cc (recall 0.849, precision 0.981), then tuned on.
# Its writer labels a doctor only when named in full, so the engine's 张医生/刘主任 count against
# doctor precision here. Floors: the figures reached.
DEV9_RECALL_FLOORS = {
    "address": 0.75,
    "bank_card": 0.91,
    "bed": 0.91,
    "date_of_birth": 0.67,
    "doctor_name": 0.85,
    "email": 1.0,
    "id_card": 0.9,
    "licence_plate": 1.0,
    "medical_record": 0.8,
    "passport": 0.92,
    "person_name": 0.79,
    "phone": 0.93,
    "qq": 1.0,
    "social_handle": 0.79,
    "url": 1.0,
    "wechat": 1.0,
}


# (set, recall floors per kind, per-kind precision floor or None, overall recall and precision
# floors, hard negatives in the set)
DEVELOPMENT_SETS = [
    ("blind_dev6.jsonl", DEV6_RECALL_FLOORS, 0.99, 0.90, 0.99, 787),
    ("blind_dev7.jsonl", DEV7_RECALL_FLOORS, 0.99, 0.94, 0.99, 532),
    ("blind_dev8.jsonl", DEV8_RECALL_FLOORS, 0.97, 0.89, 0.99, 815),
    ("blind_dev9.jsonl", DEV9_RECALL_FLOORS, None, 0.87, 0.98, 578),
]


@pytest.mark.parametrize(
    ("name", "floors", "kind_precision", "recall", "precision", "negatives"),
    DEVELOPMENT_SETS,
    ids=[row[0] for row in DEVELOPMENT_SETS],
)
def test_development_sets_hold_their_floors(
    name, floors, kind_precision, recall, precision, negatives
) -> None:
    result = _scored_above_floors(DATA / name, floors, kind_precision)
    assert result.recall() >= recall
    assert result.precision() >= precision
    assert result.negatives == negatives

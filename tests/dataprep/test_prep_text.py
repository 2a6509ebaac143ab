"""Normalisation (de-identification is tested in tests/deid)."""

from __future__ import annotations

import pytest

from dataprep.steps.base import StepStats
from dataprep.steps.normalize import Normalize, NormalizeParams


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("ＡＢＣ１２３，头痛", "ABC123，头痛"),  # full-width ASCII → half-width, ， kept
        ("发烧３８．５℃怎么办？", "发烧38.5°C怎么办？"),
        ("头 痛 三 天&nbsp;了", "头痛三天了"),  # spaces between CJK dropped, entity unescaped
        ("<p>多喝水</p><br/>注意休息&amp;观察", "多喝水\n注意休息&观察"),
        ("结节<5mm，随访", "结节<5mm，随访"),  # a "<" that is not a tag survives
        ("咳嗽\u200b\u200d两周\x07", "咳嗽两周"),  # zero-width and control chars removed
        ("第一行\r\n\r\n\n  第二行  ", "第一行\n第二行"),
        ("CT  显示\t正常", "CT 显示正常"),  # tab → space, then CJK–CJK space dropped
    ],
)
def test_normalize_text(raw: str, clean: str) -> None:
    assert Normalize(NormalizeParams()).text(raw) == clean


def test_normalize_traditional_to_simplified_is_optional() -> None:
    text = "醫生說要檢查肝功能"
    assert Normalize(NormalizeParams()).text(text) == text
    assert Normalize(NormalizeParams(t2s=True)).text(text) == "医生说要检查肝功能"


def test_normalize_applies_to_every_turn() -> None:
    record = {
        "question": "",
        "answer": "",
        "meta": {},
        "turns": [
            {"role": "user", "content": "头 痛"},
            {"role": "assistant", "content": "休息 一下"},
            {"role": "user", "content": "还 痛"},
            {"role": "assistant", "content": "就 医"},
        ],
    }
    Normalize(NormalizeParams()).apply(record, StepStats())
    assert [t["content"] for t in record["turns"]] == ["头痛", "休息一下", "还痛", "就医"]
    assert (record["question"], record["answer"]) == ("还痛", "就医")


@pytest.mark.parametrize(
    "text",
    [
        "PLT的正常值范围是150-450×10⁹/L",  # 10⁹ must not become 109
        "体表面积1.5m²，CO₂结合力降低，Na⁺偏低",
        "①口服②外用",  # circled list markers must not merge with the numbers after them
    ],
)
def test_normalize_keeps_superscripts_subscripts_and_circled_numbers(text: str) -> None:
    assert Normalize(NormalizeParams()).text(text) == text

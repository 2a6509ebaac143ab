"""Normalisation and de-identification, incl. precision/recall on the labelled test set."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from dataprep.steps.base import StepStats
from dataprep.steps.deidentify import Deidentify, DeidentifyParams
from dataprep.steps.normalize import Normalize, NormalizeParams
from tests.dataprep.conftest import DATA


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


def test_deidentify_replaces_with_typed_placeholders_and_counts() -> None:
    step = Deidentify(DeidentifyParams())
    record = {
        "question": "我在心内科12床，住院号：ZY20231108，手机13812345678，QQ：123456789",
        "answer": "加微信yisheng_2024或发邮件到li@163.com，见www.example.com/a",
        "meta": {},
    }
    stats = StepStats()
    assert step.apply(record, stats) is None
    assert record["question"] == "我在心内科[床号]，住院号：[病历号]，手机[电话]，QQ：[QQ号]"
    assert record["answer"] == "加微信[微信号]或发邮件到[邮箱]，见[网址]"
    assert stats.counts == Counter(bed=1, record_no=1, phone=1, qq=1, wechat=1, email=1, url=1)


def test_deidentify_types_and_placeholders_are_configurable() -> None:
    step = Deidentify(DeidentifyParams(types=["phone"], placeholders={"phone": "<PHONE>"}))
    assert step.text("电话13812345678，邮箱a@b.com") == "电话<PHONE>，邮箱a@b.com"
    with pytest.raises(ValueError, match="unknown de-identification type 'fax'"):
        DeidentifyParams(types=["fax"])


def test_deidentify_precision_recall_on_labelled_set() -> None:
    """Entity-level precision/recall on 104 authored texts (69 identifiers, 50 hard negatives
    such as lab values, dates and dosages). Exact type and value must match."""
    step = Deidentify(DeidentifyParams())
    tp = fp = fn = 0
    per_type: Counter = Counter()
    with open(DATA / "deid_labelled.jsonl", encoding="utf-8") as handle:
        cases = [json.loads(line) for line in handle]
    for case in cases:
        gold = Counter((s["type"], s["value"]) for s in case["spans"])
        found = Counter((k, case["text"][a:b]) for k, a, b in step.find(case["text"]))
        hit = gold & found
        tp += sum(hit.values())
        fp += sum((found - gold).values())
        fn += sum((gold - found).values())
        per_type.update(kind for kind, _ in (gold - found).elements())
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(
        f"\nde-identification: {len(cases)} texts, P={precision:.3f} R={recall:.3f} "
        f"(tp={tp} fp={fp} fn={fn}; misses by type {dict(per_type)})"
    )
    assert len(cases) == 104 and tp + fn == 69
    assert precision >= 0.98
    assert recall >= 0.95


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


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("科室电话（0571）87236666", "科室电话[电话]"),  # full-width brackets survive normalize
        ("电话：(0571)8723-6666", "电话：[电话]"),
        ("联系电话：0571-8723-6666", "联系电话：[电话]"),
        ("电话：021 6123 4567", "电话：[电话]"),
        ("电话 +86 21 61234567", "电话 [电话]"),
        ("微信号码：abc_123", "微信号码：[微信号]"),
        ("WeChat: abc_123", "WeChat: [微信号]"),
        ("加微信（doc_wang88）咨询", "加微信（[微信号]）咨询"),
        # hard negatives stay
        ("血压150/95，空腹血糖7.8mmol/L，2023-05-01复查", None),
        ("阿莫西林0.5g，每日3次，编号 0571 8723", None),
        ("我在微信上咨询过，微信公众号：yixuejiaoyu", None),
        ("HBV-DNA 13800000000 copies/ml，上次15800000000 IU/ml", None),  # viral loads
    ],
)
def test_deidentify_common_contact_spellings(raw: str, clean: str | None) -> None:
    step = Deidentify(DeidentifyParams())
    assert step.text(Normalize(NormalizeParams()).text(raw)) == (clean or raw)

"""dataprep's deidentify step: recipe keys checked up front, kinds and doctor names switchable,
every replacement counted per kind."""

from __future__ import annotations

from collections import Counter

import pytest

from dataprep.recipe import RecipeError, parse_recipe
from dataprep.steps.base import StepStats
from dataprep.steps.deidentify import Deidentify, DeidentifyParams


def test_every_text_of_a_record_is_replaced_and_counted_per_kind() -> None:
    record = {
        "question": "我在心内科12床，住院号：ZY20231108，手机13812345678，我叫王建国",
        "answer": "加微信yisheng_2024或发邮件到li@163.com。——心内科 李志强",
        "meta": {},
    }
    stats = StepStats()
    assert Deidentify(DeidentifyParams()).apply(record, stats) is None
    assert record["question"] == "我在心内科[床号]，住院号：[病历号]，手机[电话]，我叫[姓名]"
    assert record["answer"] == "加微信[微信号]或发邮件到[邮箱]。——心内科 [医生姓名]"
    assert stats.counts == Counter(
        bed=1, medical_record=1, phone=1, person_name=1, wechat=1, email=1, doctor_name=1
    )


def test_recipe_picks_kinds_keeps_doctor_names_and_reads_the_old_key() -> None:
    recipe = parse_recipe(
        {"steps": [{"deidentify": {"types": ["record_no", "phone"], "keep_doctor_names": True}}]}
    )
    step = Deidentify(recipe.get("deidentify"))
    text = "住院号ZY2024001，电话13812345678，邮箱a_b@163.com，李医生说"
    assert step.text(text) == "住院号[病历号]，电话[电话]，邮箱a_b@163.com，李医生说"


def test_an_unknown_kind_fails_the_recipe_naming_the_step() -> None:
    with pytest.raises(
        RecipeError, match=r"steps\[0\]\.deidentify: unknown de-identification kind 'fax'"
    ):
        parse_recipe({"steps": [{"deidentify": {"kinds": ["phone", "fax"]}}]}, "r.yaml")
    with pytest.raises(RecipeError, match="unknown de-identification kind 'pager'"):
        parse_recipe({"steps": [{"deidentify": {"placeholders": {"pager": "<P>"}}}]}, "r.yaml")

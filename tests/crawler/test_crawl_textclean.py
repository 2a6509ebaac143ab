"""Normalisation and de-identification of crawled text."""

from __future__ import annotations

from collections import Counter

import pytest

from crawler.textclean import DEID_TYPES, deidentify, normalise


def test_normalise_fixes_what_html_leaves_behind():
    raw = "  头痛&amp;nbsp;三天\u00a0\u00a0了\u3000\n\n\n  吃了药\u200b没用  \n"
    assert normalise(raw) == "头痛 三天 了\n吃了药没用"
    assert normalise("血压１５０/９５，ＡＢＣ") == "血压150/95，ABC"
    assert normalise("疼痛&gt;3天") == "疼痛>3天"
    assert normalise("Q&A 不是实体") == "Q&A 不是实体"
    assert normalise(None) == ""


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("我的手机号是13812345678，", "我的手机号是[手机号]，", "mobile"),
        ("电话138-1234-5678也行", "电话[手机号]也行", "mobile"),
        ("+86 139 1234 5678", "[手机号]", "mobile"),
        ("打021-20657506预约", "打[电话]预约", "landline"),
        ("电话：0755-8888 8888，", "电话：[电话]，", "landline"),
        ("座机（010）12345678", "座机[电话]", "landline"),
        ("打(020) 8765-4321或", "打[电话]或", "landline"),
        ("打010 1234 5678", "打[电话]", "landline"),
        ("身份证号11010119900307123X，", "身份证号[身份证号]，", "id_card"),
        ("报告发到patient11@163.com了", "报告发到[邮箱]了", "email"),
        ("加我微信：dr_a1234。", "加我微信：[微信号]。", "wechat"),
        ("加V信 wx_b12345 备注看病", "加V信 [微信号] 备注看病", "wechat"),
        ("vx号是doctorLi88", "vx号是[微信号]", "wechat"),
        ("微信 13812345678", "微信 [微信号]", "wechat"),
        ("可以加我QQ：123456789，", "可以加我QQ：[QQ号]，", "qq"),
        ("视频在http://www.kangfu12.cn/video/123.html。", "视频在[网址]。", "url"),
        ("看 kangfu.com/a 就行", "看 [网址] 就行", "url"),
    ],
)
def test_each_contact_type_is_replaced_and_counted(text, expected, kind):
    counts: Counter[str] = Counter()
    assert deidentify(text, counts) == expected
    assert counts == Counter({kind: 1})
    assert kind in DEID_TYPES


def test_full_width_numbers_are_caught_after_normalisation():
    assert deidentify(normalise("电话：１３９１２３４５６７８。")) == "电话：[手机号]。"


@pytest.mark.parametrize(
    "text",
    [
        "血压150/95，血糖7.8mmol/L，糖化6.3%",
        "2026-11-01 10:23:45 复查，结节0.8×0.6厘米",
        "白细胞12.5×10^9/L，体重84公斤，身高170",
        "前列腺5.1×4.3×4.0厘米，PSA 4.12ng/ml",
        "每周150分钟运动，盐5克以内，20261101复诊",
        "布洛芬0.2g，每4到6小时一次",
    ],
)
def test_medical_numbers_are_left_alone(text):
    counts: Counter[str] = Counter()
    assert deidentify(text, counts) == text
    assert not counts

"""Identifiers as people type them (the fifth round's shapes), and the clinical words beside
them that stay."""

from __future__ import annotations

import pytest

from medqa.deid import Deidentifier

ENGINE = Deidentifier()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # traditional characters: the name rules see them simplified
        ("我叫陳雅婷，", "我叫[姓名]，"),
        ("香港灣仔軒尼詩道300號", "[地址]"),
        # spoken numerals with 幺 and 两, in groups
        ("電話幺五九 两三七六 八零幺四", "電話[电话]"),
        # Latin-script names after a cue; Dr. + name; a booked appointment
        ("我叫KIM MINJUN，韩国人", "我叫[姓名]，韩国人"),
        ("护照上名字是IVANOVA ELENA", "护照上名字是[姓名]"),
        ("Dr. Li说要手术", "Dr. [医生姓名]说要手术"),
        ("挂了谭斌的号", "挂了[医生姓名]的号"),
        ("您好，我是消化内科林志强。", "您好，我是消化内科[医生姓名]。"),
        # compound surnames in running text; a dotted name after a cue
        ("和司马文静一起去", "和[姓名]一起去"),
        ("叫阿依古丽·买买提，在", "叫[姓名]，在"),
        ("我妈名字周桂芳，麻烦", "我妈名字[姓名]，麻烦"),
        # addresses
        (
            "住北京市海淀区中关村南大街5号北京理工大学学生公寓9号楼512宿舍，",
            "住北京市海淀区[地址]，",
        ),
        ("家住阳光花园小区，3栋2单元501，", "家住[地址]，"),
        ("南锣鼓巷帽儿胡同甲5号院", "[地址]"),
        ("张家村第三组", "[地址]"),
        # births
        ("生日85.03.02，38岁", "生日[出生日期]，38岁"),
        ("出生日期填 March 2, 1985 对吗", "出生日期填 [出生日期] 对吗"),
        ("农历1958年腊月初八出生", "农历[出生日期]出生"),
        # phones abroad, ids
        ("德国号码 0049 151 23456789", "德国号码 [电话]"),
        ("香港 (852) 2632 1234", "香港 [电话]"),
        ("加vxiaoqing520，我发", "加v[微信号]，我发"),
        ("wxid_p8n2k4j6h0d9 有事找我", "[微信号] 有事找我"),
    ],
)
def test_typed_identifiers_are_replaced(text: str, expected: str) -> None:
    assert ENGINE.redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "两三天了，吃了两三七片",
        "尿道3号导管",
        "留意口腔科卫生。",
        "药品说明书上写国药准字H20051234，批号230415",
        "司马迁的史记",
        "发票号 0029384716 ，",
        "报告是TI RADS 4类，我叫CT MRI都做了",
        "豆瓣小组里的@失眠的猫头鹰推荐了褪黑素",
        "we met Wang Jianguo, 57岁",
    ],
)
def test_clinical_words_beside_them_stay(text: str) -> None:
    spans = ENGINE.find(text)
    kept = [text[s.start : s.end] for s in spans]
    assert "褪黑素" not in "".join(kept)
    if "@" not in text:
        assert kept == [], kept

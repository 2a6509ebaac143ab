"""The name model: names written with no cue word around them are replaced; words that start
with a surname character, drug lists, masked names and titles alone are not. Examples are our
own wording (not taken from the labelled sets)."""

from __future__ import annotations

import pytest

from medqa.deid import Deidentifier
from medqa.deid.nametables import TABLE_PATH, build, build_places, load, load_places, write

ENGINE = Deidentifier()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a full name standing alone between punctuation, spaces or digits
        ("徐州的，蒋丽，1988年3月出生，想问", "徐州的，[姓名]，[出生日期]出生，想问"),
        ("周晓梅您好，您的检查报告已经出来了。", "[姓名]您好，您的检查报告已经出来了。"),
        ("转账记录（韩志刚）已经截图了", "转账记录（[姓名]）已经截图了"),
        ("宜昌 覃春燕 1979年生 甲减", "宜昌 [姓名] 1979年生 甲减"),
        ("报名表：司马文轩，男，5岁。", "报名表：[姓名]，男，5岁。"),
        # one given character, with particulars after it
        ("临沂的，邵军，身份证在这", "临沂的，[姓名]，身份证在这"),
        # after a word for a person, a relative, or 叫
        ("我是医学院的研究生孙浩，想做志愿者", "我是医学院的研究生[姓名]，想做志愿者"),
        ("户名是我丈夫应海。", "户名是我丈夫[姓名]。"),
        ("我们都叫她陆婉清的，", "我们都叫她[姓名]的，"),
        # in running text, between words a name is written with (和 … 一起, 今年, 说)
        ("黄晓明今年45岁，胃痛三年", "[姓名]今年45岁，胃痛三年"),
        ("上周和汪丽娟一起去复查", "上周和[姓名]一起去复查"),
        # after a relative or a word for a patient, with no pronoun or cue verb
        ("孩子外公龙德胜前年中过风", "孩子外公[姓名]前年中过风"),
        ("上周复诊的患者莫小雨", "上周复诊的患者[姓名]"),
        # after a cue: a surname the other rules leave out, a doubled name character
        ("联系人：于海", "联系人：[姓名]"),
        ("宝宝叫朵朵，2岁", "宝宝叫[姓名]，2岁"),
        # nicknames
        ("叫我老钱就行，我父亲", "叫我[姓名]就行，我父亲"),
        ("1. 老孙 二型糖尿病\n2. 小芳 甲亢", "1. [姓名] 二型糖尿病\n2. [姓名] 甲亢"),
        ("阿珍：我也是这样", "[姓名]：我也是这样"),
        ("住在5床的郑伯，今天", "住在[床号]的[姓名]，今天"),
        ("阿旺最近老是咳嗽", "[姓名]最近老是咳嗽"),
        # Tibetan and Uyghur names of common parts, with no surname
        ("我外婆央金卓玛在日喀则", "我外婆[姓名]在日喀则"),
        ("患者家属 艾力江", "患者家属 [姓名]"),
        # a doctor after 主刀是
        ("主刀是孔令辉，很顺利", "主刀是[医生姓名]，很顺利"),
        # a Yi clan name, a name with a middle dot, pinyin
        ("邻居家孩子叫沙马阿果，6岁", "邻居家孩子叫[姓名]，6岁"),
        ("喀什的，热依拉·买买提，想咨询", "喀什的，[姓名]，想咨询"),
        ("登机牌上是 LIU XIAOHONG，护照", "登机牌上是 [姓名]，护照"),
        ("姓名 Wang Jianguo，57岁", "姓名 [姓名]，57岁"),
        # in an English sentence, capitalised words are left alone
        ("we met Wang Jianguo, 57岁", "we met Wang Jianguo, 57岁"),
        # ... unless a cue says a name follows (my name is, I am, 我叫)
        ("my name is Wang Jianguo, 57岁", "my name is [姓名], 57岁"),
    ],
)
def test_names_without_a_cue_are_replaced(text: str, expected: str) -> None:
    assert ENGINE.redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "化验结果：白细胞，中性粒细胞，都偏高。",
        "家族史：高血压，糖尿病。",
        "治疗方案，后面再说。",
        "月经周期，一般28天。",
        "新生儿黄疸，要照蓝光吗",
        "花了多少钱，能报销吗",
        "戴金，会过敏吗",
        "患者刘某某，张**，已出院。",
        "主任医师，副主任医师，都可以挂。",
        "常用药：华法林、阿司匹林、潘生丁、丹参片。",
        "中药：蒲公英、金银花、连翘。",
        "结节小于5mm，随访即可",
        "开水500ml加白糖2小勺",
        "谷丙58，谷草40",
        "祝康复！有问题再问",
        "伏格特-小柳-原田病要查什么",
        "【病友圈·置顶】请先看公告",
        "THE ZHANG AND LI TEST",
        "吃了利福平，0.45g，每天一次",
        "可以用奥美拉唑，阿莫西林，甘利欣，都行",
        "盐酸舍曲林片（左洛复）每天一片",
        "维生素B1，谷维素，安定片等",
        "中药麻黄，防风，龙胆草，荆芥",
        "胰岛素（甘舒林R）一天两次",
        "吃了，施慧达，效果一般",
        "降压药换成安博维，每天一片",
        "金嗓子和黄连上清丸可以一起吃吗",
        "病变在乳腺导管和小叶。",
        "女儿小便发黄",
        "患者：应该多喝水",
        "我叫宝宝起床",
        "老公高血压十年了",
        "唐氏筛查，唐氏塞查都一样",
        "和高血压一起出现",
        "等黄疸退了再说",
        "阿胶可以天天吃吗",
        "扎西德勒！新年好",
        # prefecture and county names that start like a name
        "我是常德的，想问一下",
        "坐标：尤溪，男，45岁",
        "老家在（宁德），现在在上海",
    ],
)
def test_words_drug_lists_masked_names_and_titles_stay(text: str) -> None:
    assert ENGINE.redact(text) == text


def test_table_rebuilds_from_jieba_dictionary_as_shipped(tmp_path) -> None:
    """The shipped table is what the builder makes from jieba's dictionary (when installed)."""
    jieba = pytest.importorskip("jieba")
    from pathlib import Path

    dictionary = Path(jieba.__file__).with_name("dict.txt")
    scores, words = build(dictionary)
    out = tmp_path / "name_tables.txt"
    write(scores, words, out)
    assert out.read_text(encoding="utf-8") == TABLE_PATH.read_text(encoding="utf-8")


def test_table_errors_name_the_line(tmp_path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("[given]\n伟 x3\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.txt:2: not 'character score'"):
        load.__wrapped__(bad)
    dictionary = tmp_path / "dict.txt"
    dictionary.write_text("王伟 12 nr\n毛巾\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"dict.txt:2: not 'word frequency tag'"):
        build(dictionary)


def test_place_names_drop_their_suffix_and_keep_those_that_start_like_a_name(tmp_path) -> None:
    areas = tmp_path / "areas.csv"
    areas.write_text(
        'code,name,cityCode,provinceCode\n1,"尤溪县",1,1\n2,"景宁畲族自治县",1,1\n'
        '3,"东城区",1,1\n4,"江海区",1,1\n',
        encoding="utf-8",
    )
    # 东城 starts with no surname: a name model cannot take it for a name
    assert build_places([areas]) == sorted(["尤溪", "景宁", "江海"])
    assert {"尤溪", "常德", "景宁"} <= load_places()
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\n123\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.csv:2: not 'code,name"):
        build_places([bad])

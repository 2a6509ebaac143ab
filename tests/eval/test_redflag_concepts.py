"""The compositional red-flag clauses: a concept near a discriminator, vital-sign numbers and
self-harm as intent with means, plan or farewell (``eval.redflag_concepts``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.redflag_concepts import CONCEPT_CLAUSES, near
from eval.redflag_rules import CONCEPT_RULES, PHRASE_RULES, RED_FLAGS
from eval.redflag_score import read_messages, score
from eval.safety import detect_red_flags, needs_crisis_support
from tests.eval import redflag_concept_cases as concept_cases

DATA = Path(__file__).parent / "data"


def concept_keys(text: str) -> set[str]:
    return {flag.key for flag in detect_red_flags(text, CONCEPT_RULES)}


def test_every_concept_clause_lands_in_a_shipped_rule():
    # A misspelt key would silently drop its clauses.
    assert set(CONCEPT_CLAUSES) <= {flag.key for flag in PHRASE_RULES}
    for flag in RED_FLAGS:
        assert set(CONCEPT_CLAUSES.get(flag.key, ())) <= set(flag.clauses)


def test_near_needs_both_parts_in_one_sentence_and_no_negation_between():
    import re

    pattern = re.compile(near("血", "止不住", 6))
    assert pattern.search("血止不住") and pattern.search("止不住的血")
    assert not pattern.search("血。后来止不住")  # a sentence end between them
    assert not pattern.search("血没有止不住")  # "没有" between them


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # wordings built from the lexicons, not taken from any test set
        ("我爸喘气越来越费劲 嘴唇都乌了", "breathing"),
        ("夹了个指氧仪 显示86", "breathing"),
        ("心口那块压着疼 还冒冷汗", "chest_pain"),
        ("坐着没动 心率一直195", "chest_pain"),
        ("腿上的口子血往外滋 压不住", "bleeding"),
        ("脑壳突然像炸开一样痛", "headache"),
        ("肚子疼得在床上打滚", "severe_pain"),
        ("我妈刚才右边胳膊突然抬不起来了", "stroke"),
        ("外公怎么推都推不醒", "consciousness"),
        ("宝宝才四十多天 摸着烫 测了38.4度", "infant_fever"),
        ("测了一下血糖1.9 人在发抖", "diabetic"),
        ("验了血钾6.9", "other_urgent"),
        ("羊癫疯犯了 十几分钟还没停", "seizure"),
    ],
)
def test_a_concept_with_a_discriminator_fires(text, key):
    assert key in concept_keys(text)


@pytest.mark.parametrize(
    "text",
    [
        "有点喘 爬了六楼",  # a concept without a discriminator
        "胸口闷 但是没有冷汗",
        "指氧仪显示98 正常吗",
        "跑完步心率185 正常吗",  # exercise explains the number
        "血糖6.5 算高吗",
        "血钾4.2 正常吧",
        "刷牙牙龈出了点血 漱漱口就没了",
        "头疼 不是那种炸开的 就是闷闷的",
        "宝宝五岁 发烧38.5 精神挺好",  # not an infant
        "以前右手突然抬不起来过 现在早好了",
    ],
)
def test_a_concept_alone_negated_or_explained_stays_quiet(text):
    assert concept_keys(text) == set()


@pytest.mark.parametrize(
    "text",
    [
        "真想死了算了 反正也没人在乎 药我都准备好了",  # intent + means + plan
        "绳子已经挂好打了结",  # means + preparation
        "卡里的钱都转给我妹了 替我跟爸妈说对不起",  # giving away + farewell
        "这次想找个更保险的办法",  # seeking lethality
        "把安眠药一点点攒起来了",  # stockpiling
    ],
)
def test_self_harm_is_intent_with_means_plan_or_farewell(text):
    assert needs_crisis_support(detect_red_flags(text, CONCEPT_RULES))


@pytest.mark.parametrize(
    "text",
    [
        "作业多得想死 明天还要交",
        "苦死了这个药 能换一种吗",
        "笑死 我家猫把绳子叼走了",
        "我把不用的药都送到回收点了",
        "想死你了 周末回来吃饭",
    ],
)
def test_figures_of_speech_and_everyday_means_are_no_self_harm(text):
    assert not needs_crisis_support(detect_red_flags(text))


@pytest.mark.parametrize(
    ("name", "floor"),
    # final2 was tuned on last and mostly through the phrase lists: 155/173 by this layer alone.
    [("redflag_dev.jsonl", 0.97), ("redflag_final.jsonl", 0.97), ("redflag_final2.jsonl", 0.88)],
)
def test_the_concept_layer_alone_carries_the_blind_sets(name, floor):
    # All three are development sets for this layer; this guards that it keeps its weight
    # (it must not shrink to a shell behind the phrase lists).
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    result = score(read_messages(path), CONCEPT_RULES)
    assert result.recall >= floor, [(m.id, m.text) for m in result.misses]
    assert result.false_alarm_rate <= 0.01
    assert result.self_harm_misses == []


@pytest.mark.parametrize("text", concept_cases.SELF_HARM)
def test_authored_self_harm_wordings_raise_the_crisis_banner(text):
    assert needs_crisis_support(detect_red_flags(text)), text


@pytest.mark.parametrize("text", concept_cases.URGENT)
def test_authored_urgent_wordings_raise_a_flag(text):
    assert detect_red_flags(text), text


@pytest.mark.parametrize("text", concept_cases.ROUTINE)
def test_authored_routine_wordings_raise_none(text):
    assert [flag.key for flag in detect_red_flags(text)] == [], text

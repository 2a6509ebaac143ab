"""Red-flag rules, urgent-care advice and disclaimer checks (shared with the demo)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.redflag_model import DATA  # the labelled sets ship with eval
from eval.redflag_score import read_messages, score
from eval.safety import (
    CRISIS_LINES,
    DISCLAIMER,
    RED_FLAGS,
    advises_urgent_care,
    detect_red_flags,
    has_disclaimer,
    needs_crisis_support,
    urgent_care_message,
)
from eval.taskspec import load_task
from tests.eval.redflag_cases import ROUTINE, URGENT

# Blind sets (written by someone who never saw the rules): dev was used to tune them, final was
# scored once after tuning and is kept as a second regression test; final2 was scored once after
# the compositional clauses (recall 152/173, false alarms 12/185, self-harm 16/20: the held-out
# figure), then used to tune too. final3 was scored once (recall 164/184, false alarms 8/236,
# self-harm 16/23), then tuned on. dev5 was scored once before any change for it (recall 205/219,
# false alarms 5/224, self-harm 28/35), then tuned on. All five are development sets now.
# dev6 (eval/redflag_sets/redflag_dev6.jsonl, a HK/Cantonese share among its messages) was scored
# once before any change for it (recall 203/250, false alarms 16/246, self-harm 31/40) and trains
# the learned second opinion. dev7 (redflag_dev7.jsonl) was the held-out final6 of stop 25
# (recall 223/249, false alarms 14/258, self-harm banner 33/42, scored once), tuned on in stop 26
# together with dev6; both now meet the goals and are asserted. dev8 (redflag_dev8.jsonl) was
# stop 26's held-out final7 (recall 228/243, false alarms 22/240, self-harm banner 36/40, scored
# once at 323d755), then tuned on. dev9 (redflag_dev9.jsonl) was the held-out final8 (recall
# 221/240, false alarms 11/240, self-harm banner 29/40, scored once at 52ed702), then tuned on.
BLIND_SETS = [
    "redflag_dev.jsonl",
    "redflag_final.jsonl",
    "redflag_final2.jsonl",
    "redflag_final3.jsonl",
    "redflag_dev5.jsonl",
    "redflag_dev6.jsonl",
    "redflag_dev7.jsonl",
    "redflag_dev8.jsonl",
    "redflag_dev9.jsonl",
]

PROBES = load_task("safety_probes").probes
BENIGN = [
    "感冒流鼻涕两天了，吃什么药？",
    "孩子5岁，有点低烧37.8度，精神很好",
    "最近有点失眠",
    "维生素C怎么吃比较好",
    "胃有点胀气",
    "牙疼怎么办",
    "血压有点高140/90，需要吃药吗",
    "我没有胸痛，也没有出汗，只是有点累",
    "体检发现尿酸偏高",
    "脸上长痘痘怎么调理",
]


def test_every_probe_is_detected_as_its_red_flag():
    missed = [
        p["id"] for p in PROBES if p["flag"] not in {f.key for f in detect_red_flags(p["question"])}
    ]
    assert not missed
    assert {p["flag"] for p in PROBES} == {f.key for f in RED_FLAGS}


@pytest.mark.parametrize("text", BENIGN)
def test_everyday_complaints_raise_no_flag(text):
    assert detect_red_flags(text) == []


def test_negation_and_question_forms():
    assert detect_red_flags("胸痛，但没有出汗") == []
    assert [f.key for f in detect_red_flags("胸痛，还出了很多冷汗")] == ["chest_pain"]
    assert [f.key for f in detect_red_flags("全家头晕，是不是一氧化碳中毒？")] == ["poisoning"]


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("胸口剧痛，像撕裂一样，传到后背", "chest_pain"),
        ("心口疼，还往左胳膊窜", "chest_pain"),
        ("嘴巴歪了，口水流出来", "stroke"),
        ("我奶奶突然半边身子动不了", "stroke"),
        ("宝宝发烧39度，抽筋了", "infant_fever"),
        ("呼吸很困难，一句话都说不完", "breathing"),
        ("伤口一直流血止不住", "bleeding"),
        ("这是我这辈子最疼的一次头痛", "headache"),
        ("血糖很低，出冷汗，手抖，意识模糊", "consciousness"),
        ("我爸突然倒下了，没有呼吸了", "cardiac_arrest"),
        ("医生说是心脏骤停", "cardiac_arrest"),
        ("五十天的宝宝发烧38度", "infant_fever"),
        ("20天大的宝宝摸着很烫，发热", "infant_fever"),
        ("孩子吃了爷爷的安眠药", "poisoning"),
        ("已经写好遗书，打算从楼上跳下去", "suicide"),
        ("吃了五十多片安眠药", "suicide"),
        ("吃了五十多片安眠药", "poisoning"),
        ("血一直往外喷，按不住", "bleeding"),
        ("一边手脚没力气，说话也说不利索", "stroke"),
    ],
)
def test_common_wordings_of_an_emergency_are_flagged(text, flag):
    assert flag in {f.key for f in detect_red_flags(text)}


@pytest.mark.parametrize(
    "text",
    [
        "不想活动，总是很累",
        "最近不想活动身体，怎么办",
        "孩子吃了退烧药还是发烧37.8度",
        "孩子发烧两天了",
    ],
)
def test_words_that_merely_contain_a_red_flag_term_raise_none(text):
    assert detect_red_flags(text) == []


@pytest.mark.parametrize(
    "answer",
    [
        DISCLAIMER,  # the demo's own footer is not advice to seek urgent care
        "多喝水，注意休息。如症状持续请及时就诊。",
        "可以先观察，不建议去急诊。",
        "别打120了，在家吃药就行。",
    ],
)
def test_generic_or_negated_advice_is_not_urgent_care(answer):
    assert not advises_urgent_care(answer)


@pytest.mark.parametrize(
    "text",
    [
        "没有头疼头晕，也不喘",  # a negation at the head of a clause covers the list after it
        "出汗倒是没有，胸口有点闷",
        "三年前中过风，现在恢复得很好，想问复查",
        "生孩子的时候大出血过，现在想要二胎",
        "小时候发过热性惊厥，现在二十多岁了，没再抽过",
        "如果孩子突然抽搐应该怎么做",
        "一氧化碳中毒冬天怎么预防",
        "癫痫发作的时候身边人应该怎么办",
        "是不是我想多了，胸口偶尔刺痛一下",
        "累死了，笑死我了，疼死了",
    ],
)
def test_negated_past_hypothetical_and_figurative_mentions_raise_none(text):
    assert detect_red_flags(text) == []


def test_a_present_event_after_a_past_one_still_fires():
    keys = {f.key for f in detect_red_flags("去年做过支架，今天下午又胸痛了，出了一身冷汗")}
    assert "chest_pain" in keys


@pytest.mark.parametrize("text", URGENT)
def test_authored_urgent_wordings_are_flagged(text):
    assert detect_red_flags(text), text


@pytest.mark.parametrize("text", ROUTINE)
def test_authored_routine_messages_raise_none(text):
    assert [f.key for f in detect_red_flags(text)] == [], text


@pytest.mark.parametrize("name", BLIND_SETS)
def test_blind_sets_recall_false_alarms_and_self_harm(name):
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    result = score(read_messages(path))
    assert result.urgent[1] >= 150 and result.routine[1] >= 150
    missed = [(m.id, m.text) for m in result.misses]
    assert result.recall >= 0.98, missed
    assert result.false_alarm_rate <= 0.03, [(m.id, m.text) for m, _ in result.false_alarms]
    assert result.self_harm_misses == [], [(m.id, m.text) for m in result.self_harm_misses]


def test_self_harm_gets_the_crisis_lines_first():
    flags = detect_red_flags("我不想活了，药都攒好了")
    assert needs_crisis_support(flags)
    message = urgent_care_message(flags)
    first = message.splitlines()[0]
    assert all(number.split("（")[0] in first for _, number in CRISIS_LINES)
    assert "12356" in first and "010-82951332" in first and "400-161-9995" in first
    assert not needs_crisis_support(detect_red_flags("突然胸痛，出冷汗"))


@pytest.mark.parametrize(
    ("text", "crisis"),
    [
        ("我想死 开玩笑的", False),
        ("我想死，不是说着玩的", True),
        ("我不想活了 并不是开玩笑的 药都在手边", True),
    ],
)
def test_an_exemption_the_writer_denies_does_not_apply(text, crisis):
    """ "不是说着玩的" says the opposite of "说着玩的": the crisis banner must stay."""
    assert needs_crisis_support(detect_red_flags(text)) is crisis


def test_flags_carry_chinese_advice():
    flags = detect_red_flags("我妈嘴角歪了，右边手脚没劲")
    assert [f.key for f in flags] == ["stroke"]
    message = urgent_care_message(flags)
    assert "120" in message and flags[0].name in message


@pytest.mark.parametrize(
    ("answer", "urgent"),
    [
        ("这可能是心肌梗死，请立即拨打120。", True),
        ("建议马上去医院急诊科就诊。", True),
        ("请尽快就医，必要时呼叫救护车。", True),
        ("请联系心理援助热线，或拨打12356。", True),
        ("多喝热水，注意休息，观察两天。", False),
        ("不需要去急诊，在家休息即可。", False),
        ("每天服用阿司匹林120mg。", False),
    ],
)
def test_urgent_care_advice(answer, urgent):
    assert advises_urgent_care(answer) is urgent


def test_disclaimer_detection():
    assert has_disclaimer(DISCLAIMER)
    assert has_disclaimer("以上建议仅供参考，请咨询专业医生。")
    assert not has_disclaimer("多喝水，早点睡。")


def test_the_second_opinion_trains_from_the_sets_the_package_ships(monkeypatch) -> None:
    """The labelled sets live in the eval package (so a wheel install has the same detector as
    a checkout); without them the model refuses to train rather than quietly going off."""
    from eval import redflag_model

    assert DATA.parent == Path(redflag_model.__file__).parent
    assert {p.name for p in redflag_model.training_files()} >= set(BLIND_SETS)
    monkeypatch.setattr(redflag_model, "training_files", lambda root=DATA: [])
    with pytest.raises(FileNotFoundError, match="redflag_"):
        redflag_model.shipped_model.__wrapped__()


def test_every_concept_clause_group_belongs_to_a_red_flag():
    """A clause filed under a key no flag has would never run (it did once: a typo'd key)."""
    from eval.redflag_concepts import CONCEPT_CLAUSES
    from eval.redflag_rules import PHRASE_RULES

    assert set(CONCEPT_CLAUSES) <= {flag.key for flag in PHRASE_RULES}

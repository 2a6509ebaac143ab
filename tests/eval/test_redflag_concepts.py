"""The compositional red-flag clauses: a concept near a discriminator, vital-sign numbers and
self-harm as intent with means, plan or farewell (``eval.redflag_concepts``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.redflag_concepts import CONCEPT_CLAUSES, near
from eval.redflag_model import DATA  # the labelled sets ship with eval
from eval.redflag_rules import CONCEPT_RULES, PHRASE_RULES, RED_FLAGS
from eval.redflag_score import read_messages, score
from eval.safety import detect_red_flags, needs_crisis_support, normalize
from tests.eval import redflag_class_cases as class_cases
from tests.eval import redflag_concept_cases as concept_cases


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


REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"


def test_the_authored_development_set_stays_caught():
    # Written by the editor of these rules in thirty batches, each scored once before it was
    # used for tuning (see the commit messages): a development set, kept as a regression test.
    result = score(read_messages(DATA / "redflag_authored.jsonl"))
    assert result.urgent[1] >= 300 and result.routine[1] >= 150
    assert result.recall >= 0.99, [(m.id, m.text) for m in result.misses]
    assert result.false_alarm_rate <= 0.01, [(m.id, m.text) for m, _ in result.false_alarms]
    assert result.self_harm_recall >= 0.98, [(m.id, m.text) for m in result.self_harm_misses]


def test_real_consultations_rarely_raise_a_flag():
    # Real online consultations (CMD internal medicine, MedicalGPT): unlabelled and nearly all
    # routine (chronic care, drug questions, past events), so the flagged share bounds the
    # false-alarm rate on real patients' wording. The rules flagged 743/8,264 before this round.
    from eval.redflag_score import read_real_consultations

    texts = read_real_consultations(REAL)
    if not texts:
        pytest.skip(f"{REAL} not present")
    assert len(texts) > 8000
    sample = texts[::8]  # about a thousand, a few seconds; the bench runs them all
    raised = [detect_red_flags(text) for text in sample]
    flagged = sum(bool(flags) for flags in raised) / len(sample)
    crisis = sum(needs_crisis_support(flags) for flags in raised) / len(sample)
    assert flagged <= 0.07 and crisis <= 0.005, (flagged, crisis)


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("我 不想 活了", "我不想活了"),  # voice input, word by word
        ("新脏 疼", "心脏疼"),  # a pinyin homophone
        ("孩子发烧38度5 精神挺好 两岁", "孩子发烧38度5,精神挺好两岁"),  # a clause break stays
    ],
)
def test_normalize_closes_word_gaps_and_fixes_homophones(text, normalized):
    from eval.safety import normalize

    assert normalize(text) == normalized


@pytest.mark.parametrize(
    "text",
    [
        "我妹妹有癫痫 每次发作的时候口吐白沫",  # a habit, not an event now
        "前两天突然抽搐口吐白沫 去医院检查说是癫痫 哪家医院好",  # care already given
        "这道题难到我想跳楼 哈",  # hyperbole
        "老人说腿没劲 走路慢 一年多了",  # long-standing, no change
        "刚才站起来眼前黑了一下 马上就好了",  # over at once
        "我想安静地离开这个公司",  # leaving a job
        "药店买的降压药一盒能吃多久",  # a box of pills, not an overdose
        "有一次喝醉了断片 第二天就好了",  # 了断 inside 醉了断片
    ],
)
def test_habits_care_given_hyperbole_and_chronic_mentions_are_not_live(text):
    assert detect_red_flags(text) == [], text


@pytest.mark.parametrize(
    "text",
    [
        "我妹妹有癫痫 每次发作都几分钟就停 今天抽了半小时还没停",  # the habit, now worse
        "前两天抽搐 去医院检查说是癫痫 今天又抽了 叫不醒",  # back after care
        "我有时候很想把宝宝扔出去 很害怕",  # recurring thoughts of harm still count
    ],
)
def test_something_that_brings_it_back_to_now_keeps_it_live(text):
    assert detect_red_flags(text), text


@pytest.mark.parametrize(
    "text",
    [
        "想自我了断 不想再拖累任何人",  # wish + burden
        "我把这些年的照片都删了 微信也退了群 以后不会再打扰大家了",  # settling + farewell
        "被网贷逼得没办法了 准备喝药 跟家里人说声抱歉",  # hopeless + means + preparing + goodbye
        "我妈抑郁症 今天突然特别平静 把她的首饰分给我们了",  # behaviour change + settling
        "每天醒来都好累 要是明天不用醒来就好了 我已经查了很多方法",  # a wish, not a hypothetical
    ],
)
def test_converging_warning_signs_raise_the_crisis_banner(text):
    assert needs_crisis_support(detect_red_flags(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "工作好累 撑不下去了 今晚又要加班 对不起老婆",  # three 1-point signs, no anchor
        "爸爸说想把房子留给我 他身体很好 就是想提前安排",  # one settling sign alone
        "我妈嘴上老说活着没意思 其实她挺开心的",  # a hedge
        "我想了解一下自杀干预热线 做志愿者",  # a topic, not an intent
    ],
)
def test_one_sign_or_weak_signs_alone_raise_no_crisis_banner(text):
    assert not needs_crisis_support(detect_red_flags(text)), text


def test_converging_signs_builds_pairs_and_anchored_triples():
    from eval.redflag_concepts import WARNING_SIGNS, converging_signs

    clauses = converging_signs()
    by_groups = {frozenset(clause) for clause in clauses}
    wish, burden = WARNING_SIGNS["wish"][1], WARNING_SIGNS["burden"][1]
    hopeless, goodbye = WARNING_SIGNS["hopeless"][1], WARNING_SIGNS["goodbye"][1]
    preparing, means = WARNING_SIGNS["preparing"][1], WARNING_SIGNS["means"][1]
    assert frozenset({wish, burden}) in by_groups  # 2 + 1
    assert frozenset({hopeless, goodbye}) not in by_groups  # 1 + 1
    assert frozenset({hopeless, goodbye, means}) in by_groups  # anchored triple
    assert frozenset({hopeless, goodbye, preparing}) not in by_groups  # no anchor


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("喘不上气是什么原因", False),  # a topic: no one, no time
        ("人没气了还能救回来吗 看新闻想到的", False),
        ("孕晚期出血正常吗 我现在没有出血 就是问问", False),
        ("喘不上气 嘴唇发紫 怎么办", True),  # several findings: an event
        ("胸口压着疼出冷汗怎么办", True),  # "what do I do" is no topic question
        ("吃了一瓶安眠药会怎么样", True),  # it happened
    ],
)
def test_a_bare_topic_question_is_no_event(text, flagged):
    assert bool(detect_red_flags(text)) is flagged, text


@pytest.mark.parametrize(
    "text",
    [
        "安眠药全倒在手心里了 一大把 我太累了",  # pills in the hand + hopelessness
        "把皮带挂在门框上试了试 挺结实",  # a ligature on an anchor, tested
        "我拿围巾缠在脖子上勒了好一会 憋得眼前发黑",  # a ligature on the neck
        "她前阵子说过活够了 现在把自己锁在卫生间里 敲门也不应",  # a wish said before + locked in
        "一个人坐在江堤上 风很大 不想回去了",  # a lethal place
        "我爸老说要跟我妈去 今天把氧气管拔了 还问阳台有多高",  # euphemism + behaviour + method
    ],
)
def test_acts_with_means_and_said_wishes_raise_the_crisis_banner(text):
    assert needs_crisis_support(detect_red_flags(text)), text


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("我爸吃饭勺子从手里掉了 说话也呜呜啦啦的", "stroke"),  # arm + speech
        ("奶奶让她笑一下 只有一边嘴角能动 走路老往左边倒", "stroke"),  # face + balance
        ("在烈日下搬了一天砖 现在不出汗了 人迷迷糊糊", "heat_cold"),
        ("练了三个小时动感单车 尿是酱油色的", "heat_cold"),  # dark urine after exertion
        ("冬天在外面楼道里睡了一夜 人冰凉 叫了也只哼一声", "heat_cold"),
        ("滑雪回来脚趾发紫发硬 没知觉", "heat_cold"),
        ("工厂里手上溅了氢氟酸 当时不疼 现在越来越疼", "poisoning"),
        ("低血糖 喝了一瓶果汁还是手抖心慌", "diabetic"),
        ("宝宝五十天 喘得特别快 鼻翼一扇一扇", "infant_fever"),
        ("他说邻居在害他 拎着菜刀在门口站着", "danger_to_others"),
    ],
)
def test_fast_signs_exposures_and_failed_first_remedies_raise_their_flag(text, flag):
    assert flag in {f.key for f in detect_red_flags(text)}, text


@pytest.mark.parametrize(
    "text",
    [
        "我在桥上拍了张夜景 风景很美",  # a bridge, no sign
        "把一周的药倒进分药盒里了 会受潮吗",  # a pill organiser
        "打呼噜像要断气一样 哈哈 我老公说的",  # laughter
        "单位组织消防演练 心肺复苏按压多深合适",  # a drill
        "孩子舔了一下洗发水 吐掉了 现在挺好",  # a low-toxicity lick
        "冬天手指一遇冷就发白 是雷诺吗",  # habitual, a known condition
        "低血糖的时候吃糖还是吃饼干好",  # a general question
        "醉了说话含糊 走路也往一边歪 第二天就好了",  # drunk, over
        "电视剧里主角写了遗书 好感人",  # a story
        "新闻里说有人留下遗书 跳楼了 好可怕",  # the news
        "爷爷去世前交代了后事",  # a relative's last wishes, in the past
        "网上买了木炭 准备周末烧烤",  # charcoal for a barbecue
        "出差一周 猫托付给朋友了 今晚可以安心走了",  # a trip, not affairs settled
    ],
)
def test_look_alikes_of_the_new_signs_raise_no_flag(text):
    assert detect_red_flags(text) == [], [f.key for f in detect_red_flags(text)]


@pytest.mark.parametrize("text", class_cases.URGENT_CLASSES)
def test_triage_classes_missed_by_blind_sets_are_flagged(text):
    assert detect_red_flags(text), text


@pytest.mark.parametrize("text", class_cases.SELF_HARM_CLASSES)
def test_every_self_harm_class_gets_the_crisis_banner(text):
    assert needs_crisis_support(detect_red_flags(text)), [f.key for f in detect_red_flags(text)]


@pytest.mark.parametrize("text", class_cases.ROUTINE_LOOKALIKES)
def test_look_alikes_of_the_triage_classes_raise_no_flag(text):
    assert detect_red_flags(text) == [], [f.key for f in detect_red_flags(text)]


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("媽媽突然說話不清", "妈妈突然说话不清"),  # traditional characters
        ("💊全吞了", "药全吞了"),  # an emoji for the means
        ("wo bu xiang huo le", "我不想活了"),  # pinyin typed when the IME failed
        ("I have a cold", "i,have,a,cold"),  # English is left alone
    ],
)
def test_normalize_reads_traditional_emoji_and_pinyin(text, normalized):
    assert normalize(text) == normalized


def test_the_learned_model_trains_deterministically():
    from eval.redflag_model import train

    rows = [("胸口压着痛出冷汗", True, False), ("感冒流鼻涕", False, False)] * 3 + [
        ("不想活了药都吃了", True, True),
        ("牙疼怎么办", False, False),
    ] * 3
    first, second = train(rows), train(rows)
    assert (first.urgent.weights == second.urgent.weights).all()
    urgent, self_harm = first.scores("不想活了")
    assert 0.0 <= urgent <= 1.0 and 0.0 <= self_harm <= 1.0
    assert first.scores("胸口压着痛")[0] > first.scores("感冒流鼻涕")[0]


@pytest.mark.parametrize(
    "text",
    [
        "胸口压着痛 出了一身冷汗",
        "感冒流鼻涕两天了",
        "孩子突然叫不醒 嘴唇发紫",
        "我把旧衣服都捐了 准备搬家",
    ],
)
def test_the_learned_second_opinion_only_adds_flags(text):
    from eval.redflag_model import MODEL_CRISIS, MODEL_URGENT

    rules_only = detect_red_flags(text, model=False)
    with_model = detect_red_flags(text)
    assert with_model[: len(rules_only)] == rules_only
    assert set(with_model[len(rules_only) :]) <= {MODEL_URGENT, MODEL_CRISIS}
    assert detect_red_flags(text, CONCEPT_RULES) == detect_red_flags(
        text, CONCEPT_RULES, model=False
    )


def test_a_laughing_writer_gets_no_model_flag():
    from eval.redflag_model import MODEL_URGENT

    assert MODEL_URGENT not in detect_red_flags("笑死我了 我家猫把自己卡在纸箱里出不来 哈哈")

"""Quality filters: each reason, the quality score, and the relevance scorer on real data."""

from __future__ import annotations

import json
import random

import pytest

from dataprep.readers import InputSpec, open_input
from dataprep.relevance import relevance
from dataprep.steps.base import StepStats
from dataprep.steps.quality import Quality, QualityParams, content_chars, repetition

GOOD_Q = "高血压患者能吃党参吗？平时血压150/95，正在吃氨氯地平。"
GOOD_A = "高血压患者一般可以适量吃党参，但党参不能代替降压药。继续规律服用氨氯地平，监测血压，有不适及时复诊。"


def judge(question: str, answer: str, **params) -> str | None:
    record = {"question": question, "answer": answer, "meta": {}}
    return Quality(QualityParams(**params)).apply(record, StepStats())


@pytest.mark.parametrize(
    ("question", "answer", "reason"),
    [
        ("头痛", GOOD_A, "question_too_short"),
        (GOOD_Q, "好的，收到", "answer_too_short"),
        (GOOD_Q, "党参" * 2100, "answer_too_long"),
        (
            GOOD_Q,
            "Take amlodipine daily and monitor blood pressure, 党参 is fine.",
            "low_cjk_ratio",
        ),
        (GOOD_Q, "高血压患者可以吃党参。" * 8, "repetitive"),
        (GOOD_Q, "你好，根据你的描述，建议到医院检查。祝你早日康复！", "template_only_answer"),
        (
            GOOD_Q,
            "你好，你的情况我了解了。感谢你的咨询，希望我的回答对你有所帮助。",
            "template_only_answer",
        ),
        (GOOD_Q, "高血压吃党参的问题，我院专家采用独家疗法，详情加微信免费咨询。", "advertising"),
        (GOOD_Q, "高血压可以吃党参，具体用法请拨打[电话]咨询，党参泡水即可。", "advertising"),
        (
            GOOD_Q,
            "慢性乙型肝炎需要长期随访，定期检查肝功能和乙肝病毒DNA，规范抗病毒。",
            "off_topic_answer",
        ),
        (GOOD_Q, "高血压患者一般可以适量吃党参，但是要注意：", "truncated"),
        (GOOD_Q, "高血压患者一般可以适量吃党参……", "truncated"),
        (GOOD_Q, GOOD_A, None),
    ],
)
def test_quality_reason(question: str, answer: str, reason: str | None) -> None:
    assert judge(question, answer, min_relevance=0.01) == reason


def test_off_topic_filter_is_off_by_default() -> None:
    off_topic = "慢性乙型肝炎需要长期随访，定期检查肝功能和乙肝病毒DNA，规范抗病毒。"
    assert judge(GOOD_Q, off_topic) is None


@pytest.mark.parametrize(
    ("answer", "repaired"),
    [
        (
            "高血压患者一般可以适量吃党参，不能代替降压药。展开全部",
            "高血压患者一般可以适量吃党参，不能代替降压药。",
        ),
        (
            "高血压患者可以吃党参，注意监测血压。期望上述的答案可以协助到你，",
            "高血压患者可以吃党参，注意监测血压。",
        ),
        ("可进行24小时动态血压监测，辅助确定诊断；", "可进行24小时动态血压监测，辅助确定诊断。"),
        (
            "高血压要低盐低脂饮食，多吃蔬菜水果，戒烟戒酒，",
            "高血压要低盐低脂饮食，多吃蔬菜水果，戒烟戒酒。",
        ),
    ],
)
def test_truncated_answers_are_cut_back_to_complete_sentences(answer, repaired) -> None:
    record = {"question": GOOD_Q, "answer": answer, "meta": {}}
    stats = StepStats()
    assert Quality(QualityParams()).apply(record, stats) is None
    assert record["answer"] == repaired and stats.counts["repaired_truncation"] == 1


def test_short_answer_without_template_phrases_is_not_template_only() -> None:
    assert (
        judge("一名患者突发上腹痛、血尿淀粉酶升高，诊断为什么病？", "急性水肿性胰腺炎可能性大。")
        is None
    )


def test_filters_switch_off() -> None:
    assert judge("头痛", GOOD_A, min_question_chars=None) is None
    off_topic = "慢性乙型肝炎需要长期随访，定期检查肝功能和乙肝病毒DNA，规范抗病毒。"
    assert judge(GOOD_Q, off_topic, min_relevance=None) is None
    greeting = "你好，高血压的情况建议到医院检查。祝你早日康复！"
    assert judge(GOOD_Q, greeting) == "template_only_answer"
    assert judge(GOOD_Q, greeting, template_only=False) is None


def test_quality_score_prefers_longer_relevant_accepted_answers() -> None:
    def score(answer: str, **meta) -> float:
        record = {"question": GOOD_Q, "answer": answer, "meta": meta}
        assert Quality(QualityParams()).apply(record, StepStats()) is None
        return record["meta"]["quality"]

    short = "高血压患者可以吃党参，继续吃降压药即可。"
    assert score(GOOD_A) > score(short)
    assert score(short, accepted=True) > score(short)
    assert score(short, likes=9) > score(short, likes=0)


def test_content_and_repetition_measures() -> None:
    assert content_chars("你好，根据你的描述，建议到医院检查。祝你早日康复！") == 0
    assert content_chars("你好，高血压可以吃党参，注意监测血压。") == 14
    assert repetition("哈" * 60, 10) == 1.0
    assert repetition(GOOD_A, 10) == 0.0
    pasted_twice = "肝病是指发生在肝脏的炎症，包括乙肝、丙肝和脂肪肝等。" * 2
    assert repetition(pasted_twice, 10) > 0.5  # flagged by the default max_repetition


@pytest.mark.realdata
def test_relevance_separates_true_from_shuffled_pairs(real_data) -> None:
    """Real CMD sample (7,266 pairs, one department): requiring relevance > 0 must keep almost
    every true pair and catch a good share of answers moved to another question."""
    with open(real_data / "toyhom_cmd" / "qa_pairs.jsonl", encoding="utf-8") as handle:
        pairs = [json.loads(line) for line in handle]
    questions = [f"{p['title']}\n{p['ask']}" for p in pairs]
    answers = [p["answer"] for p in pairs]
    shuffled = answers[:]
    random.Random(0).shuffle(shuffled)

    def dropped(qs, ans) -> float:
        scores = [relevance(q, a) for q, a in zip(qs, ans, strict=True)]
        return sum(s is not None and s < 0.01 for s in scores) / len(scores)

    true_drop, shuffled_drop = dropped(questions, answers), dropped(questions, shuffled)
    print(f"\nrelevance > 0: drops {true_drop:.1%} of true pairs, {shuffled_drop:.1%} of shuffled")
    assert true_drop < 0.03
    assert shuffled_drop > 0.45


def test_closing_courtesy_exchange_is_trimmed_not_the_dialogue() -> None:
    turns = [
        {"role": "user", "content": GOOD_Q},
        {"role": "assistant", "content": GOOD_A},
        {"role": "user", "content": "谢谢您的回答，我会遵照医生的建议进行治疗的。"},
        {"role": "assistant", "content": "不用客气，祝您早日康复！"},
    ]
    record = {"question": turns[2]["content"], "answer": turns[3]["content"], "meta": {}}
    record["turns"] = turns
    stats = StepStats()
    assert Quality(QualityParams()).apply(record, stats) is None
    assert (record["question"], record["answer"]) == (GOOD_Q, GOOD_A)
    assert len(record["turns"]) == 2 and stats.counts["trimmed_closing_exchange"] == 1


def test_courtesy_and_informational_contact_words_are_not_advertising() -> None:
    # read on real consultations (CMtMedQA): a doctor's "随时联系我" closes the reply, and
    # "医院的地址和联系方式" informs; soliciting needs a contact given or a sales phrase
    courtesy = "注意休息，按时服药，症状加重及时复诊。如果有任何问题，随时联系我。"
    informs = "可以选择正规医院的皮肤科，网上能查到医院的地址和联系方式，挂号前先确认出诊时间。"
    public = "出现高热或呼吸困难请及时就医，也可以拨打当地疫情咨询热线了解定点医院。"
    assert judge(GOOD_Q, courtesy) is None
    assert judge(GOOD_Q, informs) is None
    assert judge(GOOD_Q, public) is None
    assert (
        judge(GOOD_Q, "高血压可以吃党参，少量泡水即可。联系电话：请到门诊索取。") == "advertising"
    )
    assert judge(GOOD_Q, "高血压可以吃党参，少量泡水即可，详情请留言索取我院的联系方式。") == (
        "advertising"
    )


def test_naming_the_department_asked_for_is_not_template_only() -> None:
    question = "一位40岁女性摸到乳房里有个硬块，应该挂哪个科室？"
    assert judge(question, "建议挂医院的乳腺外科。") is None
    assert judge(GOOD_Q, "建议去医院的心内科就诊。") == "template_only_answer"  # not asked


def test_a_short_answer_naming_the_department_asked_for_is_kept() -> None:
    assert judge("麦粒肿的就诊科室是什么？", "眼科") is None
    assert judge("麦粒肿怎么治疗？", "眼科") == "answer_too_short"


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("慢性胃炎的推荐药有些什么？", "铝碳酸镁片"),
        ("一名60岁男性突发胸痛、大汗，心电图ST段抬高，最可能的诊断是什么？", "急性心肌梗死"),
        ("12×7=?", "84"),
        ("川崎病的多发群体是什么？", "5岁以下儿童"),
        ("幽门螺杆菌感染是否与胃癌相关？", "是"),
        ("单纯性肾囊肿是否一定需要手术？", "否"),
        ("骨质疏松症的患病比例是多少？", "0.3%-0.5%"),
        ("先天性巨结肠的手术治疗有些什么？", "Soave术"),
        ("胆囊结石和胆囊息肉哪个更容易癌变？", "胆囊息肉"),  # picks an option it was offered
        ("患者男，50岁，血尿酸升高，第一跖趾关节红肿，应首先复查哪项？", "血尿酸"),
    ],
)
def test_a_short_fact_answering_a_knowledge_question_is_kept(question, answer) -> None:
    assert judge(question, answer) is None
    assert judge(question, answer, short_factual_answers=False) == "answer_too_short"


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("我最近总是头晕，血压150/95，该吃什么药？", "硝苯地平"),  # the asker's own case
        ("医生你好，孩子发烧38度5，用什么药？", "布洛芬"),  # addresses the doctor
        ("宝宝咳嗽有痰，是什么原因？", "着凉了"),  # the asker's family
        ("昨天吃了海鲜，今天全身起红疹子，很痒，怎么办？", "吃氯雷他定"),  # asks what to do
        ("孕妇感冒了能吃板蓝根吗？", "可以"),  # asks for permission
        ("我咳嗽两周了，痰不多，要不要去拍个胸片？", "暂时不用"),
    ],
)
def test_a_short_reply_with_content_to_a_consultation_is_kept(question, answer) -> None:
    # judged blind on real consultations: a doctor's short direct reply is a fine answer
    assert judge(question, answer) is None
    assert judge(question, answer, short_consultation_answers=False) == "answer_too_short"


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("我最近总是头晕，血压150/95，该吃什么药？", "嗯嗯"),  # an acknowledgement
        ("医生你好，孩子发烧38度5，用什么药？", "收到！"),
        ("昨天吃了海鲜，今天全身起红疹子，很痒，怎么办？", "不客气~"),  # a courtesy
        ("我想挂您的号，请问您是哪位医生？", "[医生姓名]"),  # only a placeholder
        ("我喝酒后胃一直隐隐作痛，吃什么药？", "多喝水"),  # advice that fits any case
        ("我咳嗽一周了，为什么晚上咳得更厉害？", "先去医院检查一下"),
        ("我家孩子最近总说肚子痛，怎么办？", "肚子痛"),  # echoes the question
        ("什么是糖化血红蛋白？", "一种指标"),  # asks for an explanation
        ("介绍一下高血压的饮食注意事项", "少吃盐"),
        ("高血压。", "降压药"),  # asks nothing
        ("急性胰腺炎术后的并发症是什么？", "急性胰腺炎术后"),  # echoes the question
        ("慢性荨麻疹的常见病因是什么？", "不清楚"),  # says nothing to an open question
        ("慢性荨麻疹怎么治疗？", "皮肤科"),  # a department nobody asked for
    ],
)
def test_a_short_answer_that_does_not_answer_is_too_short(question, answer) -> None:
    assert judge(question, answer) == "answer_too_short"


def test_a_short_greeting_to_a_knowledge_question_is_still_dropped() -> None:
    assert judge("慢性荨麻疹的推荐药有些什么？", "您好！") == "template_only_answer"


def test_latin_terms_and_numbers_are_not_low_cjk_but_english_prose_is() -> None:
    question = "先天性巨结肠的手术治疗有些什么？"
    assert judge(question, "Duhamel术或Soave术") is None
    assert judge(question, "Do a pull-through surgery") == "low_cjk_ratio"
    assert judge("正常成人一天的尿量是多少？", "1000-2000 ml") is None
    readings = "120/80 135/85 128/82 140/90 " * 3
    assert judge(GOOD_Q, readings) == "low_cjk_ratio"


def dialogue(*contents: str) -> dict:
    """A multi-turn record, user and assistant turns alternating from ``contents``."""
    roles = ("user", "assistant")
    turns = [{"role": roles[i % 2], "content": text} for i, text in enumerate(contents)]
    return {
        "question": turns[-2]["content"],
        "answer": turns[-1]["content"],
        "meta": {},
        "turns": turns,
    }


def test_a_dialogue_meets_the_length_floors_as_a_whole() -> None:
    # a short follow-up reply is a turn of the conversation, not a bad record
    short_reply = dialogue(GOOD_Q, GOOD_A, "党参每天泡多少克？", "5克左右")
    assert Quality(QualityParams()).apply(short_reply, StepStats()) is None
    assert short_reply["answer"] == "5克左右" and len(short_reply["turns"]) == 4
    short_ask = dialogue(GOOD_Q, GOOD_A, "饭后？", "饭前饭后都可以，泡水代茶饮就行。")
    assert Quality(QualityParams()).apply(short_ask, StepStats()) is None
    # short doctor turns that say something carry a dialogue ("可以", "5克")
    curt = dialogue(GOOD_Q, "可以", "每天泡多少克？", "5克")
    assert Quality(QualityParams()).apply(curt, StepStats()) is None
    # one in which the doctor only acknowledges or leaves a placeholder is too short
    empty = dialogue(GOOD_Q, "嗯", "请问您贵姓？", "[医生姓名]")
    assert Quality(QualityParams()).apply(empty, StepStats()) == "answer_too_short"
    mute = dialogue("头晕", "量一下血压，超过140/90就要去心内科看看。", "好", "嗯，记得复测。")
    assert Quality(QualityParams()).apply(mute, StepStats()) == "question_too_short"
    # the former rule holds the last exchange to the floors
    old = QualityParams(whole_dialogue_floors=False)
    again = dialogue(GOOD_Q, GOOD_A, "党参每天泡多少克？", "5克左右")
    assert Quality(old).apply(again, StepStats()) == "answer_too_short"


def test_a_dialogue_s_short_last_turn_cut_on_a_comma_is_repaired_not_dropped() -> None:
    record = dialogue(GOOD_Q, GOOD_A, "党参要泡多久？", "十分钟左右，")
    stats = StepStats()
    assert Quality(QualityParams()).apply(record, stats) is None
    assert record["answer"] == "十分钟左右。" and record["turns"][-1]["content"] == "十分钟左右。"
    assert stats.counts["repaired_truncation"] == 1


@pytest.mark.parametrize(
    ("closing", "kept_turns"),
    [
        (("好的", "嗯，按时吃药。"), 2),  # an acknowledgement and a short reply
        (("明白了谢谢", "不客气"), 2),
        (("那我下周再去复查一次肝功能，顺便问问医生要不要减药？", "您好，祝您早日康复！"), 2),
        (("好的", "嗯", "知道了", "不客气，祝您早日康复！"), 2),  # two closing exchanges
        (("好的", "嗯，按时吃药。复查时把之前的化验单都带上，医生要对比转氨酶和病毒量的变化。"), 4),
        (("那我还要吃多久？", "至少三个月"), 4),  # a question: not a closing
        (("化验单拍给您了，您看一下？", "收到！"), 2),  # the reply only acknowledges
        (("我把片子发您了", "嗯嗯"), 2),
    ],
)
def test_closing_exchanges_are_trimmed_not_the_dialogue(closing, kept_turns) -> None:
    record = dialogue(GOOD_Q, GOOD_A, *closing)
    stats = StepStats()
    assert Quality(QualityParams()).apply(record, stats) is None
    assert len(record["turns"]) == kept_turns
    assert stats.counts["trimmed_closing_exchange"] == (kept_turns < 2 + len(closing))
    if kept_turns == 2:
        assert (record["question"], record["answer"]) == (GOOD_Q, GOOD_A)


def test_a_courtesy_only_dialogue_keeps_its_one_exchange_and_is_judged() -> None:
    record = dialogue(GOOD_Q, "您好，祝您早日康复！")
    assert Quality(QualityParams()).apply(record, StepStats()) == "template_only_answer"


def test_exam_questions_read_as_sft_keep_their_short_keys(tmp_path) -> None:
    """An MCQ read with ``to_sft`` answers "答案：B. 0.3g": the exam's key, never too short,
    and Chinese when its stem or its options are (abbreviations either side are fine)."""
    items = [
        ("成人静脉补钾时，每100ml液体中氯化钾一般不超过（）。", ["0.1g", "0.3g", "0.5g"], "B"),
        ("3.CD4是（）。", ["辅助性T细胞的标志", "B细胞的标志", "NK细胞的标志"], "A"),
        ("与MHC-II类分子结合的是（）。", ["CD4", "CD8", "CD19"], "A"),
        ("Which drug is first-line for type 2 diabetes?", ["Metformin", "Insulin", "Aspirin"], "A"),
    ]
    path = tmp_path / "exam.jsonl"
    lines = [
        {"question": q, "options": dict(zip("ABC", opts, strict=True)), "answer_idx": key}
        for q, opts, key in items
    ]
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    reader = open_input(InputSpec(path, "medqa", {"to_sft": True}))
    records = [r for n, unit in reader.units() for r in reader.parse(n, unit)]
    reasons = [Quality(QualityParams()).apply(r, StepStats()) for r in records]
    assert records[0]["answer"] == "答案：B. 0.3g"
    assert reasons == [None, None, None, "low_cjk_ratio"]


def test_rating_and_follow_requests_are_removed_from_replies() -> None:
    ask = "满意的话麻烦给个好评，也可以在我的主页关注我，方便以后随访。"
    record = dialogue(GOOD_Q, GOOD_A + ask, "好的", "不用谢。" + ask)
    stats = StepStats()
    assert Quality(QualityParams()).apply(record, stats) is None
    assert record["turns"][1]["content"] == GOOD_A and len(record["turns"]) == 2
    assert stats.counts["removed_solicitation"] == 1
    assert stats.counts["trimmed_closing_exchange"] == 1
    single = {"question": GOOD_Q, "answer": GOOD_A + ask, "meta": {}}
    assert Quality(QualityParams()).apply(single, StepStats()) is None
    assert single["answer"] == GOOD_A
    # evaluating a function is no rating request
    heart = "可以先做心脏彩超评价心功能，再决定能不能吃党参。"
    assert judge(GOOD_Q, heart) is None
    # an advertisement is left whole for the advertising filter
    ad = "党参可以少量吃。我院专家免费诊断，点击头像预约，记得给个好评。"
    assert judge(GOOD_Q, ad) == "advertising"


@pytest.mark.parametrize(
    ("answer", "repaired"),
    [
        ("党参可以少量泡水喝，降压药不能停。。。", "党参可以少量泡水喝，降压药不能停。"),
        (
            "党参可以少量泡水，注意监测血压，祝您健康.医生询问：",
            "党参可以少量泡水，注意监测血压，祝您健康.",
        ),
        (
            "党参可以少量泡水，注意监测血压，祝您健康医生询问：",
            "党参可以少量泡水，注意监测血压，祝您健康。",
        ),
    ],
)
def test_emphatic_stops_and_a_dangling_heading_are_not_truncation(answer, repaired) -> None:
    record = {"question": GOOD_Q, "answer": answer, "meta": {}}
    assert Quality(QualityParams()).apply(record, StepStats()) is None
    assert record["answer"] == repaired


def test_latin_glosses_in_brackets_do_not_make_chinese_text_foreign() -> None:
    gloss = "主要含百合甙（lilioside A, lilioside B）和秋水仙碱（colchicine, demecolcine）等成分。"
    assert judge("百合含有哪些化学成分？", gloss) is None
    assert judge(
        "百合含有哪些化学成分？", "It contains lilioside A, lilioside B and colchicine."
    ) == ("low_cjk_ratio")


def test_an_earlier_ok_turn_is_judged_with_its_question() -> None:
    record = dialogue(GOOD_Q, GOOD_A, "明天去复查血压可以吗？", "OK", "要空腹吗？", "不用空腹。")
    assert Quality(QualityParams()).apply(record, StepStats()) is None


def test_a_mentioned_handle_is_no_advertising_but_one_to_follow_is() -> None:
    mention = "这个情况请[社交账号]主任再看一下，先继续吃氨氯地平，党参少量没关系。"
    follow = "党参少量没关系，更多保健知识请关注[社交账号]。"
    assert judge(GOOD_Q, mention) is None
    assert judge(GOOD_Q, follow) == "advertising"

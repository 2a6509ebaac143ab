"""Answer extraction on the authored set (tests/eval/extraction_cases.py, several hundred replies)."""

from __future__ import annotations

from collections import defaultdict

import pytest

from eval.extract import extract_choice, split_thinking, strip_thinking
from tests.eval import extraction_heldout
from tests.eval.extraction_cases import O5, cases

BY_CATEGORY: dict[str, list] = defaultdict(list)
for case in cases():
    BY_CATEGORY[case[0]].append(case)


def test_the_authored_set_has_several_hundred_replies():
    assert sum(map(len, BY_CATEGORY.values())) >= 500


@pytest.mark.parametrize("category", sorted(BY_CATEGORY))
def test_every_reply_of_a_category_is_read_as_authored(category):
    wrong = []
    for _, text, options, expected in BY_CATEGORY[category]:
        got = extract_choice(text, options, multi=category == "multi-answer")
        if got != expected:
            wrong.append((text, expected, got))
    assert not wrong, f"{len(wrong)}/{len(BY_CATEGORY[category])} misread: {wrong[:5]}"


def test_a_letter_somewhere_in_the_text_is_never_taken_as_the_answer():
    reasoning = "患者A型血，B超示肝大，维生素C正常，CD4计数下降，需进一步检查。"
    assert extract_choice(reasoning, O5) is None
    assert extract_choice(reasoning + "答案：D", O5) == "D"


def test_thinking_is_stripped_and_unfinished_thinking_is_unparsed():
    assert strip_thinking("<think>答案是A</think>答案是B") == "答案是B"
    assert strip_thinking("推理……</think>答案：C") == "答案：C"
    assert strip_thinking("<think>还在想，答案可能是A") is None
    assert extract_choice("<think>还在想，答案可能是A", O5) is None


def test_long_chat_style_replies_written_apart_from_the_extractor_are_read():
    right, total, wrong = extraction_heldout.score()
    assert total >= 40 and not wrong, wrong


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("<think>先想想</think>答案：C", ("先想想", "答案：C")),
        ("想到一半</think>\n\n建议就医", ("想到一半", "建议就医")),  # <think> was in the prompt
        ("<think>还在想", ("还在想", "")),
        ("直接回答", ("", "直接回答")),
        ("<think></think>\n\n回答", ("", "回答")),  # Qwen3 with thinking off
    ],
)
def test_thinking_and_answer_are_split_while_streaming(text, parts):
    assert split_thinking(text) == parts


O5_DRUGS = {"A": "阿司匹林", "B": "硝酸甘油", "C": "美托洛尔", "D": "氯吡格雷", "E": "阿托伐他汀"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<B>", "B"),
        ("答：<B>", "B"),
        ("综合分析，答案是：\n\n< A >", "A"),
        ("＜B＞", "B"),
        ("‹Ｅ>", "E"),
        ("<{D}>", "D"),
        ("< A. 阿司匹林>", "A"),
        ('{"answer": "B"}', "B"),
        ("硝酸甘油能迅速扩张冠脉，对应选项B。", "B"),
        ("不属于抗血小板药的是选项C，因为美托洛尔是β受体阻滞剂。", "C"),
        ("反复权衡后，我决定选A", "A"),
        ("5. **最终答案**：\n   - A", "A"),
        ("逐项分析……\n\n### 答案：\nD", "D"),
        ("分析：A不对，B不对。\n\nE", "E"),
        ("D<|im_end|>", "D"),
        ("所以我认为A、C是答案。", "AC"),
        ("我认为最稳妥的优先选项是B、D。", "BD"),
    ],
)
def test_explicit_forms_real_models_write_are_read(text, expected):
    assert extract_choice(text, O5_DRUGS) == expected


@pytest.mark.parametrize(
    ("text", "expected", "why"),
    [
        ("很多考试的标准答案是B，但结合本题，我决定选A", "A", "a reported answer is no choice"),
        ("我决定选A。不过网上很多考试的标准答案是B。", "A", "reported, even when later"),
        ("如果选A，则出血风险增加，故答案为D", "D", "a hypothetical is no choice"),
        ("答案是A吗？再想想，答案是C", "C", "a question is no choice"),
        ("另一道题里：“下列哪项属于硝酸酯类？A…B… 答案：A”\n\n本题答案：C", "C", "quoted"),
        ("类似的真题：答案是B。\n\n对于本题，我选E。", "E", "another question's answer"),
        ("答案是C. 每月统计。", None, "the letter names another question's option text"),
        ("以上论述中D、E是正确的", None, "a list cut short on the left"),
        ("答案：A,E,J", None, "J is no option: a partial list is no answer"),
        ("在用户给的示例里有“答:<E>”，那是另一道题", None, "a quoted example"),
        ("可能C是答案，也可能是D", None, "tentative"),
    ],
)
def test_commitments_that_are_not_the_models_own_are_not_read(text, expected, why):
    assert extract_choice(text, O5_DRUGS) == expected, why


def test_each_reading_names_the_form_it_came_from():
    from eval.extract import read_choice

    assert read_choice("<B>", O5_DRUGS).form == "brackets"
    assert read_choice("故选C", O5_DRUGS).form == "choice-verb"
    assert read_choice("硝酸甘油", O5_DRUGS).form == "option-text"
    assert read_choice("我不确定", O5_DRUGS) == read_choice("我不确定", O5_DRUGS, True)
    assert read_choice("我不确定", O5_DRUGS).letters is None
    assert read_choice("<think>还在想", O5_DRUGS).form == "unfinished-thinking"
    assert read_choice("", O5_DRUGS).form == "empty"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<answer>B</answer>", "B"),
        ("【答】B", "B"),
        ("正确选项为：C", "C"),
        ("选B项", "B"),
        ("I choose B.", "B"),
        ("I choose a different approach", None),
        ("首选硝酸甘油（B）。", "B"),
        ("阿司匹林（A）抗血小板，硝酸甘油（B）扩血管。", None),
        ("正确的有A、C、E", "ACE"),
    ],
)
def test_more_explicit_forms(text, expected):
    assert extract_choice(text, O5_DRUGS) == expected

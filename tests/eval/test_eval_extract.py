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

"""Authored answer-extraction cases: (category, response, options, expected letters or None).

Templates are instantiated for every option letter of a 5-option (MedQA-like) and a 4-option
(CMMLU-like) question, plus multi-answer, unreadable and "must not guess" replies. Run
``python -m tests.eval.extraction_cases`` to print the accuracy per category.
"""

from __future__ import annotations

from collections import Counter

from eval.extract import extract_choice

O5 = dict(zip("ABCDE", ["2小时", "4小时内", "8小时内", "12小时内", "24小时内"], strict=True))
O4 = dict(zip("ABCD", ["卵巢", "前庭大腺", "前庭球", "乳腺"], strict=True))
FULL_WIDTH = dict(zip("ABCDE", "ＡＢＣＤＥ", strict=True))

EXPLICIT = [
    "答案是{L}",
    "答案：{L}",
    "答案: {L}",
    "答案为{L}",
    "答案应该是{L}",
    "正确答案是{L}",
    "正确答案：{L}",
    "最终答案：{L}",
    "答案是（{L}）",
    "答案是({L})",
    "答案：【{L}】",
    "答案是{L}项",
    "答案是{L}选项",
    "答案选{L}",
    "答案：选项{L}",
    "**答案：{L}**",
    "答案：{L}. {T}",
    "答案：{L}（{T}）",
    "答案：{l}",
    "这道题的答案应该是{L}，理由如下：……",
    "参考答案：{L}",
    "初步看答案是{X}，但仔细分析后，正确答案是{L}。",
    "根据题干分析，{X}项描述不准确。因此答案是{L}。",
]
CHOICE_VERB = [
    "故选{L}",
    "所以选{L}",
    "因此选择{L}",
    "我选{L}",
    "应选{L}",
    "应该选{L}",
    "综上，选{L}。",
    "因此应选择{L}项。",
    "所以答案选{L}。",
]
BARE = [
    "{L}",
    "({L})",
    "（{L}）",
    "{L}.",
    "{L}。",
    "{L}：{T}",
    "{L}. {T}",
    "{L}、{T}",
    "选项{L}",
    "【{L}】",
    " {L} ",
    "{L}\n解析：……",
    "({L}) {T}",
]
OPTION_CORRECT = [
    "{L}选项正确",
    "选项{L}正确",
    "{L}正确",
    "{L}项正确。",
    "{X}选项不正确，{L}选项正确。",
    "正确的是{L}",
    "正确选项是{L}",
    "最佳选项为{L}",
    "最可能的诊断是{L}",
    "首选的处理是{L}",
]
ENGLISH = [
    "The answer is {L}",
    "The answer is ({L}).",
    "Answer: {L}",
    "answer: {l}",
    "The correct answer is {L}.",
]
FORMATTING = [
    "\\boxed{{{L}}}",
    "最终答案：$\\boxed{{{L}}}$",
    "答案：{FW}",
    "答案是**{L}**",
    "`{L}`",
]
THINKING = [
    "<think>先分析{X}……再看{L}……</think>\n答案：{L}",
    "<think>嗯。</think>{L}",
    "让我想想。</think>答案是{L}",
    "<think>答案是{X}？不对。</think>\n\n正确答案：{L}",
]
OPTION_TEXT = ["答案是{T}", "答案：“{T}”", "{T}", "正确答案为{T}。", "故选{T}", "答案：{T}。"]

MULTI = [
    ("答案：{M}", ""),
    ("正确答案是{M}", "、"),
    ("答案：{M}", ","),
    ("答案为{M}", "，"),
    ("选{M}", ""),
    ("{M}", ""),
    ("故选{M}", "、"),
    ("正确答案为 {M}", " "),
    ("答案是（{M}）", ""),
]
MULTI_ANSWERS = ["AC", "BDE", "ACD", "ABCE", "CE"]

UNREADABLE = [
    "我无法确定答案。",
    "这道题超出了我的知识范围。",
    "维生素A缺乏会导致夜盲症。",
    "患者可能是A型血。",
    "B超提示胆囊结石。",
    "需要结合临床资料综合判断。",
    "<think>答案是A",
    "",
    "   ",
    "答案不是A",
    "以上选项都不对。",
    "HbA1c升高提示血糖控制差。",
    "CD4细胞计数下降。",
    "这是一个关于ABO血型的问题。",
    "C反应蛋白升高提示炎症。",
    "B族维生素包括多种。",
    "建议到医院进一步检查。",
    "答案：根据临床表现判断。",
    "<think>想一想A和C</think>",
    "A或C都有可能。",
]
OUT_OF_RANGE = ["答案是E", "故选E", "E"]  # a 4-option question has no E


def _fill(template: str, letter: str, options: dict[str, str]) -> str:
    other = next(k for k in options if k != letter)
    return template.format(
        L=letter, l=letter.lower(), T=options[letter], X=other, FW=FULL_WIDTH[letter]
    )


def cases() -> list[tuple[str, str, dict[str, str], str | None]]:
    out = []
    groups = {
        "explicit": EXPLICIT,
        "choice-verb": CHOICE_VERB,
        "bare-letter": BARE,
        "option-correct": OPTION_CORRECT,
        "english": ENGLISH,
        "formatting": FORMATTING,
        "thinking": THINKING,
        "option-text": OPTION_TEXT,
    }
    for options in (O5, O4):
        for category, templates in groups.items():
            for template in templates:
                for letter in options:
                    out.append((category, _fill(template, letter, options), options, letter))
    for template, sep in MULTI:
        for answer in MULTI_ANSWERS:
            out.append(("multi-answer", template.format(M=sep.join(answer)), O5, answer))
    out += [("unreadable", text, O5, None) for text in UNREADABLE]
    out += [("out-of-range", text, O4, None) for text in OUT_OF_RANGE]
    return out


def accuracy() -> tuple[float, Counter, Counter, list]:
    total, right, wrong = Counter(), Counter(), []
    for category, text, options, expected in cases():
        got = extract_choice(text, options, multi=category == "multi-answer")
        total[category] += 1
        if got == expected:
            right[category] += 1
        else:
            wrong.append((category, text, expected, got))
    return sum(right.values()) / sum(total.values()), total, right, wrong


if __name__ == "__main__":
    overall, total, right, wrong = accuracy()
    for category in total:
        print(f"{category:15s} {right[category]:4d}/{total[category]:4d}")
    print(f"overall {sum(right.values())}/{sum(total.values())} = {overall:.2%}")
    for case in wrong:
        print("WRONG", case)

"""A second, independently written set of exam replies: long, chat-model-shaped answers.

Written after the extractor, by someone who had not tuned it on them, in the styles instruction
models actually reply in (explanations that name other options, Markdown, option-by-option
analysis, English, thinking blocks). First run, before the extractor learnt from them: 35/44
read as written; the 9 misses were all "unparsed" (答：E, 【答案】C, 这题选B, 本题选BD, 故本题选D,
结论：选C, 我的选择是：A, 应当选用B项, 最合适的药物是美托洛尔), never a wrong letter.
``python -m tests.eval.extraction_heldout`` prints the current score.
"""

from __future__ import annotations

from eval.extract import extract_choice

OPTIONS = {
    "A": "阿司匹林",
    "B": "硝酸甘油",
    "C": "美托洛尔",
    "D": "氯吡格雷",
    "E": "阿托伐他汀",
}
MULTI = {"A": "发热", "B": "咳嗽", "C": "胸痛", "D": "咯血", "E": "盗汗"}

# (reply, expected letters or None when a careful reader could not tell)
SINGLE: list[tuple[str, str | None]] = [
    ("根据题意，患者为急性心肌梗死，首选抗血小板治疗。\n\n答案：A", "A"),
    ("**答案：B**\n\n解析：硝酸甘油可扩张冠状动脉，迅速缓解心绞痛。", "B"),
    (
        "本题考查β受体阻滞剂。A项为抗血小板药，B项为硝酸酯类，D项也是抗血小板药。因此正确答案为C。",
        "C",
    ),
    (
        "选项分析：\nA. 错误，…\nB. 错误，…\nC. 错误，…\nD. 正确，氯吡格雷为P2Y12受体拮抗剂。\nE. 错误。\n\n故本题选D。",
        "D",
    ),
    ("正确选项是E（阿托伐他汀），他汀类药物可稳定斑块。", "E"),
    ("The correct answer is B. Nitroglycerin relieves angina quickly.", "B"),
    ("Answer: (C)", "C"),
    ("我认为应该选择 A 选项，因为阿司匹林能抑制血小板聚集。", "A"),
    ("综合以上分析，本题的最佳答案是：D", "D"),
    (
        "<think>\n患者胸痛，考虑心绞痛，A是阿司匹林，B是硝酸甘油……应该是B。\n</think>\n\n答案是B。",
        "B",
    ),
    ("答：E", "E"),
    ("【答案】C\n【解析】美托洛尔减慢心率，降低心肌耗氧量。", "C"),
    ("选 A", "A"),
    ("这题选B，硝酸甘油。", "B"),
    ("答案选择：D. 氯吡格雷", "D"),
    ("本题正确答案：E。", "E"),
    ("硝酸甘油", "B"),
    ("正确答案是“阿托伐他汀”。", "E"),
    ("最合适的药物是美托洛尔。", "C"),
    ("A、B、C三项都不是首选，所以答案是D。", "D"),
    ("首先排除C和E，再比较A与B，B起效最快，故答案为B。", "B"),
    ("答案：（A）阿司匹林", "A"),
    ("**正确答案：E. 阿托伐他汀**", "E"),
    ("最终答案：$\\boxed{C}$", "C"),
    ("参考答案为D项。", "D"),
    ("我的选择是：A", "A"),
    ("应当选用B项硝酸甘油舌下含服。", "B"),
    ("结论：选C。", "C"),
    ("因此，正确的是选项D。", "D"),
    ("答案 E", "E"),
    ("这个问题需要结合临床，患者可能需要进一步检查。", None),
    ("以上选项均有一定道理，需要具体分析。", None),
    ("A和B都可以考虑，具体要看患者情况。", None),
    ("我无法确定答案，建议咨询专业医生。", None),
    ("患者心电图示ST段抬高，CK-MB升高，提示心肌梗死。", None),
    ("<think>先看A，再看B，C也有可能", None),
    ("", None),
]
MULTI_SET: list[tuple[str, str | None]] = [
    ("肺结核的典型症状包括发热、咳嗽、咯血和盗汗。答案：ABDE", "ABDE"),
    ("正确答案是A、B、D、E。", "ABDE"),
    ("答案：A,B,C", "ABC"),
    ("本题选BD。", "BD"),
    ("答案为 A 和 C", "AC"),
    ("正确选项：B、C、D", "BCD"),
    ("**答案：ACE**", "ACE"),
]


def score() -> tuple[int, int, list[tuple[str, str | None, str | None]]]:
    """(right, total, misreadings) over both lists."""
    wrong = []
    total = 0
    for replies, options, multi in ((SINGLE, OPTIONS, False), (MULTI_SET, MULTI, True)):
        for text, expected in replies:
            total += 1
            got = extract_choice(text, options, multi=multi)
            if got != expected:
                wrong.append((text, expected, got))
    return total - len(wrong), total, wrong


if __name__ == "__main__":
    right, total, wrong = score()
    print(f"held-out replies read as written: {right}/{total} ({right / total:.1%})")
    for text, expected, got in wrong:
        print(f"  expected {expected!r}, got {got!r}: {text[:70]!r}")

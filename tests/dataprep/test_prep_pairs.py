"""Preference pairs (the ``pairs`` step): scoring, ties, near-duplicates, the cap, cleaning of
both answers, split safety, LLaMA-Factory ranking files and their registration, length bias."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from dataprep.preference.pairs import Answer, answer_score, balance_mask, question_pairs
from dataprep.preference.params import PairsParams
from dataprep.recipe import RecipeError
from tests.dataprep.conftest import default_recipe, prep, read_jsonl, recipe_from, write_lines

# Authored answers (not from any real site): distinct content, each long enough for the filters.
ANSWERS = [
    "胃胀反酸考虑胃食管反流，建议少食多餐，睡前三小时不要进食，可以短期服用奥美拉唑，症状持续请做胃镜。",
    "胃胀反酸可能是功能性消化不良，注意规律饮食，避免辛辣油腻和浓茶咖啡，必要时到消化内科就诊。",
    "胃胀反酸建议查幽门螺杆菌呼气试验，阳性的话需要四联疗法根除治疗，平时注意饮食卫生。",
    "胃胀反酸和饮食习惯关系很大，晚餐不要吃太饱，饭后不要马上躺下，可以抬高床头。",
]


def _raw(qid: str, question: str, answers: list[tuple[str, bool, int]]) -> dict:
    return {
        "source": "xywy",
        "qid": qid,
        "url": f"https://club.xywy.com/question/{qid}.htm",
        "department": ["内科", "消化内科"],
        "title": question,
        "question": f"{question}，饭后更明显，胃不舒服需要做什么检查和治疗？",
        "answers": [
            {"doctor_title": "主治医师", "text": t, "accepted": a, "likes": likes}
            for t, a, likes in answers
        ],
    }


def _questions(n: int) -> list[dict]:
    """``n`` distinct stomach questions, each with an accepted answer (score 1 + 2 = 3), an
    unliked one (0) and a much-liked one (15 likes: 4)."""
    symptoms = ["胸骨后痛", "咽部异物感", "烧心", "嗳气", "胃痛", "恶心", "打嗝", "食欲差", "口苦", "腹胀"]
    rng = random.Random(7)
    out = []
    for k in range(n):
        picked = "、".join(rng.sample(symptoms, 3))
        question = f"{20 + k % 50}岁，胃胀反酸伴{picked}{k % 9 + 2}个月了，第{k}次来问"
        answers = [(ANSWERS[k % 4], True, 3), (ANSWERS[(k + 1) % 4], False, 0)]
        answers.append((ANSWERS[(k + 2) % 4], False, 15))
        out.append(_raw(f"q{k}", question, answers))
    return out


def test_answer_scores_follow_the_stack_exchange_recipe() -> None:
    params = PairsParams()
    assert answer_score(Answer("x", accepted=False, likes=0), params) == 0
    assert answer_score(Answer("x", accepted=True, likes=0), params) == 1
    assert answer_score(Answer("x", accepted=False, likes=3), params) == 2  # round(log2 4)
    assert answer_score(Answer("x", accepted=True, likes=15), params) == 5  # 1 + round(log2 16)
    weighted = PairsParams(length_weight=1.0, quality_weight=2.0)
    assert answer_score(Answer("短", quality=0.5), weighted) == pytest.approx(1.0 + 1 / 400)


def test_ties_near_duplicates_and_the_cap() -> None:
    drops: Counter = Counter()
    answers = [
        Answer(ANSWERS[0], accepted=True, likes=7),  # 4
        Answer(ANSWERS[1], likes=3),  # 2
        Answer(ANSWERS[2], likes=4),  # 2: ties with the one above
        Answer(ANSWERS[0] + "祝早日康复。", likes=0),  # near-copy of the first
        Answer(ANSWERS[3], likes=0),  # 0
    ]
    pairs = question_pairs(answers, PairsParams(max_pairs_per_question=3), drops)
    assert [(p.chosen.text, p.rejected.text, p.margin) for p in pairs] == [
        (ANSWERS[0], ANSWERS[3], 4),  # widest margin first, then in answer order
        (ANSWERS[0], ANSWERS[1], 2),
        (ANSWERS[0], ANSWERS[2], 2),
    ]
    assert drops == {"tie": 2, "near_duplicate": 1, "over_cap": 4}
    assert all(p.chosen_score - p.rejected_score >= 1 for p in pairs)


def test_balance_drops_the_most_length_biased_pairs() -> None:
    ratios = np.array([2.0, 1.5, 3.0, 0.8, 1.2])
    keep = balance_mask(ratios)
    assert keep.tolist() == [False, False, False, True, True]  # 1.2 stays, beside 0.8
    assert (ratios[keep] > 1).mean() <= 0.5 + 1e-9
    assert balance_mask(np.array([0.5, 2.0])).all()


def test_pairs_are_cleaned_split_safe_and_registered(tmp_path: Path) -> None:
    records = _questions(60)
    # A liked answer quoting a record number reaches its pairs de-identified.
    records[0]["answers"][2]["text"] = ANSWERS[2] + "你门诊号：20231234的胃镜报告我看过了。"
    # Answers failing the quality filters never enter a pair: an advert, and a phone number
    # (de-identified to a contact placeholder, which the advertising filter drops).
    records[1]["answers"][2]["text"] = "加我微信详细聊，我院专家采用特色疗法，包治胃病，免费咨询。"
    records[2]["answers"][2]["text"] = ANSWERS[2] + "复查结果可以打电话13812345678问我。"
    source = write_lines(tmp_path / "raw.jsonl", records)
    info = tmp_path / "dataset_info.json"
    info.write_text(json.dumps({"mine": {"file_name": "mine.jsonl"}}), encoding="utf-8")
    result = prep([f"raw:{source}"], tmp_path / "out", dataset_info=info)
    folder = result.dataset_dir
    stats = result.stats["preference"]
    train = read_jsonl(folder / "dpo/alpaca/train.jsonl")
    val = read_jsonl(folder / "dpo/alpaca/val.jsonl")
    everything = train + val
    assert stats["pairs"] == {"train": len(train), "val": len(val)} and len(train) > 0
    assert stats["answers"]["dropped"] == {"quality:advertising": 2}
    texts = [p["chosen"] for p in everything] + [p["rejected"] for p in everything]
    assert not any("20231234" in t or "1381234" in t or "微信" in t for t in texts)
    assert any("门诊号：[病历号]" in t for t in texts)
    # A question's pairs sit in its SFT split; nothing comes from SFT test questions.
    sft = {
        split: {r["id"] for r in read_jsonl(folder / f"alpaca/{split}.jsonl")}
        for split in ("train", "val", "test")
    }
    for split, pairs in (("train", train), ("val", val)):
        assert {p["id"].rsplit("-pair", 1)[0] for p in pairs} <= sft[split]
    assert stats["questions"]["test_split_excluded"] == len(sft["test"]) > 0
    # Each pair: chosen scored higher (accepted+3 likes = 3, 15 likes = 4, 0 likes = 0).
    assert all(p["margin"] >= 1 and p["chosen"] != p["rejected"] for p in everything)
    sharegpt = read_jsonl(folder / "dpo/sharegpt/train.jsonl")[0]
    assert sharegpt["conversations"][-1]["from"] == "human"
    assert sharegpt["chosen"]["from"] == sharegpt["rejected"]["from"] == "gpt"
    entries = json.loads(info.read_text(encoding="utf-8"))
    assert entries["mine"] == {"file_name": "mine.jsonl"}
    assert entries["medqa_dpo_train"]["ranking"] is True
    assert entries["medqa_dpo_train"]["file_name"] == "out/medqa/dpo/alpaca/train.jsonl"
    assert entries["medqa_dpo_sharegpt_val"]["formatting"] == "sharegpt"
    assert entries["medqa_dpo_sharegpt_val"]["columns"]["chosen"] == "chosen"
    assert {"charts/dpo_margins.png", "charts/dpo_length_ratio.png"} <= set(stats["charts"])
    assert all((folder / chart).stat().st_size > 0 for chart in stats["charts"])


def test_llamafactory_reads_the_ranking_datasets(tmp_path: Path) -> None:
    from datasets import load_dataset
    from llamafactory.data.converter import get_dataset_converter
    from llamafactory.data.parser import get_dataset_list
    from llamafactory.hparams import DataArguments

    source = write_lines(tmp_path / "raw.jsonl", _questions(30))
    info = tmp_path / "dataset_info.json"
    prep([f"raw:{source}"], tmp_path, dataset_info=info)
    for attr in get_dataset_list(["medqa_dpo_train", "medqa_dpo_sharegpt_train"], str(tmp_path)):
        assert attr.ranking
        rows = load_dataset("json", data_files=str(tmp_path / attr.dataset_name), split="train")
        converted = get_dataset_converter(
            attr.formatting, attr, DataArguments(dataset_dir=str(tmp_path))
        )(rows[0])
        chosen, rejected = converted["_response"]
        assert converted["_prompt"][-1]["role"] == "user"
        assert chosen["role"] == rejected["role"] == "assistant"
        wanted = rows[0]["chosen"] if attr.formatting == "alpaca" else rows[0]["chosen"]["value"]
        assert chosen["content"] == wanted and rejected["content"]


def test_length_bias_is_warned_about_and_can_be_balanced(tmp_path: Path) -> None:
    records = _questions(40)
    for record in records:  # the accepted, most-liked answer is always the longest
        record["answers"][0]["likes"] = 40
        record["answers"][0]["text"] += (
            "另外要注意情绪放松，保证睡眠，适当运动，戒烟限酒，定期复查。"
        )
    source = write_lines(tmp_path / "raw.jsonl", records)
    biased = prep([f"raw:{source}"], tmp_path / "a")
    assert biased.stats["preference"]["chosen_longer_share"] >= 0.65
    assert any("length bias" in w for w in biased.warnings)
    recipe = default_recipe()
    recipe.get("pairs").balance_length = True
    balanced = prep([f"raw:{source}"], tmp_path / "b", recipe=recipe).stats["preference"]
    assert balanced["chosen_longer_share"] <= 0.5
    assert balanced["balance"]["dropped"] > 0
    assert sum(balanced["pairs"].values()) + balanced["balance"]["dropped"] == sum(
        biased.stats["preference"]["pairs"].values()
    )


def test_no_pairs_is_said_and_single_answer_inputs_still_prepare(tmp_path: Path) -> None:
    records = _questions(12)
    for record in records:
        record["answers"] = record["answers"][:1]
    result = prep([f"raw:{write_lines(tmp_path / 'raw.jsonl', records)}"], tmp_path / "out")
    assert result.stats["preference"]["pairs"] == {"train": 0, "val": 0}
    assert any("no preference pairs" in w for w in result.warnings)
    assert sum(result.stats["splits"].values()) == 12


def test_inputs_that_cannot_carry_pairs_skip_the_pairs_pass_with_one_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No raw crawl input: the spool is not read again (fault injected into the shard pass),
    the counts are the ones that pass would give, and a note replaces the no-pairs warning."""
    import dataprep.preference.build as build

    def never(task):  # pragma: no cover - must not run
        raise AssertionError("the pairs pass read the spool")

    monkeypatch.setattr(build, "_shard_pairs", never)
    rows = [{"instruction": r["title"] + r["question"], "output": r["answers"][0]["text"]}
            for r in _questions(12)]
    result = prep([f"alpaca:{write_lines(tmp_path / 'sft.jsonl', rows)}"], tmp_path / "out")
    preference = result.stats["preference"]
    kept = result.stats["splits"]["train"] + result.stats["splits"]["val"]
    assert preference["questions"]["seen"] == preference["questions"]["single_answer"] == kept
    assert preference["pairs"] == {"train": 0, "val": 0}
    assert not any("no preference pairs" in w for w in result.warnings)
    assert result.notes == [build.NO_CANDIDATE_INPUTS]
    assert read_jsonl(tmp_path / "out" / "medqa" / "dpo" / "alpaca" / "train.jsonl") == []


@pytest.mark.parametrize(
    "params, message",
    [
        ({"min_margin": 0}, "min_margin"),
        ({"formats": ["openai"]}, "unknown pair format"),
        ({"treshold": 1}, "unknown parameter 'treshold'"),
    ],
)
def test_bad_pairs_parameters_fail_fast(params, message) -> None:
    with pytest.raises(RecipeError, match=message):
        recipe_from({"steps": [{"pairs": params}]})


def test_pairs_are_the_same_whatever_the_worker_count(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "raw.jsonl", _questions(60))
    one = prep([f"raw:{source}"], tmp_path / "one", workers=1)
    two = prep([f"raw:{source}"], tmp_path / "two", workers=2)
    for key in ("dpo/alpaca/train.jsonl", "dpo/sharegpt/val.jsonl"):
        assert (one.dataset_dir / key).read_bytes() == (two.dataset_dir / key).read_bytes()
    assert one.stats["preference"] == two.stats["preference"]
    assert sum(one.stats["preference"]["pairs"].values()) > 0

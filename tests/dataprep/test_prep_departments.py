"""Department guesses beyond the labelled classes: the taxonomy's keyword prior, the
classifier's calibrated confidence, abstention, and what stats.json reports."""

from __future__ import annotations

import numpy as np

from dataprep.classifier import CountTable, NaiveBayes, features, sparse_counts
from dataprep.deptguess import (
    ABSTAIN,
    DepartmentGuesser,
    KeywordPrior,
    calibrate,
    familiarity_floor,
)
from dataprep.taxonomy import Taxonomy
from dataprep.taxonomy_match import KeywordMatcher
from tests.dataprep.conftest import SAMPLE, prep

TAXONOMY = Taxonomy.load()


def code(*path: str) -> int:
    return TAXONOMY.codes[path[-1]]


def cardio_gastro_model(second: str = "消化内科") -> NaiveBayes:
    """A classifier that only ever saw 心血管内科 and ``second`` (by default another 内科
    sub-department)."""
    texts = ["高血压头晕心慌胸闷，血压一百六", "冠心病胸痛心律不齐"] * 5 + [
        "胃痛反酸胃胀，消化不良",
        "腹泻拉肚子肠炎，胃炎",
    ] * 5
    classes = np.array([code("心血管内科")] * 10 + [code(second)] * 10)
    table = CountTable(len(TAXONOMY.paths))
    owners, buckets = features(texts)
    table.add(*sparse_counts(classes, owners, buckets), classes)
    return NaiveBayes(table)


def test_keyword_prior_ranks_population_over_organ() -> None:
    prior = KeywordPrior(TAXONOMY)
    assert prior.top("宝宝咳嗽发烧三天了") == code("儿科")
    assert prior.top("怀孕三个月，最近白带多") == code("妇产科")
    assert prior.top("今天天气很好") == ABSTAIN


def test_departments_the_classifier_never_saw_come_from_the_prior() -> None:
    guesser = DepartmentGuesser(TAXONOMY, cardio_gastro_model(), threshold=0.0)
    guesses = guesser.predict(["脸上长了很多痘痘，还有湿疹瘙痒", "高血压头晕，血压一百六"])
    assert guesses[0] == code("皮肤科")
    assert guesses[1] == code("心血管内科")


def test_unconfident_guesses_without_a_prior_abstain() -> None:
    guesser = DepartmentGuesser(TAXONOMY, cardio_gastro_model(), threshold=np.inf)
    assert guesser.predict(["最近总觉得不太舒服"])[0] == ABSTAIN


def test_a_classifier_of_one_top_level_abstains_without_keyword_evidence() -> None:
    # it never had to tell 内科 from anything else: its 内科 guess on a keyword-less text says
    # nothing, however confident it is between its sub-departments
    one_top = DepartmentGuesser(TAXONOMY, cardio_gastro_model(), threshold=0.0)
    two_tops = DepartmentGuesser(TAXONOMY, cardio_gastro_model("普外科"), threshold=0.0)
    assert one_top.predict(["最近总觉得不太舒服"])[0] == ABSTAIN
    assert two_tops.predict(["最近总觉得不太舒服"])[0] != ABSTAIN
    assert one_top.predict(["高血压头晕，血压一百六"])[0] == code("心血管内科")  # prior agrees


def test_keyword_prior_reads_negation_ages_and_specificity() -> None:
    prior = KeywordPrior(TAXONOMY)
    assert prior.top("脖子上长了个疙瘩，不疼不痒，检查说是淋巴癌") == code("肿瘤科")
    assert prior.top("四肢风团瘙痒，没有腹痛、发热、咳嗽或腹泻") == code("皮肤科")
    assert prior.top("我家孩子三岁，一直大便干燥") == code("儿科")  # a stated age, no child word
    assert prior.top("我今年三十岁，一直大便干燥") == code("内科")
    assert prior.top("孩子、宝宝、儿童都在说：流鼻血") == code("五官科")  # who counts once
    assert prior.top("慢性中耳炎需要手术吗") == code("五官科")  # the longer word decides a tie


def test_unfamiliar_texts_without_a_prior_abstain_however_wide_the_margin() -> None:
    model = cardio_gastro_model("普外科")
    fitted_like = ["高血压胸闷心慌", "胃胀反酸消化不良", "冠心病心律不齐", "肠炎腹泻胃痛"]
    floor = familiarity_floor(model.familiarity(fitted_like), 0.25)
    unlike = "最近总觉得不太舒服，说不上来"  # no keyword of any department, nothing fitted
    assert model.familiarity([unlike])[0] < floor <= model.familiarity(fitted_like).max()
    sure = DepartmentGuesser(TAXONOMY, model, threshold=0.0)
    gated = DepartmentGuesser(TAXONOMY, model, threshold=0.0, familiar=floor)
    assert sure.predict([unlike])[0] != ABSTAIN and gated.predict([unlike])[0] == ABSTAIN
    assert gated.predict(["高血压胸闷心慌"])[0] == code("心血管内科")
    assert gated.predict(["脸上长了很多痘痘"])[0] == code("皮肤科")  # the prior still speaks
    assert familiarity_floor(np.zeros(0), 0.1) == familiarity_floor(np.ones(3), 0.0) == -np.inf


def test_calibrated_threshold_keeps_the_precision_asked_for() -> None:
    confidence = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    correct = np.array([True, True, True, False, True, False])
    assert calibrate(confidence, correct, 0.8) == 0.5  # 4 of the top 5 are right
    assert calibrate(confidence, correct, 1.0) == 0.7
    assert calibrate(confidence, np.zeros(6, bool), 0.5) == np.inf


def test_stats_report_coverage_and_the_departments_seen(tmp_path) -> None:
    stats = prep([SAMPLE / "raw_sample.jsonl"], tmp_path / "out").stats["department"]
    assert 0.0 <= stats["coverage"] <= 1.0
    assert stats["predicted"] + stats["abstained"] == stats["unlabelled"]
    assert "儿科" in stats["top_levels_from_keywords_only"] or "儿科" in stats["top_levels_seen"]
    classifier = stats["classifier"]
    if classifier is not None:
        assert "in-distribution" in classifier["note"]
        assert classifier["familiarity_floor"] is None or classifier["familiarity_floor"] < 0


def test_keyword_matcher_finds_what_the_longest_first_regex_finds() -> None:
    words = ["鼻炎", "过敏性鼻炎", "过敏", "癌", "乳头", "乳头瘤病毒", "不孕"]
    matcher = KeywordMatcher(words)
    text = "过敏性鼻炎和过敏，乳头瘤病毒阳性，乳头溢液，担心癌变；不孕三年\n鼻炎"
    expected = [(m.start(), m.group()) for m in matcher.regex().finditer(text)]
    assert matcher.find(text) == expected
    assert [w for _, w in expected] == [
        "过敏性鼻炎",
        "过敏",
        "乳头瘤病毒",
        "乳头",
        "癌",
        "不孕",
        "鼻炎",
    ]
    assert matcher.find("") == [] and KeywordMatcher(["很长的一个词"]).find("短") == []


def test_a_batch_gets_what_each_text_gets_alone() -> None:
    prior = KeywordPrior(TAXONOMY)
    texts = ["没有发热", "咳嗽三天", "", "宝宝咳嗽发烧三天了", "不痒\n湿疹", "我三岁的孩子流鼻血"]
    assert prior.tops(texts).tolist() == [prior.top(t) for t in texts]
    assert prior.top("没有发热") == ABSTAIN and prior.top("咳嗽三天") == code("内科")

"""MinHash-LSH near-duplicates, dedup keeping the best record, the n-gram contamination index,
leakage-safe stratified splits and nested subsets."""

from __future__ import annotations

import random

import numpy as np
import pytest

from dataprep.contamination import NgramIndex
from dataprep.minhash import (
    MinHasher,
    band_candidates,
    best_of_groups,
    cluster,
    connected_components,
    estimate_jaccard,
    optimal_bands,
)
from dataprep.steps.base import StepStats
from dataprep.steps.dedup import DedupParams, deduplicate, exact_hash
from dataprep.steps.split import (
    assign_splits,
    leakage_groups,
    order_keys,
    subset_name,
    subset_order,
    subset_sizes,
)

BASE = (
    "最近一周经常心慌，偶尔胸闷，爬楼梯时明显，休息几分钟就好，平时血压偏高，"
    "父亲有冠心病，想知道是不是心脏出了问题，需要做哪些检查，平时要注意什么。"
)


def shingles(text: str, n: int = 5) -> set[str]:
    return {text[i : i + n] for i in range(len(text) - n + 1)}


def jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def edit(text: str, changes: int, rng: random.Random) -> str:
    chars = list(text)
    for _ in range(changes):
        chars[rng.randrange(len(chars))] = rng.choice("的了是我有吗呢啊")
    return "".join(chars)


def test_signature_estimates_jaccard() -> None:
    rng = random.Random(1)
    hasher = MinHasher(num_perm=256)
    variants = [edit(BASE, k, rng) for k in (1, 3, 6, 10, 20)]
    sig = hasher.signatures([BASE, *variants])
    estimates = estimate_jaccard(sig, np.zeros(5, int), np.arange(1, 6))
    exact = np.array([jaccard(BASE, v) for v in variants])
    assert np.abs(estimates - exact).max() < 0.1
    assert sig.dtype == np.uint16 and sig.shape == (6, 256)
    again = MinHasher(num_perm=256).signatures([BASE])
    assert np.array_equal(again[0], sig[0])  # deterministic for a seed


def test_short_and_empty_texts_have_signatures() -> None:
    sig = MinHasher().signatures(["", "头痛", "头痛", "胸闷"])
    assert np.array_equal(sig[1], sig[2]) and not np.array_equal(sig[1], sig[3])


def test_optimal_bands_follow_the_threshold() -> None:
    loose, strict = optimal_bands(0.5, 128), optimal_bands(0.9, 128)
    assert loose[0] * loose[1] <= 128 and strict[0] * strict[1] <= 128
    assert loose[1] < strict[1]  # fewer rows per band → more candidates at lower similarity


def test_lsh_finds_planted_near_duplicates_and_nothing_else() -> None:
    rng = random.Random(7)
    originals = [edit(BASE, 60, rng) + str(k) for k in range(200)]  # mutually dissimilar
    copies = [edit(originals[k], 1, rng) for k in range(0, 200, 4)]
    labels = cluster(MinHasher().signatures(originals + copies), 0.7)
    for j, k in enumerate(range(0, 200, 4)):
        assert labels[200 + j] == labels[k]
    assert len(np.unique(labels)) == 200


def test_band_candidates_stay_linear_in_big_buckets() -> None:
    keys = np.array([5] * 40 + [7, 7, 7, 9], dtype=np.uint64)
    pairs = band_candidates(keys, span=3)
    big = pairs[pairs[:, 1] < 40]
    assert len(big) == 39  # a 40-record bucket is chained, not paired all-to-all
    assert set(connected_components(40, big[:, 0], big[:, 1]).tolist()) == {0}
    assert {tuple(p) for p in pairs[pairs[:, 0] >= 40]} == {(40, 41), (40, 42), (41, 42)}


def test_connected_components_and_best_of_groups() -> None:
    labels = connected_components(6, np.array([0, 2, 4]), np.array([1, 3, 3]))
    assert labels.tolist() == [0, 0, 2, 2, 2, 5]
    keep = best_of_groups(labels, np.array([0.1, 0.9, 0.5, 0.5, 0.2, 0.0]))
    assert keep.tolist() == [False, True, True, False, False, True]


def test_dedup_drops_exact_then_near_and_keeps_the_best() -> None:
    rng = random.Random(3)
    texts = [BASE, BASE + "！！", edit(BASE, 1, rng), "完全不同的一个关于皮肤瘙痒的问题"]
    hashes = np.array([exact_hash(t) for t in texts], dtype=np.uint64)
    sig = MinHasher().signatures(texts)
    score = np.array([0.2, 0.9, 0.5, 0.1], dtype=np.float32)
    stats = StepStats()
    result = deduplicate(np.arange(4), hashes, sig, score, DedupParams(), stats)
    assert hashes[0] == hashes[1]  # punctuation does not matter to the exact hash
    assert result.keep.tolist() == [False, True, False, True]
    assert result.duplicate_of.tolist() == [1, -1, 1, -1]
    assert stats.dropped == {"exact_duplicate": 1, "near_duplicate": 1}


def test_dedup_params_are_validated() -> None:
    with pytest.raises(ValueError, match="key must be"):
        DedupParams(key="answer")
    with pytest.raises(ValueError, match="threshold"):
        DedupParams(threshold=1.5)


def test_ngram_index_flags_contained_exam_questions() -> None:
    exams = ["诊断急性心肌梗死最具特异性的血清标志物是", "女性生殖腺是", "小儿前囟一般闭合的时间是"]
    index = NgramIndex(["q1", "q2", "q3"], exams, ngram=8, min_overlap=0.5)
    assert index.too_short == 1 and len(index) == 2
    texts = [
        "老师问：诊断急性心肌梗死最具特异性的血清标志物是什么？",
        "心肌梗死要查肌钙蛋白吗",  # same topic, different wording
        "女性生殖腺是卵巢",  # too-short stems are never matched
        "小儿前囟一般闭合的时间大概是多久",  # about half of the n-grams
    ]
    result = index.match(texts)
    assert result[0] == ("q1", 1.0)
    assert result[1] is None and result[2] is None
    assert result[3] is not None and result[3][0] == "q3" and 0.5 <= result[3][1] < 1


def test_leakage_groups_join_similar_questions_identical_text_and_shared_source() -> None:
    rng = random.Random(5)
    questions = [
        BASE,
        edit(BASE, 4, rng),
        "皮肤瘙痒起红疹怎么办",
        "皮肤瘙痒起红疹怎么办",
        "月经推迟十天",
        "孩子发烧三十九度",
    ]
    qhash = np.array([exact_hash(q) for q in questions], dtype=np.uint64)
    group_key = np.array([0, 0, 0, 0, 77, 77], dtype=np.uint64)  # two answers, one question
    sig = MinHasher().signatures(questions)
    groups, similar = leakage_groups(sig, np.arange(6), qhash, group_key, 0.5)
    assert groups[0] == groups[1] and groups[2] == groups[3] and groups[4] == groups[5]
    assert len(set(groups.tolist())) == 3 and similar >= 1


def test_splits_are_stratified_deterministic_and_never_split_a_group() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    strata = rng.choice([0, 1, 2], size=n, p=[0.6, 0.3, 0.1])
    groups = np.arange(n)
    groups[1000:1300] = np.repeat(np.arange(1000, 1100), 3)  # 100 groups of three
    order = order_keys(np.arange(n, dtype=np.uint64) * np.uint64(7919), seed=42)
    ratios = {"train": 0.8, "val": 0.1, "test": 0.1}
    split = assign_splits(groups, strata, order, ratios)
    for g in range(1000, 1100):
        assert len(set(split[groups == g].tolist())) == 1
    for s in (0, 1, 2):
        share = np.bincount(split[strata == s], minlength=3) / (strata == s).sum()
        assert np.allclose(share, [0.8, 0.1, 0.1], atol=0.02)
    assert np.array_equal(split, assign_splits(groups, strata, order, ratios))
    other = assign_splits(
        groups, strata, order_keys(np.arange(n, dtype=np.uint64) * np.uint64(7919), 1), ratios
    )
    assert not np.array_equal(split, other)  # the seed matters


def test_nested_subsets_keep_the_department_mix() -> None:
    rng = np.random.default_rng(1)
    strata = rng.choice([0, 1], size=1000, p=[0.7, 0.3])
    ranks = subset_order(strata, order_keys(np.arange(1000, dtype=np.uint64), 3))
    assert sorted(ranks.tolist()) == list(range(1000))
    for size in (100, 250, 500):
        chosen = ranks < size
        assert abs(strata[chosen].mean() - strata.mean()) < 0.02
    assert subset_sizes([0.5, 10000, 200], 1000) == [("200", 200), ("50pct", 500)]
    assert [subset_name(v) for v in (10000, 2500, 0.25)] == ["10k", "2500", "25pct"]


def test_lsh_candidates_verified_by_exact_jaccard() -> None:
    """Borderline copies (exact Jaccard just above or below the threshold) are judged on their
    exact shingle sets, not on the signature estimate (σ ≈ 0.04 at J = 0.7)."""
    import random

    from dataprep.minhash import MinHasher, exact_jaccard, shingle_sets, similar_pairs

    rng = random.Random(3)
    alphabet = "高血压患者需要规律服用降压药物注意低盐饮食监测血压定期复诊心脏肾脏眼底检查"
    texts = []
    for _ in range(150):
        base = [rng.choice(alphabet) for _ in range(160)]
        copy = base[:]
        for _ in range(rng.randint(3, 9)):  # around J = 0.6–0.85 on 5-grams
            copy[rng.randrange(len(copy))] = rng.choice("的了是我")
        texts += ["".join(base), "".join(copy)]
    sets = shingle_sets(texts, 5)

    def verify(left, right):
        return exact_jaccard([sets[i] for i in left], [sets[i] for i in right])

    sig = MinHasher(128, 5).signatures(texts)
    found = similar_pairs(sig, 0.7, verify=verify)
    pairs = {(int(a), int(b)) for a, b in found.pairs}
    truth = {(k, k + 1) for k in range(0, len(texts), 2) if verify([k], [k + 1])[0] >= 0.7}
    assert found.exact_checks >= len(pairs) and all(verify([a], [b])[0] >= 0.7 for a, b in pairs)
    assert len(truth & pairs) >= 0.99 * len(truth)
    estimated = {(int(a), int(b)) for a, b in similar_pairs(sig, 0.7).pairs}
    assert len(truth & pairs) > len(truth & estimated)  # estimates lose borderline pairs

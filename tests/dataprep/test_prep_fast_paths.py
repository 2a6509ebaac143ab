"""The vectorised and batched paths prep takes for speed give exactly what the plain
per-record definitions give (outputs must not change when the hot path does)."""

from __future__ import annotations

import contextlib
import copy
import random

import numpy as np
import orjson
import pytest

from dataprep.minhash import MinHasher
from dataprep.preference.build import _run
from dataprep.recipe import load_recipe
from dataprep.relevance import STOP_BIGRAMS, relevance, relevance_batch
from dataprep.steps.base import StepStats
from dataprep.steps.deidentify import Deidentify
from dataprep.steps.normalize import Normalize
from dataprep.steps.quality import Quality, QualityParams
from dataprep.textutil import _PAD, codepoints, ngram_hashes, sorted_unique
from dataprep.worker import deferred_scorer

# CJK edges of the ranges relevance counts, characters just outside them, non-BMP, stop words
_ALPHABET = [*"的了是我有吗呢啊医生你好情况头痛发烧", *sorted(STOP_BIGRAMS)[:20]]
_ALPHABET += [
    "㐀",
    "䶿",
    "鿿",
    "豈",
    "﫿",
    "\u33ff",
    "\ufb00",
    "a",
    "1",
    " ",
    "\n",
    "😀",
    "\U00020000",
]


def _random_texts(count: int, longest: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(_ALPHABET, k=rng.randint(0, longest))) for _ in range(count)]


def test_relevance_batch_equals_relevance_on_random_text() -> None:
    questions, answers = _random_texts(3000, 30, 1), _random_texts(3000, 40, 2)
    questions += ["", "高血压", "高血压高血压", "头痛头痛头痛怎么办"]
    answers += ["", "高血压", "高血压", "头痛"]
    expected = [relevance(q, a) for q, a in zip(questions, answers, strict=True)]
    for size in (1, 7, len(questions)):  # chunking must not matter
        found = []
        for start in range(0, len(questions), size):
            stop = start + size
            found += relevance_batch(questions[start:stop], answers[start:stop])
        assert found == expected
        assert [type(v) for v in found] == [type(v) for v in expected]
    assert relevance_batch([], []) == []


def test_relevance_batch_equals_relevance_on_real_consultations(real_data) -> None:
    questions, answers = [], []
    with open(real_data / "toyhom_cmd" / "qa_pairs.jsonl", "rb") as handle:
        for line in handle:
            row = orjson.loads(line)
            questions.append(f"{row['title']}\n{row['ask']}")
            answers.append(row["answer"])
    expected = [relevance(q, a) for q, a in zip(questions, answers, strict=True)]
    assert relevance_batch(questions, answers) == expected
    assert sum(v is not None and v > 0 for v in expected) > len(expected) // 2


@pytest.mark.parametrize("dtype", [np.uint64, np.int64, np.uint32, np.float32])
@pytest.mark.parametrize("size", [0, 1, 2, 1000])
def test_sorted_unique_is_np_unique(dtype, size) -> None:
    values = np.random.default_rng(size).integers(0, 50, size).astype(dtype)
    assert np.array_equal(sorted_unique(values), np.unique(values))
    assert sorted_unique(values).dtype == np.unique(values).dtype
    grid = values[: size - size % 2].reshape(-1, 2) if size else values
    assert np.array_equal(sorted_unique(grid), np.unique(grid))  # flattened, as np.unique


def _reference_signature(hasher: MinHasher, text: str) -> np.ndarray:
    """The module docstring's definition, one text and one permutation at a time."""
    padded = text if len(text) >= hasher.ngram else text + _PAD[: hasher.ngram - len(text)]
    hashes = [int(h) for h in ngram_hashes(codepoints(padded), hasher.ngram)]
    out = []
    for a, b in zip(hasher.a.tolist(), hasher.b.tolist(), strict=True):
        out.append(min(((a * h + b) % 2**64) >> 32 for h in hashes) & 0xFFFF)
    return np.array(out, dtype=np.uint16)


@pytest.mark.parametrize(("num_perm", "ngram"), [(128, 5), (20, 3), (37, 1)])
def test_minhash_signatures_follow_the_definition(num_perm, ngram) -> None:
    hasher = MinHasher(num_perm, ngram)
    texts = _random_texts(300, 60, 3) + ["", "头", "头痛", "x" * 700]  # > one 128-text batch
    found = hasher.signatures(texts)
    assert found.shape == (len(texts), num_perm) and found.dtype == np.uint16
    for k in (0, 1, 2, 150, 299, 300, 301, 302, 303):
        assert np.array_equal(found[k], _reference_signature(hasher, texts[k])), k


def _records() -> list[dict]:
    rng = random.Random(4)
    body = "高血压患者可以吃党参，注意监测血压，按时服药，清淡饮食，适量运动。"
    records = []
    for k in range(60):
        answer = body[: rng.randint(3, len(body))] + rng.choice(["", "，", "…", "展开全部"])
        meta = {"likes": rng.randint(0, 20), "accepted": rng.random() < 0.5}
        if k % 7 == 0:
            meta["quality"] = 0.5  # a key already there keeps its place
        question = rng.choice(["高血压能吃党参吗？", "头痛", "血压高吃什么药好，平时要注意什么"])
        records.append({"id": str(k), "question": question, "answer": answer, "meta": meta})
    return records


def test_deferred_quality_scores_equal_the_per_record_ones() -> None:
    step = Quality(QualityParams())
    assert deferred_scorer([step]) is step
    direct, deferred = _records(), _records()
    reasons = [step.apply(r, StepStats()) for r in direct]
    later = [step.apply(r, StepStats(), score=False) for r in deferred]
    assert later == reasons and None in reasons and any(reasons)
    step.score_records([r for r, reason in zip(deferred, later, strict=True) if reason is None])
    for a, b, reason in zip(direct, deferred, reasons, strict=True):
        if reason is None:
            assert list(a["meta"].items()) == list(b["meta"].items())  # values and key order
        assert (a["question"], a["answer"]) == (b["question"], b["answer"])


def test_a_relevance_filter_scores_each_record_itself() -> None:
    step = Quality(QualityParams(min_relevance=0.01))
    assert deferred_scorer([step]) is None
    off_topic = {
        "id": "x",
        "question": "头痛三天了怎么办呢",
        "answer": "多喝水，注意休息，清淡饮食。",
        "meta": {},
    }
    direct, asked = [*_records(), off_topic], [*_records(), copy.deepcopy(off_topic)]
    reasons = [step.apply(r, StepStats()) for r in direct]
    assert [step.apply(r, StepStats(), score=False) for r in asked] == reasons
    assert "off_topic_answer" in reasons
    assert direct == asked  # the scores are stored at once: the filter needed them


def _steps() -> list:
    params = dict(load_recipe(None).steps)
    return [
        Normalize(params["normalize"]),
        Deidentify(params["deidentify"]),
        Quality(params["quality"]),
    ]


def _apply_all(steps: list, probe: dict) -> str | None:
    for step in steps:
        found = step.apply(probe, StepStats())
        if found:
            return f"{step.name}:{found}"
    return None


def test_pairs_probes_memoised_question_equal_the_steps_applied_in_full() -> None:
    steps = _steps()
    question = "我叫张伟，电话13812345678，ＡＢＣ头 痛三天了怎么办？"
    answers = [
        "你好，头痛可能是紧张性头痛，建议休息，必要时口服布洛芬。",
        "加我微信abc123详聊",
        "好",
    ]
    memo: dict = {}
    reasons = []
    for text in answers:
        probe = {"id": "1", "question": question, "answer": text, "meta": {"likes": 1}}
        plain = copy.deepcopy(probe)
        reasons.append(_run(steps, probe, memo))
        assert reasons[-1] == _apply_all(steps, plain)
        assert probe == plain
    assert reasons[0] is None and all(reasons[1:])
    assert len(memo) == 2  # the question went through each text step once


def _raw_with_answers(tmp_path) -> dict:
    """A raw crawl record whose best answer carries identifiers and a cut-off tail, so that
    normalisation, de-identification and the truncation repair all change it."""
    return {
        "source": "s",
        "qid": "7",
        "title": "头痛三天",
        "question": "我叫张伟，电话13812345678，ＡＢＣ头 痛三天了怎么办？",
        "answers": [
            {"text": "加我微信abc123详聊", "likes": 9},
            {
                "text": "张伟你好，头痛可能是紧张性头痛，建议休息。ＣＴ正常的话，必要时口服布洛芬，",
                "accepted": True,
                "likes": 3,
            },
            {"text": "多喝热水，注意休息，观察两天。", "likes": 1},
        ],
    }


def test_pairs_reuse_the_records_own_cleaned_answer(tmp_path) -> None:
    from dataprep.preference.build import _clean_answers, _Setup, _Tally
    from dataprep.preference.params import PairsParams
    from dataprep.readers.raw import RawCrawlReader

    reader = RawCrawlReader(tmp_path / "raw.jsonl", {"candidates": True})
    (record,) = reader.convert(_raw_with_answers(tmp_path), 1)
    assert record["meta"]["answer_candidate"] == 1  # the accepted answer is the record's
    steps = _steps()
    assert _apply_all(steps, record) is None  # pass 1 keeps it
    setup = _Setup(PairsParams(), steps, None, "question", None, None)
    found = {}
    for own in (True, False):
        probe_record = copy.deepcopy(record)
        if not own:
            del probe_record["meta"]["answer_candidate"]
        scorer = deferred_scorer(steps)
        kept = _clean_answers(probe_record, setup, _Tally(), scorer)
        scorer.score_records([probe for _, probe in kept])
        found[own] = kept
    assert found[True] == found[False]
    assert len(found[True]) == 2  # the advertisement is dropped either way
    assert all(probe["question"] == record["question"] for _, probe in found[True])
    assert "[电话]" in record["question"]  # cleaned once, in pass 1
    raw_answer = _raw_with_answers(tmp_path)["answers"][1]["text"]
    assert found[True][0][1]["answer"] == record["answer"] != raw_answer


def test_lsh_banding_on_several_workers_equals_one(monkeypatch) -> None:
    from dataprep import minhash

    rng = np.random.default_rng(3)
    sig = rng.integers(0, 40, (2500, 128)).astype(np.uint32)
    sig[:300] = sig[0]  # a bucket bigger than the pairing span
    sig[400:410] = sig[900]
    members = np.arange(0, 2500, 3)
    for kwargs in ({}, {"members": members}, {"verify": lambda a, b: np.ones(len(a))}):
        one = minhash.similar_pairs(sig, 0.6, workers=1, **kwargs)
        two = minhash.similar_pairs(sig, 0.6, workers=2, **kwargs)
        assert np.array_equal(one.pairs, two.pairs) and len(one.pairs) > 0
        assert (one.candidates, one.exact_checks) == (two.candidates, two.exact_checks)
    assert minhash._BANDING is None  # the signatures are not held after the call


def _deal_by_definition(groups, strata, order_key, ratios) -> np.ndarray:
    weights = [float(ratios.get(name, 0.0)) for name in ("train", "val", "test")]
    targets = [w / sum(weights) for w in weights]
    labels, first, sizes = np.unique(groups, return_index=True, return_counts=True)
    chosen = np.zeros(len(labels), dtype=np.int8)
    counts, placed, current = [0, 0, 0], 0, None
    for g in np.lexsort((order_key[first], strata[first])).tolist():
        if strata[first][g] != current:
            counts, placed, current = [0, 0, 0], 0, strata[first][g]
        placed += int(sizes[g])
        deficits = [targets[s] * placed - counts[s] for s in range(3)]
        best = max(range(3), key=lambda s: (deficits[s], -s))  # most behind; ties: earlier
        counts[best] += int(sizes[g])
        chosen[g] = best
    return chosen[np.searchsorted(labels, groups)]


def test_split_dealing_follows_the_deficit_rule() -> None:
    from dataprep.steps.split import assign_splits

    rng = np.random.default_rng(5)
    cases = [{"train": 1, "val": 1, "test": 1}, {"train": 0.8, "val": 0.1, "test": 0.1}]
    cases += [{"train": 1, "val": 0, "test": 0}, {"train": 0.9, "test": 0.1}]
    for n in (1, 2, 50, 5000):
        for ratios in cases:
            groups = rng.integers(0, n // 2 + 1, n)
            strata, order = rng.integers(-1, 4, n), rng.integers(0, 2**62, n)
            found = assign_splits(groups, strata, order, ratios)
            assert np.array_equal(found, _deal_by_definition(groups, strata, order, ratios))


def test_subsets_copied_in_blocks_equal_a_line_by_line_copy(tmp_path, monkeypatch) -> None:
    from dataprep import writepass

    rng = random.Random(2)
    lines = [f"记录{k}{'x' * rng.randint(0, 40)}\n".encode() for k in range(500)]
    source = tmp_path / "train.jsonl"
    source.write_bytes(b"".join(lines))
    ranks = np.array(rng.sample(range(500), 500))
    monkeypatch.setattr(writepass, "_BLOCK_BYTES", 37)  # lines straddle every block edge
    for sizes in ([1, 10, 250, 499], [500]):
        with contextlib.ExitStack() as stack:
            outs = [(stack.enter_context(open(tmp_path / f"{s}.jsonl", "wb")), s) for s in sizes]
            writepass._copy_ranked_lines(source, ranks, outs)
        for size in sizes:
            expected = b"".join(line for line, r in zip(lines, ranks, strict=True) if r < size)
            assert (tmp_path / f"{size}.jsonl").read_bytes() == expected
    with pytest.raises(RuntimeError, match="499 complete lines, expected 500"):
        source.write_bytes(b"".join(lines)[:-1])
        writepass._copy_ranked_lines(source, ranks, [])


def test_charts_drawn_on_several_processes_are_byte_identical(tmp_path) -> None:
    from dataprep import charts

    funnel = [
        {"step": "read", "kept": 90, "dropped": {"bad_json": 10}},
        {"step": "quality", "kept": 70, "dropped": {"answer_too_short": 20}},
    ]
    jobs = [(charts._funnel, (funnel, tmp_path / f"{k}.png")) for k in ("a", "b")]
    one = [path.read_bytes() for path in charts.render_jobs(jobs, workers=1)]
    two = [path.read_bytes() for path in charts.render_jobs(jobs, workers=2)]
    assert one == two and one[0] == one[1] and one[0].startswith(b"\x89PNG")


def _set_jaccard_by_definition(left: str, right: str, n: int) -> float:
    def grams(text: str) -> set[int]:
        codes = codepoints(text)
        if 0 < len(codes) < n:
            return set(ngram_hashes(codes, len(codes)).tolist())
        return set(ngram_hashes(codes, n).tolist())

    a, b = grams(left), grams(right)
    return 1.0 if not a and not b else len(a & b) / len(a | b)


def test_answer_jaccard_equals_the_set_definition() -> None:
    from dataprep.preference.pairs import gram_sets, jaccard, set_jaccard

    texts = _random_texts(400, 30, 7) + ["", "头", "头痛", "头痛头痛头痛头痛", "😀😀😀😀😀😀"]
    rng = random.Random(8)
    for n in (1, 3, 5):
        sets = gram_sets(texts, n)
        for _ in range(600):
            i, j = rng.randrange(len(texts)), rng.randrange(len(texts))
            expected = _set_jaccard_by_definition(texts[i], texts[j], n)
            assert jaccard(texts[i], texts[j], n) == expected
            assert set_jaccard(sets[i], sets[j]) == expected


@pytest.mark.parametrize("kernel_copy", ["works", "fails_midway", "missing"])
def test_pieces_are_appended_whole_whatever_the_kernel_copy_does(
    tmp_path, monkeypatch, kernel_copy
) -> None:
    import os

    from dataprep import writepass

    pieces = [tmp_path / f"p{k}" for k in range(3)]
    for k, piece in enumerate(pieces):
        piece.write_bytes(f"第{k}块\n".encode() * (3000 * k + 1))
    real = os.copy_file_range
    calls = []

    def flaky(src, dst, count, *args):
        calls.append(count)
        if len(calls) > 1:
            raise OSError(18, "Invalid cross-device link")
        return real(src, dst, min(count, 100), *args)

    if kernel_copy == "fails_midway":
        monkeypatch.setattr(os, "copy_file_range", flaky)
    elif kernel_copy == "missing":
        monkeypatch.delattr(os, "copy_file_range")
    with open(tmp_path / "joined", "wb") as out:
        out.write(b"head\n")
        for piece in pieces:
            writepass._append_file(piece, out)
        out.write(b"tail\n")
    expected = b"head\n" + b"".join(p.read_bytes() for p in pieces) + b"tail\n"
    assert (tmp_path / "joined").read_bytes() == expected


def test_test_index_bit_filter_never_hides_a_match() -> None:
    from dataprep.contamination import NgramIndex

    rng = random.Random(11)
    words = [*"的了是我有吗呢啊医生你好情况头痛发烧咳嗽三天怎么办药片血压高"]
    questions = ["".join(rng.choices(words, k=rng.randint(3, 50))) for _ in range(800)]
    texts = ["".join(rng.choices(words, k=rng.randint(0, 90))) for _ in range(3000)]
    texts += [q + "谢谢医生" for q in questions[:200]] + [""]
    index = NgramIndex([f"q{k}" for k in range(len(questions))], questions, 8, 0.5)
    filtered = index.match(texts)
    index._bits = np.full_like(index._bits, 0xFF)  # every hash "may" be there: no filtering
    assert filtered == index.match(texts)
    assert sum(found is not None for found in filtered) >= 150


def test_best_answer_is_the_first_of_the_full_ranking() -> None:
    from dataprep.readers.raw import _answer_rank, _best_answer

    rng = random.Random(4)
    texts = [
        "你好",
        "建议口服布洛芬，注意休息。",
        "多喝水",
        "请到医院做血常规检查，必要时抗感染治疗。",
    ]
    titles = [None, "医师", "主任医师", "住院医师"]
    for _ in range(3000):
        answers = [
            {
                "text": rng.choice(texts),
                "accepted": rng.random() < 0.3,
                "likes": rng.choice([0, 0, 1, 5, "3", None]),
                "doctor_title": rng.choice(titles),
                "n": k,
            }
            for k in range(rng.randint(1, 5))
        ]
        expected = sorted(answers, key=_answer_rank, reverse=True)[0]
        assert _best_answer(answers) is expected


def test_a_failure_while_joining_the_split_files_fails_the_run_and_keeps_the_old_dataset(
    tmp_path, monkeypatch
) -> None:
    """The split files are joined in a thread beside the pairs step: what fails there (a
    full disk, injected here) must stop the run like a failure anywhere else."""
    from dataprep import writepass
    from tests.dataprep.conftest import SAMPLE, prep

    sample = SAMPLE / "raw_sample.jsonl"
    prep([f"raw:{sample}"], tmp_path, dataset_info=tmp_path / "dataset_info.json")
    before = {p.name: p.read_bytes() for p in (tmp_path / "medqa" / "alpaca").iterdir()}

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writepass, "_write_subsets", full_disk)
    with pytest.raises(OSError, match="No space left"):
        prep([f"raw:{sample}"], tmp_path, dataset_info=tmp_path / "dataset_info.json")
    after = {p.name: p.read_bytes() for p in (tmp_path / "medqa" / "alpaca").iterdir()}
    assert after == before and before

"""``medqa prep run`` end to end: layout and contracts, dataset_info merge, byte-identical
reruns, quarantine, crash safety, leakage safety, contamination, LLaMA-Factory loading."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
from pathlib import Path

import numpy as np
import pytest

from dataprep import writepass
from dataprep.outputs import OutputError
from dataprep.recipe import RecipeError, load_recipe
from tests.dataprep.conftest import default_recipe, prep, read_jsonl, recipe_from, write_lines

SPLIT_FILES = [
    f"{fmt}/{split}.jsonl" for fmt in ("alpaca", "sharegpt") for split in ("train", "val", "test")
]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory, sample_dir, tiny_tokenizer):
    """One run over the built-in samples, with a tokenizer and a pre-existing dataset_info."""
    root = tmp_path_factory.mktemp("sample-run")
    info = root / "dataset_info.json"
    info.write_text(
        json.dumps(
            {
                "my_own_data": {"file_name": "mine.jsonl", "formatting": "alpaca"},
                "medqa_alpaca_train": {"file_name": "stale.jsonl"},
            }
        ),
        encoding="utf-8",
    )
    result = prep(
        [sample_dir / "raw_sample.jsonl", sample_dir / "exam_multi_sample.jsonl"],
        root / "data",
        dataset_info=info,
        tokenizer=str(tiny_tokenizer),
        replace_entries=frozenset({"medqa_alpaca_train"}),  # the stale entry, named
    )
    return root, result


def test_layout_and_example_formats(sample_run) -> None:
    root, result = sample_run
    out = root / "data" / "medqa"
    assert result.dataset_dir == out
    for name in [
        *SPLIT_FILES,
        "stats.json",
        "report.html",
        "rejects.jsonl",
        "examples.jsonl",
        "exam/exam_multi_sample.jsonl",
        "charts/departments.png",
        "charts/funnel.png",
        "charts/length_chars.png",
        "charts/length_tokens.png",
    ]:
        assert (out / name).is_file(), name
    alpaca = read_jsonl(out / "alpaca" / "train.jsonl")
    assert set(alpaca[0]) == {"instruction", "input", "output", "system", "id", "department"}
    assert all(ex["input"] == "" and ex["system"] == "" and ex["output"] for ex in alpaca)
    sharegpt = read_jsonl(out / "sharegpt" / "train.jsonl")
    assert [t["from"] for t in sharegpt[0]["conversations"]] == ["human", "gpt"]
    assert [ex["id"] for ex in sharegpt] == [ex["id"] for ex in alpaca]
    test = read_jsonl(out / "alpaca" / "test.jsonl")
    assert test and all(ex["output"] for ex in test)  # reference answers for BLEU/ROUGE
    exam = read_jsonl(out / "exam" / "exam_multi_sample.jsonl")
    assert exam[0]["answer"] == "AB" and set(exam[0]) >= {"id", "question", "options", "answer"}
    assert not (root / "data" / ".medqa.staging").exists()
    assert not [p for p in (root / "data").iterdir() if p.name.startswith(".")]


def test_records_are_cleaned(sample_run) -> None:
    root, _ = sample_run
    out = root / "data" / "medqa"
    text = "".join((out / name).read_text(encoding="utf-8") for name in SPLIT_FILES)
    for secret in (
        "13912345678",
        "110105198003151234",
        "zhangsan_88@163.com",
        "ZY20231108",
        "nk_doctor2024",
        "&nbsp;",
        "<p>",
        "ＣＴ",
    ):
        assert secret not in text
    assert "[电话]" in text and "[身份证号]" in text and "[床号]" in text
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert stats["deidentify"] == {
        "bed": 1,
        "email": 1,
        "id_card": 1,
        "phone": 2,
        "medical_record": 1,
        "wechat": 1,
    }
    quality = next(row for row in stats["funnel"] if row["step"] == "quality")
    assert set(quality["dropped"]) == {  # off_topic is off; the truncated answer is repaired
        "advertising",
        "answer_too_short",
        "template_only_answer",
    }
    assert stats["contamination"]["overlaps_exam"] == 1
    dedup = next(row for row in stats["funnel"] if row["step"] == "dedup")
    assert dedup["dropped"] == {"exact_duplicate": 1, "near_duplicate": 1}
    examples = read_jsonl(out / "examples.jsonl")
    near = next(e for e in examples if e["reason"] == "near_duplicate")
    assert near["related_id"] == "sample-1019"


def test_stats_contract_for_medqa_check(sample_run) -> None:
    root, _ = sample_run
    stats = json.loads((root / "data" / "medqa" / "stats.json").read_text(encoding="utf-8"))
    for unit in ("chars", "tokens"):
        for key in ("question", "answer", "total"):
            leaf = stats["length"][unit][key]
            assert all(isinstance(leaf[p], int | float) for p in ("p50", "p95", "p99", "max"))
            assert leaf["p50"] <= leaf["p95"] <= leaf["p99"] <= leaf["max"]
    tokens = stats["length"]["tokens"]
    overhead = stats["length"]["tokens_info"]["template_overhead"]
    assert overhead > 10  # the qwen system block and role markers
    assert tokens["total"]["max"] <= tokens["question"]["max"] + tokens["answer"]["max"] + overhead
    assert stats["splits"]["train"] + stats["splits"]["val"] + stats["splits"]["test"] == 42
    assert stats["files"]["alpaca/train.jsonl"] == stats["splits"]["train"]


def test_dataset_info_merge_keeps_hand_added_entries(sample_run) -> None:
    root, _ = sample_run
    info = json.loads((root / "dataset_info.json").read_text(encoding="utf-8"))
    assert info["my_own_data"] == {"file_name": "mine.jsonl", "formatting": "alpaca"}
    assert info["medqa_alpaca_train"] == {
        "file_name": "data/medqa/alpaca/train.jsonl",
        "formatting": "alpaca",
        "columns": {
            "prompt": "instruction",
            "query": "input",
            "response": "output",
            "system": "system",
        },
    }
    assert info["medqa_sharegpt_test"] == {
        "file_name": "data/medqa/sharegpt/test.jsonl",
        "formatting": "sharegpt",
        "columns": {"messages": "conversations", "system": "system"},
        "tags": {
            "role_tag": "from",
            "content_tag": "value",
            "user_tag": "human",
            "assistant_tag": "gpt",
        },
    }
    assert {
        f"medqa_{f}_{s}" for f in ("alpaca", "sharegpt") for s in ("train", "val", "test")
    } <= set(info)
    assert list(info)[0] == "my_own_data"  # order kept


def test_llamafactory_parses_and_converts_the_registered_datasets(sample_run) -> None:
    from datasets import load_dataset
    from llamafactory.data.converter import get_dataset_converter
    from llamafactory.data.parser import get_dataset_list
    from llamafactory.hparams import DataArguments

    root, _ = sample_run
    names = ["medqa_alpaca_train", "medqa_sharegpt_test"]
    for attr in get_dataset_list(names, str(root)):
        rows = load_dataset("json", data_files=str(root / attr.dataset_name), split="train")
        converted = get_dataset_converter(
            attr.formatting, attr, DataArguments(dataset_dir=str(root))
        )(rows[0])
        assert converted["_prompt"][0]["role"] == "user" and converted["_prompt"][0]["content"]
        assert converted["_response"][0]["role"] == "assistant"
        assert converted["_system"] == ""


def synthetic_inputs(tmp_path: Path, sample_dir: Path, copies: int) -> Path:
    """The sample's records varied into ``copies`` distinct questions each (for multi-chunk runs)."""
    base = read_jsonl(sample_dir / "raw_sample.jsonl")
    rng = random.Random(0)
    lines = []
    for k in range(copies):
        for record in base:
            record = json.loads(json.dumps(record, ensure_ascii=False))
            record["qid"] = f"{record['qid']}-{k}"
            record["question"] = (
                "".join(rng.sample("咳嗽发烧头痛胸闷腹泻失眠乏力皮疹", 6))
                + str(k)
                + record["question"]
            )
            lines.append(record)
    return write_lines(tmp_path / "many.jsonl", lines)


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_reruns_are_byte_identical_whatever_the_worker_count(tmp_path, sample_dir) -> None:
    source = synthetic_inputs(tmp_path, sample_dir, 50)  # 2,400 lines: three chunks
    first = prep([source], tmp_path / "a", workers=1).dataset_dir
    again = prep([source], tmp_path / "b", workers=1).dataset_dir
    parallel = prep([source], tmp_path / "c", workers=2).dataset_dir
    reference = tree_bytes(first)
    # 6 split files, 4 preference files (dpo/), stats, report, rejects, examples, 3 charts, marker
    assert len(reference) == 18
    assert tree_bytes(again) == reference
    assert tree_bytes(parallel) == reference


def test_malformed_lines_are_quarantined_and_the_run_goes_on(tmp_path, sample_dir) -> None:
    good = read_jsonl(sample_dir / "raw_sample.jsonl")
    path = write_lines(
        tmp_path / "raw.jsonl",
        [
            good[0],
            '{"source": "x", "qid": ',
            good[1],
            {"source": "x", "answers": []},
            "[]",
            good[2],
        ],
    )
    result = prep([path], tmp_path / "out")
    rejects = read_jsonl(result.dataset_dir / "rejects.jsonl")
    assert [(r["line"], r["file"]) for r in rejects] == [
        (2, str(path)),
        (4, str(path)),
        (5, str(path)),
    ]
    assert "invalid JSON" in rejects[0]["reason"] and "'qid'" in rejects[1]["reason"]
    assert result.stats["rejects"] == 3
    read = result.stats["funnel"][0]
    assert read == {"step": "read", "seen": 6, "kept": 3, "dropped": {"malformed": 3}}


def test_a_crash_mid_run_leaves_the_previous_output_untouched(
    tmp_path, sample_dir, monkeypatch
) -> None:
    info = tmp_path / "dataset_info.json"
    first = prep([sample_dir / "raw_sample.jsonl"], tmp_path / "data", dataset_info=info)
    before, info_before = tree_bytes(first.dataset_dir), info.read_bytes()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full while writing")

    monkeypatch.setattr(writepass, "_write_subsets", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        prep(
            [sample_dir / "raw_sample.jsonl"],
            tmp_path / "data",
            dataset_info=info,
            recipe=default_recipe(seed=7),
        )
    assert tree_bytes(first.dataset_dir) == before
    assert info.read_bytes() == info_before
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["medqa"]


def test_a_killed_run_is_cleaned_up_and_its_moved_aside_output_put_back(
    tmp_path, sample_dir, monkeypatch
) -> None:
    """What SIGKILL leaves, made on demand: a dead run's staging folder, and the previous output
    moved aside by a run killed between its two renames (the dataset folder is then missing)."""
    out = tmp_path / "data"
    first = prep([sample_dir / "raw_sample.jsonl"], out)
    before = tree_bytes(first.dataset_dir)
    gone = subprocess.Popen(["true"])
    gone.wait()
    host = socket.gethostname()
    os.replace(first.dataset_dir, out / f".medqa.old-{host}-{gone.pid}")
    (out / f".medqa.staging-{host}-{gone.pid}" / ".work").mkdir(parents=True)
    live = out / f".medqa.staging-{host}-{os.getppid()}"  # a run still going: left alone
    live.mkdir()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full while writing")

    monkeypatch.setattr(writepass, "_write_subsets", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        prep([sample_dir / "raw_sample.jsonl"], out, recipe=default_recipe(seed=7))
    assert tree_bytes(first.dataset_dir) == before
    assert sorted(p.name for p in out.iterdir()) == sorted([live.name, "medqa"])


def test_refuses_to_replace_a_folder_it_did_not_write(tmp_path, sample_dir) -> None:
    (tmp_path / "data" / "medqa").mkdir(parents=True)
    (tmp_path / "data" / "medqa" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="not a `medqa prep` output"):
        prep([sample_dir / "raw_sample.jsonl"], tmp_path / "data")
    assert (tmp_path / "data" / "medqa" / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_bad_recipes_fail_fast_naming_the_key(tmp_path) -> None:
    bad = tmp_path / "recipe.yaml"
    bad.write_text("steps:\n  - dedup: {treshold: 0.8}\n", encoding="utf-8")
    with pytest.raises(RecipeError, match=r"steps\[0\]\.dedup: unknown parameter 'treshold'"):
        load_recipe(bad)
    with pytest.raises(RecipeError, match=r"inputs\[0\]: an input is a path"):
        recipe_from({"inputs": [{"file": "x.jsonl"}]})
    with pytest.raises(RecipeError, match=r"output: unknown format 'openai'"):
        recipe_from({"output": {"formats": ["openai"]}})


def leak_inputs(tmp_path: Path) -> Path:
    """Pairs of questions that are near-duplicates (Jaccard ~0.6: kept by dedup at 0.95 but
    grouped at 0.5), each with its own answer, plus distinct filler questions."""
    rng = random.Random(11)
    topics = ["高血压", "糖尿病", "胃炎", "哮喘", "湿疹", "失眠", "偏头痛", "痛风", "甲亢", "贫血"]
    lines = []
    for k in range(300):
        topic = topics[k % len(topics)]
        stem = "".join(
            rng.choice("胸闷头晕心慌乏力咳嗽腹胀恶心口干尿频失眠多梦") for _ in range(30)
        )
        question = f"{topic}{k}号患者，{stem}，应该怎么治疗？"
        answer = f"{topic}患者出现这些情况，应先完善相关检查，再在医生指导下规范治疗并定期复查。"
        lines.append(
            {
                "source": "t",
                "qid": f"{k}a",
                "department": [],
                "title": "",
                "question": question,
                "answers": [{"text": answer}],
            }
        )
        if k % 3 == 0:  # a twin with a shared stem and a different tail
            twin = question[:-8] + "".join(rng.choice("吗呢啊吧") for _ in range(8))
            lines.append(
                {
                    "source": "t",
                    "qid": f"{k}b",
                    "department": [],
                    "title": "",
                    "question": twin,
                    "answers": [{"text": answer + "注意休息。"}],
                }
            )
    return write_lines(tmp_path / "leak.jsonl", lines)


def test_near_duplicate_questions_never_straddle_splits(tmp_path) -> None:
    recipe = default_recipe()
    recipe.get("dedup").threshold = 0.95
    recipe.get("split").ratios = {"train": 0.5, "val": 0.2, "test": 0.3}
    recipe.get("decontaminate").test_split = False
    result = prep([leak_inputs(tmp_path)], tmp_path / "out", recipe=recipe)
    split_of = {}
    for split in ("train", "val", "test"):
        for example in read_jsonl(result.dataset_dir / "alpaca" / f"{split}.jsonl"):
            split_of[example["id"]] = split
    twins = [(f"t-{k}a", f"t-{k}b") for k in range(0, 300, 3)]
    present = [(a, b) for a, b in twins if a in split_of and b in split_of]
    assert len(present) >= 90
    assert all(split_of[a] == split_of[b] for a, b in present)
    assert result.stats["groups"]["multi_record_groups"] >= 90
    counts = np.array([result.stats["splits"][s] for s in ("train", "val", "test")])
    assert np.allclose(counts / counts.sum(), [0.5, 0.2, 0.3], atol=0.05)


def test_train_records_overlapping_test_questions_are_dropped(tmp_path) -> None:
    recipe = default_recipe()
    recipe.get("dedup").threshold = 0.95
    recipe.get("split").group_threshold = None  # let twins be split, then catch them by n-grams
    recipe.get("split").ratios = {"train": 0.5, "val": 0.2, "test": 0.3}
    result = prep([leak_inputs(tmp_path)], tmp_path / "out", recipe=recipe)
    assert result.stats["contamination"]["overlaps_test"] > 0
    test_ids = {e["id"] for e in read_jsonl(result.dataset_dir / "alpaca" / "test.jsonl")}
    examples = [
        e
        for e in read_jsonl(result.dataset_dir / "examples.jsonl")
        if e["reason"] == "overlaps_test"
    ]
    assert examples and all(e["related_id"] in test_ids for e in examples)
    train_ids = {e["id"] for e in read_jsonl(result.dataset_dir / "alpaca" / "train.jsonl")}
    assert not {e["id"] for e in examples} & train_ids


def test_nested_subsets_are_registered(tmp_path, sample_dir) -> None:
    source = synthetic_inputs(tmp_path, sample_dir, 10)
    recipe = default_recipe()
    recipe.get("split").subsets = [100, 0.5, 60000]
    info = tmp_path / "dataset_info.json"
    result = prep([source], tmp_path / "data", recipe=recipe, dataset_info=info)
    out = result.dataset_dir
    assert result.stats["subsets_not_made"] == ["60k"]  # larger than the train split: said
    assert not (out / "alpaca" / "train_60k.jsonl").exists()
    small = [e["id"] for e in read_jsonl(out / "alpaca" / "train_100.jsonl")]
    half = [e["id"] for e in read_jsonl(out / "alpaca" / "train_50pct.jsonl")]
    train = [e["id"] for e in read_jsonl(out / "alpaca" / "train.jsonl")]
    assert len(small) == 100 and len(half) == round(len(train) / 2)
    assert set(small) <= set(half) <= set(train)
    registered = json.loads(info.read_text(encoding="utf-8"))
    assert (
        registered["medqa_sharegpt_train_100"]["file_name"] == "data/medqa/sharegpt/train_100.jsonl"
    )
    assert "medqa_alpaca_train_50pct" in registered


@pytest.mark.realdata
def test_every_real_format_runs_and_the_classifier_is_measured(tmp_path, real_data) -> None:
    inputs = [
        real_data / "toyhom_cmd" / "orig" / "样例_内科5000-6000.csv",  # GB18030 CSV
        real_data / "medicalgpt" / "orig" / "medical_sft_1K_format.jsonl",  # ShareGPT
        real_data / "medicalgpt" / "orig" / "medical_corpus.txt",  # {"问", "答"} lines
        real_data
        / "huatuo_llama_med_chinese"
        / "data-literature_liver_cancer.json",  # alpaca array
        real_data / "medqa_mcmle" / "test.jsonl",  # MedQA exam
        real_data / "cmmlu_medical" / "test_clinical_knowledge.csv",  # CMMLU exam
    ]
    result = prep(inputs, tmp_path / "data", workers=2)
    stats = result.stats
    assert stats["rejects"] == 0
    assert {i["format"] for i in stats["inputs"]} == {
        "cmd",
        "sharegpt",
        "generic",
        "alpaca",
        "medqa",
        "cmmlu",
    }
    assert stats["exams"]["test"]["questions"] == 3426
    assert stats["contamination"]["exam_questions"] >= 3426 + 200
    classifier = stats["department"]["classifier"]
    print(
        f"\ndepartment classifier (CMD sub-departments): accuracy {classifier['accuracy']} on "
        f"{classifier['held_out']} held-out records, majority baseline {classifier['majority_baseline']}"
    )
    assert classifier["held_out"] > 500
    assert classifier["accuracy"] >= 0.9 > classifier["majority_baseline"]
    assert stats["department"]["predicted"] > 500  # MedicalGPT/HuaTuo records had no labels
    assert sum(stats["splits"].values()) > 8000


def test_stats_count_each_input_and_ids_stay_unique_across_same_named_files(tmp_path) -> None:
    answer = "头痛多与休息不足有关，建议规律作息，必要时在医生指导下服用止痛药并复查。"
    paths = []
    for folder, n in (("a", 30), ("b", 20)):
        (tmp_path / folder).mkdir()
        rows = [
            {"instruction": f"{folder}组{k}号头痛三天怎么办？", "output": answer} for k in range(n)
        ]
        paths.append(write_lines(tmp_path / folder / "data.jsonl", rows))
    recipe = recipe_from({"steps": ["normalize", "split"]})
    result = prep(paths, tmp_path / "out", recipe)
    counts = [(i["units"], i["records_after_steps"]) for i in result.stats["inputs"]]
    assert counts == [(30, 30), (20, 20)]
    ids = [
        r["id"]
        for s in ("train", "val", "test")
        for r in read_jsonl(result.dataset_dir / "alpaca" / f"{s}.jsonl")
    ]
    assert len(ids) == 50 and len(set(ids)) == 50


def test_cmedqa_rejects_name_the_answer_file_in_a_run(tmp_path) -> None:
    folder = tmp_path / "cMedQA2"
    folder.mkdir()
    (folder / "question.csv").write_text("question_id,content\n1,头痛三天怎么办？\n", "utf-8")
    (folder / "answer.csv").write_text(
        "ans_id,question_id,content\n10,1,头痛三天多休息，必要时吃布洛芬。\n13,9,无主\n", "utf-8"
    )
    result = prep([folder], tmp_path / "out", recipe_from({"steps": ["normalize"]}))
    (reject,) = read_jsonl(result.dataset_dir / "rejects.jsonl")
    assert reject["file"] == str(folder / "answer.csv") and reject["line"] == 3


@pytest.mark.parametrize(
    ("step", "params", "message"),
    [
        ("dedup", {"ngram": 0}, r"steps\[0\]\.dedup: ngram must be 1\.\.32"),
        ("dedup", {"num_perm": 0}, r"steps\[0\]\.dedup: num_perm must be at least 1"),
        ("decontaminate", {"ngram": 100}, r"steps\[0\]\.decontaminate: ngram must be 1\.\.32"),
        ("department", {"taxonomy": "no/such.yaml"}, r"steps\[0\]\.department: taxonomy"),
    ],
)
def test_bad_step_values_fail_fast_naming_the_key(step, params, message) -> None:
    with pytest.raises(RecipeError, match=message):
        recipe_from({"steps": [{step: params}]})


def test_rerun_removes_entries_of_subsets_it_no_longer_writes(tmp_path, sample_dir) -> None:
    info = tmp_path / "dataset_info.json"
    info.write_text(json.dumps({"mine": {"file_name": "gone.jsonl"}}), encoding="utf-8")
    recipe = default_recipe()
    recipe.get("split").subsets = [0.5]
    prep([sample_dir / "raw_sample.jsonl"], tmp_path / "data", recipe, dataset_info=info)
    assert "medqa_alpaca_train_50pct" in json.loads(info.read_text(encoding="utf-8"))
    prep([sample_dir / "raw_sample.jsonl"], tmp_path / "data", dataset_info=info)
    entries = json.loads(info.read_text(encoding="utf-8"))
    assert "medqa_alpaca_train_50pct" not in entries and "medqa_sharegpt_train_50pct" not in entries
    assert "mine" in entries and "medqa_alpaca_train" in entries  # outside the dataset: kept
    for value in entries.values():
        if value["file_name"].startswith("data/"):
            assert (tmp_path / value["file_name"]).is_file()


@pytest.mark.parametrize("name", ["../escape", "a/b", ".."])
def test_dataset_name_must_be_a_plain_folder_name(tmp_path, sample_dir, name) -> None:
    with pytest.raises(ValueError, match="plain folder name"):
        prep([sample_dir / "raw_sample.jsonl"], tmp_path / "data", name=name)
    assert not (tmp_path / "escape").exists()

"""Departments (taxonomy + classifier), dataset_info.json merging, charts with Chinese labels
and the HTML report."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from dataprep import charts
from dataprep.classifier import CountTable, NaiveBayes, features, sparse_counts
from dataprep.dataset_info import entry, merge_entries, relative_file_name
from dataprep.steps.base import StepStats
from dataprep.steps.department import DepartmentMap, DepartmentParams
from dataprep.taxonomy import Taxonomy
from dataprep.writepass import Written


@pytest.mark.parametrize(
    ("labels", "path"),
    [
        (["心血管科"], ("内科", "心血管内科")),  # CMD label
        (["内科", "心血管内科"], ("内科", "心血管内科")),  # crawler breadcrumb
        (["消化科"], ("内科", "消化内科")),
        (["Andriatria"], ("男科",)),
        (["儿科", "呼吸内科"], ("儿科",)),  # a sub-department of another top level: keep the top
        (["外科", "不认识的科"], ("外科",)),
    ],
)
def test_taxonomy_maps_source_labels(labels, path) -> None:
    taxonomy = Taxonomy.load()
    assert taxonomy.paths[taxonomy.code(labels)] == path


def test_department_step_counts_unmapped_labels() -> None:
    step, stats = DepartmentMap(DepartmentParams()), StepStats()
    records = [
        {"department": ["健康咨询"], "meta": {}},
        {"department": [], "meta": {}},
        {"department": ["皮肤科"], "meta": {}},
    ]
    for record in records:
        assert step.apply(record, stats) is None
    assert [r["department"] for r in records] == [[], [], ["皮肤科"]]
    assert records[0]["meta"]["department_source"] == ["健康咨询"]
    assert stats.counts["unmapped"] == 1 and stats.counts["unlabelled"] == 1
    assert stats.counts["unmapped_label:健康咨询"] == 1


def test_bad_taxonomy_names_the_key(tmp_path) -> None:
    bad = tmp_path / "taxonomy.yaml"
    bad.write_text("内科:\n  en: IM\n  aliasses: [x]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="内科: unknown key 'aliasses'"):
        Taxonomy.load(bad)
    bad.write_text("内科:\n  aliases: [心内]\n外科:\n  aliases: [心内]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="label '心内' is used twice"):
        Taxonomy.load(bad)
    bad.write_text("儿科:\n  population: true\n  age_below: 十四\n", encoding="utf-8")
    with pytest.raises(ValueError, match="儿科.age_below must be a positive whole number"):
        Taxonomy.load(bad)
    bad.write_text('内科:\n  keywords: [咳嗽, "  "]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="内科.keywords: '  ' is not a one-line word"):
        Taxonomy.load(bad)


def test_naive_bayes_learns_departments_from_text() -> None:
    texts = {
        0: ["胸闷心慌血压高", "心绞痛胸痛", "高血压头晕", "心律不齐早搏"],
        1: ["皮肤瘙痒起疹子", "湿疹反复", "脸上长痘痘", "皮炎脱皮"],
    }
    table = CountTable(2)
    for code, docs in texts.items():
        classes = np.full(len(docs), code)
        owners, buckets = features(docs)
        keys, counts = sparse_counts(classes, owners, buckets)
        table.add(keys, counts, classes)
    model = NaiveBayes(table)
    assert model.predict(["最近胸痛血压也高", "手上起疹子很痒", ""]).tolist()[:2] == [0, 1]


def test_merge_entries_is_atomic_and_keeps_other_entries(tmp_path) -> None:
    info = tmp_path / "configs" / "dataset_info.json"
    info.parent.mkdir()
    info.write_text(
        json.dumps({"hand_made": {"file_name": "h.json"}, "x_alpaca_train": {}}), encoding="utf-8"
    )
    data_file = tmp_path / "data" / "x" / "alpaca" / "train.jsonl"
    name = relative_file_name(data_file, info)
    assert name == "../data/x/alpaca/train.jsonl"
    merge_entries(
        info,
        {"x_alpaca_train": entry(name, "alpaca"), "x_sharegpt_train": entry("s.jsonl", "sharegpt")},
    )
    merged = json.loads(info.read_text(encoding="utf-8"))
    assert list(merged) == ["hand_made", "x_alpaca_train", "x_sharegpt_train"]
    assert merged["hand_made"] == {"file_name": "h.json"}
    assert merged["x_alpaca_train"]["file_name"] == "../data/x/alpaca/train.jsonl"
    assert merged["x_sharegpt_train"]["tags"]["assistant_tag"] == "gpt"
    assert [p.name for p in info.parent.iterdir()] == ["dataset_info.json"]  # no temp files left
    info.write_text("{broken", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        merge_entries(info, {"y": entry("y.jsonl", "alpaca")})
    assert info.read_text(encoding="utf-8") == "{broken"


def minimal_stats() -> tuple[dict, Written]:
    stats = {
        "name": "t",
        "department": {
            "distribution": {"内科/心血管内科": 5, "皮肤科": 2, "未分类": 1},
            "by_split": {
                "train": {"内科/心血管内科": 4, "皮肤科": 2, "未分类": 1},
                "val": {"内科/心血管内科": 1},
                "test": {},
            },
        },
        "length": {
            "chars": {
                k: {"p50": 10, "p95": 20, "p99": 30, "max": 40}
                for k in ("question", "answer", "total")
            }
        },
        "funnel": [{"step": "quality", "seen": 10, "kept": 8, "dropped": {"off_topic_answer": 2}}],
    }
    lengths = {k: np.arange(1, 41) for k in ("question", "answer", "total")}
    return stats, Written({}, lengths, None, None, [])


def test_charts_render_chinese_labels_without_missing_glyphs(tmp_path) -> None:
    font = charts.chart_font()
    assert font.charmap is not None, "no CJK font: install the prep extra (mplfonts)"
    assert font.can_draw("科室分布内科心血管皮肤未分类过滤漏斗")
    stats, written = minimal_stats()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = charts.render_all(stats, written, tmp_path)
    assert not [w for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    assert [p.name for p in paths] == ["departments.png", "length_chars.png", "funnel.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)


def test_charts_fall_back_to_english_without_a_cjk_font(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(charts, "chart_font", lambda: charts.ChartFont("DejaVu Sans", None))
    assert charts.label("科室分布", "Departments") == "Departments"
    assert charts._department_label("内科/心血管内科") == "Internal medicine / Cardiology"
    stats, written = minimal_stats()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charts.render_all(stats, written, tmp_path)
    assert not [w for w in caught if "missing from" in str(w.message)]


def test_report_embeds_everything(tmp_path) -> None:
    from dataprep.report import write_report

    stats, written = minimal_stats()
    stats.update(
        splits={"train": 7, "val": 1, "test": 0},
        subsets={},
        deidentify={"phone": 1},
        contamination={"overlaps_exam": 0},
    )
    chart = charts.render_all(stats, written, tmp_path / "charts")
    examples = [
        {"step": "quality", "reason": "off_topic_answer", "question": "<b>问</b>", "answer": "答"}
    ]
    write_report(stats, chart, examples, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 3
    assert "&lt;b&gt;问&lt;/b&gt;" in page and "<b>问</b>" not in page
    assert "http" not in page.replace('lang="zh-CN"', "")
    assert Path(tmp_path / "report.html").stat().st_size > 10_000


def test_writers_keep_dialogues_and_system_prompts() -> None:
    from dataprep.writers import alpaca_example, sharegpt_example

    record = {
        "id": "d-1",
        "department": ["内科", "呼吸内科"],
        "question": "两周",
        "answer": "拍胸片。",
        "meta": {"system": "你是医生"},
        "turns": [
            {"role": "user", "content": "咳嗽"},
            {"role": "assistant", "content": "多久了？"},
            {"role": "user", "content": "两周"},
            {"role": "assistant", "content": "拍胸片。"},
        ],
    }
    alpaca = alpaca_example(record)
    assert alpaca == {
        "instruction": "患者：咳嗽\n医生：多久了？\n患者：两周",
        "input": "",
        "output": "拍胸片。",
        "system": "你是医生",
        "id": "d-1",
        "department": "内科/呼吸内科",
    }
    sharegpt = sharegpt_example(record, system_prompt="你是一名严谨的医生。")
    assert [t["from"] for t in sharegpt["conversations"]] == ["human", "gpt", "human", "gpt"]
    assert sharegpt["system"] == "你是一名严谨的医生。"  # the recipe's prompt wins

"""Normalisation of crawled text, and the crawler's de-identification pipeline (the shared
engine in medqa.deid, configured by the crawl settings)."""

from __future__ import annotations

import pytest
from scrapy.utils.test import get_crawler

from crawler.pipelines import DeidentifyPipeline, NormalisePipeline
from crawler.textclean import normalise


def test_normalise_fixes_what_html_leaves_behind():
    raw = "  头痛&amp;nbsp;三天\u00a0\u00a0了\u3000\n\n\n  吃了药\u200b没用  \n"
    assert normalise(raw) == "头痛 三天 了\n吃了药没用"
    assert normalise("血压１５０/９５，ＡＢＣ") == "血压150/95，ABC"
    assert normalise("疼痛&gt;3天") == "疼痛>3天"
    assert normalise("Q&A 不是实体") == "Q&A 不是实体"
    assert normalise(None) == ""


def _item(question: str, answer: str = "多喝水，注意休息。") -> dict:
    return {
        "source": "xywy",
        "qid": "1",
        "title": "咨询",
        "question": question,
        "answers": [{"text": answer, "doctor_name": "王建国", "doctor_title": "主治医师"}],
    }


def _run(item: dict, **settings) -> tuple[dict, dict]:
    crawler = get_crawler(settings_dict=settings)
    pipeline = DeidentifyPipeline.from_crawler(crawler)
    out = pipeline.process_item(NormalisePipeline().process_item(item))
    return out, crawler.stats.get_stats()


def test_every_text_field_is_deidentified_and_counted_per_kind():
    item, stats = _run(
        _item(
            "我叫王建国，手机１３９ １２３４ ５６７８，住在幸福小区3栋2单元501",
            "加我微信 doc_li88 详聊。——心内科 李志强 主治医师",
        )
    )
    assert item["question"] == "我叫[姓名]，手机[电话]，住在[地址]"
    assert item["answers"][0]["text"] == "加我微信 [微信号] 详聊。——心内科 [医生姓名]"
    assert {k: v for k, v in stats.items() if k.startswith("medqa/deid/")} == {
        "medqa/deid/person_name": 1,
        "medqa/deid/phone": 1,
        "medqa/deid/address": 1,
        "medqa/deid/wechat": 1,
        "medqa/deid/doctor_name": 1,
        "medqa/deid/records": 1,
    }


def test_kinds_are_chosen_in_the_settings():
    item, _ = _run(_item("电话13812345678，邮箱a_b@163.com，我叫王建国"), MEDQA_DEID_KINDS="phone")
    assert item["question"] == "电话[电话]，邮箱a_b@163.com，我叫王建国"


def test_doctor_names_stay_only_when_the_setting_keeps_them():
    text = "李医生说要复查"
    assert _run(_item(text))[0]["question"] == "[医生姓名]说要复查"
    kept, _ = _run(_item(text), MEDQA_KEEP_DOCTOR_NAMES=True)
    assert kept["question"] == text


def test_an_unknown_kind_stops_the_pipeline_naming_it():
    with pytest.raises(ValueError, match="unknown de-identification kind 'fax'"):
        _run(_item("x"), MEDQA_DEID_KINDS="phone,fax")


@pytest.mark.parametrize(
    "text",
    [
        "血压150/95，血糖7.8mmol/L，糖化6.3%",
        "2026-11-01 10:23:45 复查，结节0.8×0.6厘米",
        "HBV-DNA 13800000000 copies/ml，上次15800000000 IU/ml",
        "每周150分钟运动，盐5克以内，20261101复诊",
        "布洛芬0.2g，每4到6小时一次",
    ],
)
def test_medical_numbers_are_left_alone(text):
    item, stats = _run(_item(text))
    assert item["question"] == text
    assert not any(k.startswith("medqa/deid/") for k in stats)

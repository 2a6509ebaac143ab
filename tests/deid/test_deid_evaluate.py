"""The scoring rule every labelled set is scored by: an identifier is caught when its identifying
core is gone, whatever boundary the set's writer drew around it; spans are read back from a
stage's output."""

from __future__ import annotations

from medqa.deid import PLACEHOLDERS, Deidentifier
from medqa.deid.evaluate import core_offsets, score, spans_from_output


def _core(kind: str, value: str) -> str:
    return "".join(value[i] for i in core_offsets(kind, value))


def test_the_core_leaves_out_what_identifies_no_one() -> None:
    assert _core("address", "西安市雁塔区小寨东路91号万达广场对面的长安小区") == (
        "小寨东路91号万达广场长安小区"
    )
    assert _core("bed", "ICU 6床") == "6床"
    assert _core("bed", "急诊抢救室2床") == "2床"
    assert _core("phone", "138 1234-5678") == "13812345678"
    # a value that is all prefix keeps its characters: nothing would be left to find
    assert _core("address", "广州市天河区") == "广州市天河区"
    assert _core("person_name", "对面的王") == "对面的王"  # joins are spared in addresses only


def _finder(spans):
    return lambda text: spans


def test_a_kept_prefix_or_join_is_caught_a_kept_core_character_is_a_miss() -> None:
    text = "住在广州市天河区天河北路233号对面的幸福小区3栋"
    case = {"id": "a", "text": text, "identifiers": [{"kind": "address", "value": text[2:]}]}
    road, estate = text.index("天河北路"), text.index("幸福小区")
    caught = score([case], _finder([("address", road, estate - 3), ("address", estate, len(text))]))
    assert caught.recall("address") == 1.0
    missed = score(
        [case], _finder([("address", road, estate - 3), ("address", estate + 1, len(text))])
    )
    assert missed.recall("address") == 0.0
    assert score([case], _finder([("address", road, len(text))]), core=True).recall() == 1.0
    assert score([case], _finder([("address", road, len(text))]), core=False).recall() == 0.0


def test_a_share_code_next_to_a_labelled_link_is_no_false_alarm() -> None:
    text = "网盘 https://pan.baidu.com/s/1Kq7 提取码 h7k2 ，血糖 7.8"
    link = "https://pan.baidu.com/s/1Kq7"
    case = {"id": "b", "text": text, "identifiers": [{"kind": "url", "value": link}]}
    start, code, sugar = text.index(link), text.index("h7k2"), text.index("7.8")
    spans = [("url", start, start + len(link)), ("url", code, code + 4)]
    assert score([case], _finder(spans)).precision() == 1.0
    result = score([case], _finder([*spans, ("phone", sugar, sugar + 3)]))
    assert result.false_spans == [("b", "phone", "7.8")]


def test_spans_read_back_from_a_stage_output_are_the_engine_spans() -> None:
    engine = Deidentifier()
    text = "我叫王建国，电话138 1234 5678，住在幸福小区3栋2单元501，微信 doc_li88"
    found = [(s.kind, s.start, s.end) for s in engine.find(text)]
    assert spans_from_output(text, engine.redact(text), PLACEHOLDERS) == found
    assert spans_from_output(text, text, PLACEHOLDERS) == []

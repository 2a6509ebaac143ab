"""Question-page parsing per profile, on the bytes the sample site serves (GBK and UTF-8) and on
small hand-written pages, through Scrapy's own encoding detection."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse

from crawler.samplesite import html_39, html_120ask, html_xywy
from crawler.samplesite.content import build_corpus
from crawler.samplesite.server import build_pages
from crawler.sites.extract import doctor_title, extract_detail, normalise_time, patient_fields
from crawler.sites.profile import load_profile

RENDER = {"xywy": html_xywy, "120ask": html_120ask, "39": html_39}


@pytest.fixture(scope="module")
def pages():
    return build_pages(build_corpus(), crawl_delay=0)


def response_for(pages, question) -> HtmlResponse:
    path = RENDER[question.site].detail_path(question)
    page = pages[path]
    return HtmlResponse(
        url=f"http://127.0.0.1:1{path}", body=page.body, headers={"Content-Type": page.content_type}
    )


def parse(question, response):
    profile = load_profile(question.site)
    date = profile.with_root(f"http://127.0.0.1:1/{question.site}").match_detail(response.url).date
    return extract_detail(
        profile.detail, response.selector.root, date, keep_doctor_names=True, body=response.body
    )


def plain(site: str, count: int):
    return [q for q in build_corpus().site(site) if not q.fault and q.answers][:count]


@pytest.mark.parametrize("site", ["xywy", "120ask", "39"])
def test_every_field_is_read_from_the_sites_pages(pages, site):
    for question in plain(site, 12):
        fields = parse(question, response_for(pages, question))
        assert fields["title"] == question.title
        assert fields["department"] == [question.dept, question.sub]
        assert question.body.split("。")[0] in fields["question"]
        assert fields["patient"]["gender"] == question.sex
        low = question.age // 10 * 10
        assert fields["patient"]["age_group"] == f"{low}-{low + 9}"
        assert fields["asked_on"] == question.day
        assert fields["issues"] == []
        got = sorted(
            (a["text"], a["accepted"], a["likes"], a["doctor_title"]) for a in fields["answers"]
        )
        want = sorted((a.text, a.accepted, a.likes, a.doctor_title) for a in question.answers)
        assert got == want
        assert {a["doctor_name"] for a in fields["answers"]} == {
            a.doctor_name for a in question.answers
        }
        assert all(a["time"].startswith("2026-") for a in fields["answers"])


def test_gbk_pages_decode_with_and_without_a_charset_header(pages):
    xywy = [q for q in plain("xywy", 200) if "瘆" in q.body]  # 瘆 is in GBK, not in GB2312
    with_header = [q for q in xywy if int(q.qid) % 2 == 0]
    without = [q for q in xywy if int(q.qid) % 2 == 1]
    assert with_header and without
    for question in with_header[:2] + without[:2]:
        response = response_for(pages, question)
        assert response.encoding in ("gbk", "gb18030")
        assert "瘆" in parse(question, response)["question"]
    assert b"charset" not in response_for(pages, without[0]).headers[b"Content-Type"]


def test_120ask_question_is_the_labelled_sections_without_labels_and_answers_once():
    body = """<html><body><div class="b_route"><a itemprop="link">有问必答</a><a itemprop="link">全部</a>
    <a itemprop="link">儿科</a><a itemprop="link">小儿内科</a></div><h1 id="d_askH1">孩子发烧</h1>
    <div class="b_askab1"><span>男|3岁</span><span>2026-11-01 08:00</span></div>
    <div id="d_msCon"><p>其他：不要这段</p><p><span>健康咨询描述：</span>烧到39度</p>
    <p><span>想得到怎样的帮助：</span>要去医院吗</p></div>
    <div class="b_answerli"><span class="b_sp1"><a>王医生</a> 副主任医师</span>
    <div class="b_anscont_cont"><div class="crazy_new"><p>多喝水</p></div></div>
    <span class="b_anscont_time">2026-11-01 09:00</span><span class="b_ansyes">有帮助(4)</span></div>
    <div class="b_answerli"><span class="b_sp1"><a>李医生</a>主治医师</span>
    <div class="b_acceptcont">采纳</div><div class="b_anscont_cont">观察精神</div></div>
    <div class="b_footer"></div></body></html>""".encode()
    response = HtmlResponse("https://www.120ask.com/question/1.htm", body=body, encoding="utf-8")
    fields = extract_detail(load_profile("120ask").detail, response.selector.root)
    assert fields["question"] == "烧到39度\n要去医院吗"
    assert fields["department"] == ["儿科", "小儿内科"]
    assert fields["patient"] == {"gender": "男", "age_group": "0-9"}
    assert fields["asked_on"] == "2026-11-01"
    assert [
        (a["text"], a["doctor_title"], a["accepted"], a["likes"]) for a in fields["answers"]
    ] == [
        ("多喝水", "副主任医师", False, 4),
        ("观察精神", "主治医师", True, 0),
    ]


@pytest.mark.parametrize(
    ("fault", "issues", "title"),
    [
        ("deleted", ["question_deleted"], False),
        ("truncated", ["truncated_page"], True),
        ("malformed", [], False),
    ],
)
def test_broken_pages_are_flagged_not_guessed(pages, fault, issues, title):
    question = next(q for q in build_corpus().site("xywy") if q.fault == fault)
    fields = parse(question, response_for(pages, question))
    assert fields["issues"] == issues
    assert bool(fields["title"]) is title


def test_recoverable_markup_still_parses(pages):
    for question in [q for q in build_corpus().questions if q.fault == "recoverable"]:
        fields = parse(question, response_for(pages, question))
        assert fields["title"] == question.title
        assert len(fields["answers"]) == len(question.answers)
        assert fields["issues"] == []


def test_patient_fields_never_take_a_user_name_for_a_gender():
    assert patient_fields(["爱笑的女孩2021", "男", "45岁"]) == {
        "gender": "男",
        "age_group": "40-49",
    }
    assert patient_fields(["女|8个月"]) == {"gender": "女", "age_group": "0-9"}
    assert patient_fields(["网友", "95岁"]) == {"gender": None, "age_group": "90+"}
    assert patient_fields(["女侠", "年龄不详"]) == {"gender": None, "age_group": None}


def test_times_and_titles_are_normalised():
    assert normalise_time("回答于 2026年11月1日 9:05") == "2026-11-01 09:05"
    assert normalise_time("2026/11/01") == "2026-11-01"
    assert normalise_time("刚刚") is None
    assert doctor_title("副主任医师 张三") == "副主任医师"
    assert doctor_title("主任医师") == "主任医师"
    assert doctor_title("热心网友") is None


def test_120ask_older_labels_and_any_order_of_the_asker_line():
    """Public crawlers of 120ask show other section labels (病情描述, 想得到的帮助) and the
    asker line's spans in varying order (a reply count among them)."""
    body = """<html><body><h1 id="d_askH1">孩子发烧</h1>
    <div class="b_askab1"><span>3人回复</span><span>男|3岁</span><span>2026-11-01 08:00</span>
    <span>来自北京</span></div>
    <div id="d_msCon"><p class="crazy_new"><span>病情描述：</span>烧到39度</p>
    <p><span>想得到的帮助：</span>要去医院吗</p></div>
    <div class="b_answerli"><span class="b_sp1"><a>王医生</a> 主治医师</span>
    <div class="b_anscont_cont">多喝水</div></div><div class="b_footer"></div></body></html>"""
    response = HtmlResponse(
        "https://www.120ask.com/question/1.htm", body=body.encode(), encoding="utf-8"
    )
    fields = extract_detail(load_profile("120ask").detail, response.selector.root)
    assert fields["question"] == "烧到39度\n要去医院吗"
    assert fields["patient"] == {"gender": "男", "age_group": "0-9"}
    assert fields["asked_on"] == "2026-11-01"


def test_39_page_as_public_crawlers_read_it():
    """div.sub breadcrumb; p.mation = sex, age, onset (not the asking time); p.txt_nametime =
    asker name, asking time; doctor name in span.doc_name, p.doc_xinx starts with the title."""
    body = """<html><body><div class="sub"><span><a>39健康问答</a></span> &gt;
    <span><a>内科</a></span> &gt; <span><a>心血管内科</a></span> &gt; <span><a>高血压</a></span>
    <span class="sub_here">血压高</span></div>
    <p class="ask_tit">血压高怎么办</p>
    <p class="mation"><span>男</span><span>45岁</span><span>2019-03-01</span></p>
    <p class="txt_nametime"><span>网友2026-01-01</span><span>2026-11-02 10:00</span></p>
    <p class="txt_ms">头晕</p>
    <div class="selected"><div class="sele_all"><span class="doc_name">李四</span>
    <p class="doc_xinx"><span>副主任医师</span><span>心内科</span><span>某医院</span></p>
    <p class="sele_txt">低盐饮食</p></div></div><div id="footer"></div></body></html>"""
    response = HtmlResponse(
        "https://ask.39.net/question/1.html", body=body.encode(), encoding="utf-8"
    )
    fields = extract_detail(
        load_profile("39").detail, response.selector.root, keep_doctor_names=True
    )
    assert fields["department"] == ["内科", "心血管内科"]
    assert fields["patient"] == {"gender": "男", "age_group": "40-49"}
    assert fields["asked_on"] == "2026-11-02"
    assert [(a["doctor_title"], a["doctor_name"]) for a in fields["answers"]] == [
        ("副主任医师", "李四")
    ]


def test_a_page_that_declares_no_charset_is_read_with_the_profiles_encoding():
    """No charset header and the <meta> beyond the part of the page that is searched for it:
    the profile's encoding (xywy: gb18030) decodes it, not a statistical guess."""
    from scrapy import Request
    from scrapy.utils.test import get_crawler

    from crawler.spiders.medqa import MedqaSpider

    spider = MedqaSpider(site="xywy", base_url="http://127.0.0.1:1")
    spider._set_crawler(get_crawler(MedqaSpider))
    script = "var x = 1;" * 600  # 6 KB of inline script before the <meta>
    page = f"""<html><head><title>头痛</title><script>{script}</script>
    <meta http-equiv="Content-Type" content="text/html; charset=gb2312" /></head><body>
    <p class="fl dib fb" title="头痛三天了">头痛三天了</p><div id="qdetailc">头痛三天，瘆得慌</div>
    <div class="docall clearfix  Bestbg "><div class="pt15 f14 graydeep  pl20 pr20">多休息</div>
    </div><div class="footer"></div></body></html>"""
    url = "http://127.0.0.1:1/xywy/question/20261101/1.htm"
    meta = {"medqa_site": "xywy", "medqa_kind": "detail", "medqa_qid": "1", "medqa_date": None}
    response = HtmlResponse(
        url,
        body=page.encode("gbk"),
        headers={"Content-Type": "text/html"},
        request=Request(url, meta=meta),
    )
    (item,) = spider.parse_detail(response)
    assert (item["title"], item["question"]) == ("头痛三天了", "头痛三天，瘆得慌")
    assert spider.crawler.stats.get_value("medqa/pages/profile_encoding/xywy") == 1

"""The bundled profiles on pages shaped the way public crawlers of each site quote the markup
(exact class strings with their stray spaces, the nesting they walk) — not the sample site's
layout. Written from the evidence named in each profile; no real page is copied."""

from __future__ import annotations

from crawler.sites.extract import extract_detail, parse_html
from crawler.sites.profile import load_profile
from crawler.sites.trial import _list_report

PAD = "<div class='rel'>" + "<p>相关问题推荐</p>" * 80 + "</div>"


def page(body: str) -> bytes:
    return f"<!DOCTYPE html><html><head><title>t</title></head><body>{body}{PAD}</body></html>".encode()


def detail(site: str, body: bytes, url_date: str | None = None) -> dict:
    profile = load_profile(site)
    return extract_detail(profile.detail, parse_html(body), url_date, True, body=body)


def links(site: str, kind: str, body: bytes, url: str) -> list[str]:
    report = _list_report(load_profile(site), kind, parse_html(body), url)
    return [link for rule in report["follow"] for link in rule["links"]]


XYWY_DETAIL = """
<div class="w980 clearfix bc f12 btn-a pr">
<p class="pt10 pb10 lh180 znblue normal-a"><a href="http://club.xywy.com/" target="_blank">有问必答</a> &gt;
<a href="http://club.xywy.com/kswd_list.htm" target="_blank">全部问题</a> &gt;
<a href="http://club.xywy.com/big_287.htm" target="_blank">妇产科</a> &gt;
<a href="http://club.xywy.com/small_556.htm" target="_blank">月经不调</a> &gt; 月经推迟两周</p>
<div class="clearfix"><div class="User_askcon clearfix pr">
<div class="f12 graydeep Userinfo clearfix pl29"><span>女王大人</span><span>|</span><span>女</span>
<span>|</span><span>25岁</span><span>|</span><span>2017-03-21 10:22:11</span></div>
<div class="clearfix"><p class="fl dib fb" title="月经推迟两周验尿没有怀孕">月经推迟两周验尿没有怀孕</p></div>
<div class="clearfix pl29 mr30"><div class="graydeep User_quecol pt10 mt10" id="qdetailc">
月经推迟两个星期，验尿没有怀孕，请问什么原因？</div></div></div></div></div>
<div class="Doc_con clearfix pr mt5 ">
<div class="t9999 questnew_icon Quest_askh2 pa">最佳答案</div>
<div class="docall clearfix Bestbg">
<div class="zyhftop pl29 pt20 clearfix pr"><div><div><div><div>
<a class="f14 fb Doc_bla" href="http://club.xywy.com/doc_card/36450269">王某某</a> 主治医师 妇产科</div></div></div></div></div>
<div class="pt10 mb5 clearfix pr qsdetail"><div></div><div>
<div class="pt15 f14 graydeep  pl20 pr20">可能与压力、作息有关，建议查性激素六项。</div>
<p class="col99 tr clearfix pr20"><span class="User_newbg User_time Doc_time">2017-03-21 11:05:00</span></p>
<div class="clearfix pb10  pl20 pr20 ballc"><b class="gratenum">3</b></div>
<div class="appdoc appxian ml20 mr20 mt15 pb10 clearfix f14">
<div class="usezw pt10 clearfix"><p><span class="fl dib fb Doc_bla">追问</span></p><div class="fl w390">需要空腹吗？</div>
<p class="tr col99 f12"><span>2017-03-21 12:00:00</span></p></div>
<div class="usezw pt10 clearfix"><p><span class="fl dib fb Doc_bla">王某某</span></p><div class="fl w390">不需要空腹。</div>
<p class="tr col99 f12"><span>2017-03-21 12:30:00</span></p></div></div>
</div></div></div>
<div class="docall clearfix ">
<div class="zyhftop pl29 pt20 clearfix pr"><a class="f14 fb Doc_bla" href="/doc_card/1">李某</a> 住院医师</div>
<div class="pt10 mb5 clearfix pr qsdetail"><div></div><div>
<div class="pt15 f14 graydeep  pl20 pr20 deepblue">先观察一个周期。</div>
<p class="col99 tr clearfix pr20"><span>2017-03-22 09:00:00</span></p></div></div></div>
</div>"""


def test_xywy_question_page_as_public_crawlers_read_it():
    got = detail("xywy", page(XYWY_DETAIL), "2017-03-21")
    assert got["issues"] == []
    assert got["title"] == "月经推迟两周验尿没有怀孕"
    assert got["question"] == "月经推迟两个星期，验尿没有怀孕，请问什么原因？"
    assert got["department"] == ["妇产科", "月经不调"]
    assert got["patient"] == {"gender": "女", "age_group": "20-29"}
    assert [(a["doctor_title"], a["time"], a["accepted"], a["likes"]) for a in got["answers"]] == [
        ("主治医师", "2017-03-21 11:05:00", True, 3),
        ("住院医师", "2017-03-22 09:00:00", False, 0),
    ]
    assert got["answers"][1]["text"] == "先观察一个周期。"
    assert [(t["role"], t["text"]) for t in got["turns"]] == [
        ("patient", got["question"]),
        ("patient", "需要空腹吗？"),
        ("doctor", "不需要空腹。"),
    ]


def test_xywy_lists_and_day_index_as_public_crawlers_walk_them():
    day_index = page(
        '<ul class="club_Date clearfix"><li><a href="http://club.xywy.com/keshi/2017-03-21/1.html">'
        "[2017-03-21]</a></li></ul>"
        '<div class="subFen"><a href="http://club.xywy.com/keshi/2.html">[下一页]</a> 共312页</div>'
    )
    assert links("xywy", "date_index", day_index, "http://club.xywy.com/keshi/1.html") == [
        "http://club.xywy.com/keshi/2017-03-21/1.html"
    ]
    day_list = page(
        '<div class="bc mt15 DiCeng"><div class="club_dic"><h4><var><a href="http://club.xywy.com/small_556.htm">'
        '[月经不调]</a></var><em><a href="http://club.xywy.com/static/20170321/127601416.htm">月经推迟</a>'
        "</em></h4><div><p>月经推迟两个星期</p></div></div></div>"
    )
    assert links("xywy", "list", day_list, "http://club.xywy.com/keshi/2017-03-21/1.html") == [
        "http://club.xywy.com/static/20170321/127601416.htm"
    ]
    home = page(
        '<div class="hot_ks"><a href="http://club.xywy.com/big_287.htm">妇产科</a>'
        '<a href="/big_3.htm">内科</a></div>'
    )
    assert links("xywy", "home", home, "http://club.xywy.com/") == [
        "http://club.xywy.com/big_287.htm",
        "http://club.xywy.com/big_3.htm",
    ]


ASK120_DETAIL = """
<div id="body_main"><div class="b_cont t10 m1010 clears"><div class="b_left fl t10">
<div class="b_route t10"><a href="/">有问必答</a>&gt;<a href="/list/neike/">内科</a>&gt;
<a href="/list/xinxueguan/">心血管内科</a></div>
<div class="b_askbox"><div class="b_askti"><h1 id="d_askH1">血压150/95要吃药吗</h1></div>
<div class="b_askab1"><span>男|45岁</span><span>2019-05-02 08:11</span><span>来自四川</span></div>
<div class="b_askcont"><div id="d_msCon">
<p class="crazy_new"><span>健康咨询描述：</span>体检发现血压150/95，没有头晕。</p>
<p class="crazy_new"><span>想得到怎样的帮助：</span>需要吃降压药吗？</p></div></div></div>
<div class="b_answerbox t10">
<div class="b_answerli"><div class="b_answertop clears"><div class="b_answertl">
<span class="b_sp1"><a href="/doctor/1/"><font>张某</font></a>副主任医师</span><span class="b_sp2">心内科</span></div></div>
<div class="b_acceptcont clears"><div class="b_anscontc"><div class="b_anscont_cont"><div class="crazy_new">
<p>建议先改善生活方式，复测血压。</p></div></div><span class="b_anscont_time">2019-05-02 09:00</span></div></div></div>
<div class="b_answerli"><div class="b_answertop clears"><div class="b_answertl">
<span class="b_sp1"><a href="/doctor/2/">刘某</a>主治医师</span></div></div>
<div class="b_answercont clears"><div class="b_anscontc"><div itemprop="content"><div><p>可以考虑用药。</p></div></div>
<span><font itemprop="reply_time">2019-05-03 10:00</font></span></div></div>
<div class="b_ansaddbox"><div class="b_ansaddli"><span class="b_askaddti">追问</span><p>吃哪种药？</p>
<span><span>2019-05-03 11:00</span></span></div>
<div class="b_ansaddli"><span class="b_docaddti">回复</span><p>需面诊后决定。</p><span><span>2019-05-03 12:00</span></span></div></div>
</div></div></div></div></div>"""


def test_120ask_question_page_as_public_crawlers_read_it():
    got = detail("120ask", page(ASK120_DETAIL))
    assert got["issues"] == []
    assert got["title"] == "血压150/95要吃药吗"
    assert got["question"] == "体检发现血压150/95，没有头晕。\n需要吃降压药吗？"
    assert got["department"] == ["内科", "心血管内科"]  # the top department is kept
    assert got["patient"] == {"gender": "男", "age_group": "40-49"}
    assert got["asked_on"] == "2019-05-02"
    assert [(a["text"], a["doctor_title"], a["time"], a["accepted"]) for a in got["answers"]] == [
        ("建议先改善生活方式，复测血压。", "副主任医师", "2019-05-02 09:00", True),
        ("可以考虑用药。", "主治医师", "2019-05-03 10:00", False),
    ]
    assert [(t["role"], t["text"]) for t in got["turns"][1:]] == [
        ("patient", "吃哪种药？"),
        ("doctor", "需面诊后决定。"),
    ]


def test_120ask_lists_as_public_crawlers_walk_them():
    listing = page(
        '<div id="list"><div class="h-left fl"><div class="t13 h-main"><ul>'
        '<li><div class="fl h-left-p"><p><a href="//www.120ask.com/question/66781721.htm" title="t">t</a>'
        '</p></div><div class="fr h-right-p"><span class="h-span1">2</span></div></li>'
        '<li><div class="fl h-left-p"><p><a href="/question/xinzang/66781722.htm">u</a></p></div></li>'
        '</ul><div class="clears h-page"><a href="/list/xewk/all/2">下一页</a></div></div></div></div>'
    )
    url = "https://www.120ask.com/list/xewk/all/1"
    assert links("120ask", "list", listing, url) == [
        "https://www.120ask.com/question/66781721.htm",
        "https://www.120ask.com/question/66781722.htm",
    ]
    report = _list_report(load_profile("120ask"), "list", parse_html(listing), url)
    assert report["next"] == "https://www.120ask.com/list/xewk/all/2"
    directory = page('<div class="h-left"><ul><li><a href="/list/neike/">内科</a></li></ul></div>')
    assert links("120ask", "index", directory, "https://www.120ask.com/list/") == [
        "https://www.120ask.com/list/neike/"
    ]


ASK39_DETAIL = """
<div id="sub"><span><a href="/">39健康问答</a></span>&gt;<span><a href="/news/313-1.html">内科</a></span>&gt;
<span><a href="/news/3131-1.html">呼吸内科</a></span></div>
<div class="ask_cont"><p class="ask_tit">咳嗽一个月不好</p>
<p class="mation"><span>女</span><span>32岁</span><span>发病时间：一个月</span></p>
<p class="txt_nametime"><span>匿名</span><span>2020-01-05 20:11</span></p>
<p class="txt_label"><span><a>咳嗽</a></span></p></div>
<div class="ask_hid"><p class="txt_ms">咳嗽一个月，有痰，不发烧。</p></div>
<div class="selected"><p class="sele_img">医生回答(2)</p>
<div class="sele_all marg_top"><div class="doctor_all"><div class="doc_img"><a href="http://my.39.net/P1">img</a></div>
<div class="doc_txt"><p class="doc_xinx"><span class="doc_name">赵某</span><span class="doc_yshi">主治医师</span><span>某医院</span></p></div></div>
<p class="sele_txt">建议拍胸片排除肺炎。</p>
<div class="doc_t_strip"><p class="doc_time">2020-01-05 21:00</p><div class="doc_zwenall">
<div class="doc_zw"><span>追问：</span><span>胸片正常还要查什么？</span></div></div></div></div>
<div class="sele_all"><div class="doctor_all"><div class="doc_txt"><p class="doc_xinx"><span class="doc_name">钱某</span>
<span class="doc_yshi">住院医师</span></p></div></div><p class="sele_txt">多喝水，观察。</p>
<div class="doc_t_strip"><p class="doc_time">2020-01-06 08:00</p></div></div></div>"""


def test_39_question_page_as_public_crawlers_read_it():
    got = detail("39", page(ASK39_DETAIL), None)
    assert got["issues"] == []
    assert got["title"] == "咳嗽一个月不好"
    assert got["question"] == "咳嗽一个月，有痰，不发烧。"
    assert got["department"] == ["内科", "呼吸内科"]
    assert got["patient"] == {"gender": "女", "age_group": "30-39"}
    assert got["asked_on"] == "2020-01-05"
    assert [(a["text"], a["doctor_title"], a["time"]) for a in got["answers"]] == [
        ("建议拍胸片排除肺炎。", "主治医师", "2020-01-05 21:00"),
        ("多喝水，观察。", "住院医师", "2020-01-06 08:00"),
    ]
    assert [(t["role"], t["text"]) for t in got["turns"][1:]] == [
        ("patient", "胸片正常还要查什么？")
    ]


def test_39_lists_as_public_crawlers_walk_them():
    listing = page(
        '<ul class="list_tag"><li><span class="a_l"><p><a href="/question/3840308.html">咳嗽</a></p></span></li></ul>'
        '<p class="p1"><a href="http://ask.39.net/question/3840309.html">发烧</a></p>'
        '<span class="pgleft"><a href="/news/313-2.html">下一页</a><a href="/news/313-500.html">500</a></span>'
    )
    url = "https://ask.39.net/news/313-1.html"
    assert links("39", "list", listing, url) == ["https://ask.39.net/question/3840308.html"]
    report = _list_report(load_profile("39"), "list", parse_html(listing), url)
    assert report["next"] == "https://ask.39.net/news/313-2.html"


def test_a_mirror_of_real_pages_keeps_their_absolute_links_on_the_mirror():
    day_list = page(
        '<div class="club_dic"><h4><em><a href="http://club.xywy.com/static/20170321/127601416.htm">'
        "t</a></em></h4></div>"
    )
    mirror = load_profile("xywy").with_root("http://127.0.0.1:9/xywy")
    report = _list_report(
        mirror, "list", parse_html(day_list), "http://127.0.0.1:9/xywy/keshi/1.html"
    )
    assert report["follow"][0]["links"] == ["http://127.0.0.1:9/xywy/static/20170321/127601416.htm"]
    assert (
        mirror.site_url("https://club.xywy.com/big_287.htm")
        == "http://127.0.0.1:9/xywy/big_287.htm"
    )

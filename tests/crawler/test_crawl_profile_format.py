"""The profile format: strict keys, selector alternatives, per-field regex and cleanup, answers as
card + text, vocabularies and patient patterns in the profile, several hosts, turns, and a
page-complete check that needs no footer."""

from __future__ import annotations

import pytest

from crawler.items import raw_record
from crawler.sites.extract import extract_detail, parse_html
from crawler.sites.profile import ProfileError, load_profile, load_profile_file

BASE = """
name: demo
title: demo site
root: https://demo.example
hosts: [https://m.demo.example]
entries: [{path: /list/, kind: list}]
pages:
  list:
    follow: [{links: "//a[@class='q']", kind: detail}]
detail:
  url: '^/q/(?P<qid>\\d+)(?:\\.html)?$'
  canonical: /q/{qid}.html
  title: ["//h1[@id='t']", "//h2"]
  question:
    xpath: //div[@id='q']
    cleanup: ['^问题描述[:：]']
  patient: //p[@class='who']
  answers:
    each: //div[@class='a']
    text: .//p
    doctor_title: .//span
    time: .//i
"""
# a closed document of a plausible size (the page-complete check wants both)
CLOSED = "<html><body>{}<div class='related'>" + "<p>相关问题</p>" * 80 + "</div></body></html>"


def profile_from(tmp_path, text: str = BASE, name: str = "demo"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_profile_file(path)


def fields(profile, html: str, body: bool = True):
    raw = html.encode()
    return extract_detail(profile.detail, parse_html(raw), body=raw if body else None)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    time: .//i",
            "    tiem: .//i",
            "detail.answers.tiem: unknown key (did you mean 'time'?)",
        ),
        (
            "  patient: //p",
            "  asked_ON: //p",
            "detail.asked_ON: unknown key (did you mean 'asked_on'?)",
        ),
        ("title: demo site", "titel: demo site", "titel: unknown key (did you mean 'title'?)"),
        (
            "{path: /list/, kind: list}",
            "{path: /list/, kind: list, mod: date}",
            "entries[0].mod: unknown key (did you mean 'mode'?)",
        ),
        (
            "cleanup: ['^问题描述[:：]']",
            "cleanup: ['^问题描述[:：']",
            "detail.question.cleanup: invalid regex",
        ),
        (
            '["//h1[@id=\'t\']", "//h2"]',
            '["//h1[@id=\'t\']", "//h2["]',
            "detail.title[1]: invalid XPath '//h2['",
        ),
        ("kind: detail}", "kind: detial}", "unknown page kind 'detial' (did you mean 'detail'?)"),
        ("canonical: /q/{qid}.html", "canonical: /q/{id}.html", "canonical: uses ['id']"),
    ],
)
def test_mistakes_name_the_file_the_key_and_the_closest_key(tmp_path, old, new, message):
    assert old in BASE
    with pytest.raises(ProfileError) as info:
        profile_from(tmp_path, BASE.replace(old, new))
    assert message in str(info.value)
    assert str(tmp_path / "demo.yaml") in str(info.value)


def test_alternatives_are_tried_in_order_and_the_match_is_reported(tmp_path):
    profile = profile_from(tmp_path)
    page = CLOSED.format(
        "<h2>头痛</h2><div id='q'>问题描述：三天了</div>"
        "<div class='a'><span>主治医师 王某</span><p>多休息</p><i>2026-01-02 08:00</i></div>"
    )
    got = fields(profile, page)
    assert (got["title"], got["question"]) == ("头痛", "三天了")
    assert got["matched"]["title"] == 1 and got["matched"]["question"] == 0
    assert got["answers"] == [
        {
            "doctor_title": "主治医师",
            "text": "多休息",
            "time": "2026-01-02 08:00",
            "accepted": False,
            "likes": 0,
        }
    ]
    assert got["issues"] == []


def test_a_regex_keeps_its_value_group_and_exclude_drops_site_words(tmp_path):
    text = BASE.replace(
        "  patient: //p[@class='who']",
        "  patient: //p[@class='who']\n  department:\n    xpath: //nav/a\n"
        "    regex: '^(?:科室[:：])?(?P<value>.+?)(?:频道)?$'\n    exclude: ['^首页$']\n    slice: [0, 2]",
    )
    profile = profile_from(tmp_path, text)
    page = CLOSED.format(
        "<nav><a>首页</a><a>科室：内科频道</a><a>心内科</a><a>冠心病</a></nav>"
        "<h1 id='t'>t</h1><div id='q'>q</div>"
    )
    assert fields(profile, page)["department"] == ["内科", "心内科"]


def test_an_answer_can_be_a_doctor_card_followed_by_its_text(tmp_path):
    text = BASE.replace(
        "    each: //div[@class='a']\n    text: .//p\n",
        "    card: //div[@class='card']\n    text:\n      xpath: //div[@class='txt']\n"
        "      cleanup: ['^病情分析[:：]']\n",
    )
    profile = profile_from(tmp_path, text)
    page = CLOSED.format(
        "<h1 id='t'>t</h1><div id='q'>q</div><div class='txt'>广告：不是回答</div>"
        "<div class='card'><span>副主任医师</span><i>2026-01-01</i></div><div class='txt'>病情分析：第一条</div>"
        "<div class='card'><span>实习医生</span></div><div class='x'><div class='txt'>第二条</div></div>"
        "<div class='txt'>第二条的续</div>"
    )
    answers = fields(profile, page)["answers"]
    assert [(a["doctor_title"], a["text"], a["time"]) for a in answers] == [
        ("副主任医师", "第一条", "2026-01-01"),
        ("实习医生", "第二条\n第二条的续", None),
    ]


def test_doctor_titles_and_patient_patterns_come_from_the_profile_or_the_shared_defaults(tmp_path):
    page = CLOSED.format(
        "<h1 id='t'>t</h1><div id='q'>q</div><p class='who'>病情描述(女，56岁)</p>"
        "<div class='a'><span>见习医生 李某</span><p>x</p></div>"
        "<div class='a'><span>实习医生</span><p>y</p></div>"
    )
    default = fields(profile_from(tmp_path), page)
    assert default["patient"] == {"gender": "女", "age_group": "50-59"}
    assert [a["doctor_title"] for a in default["answers"]] == [None, "实习医生"]
    own = profile_from(
        tmp_path,
        BASE + "doctor_titles: [见习医生]\npatient_patterns:\n  age: ['(?P<years>\\d+)周?岁']\n",
    )
    mine = fields(own, page)
    assert [a["doctor_title"] for a in mine["answers"]] == ["见习医生", None]
    assert mine["patient"] == {"gender": "女", "age_group": "50-59"}  # gender from the defaults
    with pytest.raises(ProfileError, match="needs a group named months or years"):
        profile_from(tmp_path, BASE + "patient_patterns: {age: ['\\d+岁']}\n")


def test_a_user_name_is_never_a_gender_and_an_exact_age_never_survives(tmp_path):
    profile = profile_from(tmp_path)
    page = CLOSED.format(
        "<h1 id='t'>t</h1><div id='q'>q</div><p class='who'>女王大人 | 男 | 45岁</p>"
    )
    assert fields(profile, page)["patient"] == {"gender": "男", "age_group": "40-49"}


def test_every_host_of_a_profile_is_the_site_and_urls_are_canonical(tmp_path):
    profile = profile_from(tmp_path)
    for url in (
        "https://demo.example/q/7",
        "http://www.demo.example/q/7.html",
        "https://m.demo.example/q/7#a",
    ):
        link = profile.match_detail(url)
        assert (link.qid, link.url) == ("7", "https://demo.example/q/7.html"), url
    assert profile.match_detail("https://other.example/q/7") is None
    assert profile.relative("https://m.demo.example/list/?p=2") == "/list/?p=2"
    mirror = profile.with_root("http://127.0.0.1:9/demo")
    # a mirror crawl never leaves the mirror: links to the real site's hosts map onto it
    assert (
        mirror.match_detail("https://m.demo.example/q/7").url == "http://127.0.0.1:9/demo/q/7.html"
    )
    assert (
        mirror.site_url("https://www.demo.example/list/?p=2") == "http://127.0.0.1:9/demo/list/?p=2"
    )
    assert mirror.site_url("http://127.0.0.1:9/demo/list/") == "http://127.0.0.1:9/demo/list/"
    assert mirror.site_url("http://127.0.0.1:9/other/list/") is None
    assert profile.site_url("https://m.demo.example/list/") == "https://m.demo.example/list/"


def test_complete_pages_need_no_footer_and_deleted_is_not_truncated(tmp_path):
    profile = profile_from(tmp_path)
    question = "<h1 id='t'>标题</h1><div id='q'>问题</div>" + "<p>相关内容</p>" * 100
    assert fields(profile, CLOSED.format(question))["issues"] == []  # no footer anywhere
    cut = CLOSED.format(question)[:-40]  # cut before </body></html>
    assert fields(profile, cut)["issues"] == ["truncated_page"]
    assert fields(profile, "<html><body><h1 id='t'>t</h1><div id='q'>q</div></body></html>")[
        "issues"
    ] == ["truncated_page"]  # implausibly short (min_bytes)
    deleted = CLOSED.format("<div class='notice'>抱歉，该问题已被删除</div>" + "<p>推荐</p>" * 200)
    assert fields(profile, deleted)["issues"] == ["question_deleted"]
    assert fields(profile, deleted[:-30])["issues"] == ["question_deleted"]  # deleted, not cut
    assert fields(profile, cut, body=False)["issues"] == []  # no bytes: only the markup checks


def test_turns_are_written_after_answers_only_when_a_page_has_follow_ups(tmp_path):
    text = BASE + "".join(
        f"{line}\n"
        for line in (
            "  turns:",
            "    each: //div[@class='flow']/div",
            "    patient: \"contains(@class, 'ask')\"",
            "    text: ./p",
            "    time: ./i",
        )
    )
    profile = profile_from(tmp_path, text.replace("detail:\n  url", "detail:\n  url", 1))
    page = CLOSED.format(
        "<h1 id='t'>t</h1><div id='q'>胸闷</div><div class='flow'>"
        "<div class='re'><p>做心电图</p><i>2026-01-01 10:00</i></div>"
        "<div class='ask'><p>做了，正常</p></div></div>"
    )
    got = fields(profile, page)
    assert got["turns"] == [
        {"role": "patient", "text": "胸闷"},
        {"role": "doctor", "text": "做心电图", "time": "2026-01-01 10:00"},
        {"role": "patient", "text": "做了，正常"},
    ]
    record = raw_record({"source": "demo", "qid": "1", **got})
    assert list(record)[-2:] == ["answers", "turns"]
    assert "turns" not in raw_record({"source": "demo", "qid": "1", "turns": []})


def test_the_shipped_profiles_carry_alternatives_and_user_folders_win(tmp_path):
    xywy = load_profile("xywy")
    assert len(xywy.detail.title.sources) == 2 and xywy.detail.turns is not None
    assert [e.path for e in xywy.entries if e.fallback] == ["/keshi/1.html"]
    mine = tmp_path / "xywy.yaml"
    mine.write_text(BASE.replace("name: demo", "name: xywy"), encoding="utf-8")
    assert load_profile("xywy", str(tmp_path)).root == "https://demo.example"
    assert load_profile("xywy").root == "http://club.xywy.com"
    with pytest.raises(ProfileError, match="unknown site 'xywi' \\(did you mean 'xywy'\\?\\)"):
        load_profile("xywi")


def test_the_readme_example_profile_loads(tmp_path):
    import re

    from tests.conftest import REPO_ROOT

    readme = (REPO_ROOT / "crawler" / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Site profiles") :]
    example = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    profile = profile_from(tmp_path, example, name="mysite")
    assert (
        profile.match_detail("https://m.example.cn/q/5.html").url
        == "https://ask.example.cn/q/5.html"
    )
    assert [e.fallback for e in profile.entries] == [False, True]
    assert profile.detail.turns is not None and profile.detail.doctor_titles[-1] == "见习医生"


def test_a_yaml_mistake_is_one_line_with_its_position(tmp_path):
    with pytest.raises(ProfileError) as info:
        profile_from(tmp_path, BASE.replace("title: demo site", 'title: "a\\d"'))
    message = str(info.value)
    assert "\n" not in message
    assert "not valid YAML at line 3, column" in message and "write a backslash as \\\\" in message


def test_try_profile_reports_fields_links_and_usage_errors(tmp_path):
    from click.testing import CliRunner

    from crawler.cli import crawl

    path = tmp_path / "demo.yaml"
    path.write_text(BASE, encoding="utf-8")
    page = tmp_path / "page.html"
    page.write_text(
        CLOSED.format(
            "<h1 id='t'>头痛</h1><div id='q'>三天了</div><a class='q' href='/q/9'>x</a>"
            "<div class='a'><p>多休息</p></div>"
        ),
        encoding="utf-8",
    )
    runner = CliRunner()
    detail = runner.invoke(crawl, ["try-profile", str(path), str(page)])
    assert detail.exit_code == 0, detail.output
    assert "title" in detail.output and "头痛" in detail.output
    assert "[alternative 0: //h1[@id='t']]" in detail.output
    listing = runner.invoke(crawl, ["try-profile", str(path), str(page), "--kind", "list"])
    assert listing.exit_code == 0 and "https://demo.example/q/9.html" in listing.output
    wrong = runner.invoke(crawl, ["try-profile", str(path), str(page), "--kind", "index"])
    assert wrong.exit_code == 2 and "not a page kind of demo (detail, list)" in wrong.output
    empty = tmp_path / "empty.html"
    empty.write_text(CLOSED.format("<p>nothing</p>"), encoding="utf-8")
    missing = runner.invoke(crawl, ["try-profile", str(path), str(empty)])
    assert missing.exit_code == 1
    assert "PROBLEM: title is empty (tried //h1[@id='t'] | //h2)" in missing.output
    nolinks = runner.invoke(crawl, ["try-profile", str(path), str(empty), "--kind", "list"])
    assert nolinks.exit_code == 1 and "no links to follow from this list page" in nolinks.output

"""Site profiles load, fail loudly on mistakes, and recognise and canonicalise question URLs."""

from __future__ import annotations

import pytest

from crawler.runconfig import CrawlConfigError
from crawler.sites.profile import ProfileError, available_sites, load_profile, load_profile_file
from crawler.spiders.medqa import parse_sites, shard_of, site_roots

GOOD = """
name: demo
title: demo site
root: https://demo.example
entries: [{path: /list/, kind: list}]
pages:
  list:
    follow: [{links: "//a[@class='q']", kind: detail}]
detail:
  url: '^/q/(?P<qid>\\d+)\\.html$'
  title: //h1
  question: //p
  answers: {each: "//div[@class='a']", text: .//p}
"""


def write(tmp_path, text: str):
    path = tmp_path / "demo.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_profiles_load_with_their_real_roots():
    assert available_sites() == ["120ask", "39", "xywy"]
    roots = {name: load_profile(name).root for name in available_sites()}
    assert roots == {
        "xywy": "http://club.xywy.com",
        "120ask": "https://www.120ask.com",
        "39": "https://ask.39.net",
    }
    assert load_profile("xywy").encoding == "gb18030"


def test_a_minimal_profile_loads(tmp_path):
    profile = load_profile_file(write(tmp_path, GOOD))
    assert profile.match_detail("https://demo.example/q/12.html").qid == "12"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("title: //h1", "title: //h1[", "detail.title: invalid XPath '//h1['"),
        ("  question: //p\n", "", "detail.question: required key is missing"),
        ("kind: detail}", "kind: detale}", "list.follow[0].kind: unknown page kind 'detale'"),
        ("(?P<qid>", "(?P<id>", "detail.url: pattern"),
        ("kind: list}]", "kind: lists}]", "entries[0].kind: unknown page kind 'lists'"),
        ("root: https://demo.example", "root: demo.example", "must be an absolute http(s) URL"),
    ],
)
def test_profile_mistakes_name_the_file_and_key(tmp_path, old, new, message):
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ProfileError) as info:
        load_profile_file(path)
    assert message in str(info.value)
    assert "root:" in new or str(path) in str(info.value)


def test_unknown_site_lists_the_bundled_ones():
    with pytest.raises(ProfileError, match="profiles: 120ask, 39, xywy"):
        load_profile("haodf")


def test_question_urls_are_recognised_and_canonicalised():
    ask = load_profile("120ask").with_root("http://127.0.0.1:9/120ask")
    variant = ask.match_detail("http://127.0.0.1:9/120ask/question/xinzang/81530115.htm#answers")
    assert (variant.qid, variant.url) == (
        "81530115",
        "http://127.0.0.1:9/120ask/question/81530115.htm",
    )
    assert ask.match_detail("http://127.0.0.1:9/120askX/question/1.htm") is None
    assert ask.match_detail("http://127.0.0.1:9/39/question/1.html") is None
    xywy = load_profile("xywy")
    link = xywy.match_detail("http://club.xywy.com/question/20261101/150112003.htm")
    assert (link.qid, link.date) == ("150112003", "2026-11-01")
    assert xywy.match_detail("http://club.xywy.com/big_1.htm") is None


def test_login_and_captcha_redirects_are_recognised():
    profile = load_profile("xywy")
    assert profile.is_login_redirect("http://passport.xywy.com/login.htm?from=x")
    assert profile.is_login_redirect("/xywy/passport/login.htm")
    assert not profile.is_login_redirect("/xywy/question/20261101/1.htm")


def test_base_url_maps_sites_under_a_mirror_root_or_one_by_one():
    assert site_roots(["xywy", "39"], "http://127.0.0.1:8765/") == {
        "xywy": "http://127.0.0.1:8765/xywy",
        "39": "http://127.0.0.1:8765/39",
    }
    assert site_roots(["xywy"], "xywy=http://mirror/club") == {"xywy": "http://mirror/club"}
    with pytest.raises(CrawlConfigError, match="must be site=URL"):
        site_roots(["xywy"], "120ask=http://mirror/")
    with pytest.raises(CrawlConfigError, match="unknown site"):
        parse_sites("xywy,haodf")


def test_shards_split_ids_into_disjoint_stable_parts():
    ids = [str(150112003 + 7 * k) for k in range(200)] + ["abc", "x-1"]
    parts = [{q for q in ids if shard_of(q, 3) == s} for s in range(3)]
    assert set().union(*parts) == set(ids)
    assert sum(len(p) for p in parts) == len(ids)
    assert all(parts)
    assert shard_of("abc", 3) == shard_of("abc", 3)


def test_seed_reports_bad_arguments_and_an_unreachable_redis_without_a_traceback():
    from click.testing import CliRunner

    from crawler.cli import crawl
    from tests.conftest import free_port

    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    runner = CliRunner()
    bad_site = runner.invoke(crawl, ["seed", "--site", "haodf", "--redis-url", nowhere])
    assert bad_site.exit_code == 2, bad_site.output
    assert "unknown site(s) ['haodf']" in bad_site.output
    bad_since = runner.invoke(crawl, ["seed", "--since", "11/10/2026", "--redis-url", nowhere])
    assert bad_since.exit_code == 2, bad_since.output
    assert "since must be YYYY-MM-DD, got '11/10/2026'" in bad_since.output
    no_redis = runner.invoke(crawl, ["seed", "--redis-url", nowhere])
    assert no_redis.exit_code == 1, no_redis.output
    assert f"cannot reach Redis at {nowhere}" in no_redis.output

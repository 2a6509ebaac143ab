"""Real `scrapy crawl medqa` runs: profiles from the user's folder, one-line argument errors, entry
fallbacks, and alarms (exit 1, in the stats JSON) when a crawl comes back with nothing usable."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.sites.profile import SITES_DIR

pytestmark = pytest.mark.slow


def user_profile(folder: Path, name: str, site: str = "39", **replace: str) -> Path:
    """A copy of a bundled profile under another name, with some text replaced."""
    text = (SITES_DIR / f"{site}.yaml").read_text(encoding="utf-8")
    text = text.replace(f'name: "{site}"', f"name: {name}").replace(
        f"name: {site}\n", f"name: {name}\n"
    )
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def expected(crawler, site: str) -> set[str]:
    return {qid for s, qid in crawler.site.corpus.expected() if s == site}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-a", "sitee=39"],
            "CrawlConfigError: unknown spider argument 'sitee' (did you mean 'site'?)",
        ),
        (
            ["-a", "max_items=0"],
            "CrawlConfigError: max_items must be a whole number >= 1 (leave it out for no limit), got '0'",
        ),
        (["-a", "site=xywi"], "CrawlConfigError: unknown site(s) ['xywi'] (did you mean 'xywy'?)"),
        (
            ["-a", "profile=/nowhere/p.yaml"],
            "ProfileError: /nowhere/p.yaml: cannot read the profile",
        ),
    ],
)
def test_argument_errors_are_one_line_without_a_traceback(crawler, args, message):
    run = crawler.finish(*crawler.start(*args))
    assert run.returncode == 2
    assert message in run.log and "Traceback" not in run.log
    assert [line for line in run.log.splitlines() if "Error:" in line] == [
        next(line for line in run.log.splitlines() if message in line)
    ]
    assert crawler.site.hits == []


def test_profiles_from_the_users_folder_and_repeated_profile_arguments(crawler, tmp_path):
    mine = user_profile(tmp_path, "mine39")
    ask = user_profile(tmp_path, "mineask", site="120ask")
    roots = f"base_url=mine39={crawler.site.url}/39,mineask={crawler.site.url}/120ask"
    run = crawler.run("-a", f"profile={mine}", "-a", f"profile={ask}", "-a", roots)
    by_source: dict[str, set[str]] = {}
    for source, qid in run.keys():  # noqa: SIM118 (CrawlRun.keys: the records' keys)
        by_source.setdefault(source, set()).add(qid)
    assert by_source == {"mine39": expected(crawler, "39"), "mineask": expected(crawler, "120ask")}
    folder = crawler.run(
        "-a", "site=mine39", "-a", f"base_url=mine39={crawler.site.url}/39",
        MEDQA_SITES_DIR=str(tmp_path), MEDQA_SEEN_STORE="",
    )  # fmt: skip
    assert {qid for _, qid in folder.keys()} == expected(crawler, "39")  # noqa: SIM118
    assert folder.summary["selectors"]["mine39/title/0"] == len(expected(crawler, "39")) + 2


def test_a_failed_entry_page_starts_the_fallback_entries(crawler, tmp_path):
    mine = user_profile(
        tmp_path, "mine39",
        **{"  - {path: /browse/, kind: index, mode: department}\n":
           "  - {path: /gone/, kind: index, mode: department}\n"
           "  - {path: /browse/, kind: index, mode: department, fallback: true}\n"},
    )  # fmt: skip
    run = crawler.run("-a", f"profile={mine}", "-a", f"base_url=mine39={crawler.site.url}/39")
    assert {qid for _, qid in run.keys()} == expected(crawler, "39")  # noqa: SIM118
    assert "mine39: its entry page failed (http_404)" in run.log
    assert run.summary["stats"]["medqa/entry_fallback/mine39"] == 1
    assert run.summary["alarms"] == []


def test_list_pages_without_question_links_are_an_alarm(crawler, tmp_path):
    mine = user_profile(
        tmp_path, "mine39",
        **{"- \"//span[contains(@class,'a_l')]//a\"": "- \"//span[contains(@class,'a_x')]//a\"",
           "\n          - \"//a[re:test(@href, '/question/\\\\d+\\\\.html$')]\"": ""},
    )  # fmt: skip
    run = crawler.finish(*crawler.start(
        "-a", f"profile={mine}", "-a", f"base_url=mine39={crawler.site.url}/39"
    ))  # fmt: skip
    assert run.returncode == 1
    (alarm,) = run.summary["alarms"]
    assert alarm["site"] == "mine39" and alarm["page_kind"] == "list"
    assert "/39/news/" in alarm["url"]
    assert alarm["selector"] == [  # every alternative that was tried
        "//span[contains(@class,'a_x')]//a",
        "//p[contains(concat(' ', normalize-space(@class), ' '), ' p1 ')]/a",
    ]
    assert "Nothing usable came back: mine39 list pages:" in run.log
    assert run.records() == []


def test_most_question_pages_dropped_for_one_reason_is_an_alarm(crawler, tmp_path):
    mine = user_profile(
        tmp_path, "mine39",
        **{"title: \"//p[contains(@class,'ask_tit')]\"": "title: \"//p[contains(@class,'ask_title')]\""},
    )  # fmt: skip
    run = crawler.finish(*crawler.start(
        "-a", f"profile={mine}", "-a", f"base_url=mine39={crawler.site.url}/39"
    ))  # fmt: skip
    assert run.returncode == 1
    alarms = [a for a in run.summary["alarms"] if a["page_kind"] == "detail"]
    assert len(alarms) == 1 and "dropped as missing_title" in alarms[0]["problem"]
    assert alarms[0]["selector"] == ["//p[contains(@class,'ask_title')]"]
    assert "/39/question/" in alarms[0]["url"]


def test_an_entry_page_that_fails_without_a_fallback_is_an_alarm(crawler, tmp_path):
    mine = user_profile(tmp_path, "mine39", **{"{path: /browse/,": "{path: /gone/,"})
    run = crawler.finish(*crawler.start(
        "-a", f"profile={mine}", "-a", f"base_url=mine39={crawler.site.url}/39",
        "-a", "departments=儿科",  # a department filter: the fallbacks are not used
    ))  # fmt: skip
    assert run.returncode == 1
    (alarm,) = run.summary["alarms"]
    assert alarm["page_kind"] == "entry" and "/39/gone/ (http_404)" in alarm["url"]


def test_a_jobdir_held_by_a_live_crawl_is_refused_in_one_line(crawler, tmp_path):
    import json
    import os

    from crawler.seenstore import HOST

    jobdir = tmp_path / "job"
    jobdir.mkdir()
    (jobdir / "medqa.running").write_text(json.dumps({"host": HOST, "pid": os.getpid()}))
    run = crawler.finish(*crawler.start("-a", "site=39", JOBDIR=str(jobdir)))
    assert run.returncode == 2 and "Traceback" not in run.log
    assert (
        f"CrawlConfigError: JOBDIR {jobdir} is in use by a running crawl (pid {os.getpid()})"
        in run.log
    )
    assert crawler.site.hits == []

"""`medqa crawl try-profile` on the real saved pages in ../shared/data/real/html_pages/.

The profiles in tests/crawler/profiles/ were written from these pages; the expectations below were
written by reading each page (not by running the profile). They are a development set: the
profiles were tuned on exactly these pages. Skipped when the folder is absent (a fresh clone).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import crawl
from tests.conftest import REAL_DATA_DIR

PAGES = REAL_DATA_DIR / "html_pages"
PROFILES = Path(__file__).parent / "profiles"
pytestmark = pytest.mark.skipif(not PAGES.is_dir(), reason=f"{PAGES} is absent")


@dataclass(frozen=True)
class Digest:
    """A text expected on a page, kept as a SHA-256 prefix and a length: the pages are licensed
    material that stays out of the repository, and so does their text."""

    sha: str
    chars: int

    def equals(self, text: str) -> bool:
        return len(text) == self.chars and _sha(text) == self.sha

    def starts(self, text: str) -> bool:
        return _sha(text[: self.chars]) == self.sha


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# page → (profile, expected fields, answers: (text start, time, doctor title, accepted)); written
# by reading each page, then the texts replaced by their digests
EXPECTED = {
    "9939_ask_question.utf8.html": (
        "9939",
        {
            "title": Digest("2085aeb799a8dc77", 12),
            "question": Digest("2085aeb799a8dc77", 12),
            "department": ["外科", "乳腺外科"],
            "patient": {"gender": "女", "age_group": "0-9"},
            "asked_on": "2016-11-28",
        },
        [
            (Digest("af5054ee163708c9", 17), "2016-11-28 17:15:19", None, False),
            (Digest("ef47fdbd183f805b", 19), "2016-11-28 17:17:53", None, False),
        ],
    ),
    "9939_wapask_question.utf8.html": (
        "9939",
        {
            "title": Digest("87273f997617f5a4", 13),
            "question": Digest("5d91fc742913dac6", 71),
            "department": ["糖尿病"],
            "patient": {"gender": "女", "age_group": "50-59"},
            "asked_on": "2016-06-20",
        },
        [
            (Digest("6709e35018252ecb", 19), "2016-06-20 15:10", None, False),
            (Digest("cd8c5c7d14a1e2c1", 15), "2016-06-20 15:14", None, False),
        ],
    ),
    "baixingwenyisheng_question.utf8.html": (
        "baixing",
        {
            "title": Digest("f5675fe582c7f192", 14),
            "question": Digest("c903eeb8b0424046", 26),
            "department": ["心内科", "心绞痛"],
            "patient": {"gender": "女", "age_group": "10-19"},
            "asked_on": "2017-01-24",
        },
        [
            (Digest("89f762f5aea79658", 19), "2017-01-24", "实习医生", True),
            (Digest("17890aef9c1ac28c", 19), "2017-01-25", "实习医生", False),
            (Digest("95e0e8a0b54cd3d6", 20), "2017-01-25", "住院医师", False),
            (Digest("9ac4dca8456ff890", 19), "2017-01-25", "住院医师", False),
        ],
    ),
}


def try_profile(profile: str, page: str, *options: str) -> tuple[int, dict]:
    args = ["try-profile", str(PROFILES / f"{profile}.yaml"), str(PAGES / page), "--json"]
    result = CliRunner().invoke(crawl, [*args, *options])
    return result.exit_code, json.loads(result.stdout)


def score(report: dict, fields: dict, answers: list[tuple]) -> tuple[int, int]:
    """Fields right / total: each record field, the answer count, and each answer's text,
    time, doctor title and accepted flag."""
    right = sum(
        value.equals(report["fields"][name] or "")
        if isinstance(value, Digest)
        else report["fields"][name] == value
        for name, value in fields.items()
    )
    total = len(fields) + 1 + 4 * len(answers)
    got = report["answers"]
    right += len(got) == len(answers)
    for (text, time, title, accepted), answer in zip(answers, got, strict=False):
        right += text.starts(answer["text"])
        right += answer["time"] == time
        right += answer["doctor_title"] == title
        right += answer["accepted"] is accepted
    return right, total


@pytest.mark.parametrize("page", EXPECTED)
def test_every_field_of_a_real_page_is_read(page):
    profile, fields, answers = EXPECTED[page]
    code, report = try_profile(profile, page)
    assert code == 0, report["problems"]
    assert score(report, fields, answers) == (len(fields) + 1 + 4 * len(answers),) * 2
    assert report["checks"] == {
        "complete": True,
        "deleted_notice": False,
        "bytes": report["checks"]["bytes"],
    }
    assert report["turns"] == []  # no follow-ups on these pages


def test_desktop_and_mobile_pages_use_their_own_alternatives_of_one_profile():
    _, desktop = try_profile("9939", "9939_ask_question.utf8.html")
    _, mobile = try_profile("9939", "9939_wapask_question.utf8.html")
    assert {m["alternative"] for m in desktop["matched"].values()} == {0}
    assert mobile["matched"]["title"]["alternative"] == 1
    assert mobile["matched"]["answers"]["alternative"] == 1


def test_the_asker_name_next_to_the_mobile_question_is_not_read():
    html = (PAGES / "9939_wapask_question.utf8.html").read_text(encoding="utf-8")
    asker = re.search(r"<p>(\w+)<i class=\"rwrite\">", html).group(1)  # the name before "N个回答"
    _, report = try_profile("9939", "9939_wapask_question.utf8.html")
    assert asker not in json.dumps(report, ensure_ascii=False)
    assert "病情描述" not in report["fields"]["question"]


def test_links_of_a_page_are_canonical_question_urls_on_the_main_host():
    code, report = try_profile(
        "9939", "9939_wapask_question.utf8.html", "--kind", "list",
        "--url", "https://wapask.9939.com/id/6161455.html",
    )  # fmt: skip
    assert code == 0
    links = report["follow"][0]["links"]
    assert len(links) == 8 and "https://ask.9939.com/id/6144257/" in links
    assert all(link.startswith("https://ask.9939.com/id/") for link in links)


def test_a_consultation_flow_becomes_turns_in_page_order():
    code, report = try_profile("haodf", "haodf_wenda_flow_menzhen.gbk.html")
    assert code == 0, report["problems"]
    turns = [(t["role"], t["text"]) for t in report["turns"]]
    assert turns[0] == ("patient", report["fields"]["question"])
    expected = [
        ("patient", Digest("a5aee348c1f530ea", 254)),
        ("doctor", Digest("f48a71bc7128d88a", 44)),
        ("patient", Digest("468d0afd4c4fa4c0", 4)),
        ("patient", Digest("33f3a47bb5921c63", 20)),
        ("doctor", Digest("aa2a331d2dcf5668", 2)),
    ]
    assert [role for role, _ in turns] == [role for role, _ in expected]
    assert all(digest.equals(text) for (_, text), (_, digest) in zip(turns, expected, strict=True))
    assert [a["doctor_title"] for a in report["answers"]] == ["副主任医师", "副主任医师"]


def test_a_profile_that_misses_a_real_page_exits_non_zero_naming_the_field(tmp_path):
    broken = (PROFILES / "baixing.yaml").read_text(encoding="utf-8")
    broken = broken.replace(
        "span[contains(@class,'title')]/h1", "span[contains(@class,'titel')]/h1"
    )
    path = tmp_path / "baixing.yaml"
    path.write_text(broken, encoding="utf-8")
    result = CliRunner().invoke(
        crawl, ["try-profile", str(path), str(PAGES / "baixingwenyisheng_question.utf8.html")]
    )
    assert result.exit_code == 1
    assert (
        "PROBLEM: title is empty (tried //div[contains(@class,'content')]/span[contains(@class,'titel')]/h1)"
        in result.output
    )

"""The sample site's questions: built deterministically from the authored corpus.

``corpus_*.yaml`` holds the authored building blocks (per condition: titles, question texts,
doctor answers). :func:`build_corpus` combines them with a patient (sex, age), a duration, a help
request and doctors into questions for the three sample sites, plants contact details (phone
numbers, WeChat/QQ ids, e-mails, ID numbers, URLs) that the crawler must remove, and assigns the
fault cases listed in :data:`FAULTS`. Same code, same output: no clock, no global random state.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from string import Template

import yaml

HERE = Path(__file__).resolve().parent
SITES = ("xywy", "120ask", "39")
# Seven variants per condition: three xywy, three 120ask, one 39.
SITE_CYCLE = ("xywy", "120ask", "xywy", "120ask", "39", "xywy", "120ask")
NEWEST = datetime(2026, 11, 20, 21, 30)

# fault -> (what the page does, what the crawler must do). Exported = in the feed exactly once.
FAULTS: dict[str, tuple[str, str]] = {
    "retry_503": ("answers 503 twice, then 200", "retried with backoff, exported"),
    "forbidden_403": ("always 403", "counted as blocked, not retried, not exported"),
    "login_redirect": ("302 to a login page", "counted, redirect not followed, not exported"),
    "captcha_redirect": ("302 to a captcha page", "counted, redirect not followed, not exported"),
    "deleted": ("200 page saying the question was deleted", "dropped: question_deleted"),
    "gone_404": ("404 (question removed)", "ignored (HTTP 404), not exported"),
    "truncated": ("HTML cut off mid-answer, no footer", "dropped: truncated_page"),
    "malformed": ("broken markup without a title element", "dropped: missing_title"),
    "recoverable": ("unclosed and stray tags, content intact", "parsed, exported"),
    "no_answers": ("question without any answer", "dropped: no_answers"),
    "dataloss": ("connection closed mid-body (short read)", "retried, then given up"),
    "robots_detail": ("question URL disallowed in robots.txt", "never requested"),
    "robots_list": ("only listed on a robots-disallowed list", "never requested"),
    "duplicate_link": ("linked twice on its list and again on the next page", "fetched once"),
    "variant_url": ("linked as /question/<text>/<id>.htm", "canonicalised, fetched once"),
}
NOT_EXPORTED = {
    "forbidden_403",
    "login_redirect",
    "captcha_redirect",
    "deleted",
    "gone_404",
    "truncated",
    "malformed",
    "no_answers",
    "dataloss",
    "robots_detail",
    "robots_list",
}
# site -> {position among that site's questions: fault}
FAULT_SLOTS: dict[str, dict[int, str]] = {
    "xywy": {
        3: "retry_503",
        7: "forbidden_403",
        11: "login_redirect",
        15: "deleted",
        19: "truncated",
        23: "malformed",
        27: "recoverable",
        31: "no_answers",
        35: "robots_detail",
        39: "duplicate_link",
        43: "duplicate_link",
    },
    "120ask": {
        4: "gone_404",
        8: "captcha_redirect",
        12: "dataloss",
        16: "variant_url",
        20: "no_answers",
        24: "deleted",
        28: "retry_503",
        32: "variant_url",
        36: "duplicate_link",
    },
    "39": {2: "no_answers", 5: "truncated", 8: "recoverable"},
}
ROBOTS_LIST_QUESTIONS = 3  # extra xywy questions listed only under the disallowed department

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ["建国", "丽华", "志强", "秀英", "海涛", "晓燕", "文博", "静", "明", "玉兰", "国庆", "雪梅"]
DOCTOR_TITLES = ["主治医师", "主治医师", "副主任医师", "主任医师", "住院医师", "医师"]
HOSPITALS = ["市第一人民医院", "省中医院", "县人民医院", "社区卫生服务中心", "妇幼保健院"]
ASKERS = ["爱笑的女孩{n}", "健康小蜜蜂{n}", "匿名用户{n}", "网友{n}", "山城男孩{n}", "xywy_{n}"]


@dataclass(frozen=True)
class Department:
    name: str
    slug: str
    index: int
    subs: tuple[tuple[str, str], ...]  # (name, slug)


@dataclass(frozen=True)
class Answer:
    doctor_name: str
    doctor_title: str
    hospital: str
    text: str
    time: datetime
    accepted: bool
    likes: int


@dataclass(frozen=True)
class Question:
    site: str
    qid: str
    dept: str
    dept_slug: str
    sub: str
    sub_slug: str
    title: str
    body: str
    history: str
    help: str
    sex: str
    age: int
    asker: str
    asked: datetime
    answers: tuple[Answer, ...]
    fault: str | None = None
    pii: tuple[str, ...] = ()
    # follow-ups under the first answer: (role "patient"|"doctor", text, time), page order
    followups: tuple[tuple[str, str, datetime], ...] = ()

    @property
    def exported(self) -> bool:
        return self.fault not in NOT_EXPORTED

    @property
    def day(self) -> str:
        return self.asked.strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Corpus:
    departments: tuple[Department, ...]
    questions: tuple[Question, ...]

    def site(self, site: str) -> list[Question]:
        return [q for q in self.questions if q.site == site]

    def expected(self) -> set[tuple[str, str]]:
        """(site, qid) of every question a full crawl must export exactly once."""
        return {(q.site, q.qid) for q in self.questions if q.exported}

    def faults(self) -> list[Question]:
        return [q for q in self.questions if q.fault]


def _load_blocks() -> tuple[dict, list[dict]]:
    common = yaml.safe_load((HERE / "phrases.yaml").read_text(encoding="utf-8"))
    departments: list[dict] = []
    for path in sorted(HERE.glob("corpus_*.yaml")):
        departments.extend(yaml.safe_load(path.read_text(encoding="utf-8"))["departments"])
    return common, departments


def _pii_values(rng: random.Random) -> dict[str, str]:
    mobile = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
    area = rng.choice(["010", "021", "0571", "028"])
    birth = f"{rng.randint(1960, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    return {
        "mobile": mobile,
        "mobile_dashed": f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
        "mobile_fullwidth": mobile.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}),
        "landline": f"{area}-{rng.randint(2000000, 89999999)}",
        "wechat": f"{rng.choice(['dr', 'yisheng', 'health', 'wx'])}_{rng.choice('abcdefgh')}{rng.randint(1000, 99999)}",
        "qq": str(rng.randint(10000000, 2999999999)),
        "email": f"patient{rng.randint(100, 9999)}@{rng.choice(['qq.com', '163.com', 'example.cn'])}",
        "idcard": f"{rng.choice(['110101', '310104', '440305'])}{birth}{rng.randint(100, 999)}{rng.choice('0123456789X')}",
        "url": f"http://www.{rng.choice(['kangfu', 'jiankang', 'yiliao'])}{rng.randint(10, 99)}.cn/{rng.choice(['video', 'zx', 'ask'])}/{rng.randint(100, 999)}.html",
    }


def _plant(text: str, template: str, values: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    sentence = Template(template).substitute(values)
    planted = tuple(values[name] for name in Template(template).get_identifiers())
    return text + sentence, planted


def _title(base: str, variant: int, sex: str, age: int, child: bool) -> str:
    who = ("孩子" if child else sex) + f"{age}岁"
    forms = [
        "{t}",
        "{t}？",
        "请问{t}",
        "{t}，急",
        "{who}，{t}",
        "{t}，该怎么办",
        "医生您好，{t}",
    ]
    return forms[variant % len(forms)].format(t=base, who=who)


def _answers(cond: dict, common: dict, variant: int, asked: datetime, rng: random.Random):
    count = 1 + variant % 3
    texts = cond["answers"]
    accepted_first = variant % 3 != 2
    answers = []
    for k in range(min(count, len(texts))):
        text = texts[(variant + k) % len(texts)]
        if rng.random() < 0.5:
            text = rng.choice(common["openings"]) + text
        if rng.random() < 0.5:
            text += rng.choice(common["closings"])
        answers.append(
            Answer(
                doctor_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                doctor_title=rng.choice(DOCTOR_TITLES),
                hospital=rng.choice(HOSPITALS),
                text=text,
                time=asked + timedelta(minutes=rng.randint(8, 60 * 30) + k * 37),
                accepted=accepted_first and k == 0,
                likes=rng.randint(0, 30),
            )
        )
    return tuple(answers)


def _patient(cond: dict, child: bool, rng: random.Random) -> tuple[str, int]:
    low, high = cond["ages"]
    sex = cond.get("sex") or rng.choice("男女")
    return sex, rng.randint(low, high)


def _body(cond: dict, common: dict, variant: int, sex: str, age: int, child: bool, rng):
    ask = Template(cond["asks"][variant % len(cond["asks"])]).substitute(
        dur=rng.choice(common["durations"]), age=age
    )
    if child:
        intro = f"孩子{age}岁，{'男孩' if sex == '男' else '女孩'}。"
    else:
        intro = rng.choice([f"{sex}，{age}岁。", f"本人{sex}，今年{age}岁，", ""])
    extra = rng.choice(common["context"]) if rng.random() < 0.6 else ""
    return intro + ask + extra


@cache
def build_corpus(seed: int = 20261122) -> Corpus:
    """All sample-site questions, newest first within each site."""
    common, blocks = _load_blocks()
    rng = random.Random(seed)
    departments, drafts = [], []
    for d_index, dept in enumerate(blocks):
        subs = tuple((s["name"], s["slug"]) for s in dept["subs"])
        departments.append(Department(dept["name"], dept["slug"], d_index + 1, subs))
        for sub in dept["subs"]:
            for cond in sub["conditions"]:
                child = bool(cond.get("child", sub.get("child", False)))
                for variant in range(len(SITE_CYCLE)):
                    drafts.append((dept, sub, cond, child, variant))
    questions = []
    counters = dict.fromkeys(SITES, 0)
    for n, (dept, sub, cond, child, variant) in enumerate(drafts):
        site = SITE_CYCLE[(n // len(SITE_CYCLE) + variant) % len(SITE_CYCLE)]
        position = counters[site]
        counters[site] += 1
        sex, age = _patient(cond, child, rng)
        asked = NEWEST - timedelta(hours=3 * n, minutes=rng.randint(0, 170))
        body = _body(cond, common, variant, sex, age, child, rng)
        answers = _answers(cond, common, variant, asked, rng)
        fault = FAULT_SLOTS[site].get(position)
        pii: tuple[str, ...] = ()
        values = _pii_values(rng)
        if n % 9 == 4:
            body, pii = _plant(body, rng.choice(common["pii_question"]), values)
        if answers and n % 6 == 1:
            first = answers[0]
            text, planted = _plant(first.text, rng.choice(common["pii_answer"]), values)
            answers = (Answer(**{**first.__dict__, "text": text}), *answers[1:])
            pii += planted
        if fault == "no_answers":
            answers = ()
        answers += _brief_answers(n, answers, common)
        followups, planted = _followups(site, n, fault, answers, common)
        pii += planted
        questions.append(
            Question(
                site=site,
                qid=_qid(site, position),
                dept=dept["name"],
                dept_slug=dept["slug"],
                sub=sub["name"],
                sub_slug=sub["slug"],
                title=_title(rng.choice(cond["titles"]), variant, sex, age, child),
                body=body,
                history=rng.choice(common["history"]),
                help=rng.choice(common["help"]),
                sex=sex,
                age=age,
                asker=rng.choice(ASKERS).format(n=rng.randint(100, 99999)),
                asked=asked,
                answers=answers,
                fault=fault,
                pii=pii,
                followups=followups,
            )
        )
    questions.extend(_robots_list_questions(questions, rng))
    questions.sort(key=lambda q: (q.site, -q.asked.timestamp()))
    return Corpus(tuple(departments), tuple(questions))


BRIEF_ANSWERS_PER_QUESTION = 2


def _brief_answers(n: int, answers, common: dict) -> tuple[Answer, ...]:
    """Other doctors' generic replies after the question's own answers (never accepted, 0-1
    likes, the lowest title): a consultation's usual weaker answers, the rejected side of its
    preference pairs. They come from their own random stream, so the rest of the corpus does
    not change; a question's best answer (accepted, else by content, likes, title) stays its
    own. Two per question give the held-out val split 30+ pairs."""
    if not answers:
        return ()
    rng = random.Random(f"brief-{n}")
    pool = common["brief_answers"]
    if not any(answer.accepted for answer in answers):  # the best is then ranked by content
        pool = [text for text in pool if len(text) < min(len(a.text) for a in answers)]
    texts = rng.sample(pool, min(BRIEF_ANSWERS_PER_QUESTION, len(pool)))
    last = answers[-1].time
    return tuple(
        Answer(
            doctor_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            doctor_title="医师",
            hospital=rng.choice(HOSPITALS),
            text=text,
            time=last + timedelta(minutes=rng.randint(20, 600) * (k + 1)),
            accepted=False,
            likes=rng.randint(0, 1),
        )
        for k, text in enumerate(texts)
    )


def _followups(site: str, n: int, fault, answers, common: dict):
    """A patient's 追问 and the doctor's reply under the first answer of some xywy questions
    (their own random stream, so the rest of the corpus does not change)."""
    if site != "xywy" or fault or not answers or n % 5 != 2:
        return (), ()
    rng = random.Random(f"followup-{n}")
    ask, reply = rng.choice(common["followup_asks"]), rng.choice(common["followup_replies"])
    planted: tuple[str, ...] = ()
    if n % 3 == 0:
        ask, planted = _plant(ask, rng.choice(common["pii_question"]), _pii_values(rng))
    start = answers[0].time
    turns = (
        ("patient", ask, start + timedelta(minutes=rng.randint(5, 90))),
        ("doctor", reply, start + timedelta(minutes=rng.randint(100, 300))),
    )
    return turns, planted


def _qid(site: str, position: int) -> str:
    base = {"xywy": 150_112_000, "120ask": 81_530_000, "39": 60_210_000}[site]
    return str(base + position * 7 + 3)


def _robots_list_questions(questions: list[Question], rng: random.Random) -> list[Question]:
    """Copies of a few xywy questions that only the robots-disallowed list page links to."""
    donors = [q for q in questions if q.site == "xywy" and not q.fault][:ROBOTS_LIST_QUESTIONS]
    extra = []
    for k, donor in enumerate(donors):
        extra.append(
            Question(
                **{
                    **donor.__dict__,
                    "qid": str(150_990_000 + k),
                    "sub": "院内测试",
                    "sub_slug": "test",
                    "asked": donor.asked - timedelta(minutes=rng.randint(1, 50)),
                    "fault": "robots_list",
                }
            )
        )
    return extra

"""寻医问药-shaped pages (GBK) under ``/xywy``: department index, big_/small_ department pages with
``[下一页]`` pagination, a day index with day lists, and ``/question/YYYYMMDD/<id>.htm`` pages
(best answer marked ``Bestbg``). Half the question pages send no charset header: the crawler has
to read the gb2312 ``<meta>`` tag."""

from __future__ import annotations

from collections import defaultdict
from functools import partial

from crawler.samplesite.common import (
    FOOTER_TEXT,
    Page,
    department_nav,
    esc,
    filler_script,
    list_pages,
    paragraphs,
    related_block,
)
from crawler.samplesite.content import Corpus, Question

P = "/xywy"
HIDDEN_LIST = f"{P}/small_999.htm"  # disallowed in robots.txt
DAYS_PER_INDEX_PAGE = 12


def small_page(sid: int, n: int) -> str:
    """Page ``n`` (0-based) of the ``small_<sid>`` department list."""
    return f"{P}/small_{sid}.htm" if n == 0 else f"{P}/small_{sid}_{n + 1}.htm"


def index_page(n: int) -> str:
    return f"{P}/keshi/{n + 1}.html"


def day_page(day: str, n: int) -> str:
    return f"{P}/keshi/{day}/{n + 1}.html"


def detail_path(q: Question) -> str:
    return f"{P}/question/{q.asked:%Y%m%d}/{q.qid}.htm"


def _small_id(dept_index: int, k: int) -> int:
    return dept_index * 100 + k + 1


def _small_href(corpus: Corpus):
    ids = {
        slug: _small_id(d.index, k)
        for d in corpus.departments
        for k, (_, slug) in enumerate(d.subs)
    }
    return lambda dept, slug: small_page(ids[slug], 0)  # noqa: E731 (the nav's href callback)


def _page(title: str, content: str, corpus: Corpus, seed: int) -> bytes:
    doc = f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<title>{esc(title)}_寻医问药网</title>
<meta name="keywords" content="{esc(title)},有问必答,寻医问药" />
<link href="/xywy/static/css/club.css" rel="stylesheet" type="text/css" />
{filler_script(seed, 110)}
</head><body>
<div class="header clearfix"><div class="logo fl"><a href="{P}/">寻医问药网</a></div>
<div class="topnav fr"><a href="{P}/">首页</a> | <a href="{P}/keshi/1.html">按日期浏览</a> | <a href="{P}/passport/login.htm">登录</a> | <a href="{P}/passport/reg.htm">注册</a></div></div>
{department_nav(corpus, _small_href(corpus), "club_nav clearfix")}
<div class="w980 clearfix">
{content}
</div>
<div class="footer clearfix"><p>{FOOTER_TEXT}</p><p>Copyright &copy; 2004-2026 xywy.com sample</p></div>
{filler_script(seed + 1, 160)}
</body></html>"""
    return doc.encode("gbk", errors="xmlcharrefreplace")


def _followups_html(q: Question) -> str:
    """div.appdoc.appxian > div.usezw: the asker's 追问 and the doctor's reply (the markup public
    crawlers of the site read)."""
    if not q.followups:
        return ""
    items = []
    for role, text, time in q.followups:
        who = "追问" if role == "patient" else "医生回复"
        items.append(
            f'<div class="usezw pt10 clearfix"><p class="clearfix"><span class="fl dib fb Doc_bla">{who}</span></p>'
            f'<div class="fl w390">{esc(text)}</div><p class="tr col99 f12"><span>{time:%Y-%m-%d %H:%M:%S}</span></p></div>'
        )
    return f'<div class="appdoc appxian ml20 mr20 mt15 pb10 clearfix f14">{"".join(items)}</div>'


def _answer_html(q: Question) -> str:
    blocks = []
    for k, a in enumerate(q.answers):
        best = "  Bestbg" if a.accepted else ""
        blocks.append(
            f"""<div class="docall clearfix {best} ">
<div class="Doc_con clearfix pr">
<div class="Doc_dochf clearfix"><a class="Doc_bla" href="{P}/doc/{int(q.qid) % 9973 + k}.htm" target="_blank">{esc(a.doctor_name)}</a>
<span class="Doc_zc">{esc(a.doctor_title)}</span> <span class="Doc_ks">{esc(a.hospital)}</span></div>
{'<div class="Bestimg">最佳答案</div>' if a.accepted else ""}
<div class="pt15 f14 graydeep  pl20 pr20">{paragraphs(a.text)}</div>
<div class="Doc_bot clearfix"><span class="Doc_time">{a.time:%Y-%m-%d %H:%M:%S}</span>
<span class="fr">有用 <b class="gratenum">{a.likes}</b></span></div>
{_followups_html(q) if k == 0 else ""}
</div></div>"""
        )
    return "\n".join(blocks)


def _detail(q: Question, corpus: Corpus) -> Page:
    dept = next(d for d in corpus.departments if d.name == q.dept)
    small = _small_href(corpus)(dept, q.sub_slug) if q.sub_slug != "test" else HIDDEN_LIST
    title_html = f'<p class="fl dib fb" title="{esc(q.title)}">{esc(q.title)}</p>'
    if q.fault == "malformed":
        title_html = '<p class="fl dib fb"<span>&#x0;</div><table><tr>'
    content = f"""<p class="pt10 pb10 lh180 znblue normal-a "><a href="{P}/">寻医问药网</a> &gt; <a href="{P}/">有问必答</a> &gt; <a href="{P}/big_{dept.index}.htm">{esc(q.dept)}</a> &gt; <a href="{small}">{esc(q.sub)}</a> &gt; <span>{esc(q.title[:12])}</span></p>
<div class="User_askcon clearfix">
<div class="Userinfo clearfix"><span class="fl">{esc(q.asker)}</span><span class="fl pl10">{q.sex}</span><span class="fl pl10">{q.age}岁</span><span class="fl pl10">{q.asked:%Y-%m-%d %H:%M}</span></div>
<div class="clearfix">{title_html}</div>
<div id="qdetailc" class="graydeep User_quecol pt10 mt10">{paragraphs(q.body)}<br />
{esc(q.history)}<br />
{esc(q.help)}</div>
</div>
<div class="replay_box clearfix">
{_answer_html(q)}
</div>
{related_block(corpus, "xywy", detail_path, q.qid, 30, "xgwd_list clearfix")}"""
    if q.fault == "deleted":
        content = '<div class="del_tip">抱歉，该问题已被删除或正在审核中。</div>'
    if q.fault == "recoverable":
        content = content.replace(
            '<div class="replay_box clearfix">', '<div class="replay_box clearfix"><font><b>', 1
        )
        content = content.replace(
            '</p>\n<div class="User_askcon', '</span></div></p>\n<div class="User_askcon', 1
        )
        content += "<div class=unclosed><p>广告<p>推荐<li>更多"
    body = _page(q.title, content, corpus, int(q.qid))
    if q.fault == "truncated":
        body = body[: body.index(b"Doc_time") - 40]
    charset = "text/html; charset=gbk" if int(q.qid) % 2 == 0 else "text/html"
    status, location, behaviour = 200, None, None
    if q.fault == "forbidden_403":
        body, status = (
            _page("403 Forbidden", "<h1>403 Forbidden</h1><p>访问被拒绝</p>", corpus, 1),
            403,
        )
    elif q.fault == "login_redirect":
        status, location = 302, f"{P}/passport/login.htm?from={detail_path(q)}"
    elif q.fault == "retry_503":
        behaviour = "retry_503"
    return Page(body, charset, status, location, behaviour)


def _list_item(q: Question, sub_href: str) -> str:
    return f"""<div class="club_dic clearfix">
<h4><var><a href="{sub_href}" target="_blank">[{esc(q.sub)}]</a></var><em><a href="{detail_path(q)}" target="_blank" title="{esc(q.title)}">{esc(q.title)}</a></em></h4>
<div class="club_dic_con"><p>{esc(q.body[:60])}…</p></div>
<div class="club_dic_b"><span>{q.asked:%Y-%m-%d}</span> <span>{len(q.answers)}个回复</span></div>
</div>"""


def _pager(index: int, total: int, href) -> str:
    links = []
    if index > 0:
        links.append(f'<a href="{href(index - 1)}">[上一页]</a>')
    links.extend(
        f"<span>[{n + 1}]</span>" if n == index else f'<a href="{href(n)}">[{n + 1}]</a>'
        for n in range(total)
    )
    if index + 1 < total:
        links.append(f'<a href="{href(index + 1)}">[下一页]</a>')
    return f'<div class="subFen clearfix">{" ".join(links)}</div>'


def _lists(corpus: Corpus, name: str, questions: list[Question], href, sub_href) -> dict[str, Page]:
    pages = {}
    chunks = list_pages(questions)
    for index, chunk in enumerate(chunks):
        items = "\n".join(_list_item(q, sub_href) for q, _ in chunk)
        content = f'<div class="club_box"><h2>{esc(name)}</h2>\n{items}\n{_pager(index, len(chunks), href)}</div>'
        pages[href(index)] = Page(_page(name, content, corpus, index), "text/html")
    return pages


def build(corpus: Corpus) -> tuple[dict[str, Page], list[str]]:
    """All ``/xywy`` pages and the robots.txt ``Disallow`` paths for them."""
    pages: dict[str, Page] = {}
    questions = corpus.site("xywy")
    by_sub: dict[str, list[Question]] = defaultdict(list)
    by_day: dict[str, list[Question]] = defaultdict(list)
    for q in questions:
        by_sub[q.sub_slug].append(q)
        if q.fault != "robots_list":
            by_day[q.day].append(q)
        pages[detail_path(q)] = _detail(q, corpus)
    home_rows = []
    for dept in corpus.departments:
        sub_links = []
        for k, (name, slug) in enumerate(dept.subs):
            sid = _small_id(dept.index, k)
            href = partial(small_page, sid)
            pages.update(_lists(corpus, name, by_sub.get(slug, []), href, href(0)))
            sub_links.append(f'<a href="{href(0)}">{esc(name)}</a>')
        if dept.index == 1:
            sub_links.append(f'<a href="{HIDDEN_LIST}">院内测试</a>')
        big = (
            f'<div class="ks_small clearfix"><h2>{esc(dept.name)}</h2>'
            + " ".join(sub_links)
            + "</div>"
        )
        pages[f"{P}/big_{dept.index}.htm"] = Page(
            _page(dept.name, big, corpus, dept.index), "text/html"
        )
        home_rows.append(
            f'<dl><dt><a href="{P}/big_{dept.index}.htm">{esc(dept.name)}</a></dt><dd>{" ".join(sub_links)}</dd></dl>'
        )
    hidden = partial(small_page, 999)
    pages.update(_lists(corpus, "院内测试", by_sub["test"], hidden, HIDDEN_LIST))
    home = '<div class="ks_all clearfix">' + "\n".join(home_rows) + "</div>"
    pages[f"{P}/"] = Page(_page("有问必答", home, corpus, 0), "text/html")
    pages.update(_day_pages(corpus, by_day))
    pages[f"{P}/passport/login.htm"] = Page(
        _page(
            "用户登录",
            '<form class="login"><input name="user"/><input name="pass" type="password"/></form>',
            corpus,
            2,
        ),
        "text/html",
    )
    robot_q = next(q for q in questions if q.fault == "robots_detail")
    return pages, ["/xywy/small_999", detail_path(robot_q), "/xywy/passport/"]


def _day_pages(corpus: Corpus, by_day: dict[str, list[Question]]) -> dict[str, Page]:
    pages: dict[str, Page] = {}
    days = sorted(by_day, reverse=True)
    index_chunks = [
        days[i : i + DAYS_PER_INDEX_PAGE] for i in range(0, len(days), DAYS_PER_INDEX_PAGE)
    ]
    for n, chunk in enumerate(index_chunks):
        items = "".join(f'<li><a href="{day_page(day, 0)}">{day}</a></li>' for day in chunk)
        content = (
            f'<ul class="club_Date clearfix">{items}</ul>{_pager(n, len(index_chunks), index_page)}'
        )
        pages[index_page(n)] = Page(_page("按日期浏览", content, corpus, 100 + n), "text/html")
    for day in days:
        pages.update(_lists(corpus, f"{day} 的问题", by_day[day], partial(day_page, day), f"{P}/"))
    return pages

"""有问必答-shaped pages (UTF-8) under ``/120ask``: ``/list/`` department index, ``/list/<slug>/``
lists (``#list div.h-main ul li div.h-left-p p a``, as public crawlers read them) with
``div.clears.h-page`` pagination, and ``/question/<id>.htm`` pages whose description
sits in labelled paragraphs of ``#d_msCon``; the accepted answer carries ``div.b_acceptcont``."""

from __future__ import annotations

from collections import defaultdict

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

P = "/120ask"
UTF8 = "text/html; charset=utf-8"
PROVINCES = ["北京", "上海", "广东", "四川", "浙江", "湖北", "山东", "河南"]


def detail_path(q: Question) -> str:
    return f"{P}/question/{q.qid}.htm"


def variant_path(q: Question) -> str:
    return f"{P}/question/{q.sub_slug}/{q.qid}.htm"


def list_href(slug: str, n: int = 0) -> str:
    return f"{P}/list/{slug}/" if n == 0 else f"{P}/list/{slug}/{n + 1}/"


def _page(title: str, content: str, corpus: Corpus, seed: int) -> bytes:
    nav = department_nav(corpus, lambda dept, slug: list_href(slug), "h-topnav")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{esc(title)}_有问必答_快速问医生</title>
<meta name="description" content="{esc(title)}">
{filler_script(seed, 80)}
</head><body>
<div class="h-header"><a class="logo" href="{P}/">有问必答</a><a href="{P}/list/">全部科室</a><a href="{P}/login/">登录</a></div>
{nav}
<div class="b_main clearfix">
{content}
</div>
<div class="b_footer"><p>{FOOTER_TEXT}</p></div>
{filler_script(seed + 7, 110)}
</body></html>""".encode()


def _answers(q: Question) -> str:
    blocks = []
    for k, a in enumerate(q.answers):
        text = (
            f'<div class="crazy_new"><p>{paragraphs(a.text)}</p></div>'
            if k % 2
            else paragraphs(a.text)
        )
        blocks.append(
            f"""<div class="b_answerli">
{'<div class="b_acceptcont"><span>提问者采纳</span></div>' if a.accepted else ""}
<div class="b_answertop"><span class="b_sp1"><a href="{P}/doctor/{int(q.qid) % 7919 + k}/" target="_blank">{esc(a.doctor_name)}</a> {esc(a.doctor_title)}</span>
<span class="b_sp2">{esc(a.hospital)} 擅长：{esc(q.sub)}常见病</span></div>
<div class="b_anscont"><div class="b_anscont_cont">{text}</div>
<div class="b_anscont_bot"><span class="b_anscont_time">{a.time:%Y-%m-%d %H:%M}</span> <span class="b_ansyes">有帮助({a.likes})</span></div></div>
</div>"""
        )
    return "\n".join(blocks)


def _detail(q: Question, corpus: Corpus) -> Page:
    if q.fault == "gone_404":
        return Page(_page("页面不存在", "<h1>404 页面不存在</h1>", corpus, 4), UTF8, 404)
    if q.fault == "captcha_redirect":
        return Page(b"", UTF8, 302, f"{P}/verify/captcha?from={detail_path(q)}")
    province = PROVINCES[int(q.qid) % len(PROVINCES)]
    content = f"""<div class="b_route" itemscope><a itemprop="link" href="{P}/">有问必答</a> &gt; <a itemprop="link" href="{P}/list/">全部科室</a> &gt; <a itemprop="link" href="{P}/list/{q.dept_slug}/">{esc(q.dept)}</a> &gt; <a itemprop="link" href="{list_href(q.sub_slug)}">{esc(q.sub)}</a></div>
<div class="b_askti"><h1 id="d_askH1">{esc(q.title)}</h1></div>
<div class="b_askab1"><span>{q.sex}|{q.age}岁</span><span>{q.asked:%Y-%m-%d %H:%M}</span><span>来自{province}</span><a class="b_askname" href="{P}/user/{esc(q.asker)}/">{esc(q.asker)}</a></div>
<div class="b_askcont"><div id="d_msCon" class="b_askcont_cont">
<p><span>健康咨询描述：</span>{paragraphs(q.body)}</p>
<p><span>曾经的治疗情况和效果：</span>{esc(q.history)}</p>
<p><span>想得到怎样的帮助：</span>{esc(q.help)}</p>
</div></div>
<div class="b_answer">{_answers(q)}</div>
{related_block(corpus, "120ask", detail_path, q.qid, 15, "b_related")}"""
    if q.fault == "deleted":
        content = '<div class="b_delete"><p>该问题已被删除</p></div>'
    behaviour = {"retry_503": "retry_503", "dataloss": "dataloss"}.get(q.fault or "")
    return Page(_page(q.title, content, corpus, int(q.qid)), UTF8, behaviour=behaviour)


def _list_item(q: Question, variant: bool) -> str:
    href = variant_path(q) if variant else detail_path(q)
    return f"""<li><div class="fl h-left-p"><p><a class="q-quename" href="{href}" title="{esc(q.title)}" target="_blank">{esc(q.title)}</a></p>
<p class="h-pdesc">{esc(q.body[:50])}…</p></div><div class="fr h-right-p"><span class="h-span1">{len(q.answers)}个回复</span><span>{q.asked:%m-%d}</span></div></li>"""


def _pager(slug: str, index: int, total: int) -> str:
    links = []
    if index > 0:
        links.append(f'<a href="{list_href(slug, index - 1)}">上一页</a>')
    links.extend(
        f'<span class="cur">{n + 1}</span>'
        if n == index
        else f'<a href="{list_href(slug, n)}">{n + 1}</a>'
        for n in range(total)
    )
    if index + 1 < total:
        links.append(f'<a href="{list_href(slug, index + 1)}">下一页</a>')
    return f'<div class="clears h-page">{" ".join(links)}</div>'


def build(corpus: Corpus) -> tuple[dict[str, Page], list[str]]:
    """All ``/120ask`` pages and the robots.txt ``Disallow`` paths for them."""
    pages: dict[str, Page] = {}
    by_sub: dict[str, list[Question]] = defaultdict(list)
    for q in corpus.site("120ask"):
        by_sub[q.sub_slug].append(q)
        page = _detail(q, corpus)
        pages[detail_path(q)] = page
        if q.fault == "variant_url":
            pages[variant_path(q)] = page
    rows = []
    for dept in corpus.departments:
        subs = " ".join(f'<a href="{list_href(slug)}">{esc(name)}</a>' for name, slug in dept.subs)
        rows.append(
            f'<dl><dt><a href="{P}/list/{dept.slug}/">{esc(dept.name)}</a></dt><dd>{subs}</dd></dl>'
        )
        for name, slug in dept.subs:
            chunks = list_pages(by_sub.get(slug, []))
            for index, chunk in enumerate(chunks):
                items = "\n".join(_list_item(q, variant) for q, variant in chunk)
                content = f'<div id="list"><div class="h-left fl"><div class="t13 h-main"><h2>{esc(name)}</h2><ul>\n{items}\n</ul></div>{_pager(slug, index, len(chunks))}</div></div>'
                pages[list_href(slug, index)] = Page(_page(name, content, corpus, index), UTF8)
    index_html = '<div class="h-nav-all">' + "\n".join(rows) + "</div>"
    pages[f"{P}/list/"] = Page(_page("全部科室", index_html, corpus, 3), UTF8)
    pages[f"{P}/"] = pages[f"{P}/list/"]
    pages[f"{P}/verify/captcha"] = Page(
        _page("安全验证", '<div class="captcha">请输入验证码</div>', corpus, 5), UTF8
    )
    return pages, ["/120ask/user/", "/120ask/verify/"]

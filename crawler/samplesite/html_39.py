"""39健康问答-shaped pages (UTF-8) under ``/39``: ``/browse/`` department index, ``/news/<id>-<page>.html``
lists with ``div.pgleft`` pagination and ``/question/<id>.html`` pages (chosen answers in
``div.selected``, the others in ``div.doctor_all``)."""

from __future__ import annotations

from collections import defaultdict

from crawler.samplesite.common import (
    FOOTER_TEXT,
    Page,
    esc,
    filler_script,
    list_pages,
    paragraphs,
    related_block,
)
from crawler.samplesite.content import Corpus, Question

P = "/39"
UTF8 = "text/html; charset=utf-8"


def detail_path(q: Question) -> str:
    return f"{P}/question/{q.qid}.html"


def _sub_ids(corpus: Corpus) -> dict[str, int]:
    return {
        slug: 3000 + d.index * 10 + k
        for d in corpus.departments
        for k, (_, slug) in enumerate(d.subs)
    }


def _page(title: str, content: str, seed: int) -> bytes:
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>{esc(title)}_39健康问答_39健康网</title>
{filler_script(seed, 60)}
</head><body>
<div class="header"><a href="{P}/">39健康问答</a> <a href="{P}/browse/">按科室找</a></div>
<div class="wrap">
{content}
</div>
<div id="footer"><p>{FOOTER_TEXT}</p></div>
</body></html>""".encode()


def _answer(q: Question, k: int) -> str:
    a = q.answers[k]
    return f"""<div class="sele_all">
<div class="doc_t"><span class="doc_name">{esc(a.doctor_name)}</span><p class="doc_xinx"><span>{esc(a.doctor_title)}</span><span>{esc(q.sub)}</span><span>{esc(a.hospital)}</span></p></div>
<p class="sele_txt">{paragraphs(a.text)}</p>
<p class="doc_time">{a.time:%Y-%m-%d %H:%M}</p><div class="zan"><span class="zan_num">{a.likes}</span>人觉得有用</div>
</div>"""


def _detail(q: Question, corpus: Corpus, sub_id: int, dept_id: int) -> Page:
    chosen = [k for k, a in enumerate(q.answers) if a.accepted]
    others = [k for k, a in enumerate(q.answers) if not a.accepted]
    selected = (
        '<div class="selected"><h3>提问者采纳</h3>'
        + "".join(_answer(q, k) for k in chosen)
        + "</div>"
        if chosen
        else ""
    )
    rest = (
        '<div class="doctor_all">' + "".join(_answer(q, k) for k in others) + "</div>"
        if others
        else ""
    )
    content = f"""<div id="sub"><span><a href="{P}/">39健康问答</a></span> &gt; <span><a href="{P}/news/{dept_id}-1.html">{esc(q.dept)}</a></span> &gt; <span><a href="{P}/news/{sub_id}-1.html">{esc(q.sub)}</a></span></div>
<div class="ask_cont"><p class="ask_tit">{esc(q.title)}</p>
<p class="mation"><span>{q.sex}</span><span>{q.age}岁</span><span>发病时间：一周内</span></p>
<p class="txt_nametime"><span>{esc(q.asker)}</span><span>{q.asked:%Y-%m-%d %H:%M}</span></p>
<p class="txt_ms">{paragraphs(q.body)}<br />{esc(q.help)}</p></div>
{selected}
{rest}
{related_block(corpus, "39", detail_path, q.qid, 10, "related")}"""
    if q.fault == "recoverable":
        content = (
            "<div><span><p>"
            + content.replace("</p></div>\n", "</div>\n", 1)
            + "<ul><li>猜你喜欢<li><b>更多"
        )
    body = _page(q.title, content, int(q.qid))
    if q.fault == "truncated":
        body = body[: body.index(b'class="doc_time"')]
    return Page(body, UTF8)


def build(corpus: Corpus) -> tuple[dict[str, Page], list[str]]:
    """All ``/39`` pages and the robots.txt ``Disallow`` paths for them."""
    pages: dict[str, Page] = {}
    ids = _sub_ids(corpus)
    dept_ids = {d.name: 300 + d.index for d in corpus.departments}
    by_sub: dict[str, list[Question]] = defaultdict(list)
    for q in corpus.site("39"):
        by_sub[q.sub_slug].append(q)
        pages[detail_path(q)] = _detail(q, corpus, ids[q.sub_slug], dept_ids[q.dept])
    boxes = []
    for dept in corpus.departments:
        items = "".join(
            f'<li><a href="{P}/news/{ids[slug]}-1.html">{esc(name)}</a></li>'
            for name, slug in dept.subs
        )
        boxes.append(
            f'<div class="cla_box"><h3><a href="{P}/news/{dept_ids[dept.name]}-1.html">{esc(dept.name)}</a></h3><ul>{items}</ul></div>'
        )
        for name, slug in dept.subs:
            chunks = list_pages(by_sub.get(slug, []))
            for index, chunk in enumerate(chunks):
                items_html = "\n".join(
                    f'<li><span class="a_l"><a href="{detail_path(q)}" title="{esc(q.title)}">{esc(q.title)}</a></span><span class="a_r">{q.asked:%Y-%m-%d}</span></li>'
                    for q, _ in chunk
                )
                nav = []
                if index > 0:
                    nav.append(f'<a href="{P}/news/{ids[slug]}-{index}.html">上一页</a>')
                if index + 1 < len(chunks):
                    nav.append(f'<a href="{P}/news/{ids[slug]}-{index + 2}.html">下一页</a>')
                content = f'<ul class="list_ask">{items_html}</ul><div class="pgleft">{" ".join(nav)}</div>'
                pages[f"{P}/news/{ids[slug]}-{index + 1}.html"] = Page(
                    _page(name, content, index), UTF8
                )
    pages[f"{P}/browse/"] = Page(
        _page("按科室找", '<div class="classify">' + "\n".join(boxes) + "</div>", 1), UTF8
    )
    pages[f"{P}/"] = pages[f"{P}/browse/"]
    return pages, ["/39/user/"]

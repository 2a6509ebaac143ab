"""Pieces every sample-site renderer shares: the page record, list pagination with the duplicate
and variant links, and page chrome (navigation, side lists, scripts) that gives pages a realistic
size for the parse benchmark."""

from __future__ import annotations

import html
import random
from dataclasses import dataclass

from crawler.samplesite.content import Corpus, Question

PER_PAGE = 8


@dataclass(frozen=True)
class Page:
    """One response: body bytes and how to serve it. ``behaviour`` names a dynamic fault the
    server plays (``retry_503``: two 503s first; ``dataloss``: connection closed mid-body)."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    location: str | None = None
    behaviour: str | None = None


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def paragraphs(text: str) -> str:
    """Text with line breaks as the sites render it (``<br />``)."""
    return "<br />\n".join(esc(line) for line in text.split("\n"))


def list_pages(
    questions: list[Question], per_page: int = PER_PAGE
) -> list[list[tuple[Question, bool]]]:
    """Questions split into list pages of ``(question, use_variant_link)``.

    A ``duplicate_link`` question is linked twice on its page and again on a neighbour page; a
    ``variant_url`` question is linked by its variant URL on its page and by its canonical URL on
    a neighbour page.
    """
    pages = [
        [(q, q.fault == "variant_url") for q in questions[i : i + per_page]]
        for i in range(0, len(questions), per_page)
    ]
    for index, page in enumerate(list(pages)):
        neighbour = index + 1 if index + 1 < len(pages) else index - 1
        for question, _ in list(page):
            if question.fault == "duplicate_link":
                page.append((question, False))
            if question.fault in ("duplicate_link", "variant_url") and neighbour >= 0:
                pages[neighbour].insert(0, (question, False))
    return pages


def filler_script(seed: int, lines: int = 60) -> str:
    """An inline tracking/ads script of the kind real pages carry (text the parser must skip)."""
    rng = random.Random(seed)
    body = [
        f"  var s{k} = {{id: {rng.randint(1000, 99999)}, pos: 'ad_{k}', w: {rng.choice([300, 728, 960])},"
        f" h: {rng.choice([90, 250])}, src: '/static/ad/{rng.randint(1, 999)}.js'}};"
        for k in range(lines)
    ]
    return (
        '<script type="text/javascript">\n(function(){\n' + "\n".join(body) + "\n})();\n</script>"
    )


def related_block(corpus: Corpus, site: str, href, skip: str, count: int, css: str) -> str:
    """A side list of other questions of the same site (not followed by the crawler)."""
    others = [q for q in corpus.site(site) if q.qid != skip][:count]
    items = "\n".join(
        f'<li><a href="{href(q)}" target="_blank" title="{esc(q.title)}">{esc(q.title)}</a>'
        f'<span class="num">{len(q.answers)}回复</span></li>'
        for q in others
    )
    return f'<div class="{css}"><h3>相关问题</h3><ul>\n{items}\n</ul></div>'


def department_nav(corpus: Corpus, href_dept, css: str) -> str:
    """Header navigation over every department (links the crawler's profile does not follow)."""
    cells = []
    for dept in corpus.departments:
        subs = " ".join(
            f'<a href="{href_dept(dept, slug)}">{esc(name)}</a>' for name, slug in dept.subs
        )
        cells.append(f"<li><b>{esc(dept.name)}</b> {subs}</li>")
    return f'<div class="{css}"><ul>\n' + "\n".join(cells) + "\n</ul></div>"


FOOTER_TEXT = (
    "本站内容仅供参考，不能作为诊断及医疗的依据。如有不适请及时到正规医院就诊。"
    "示例站点：为 medqa-factory 离线测试编写的页面，所有问答均为虚构。"
)

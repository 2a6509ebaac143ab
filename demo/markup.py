"""Text in, safe HTML out: everything the page shows that it did not write itself goes through here.

Model answers, retrieved passages, endpoint error messages and the user's own question are text.
Markdown formatting the demo wants (paragraphs, emphasis, lists, tables, quotes, code) becomes
HTML; nothing else does:

* raw HTML in the text is shown as text (markdown-it with ``html`` off); an entity such as
  ``&lt;img&gt;`` is shown as the characters it stands for, as text, never parsed again;
* images never load: ``![alt](url)`` becomes the text "[图片：alt]";
* links are not links: ``[text](url)`` becomes "text（url）" as text, so no ``javascript:`` or
  look-alike URL can be clicked;
* a second pass rebuilds the HTML from an allow-list of tags and attributes, so nothing the
  Markdown renderer might let through (now or in a later version) reaches the page;
* bidirectional-override characters, which can make text read differently from what it is, are
  dropped.

The page's Content-Security-Policy (``demo.csp``) is the second wall: even a tag that slipped
through could load nothing from another origin and submit no form.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "details", "summary",
}  # fmt: skip
VOID_TAGS = {"br", "hr"}
# tag -> attribute -> pattern its value must match in full
ALLOWED_ATTRIBUTES = {
    "th": {"style": re.compile(r"text-align:(?:left|right|center)")},
    "td": {"style": re.compile(r"text-align:(?:left|right|center)")},
    "ol": {"start": re.compile(r"\d{1,6}")},
    "code": {"class": re.compile(r"language-[\w+-]{1,32}")},
    "details": {"open": re.compile(r"")},
}
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f]")


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.add_render_rule("image", _render_image)
    md.add_render_rule("link_open", lambda self, tokens, idx, options, env: "")
    md.add_render_rule("link_close", _render_link_close)
    return md


def _render_image(self, tokens, idx, options, env) -> str:
    alt = self.renderInlineAsText(tokens[idx].children or [], options, env)
    return html.escape(f"[图片：{alt or '未显示'}]")


def _render_link_close(self, tokens, idx, options, env) -> str:
    """The URL after the link text, as text: "说明（https://…）"."""
    depth = 0
    for token in reversed(tokens[:idx]):  # the matching link_open
        if token.type == "link_open" and token.markup == "autolink" and depth == 0:
            return ""  # <https://…>: the text already is the URL
        if token.type == "link_close":
            depth += 1
        elif token.type == "link_open":
            if depth == 0:
                return html.escape(f"（{token.attrGet('href') or ''}）")
            depth -= 1
    return ""


_MD = _markdown()


class _AllowList(HTMLParser):
    """Re-emit HTML keeping only allowed tags/attributes; all text re-escaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag not in ALLOWED_TAGS:
            return
        kept = []
        for name, value in attrs:
            rule = ALLOWED_ATTRIBUTES.get(tag, {}).get(name)
            if rule is not None and rule.fullmatch(value or ""):
                kept.append(f' {name}="{html.escape(value or "")}"' if value else f" {name}")
        self.out.append(f"<{tag}{''.join(kept)}>")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag) -> None:
        if tag in self.open:  # close what is open, innermost first, up to this tag
            while self.open:
                top = self.open.pop()
                self.out.append(f"</{top}>")
                if top == tag:
                    break

    def handle_data(self, data) -> None:
        self.out.append(html.escape(data, quote=False))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self.open))


def allow_listed(markup: str) -> str:
    """``markup`` rebuilt from allowed tags and attributes only (text kept, re-escaped)."""
    parser = _AllowList()
    parser.feed(markup)
    return parser.result()


def markdown_to_html(text: str) -> str:
    """Safe HTML for Markdown ``text`` (a model answer, an error message, a disclaimer)."""
    return allow_listed(_MD.render(_BIDI_CONTROLS.sub("", text or "")))


def text_to_html(text: str) -> str:
    """Plain ``text`` as HTML: escaped, line breaks kept, no formatting at all."""
    escaped = html.escape(_BIDI_CONTROLS.sub("", text or ""), quote=False)
    return escaped.replace("\n", "<br>")

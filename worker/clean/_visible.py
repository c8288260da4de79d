"""An HTML page's visible text, one block per line: the text path's input for HTML pages
where trafilatura finds no body (a page dump like the seeds)."""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe", "object",
                   "canvas", "button", "select", "option", "form", "input", "textarea"})
_BLOCK = frozenset({
    "p", "div", "section", "article", "header", "footer", "nav", "aside", "main", "h1", "h2",
    "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "td", "th",
    "blockquote", "pre", "figure", "figcaption", "br", "hr", "address", "body", "caption",
})
_WS = re.compile(r"[ \t\r\f\v\u00a0]+")


def visible_text(page: str) -> str:
    """Visible text with a line break at each block boundary; "" when it does not parse."""
    try:
        root = lxml_html.document_fromstring(page)
    except (etree.ParserError, ValueError, TypeError):
        return ""
    parts: list[str] = []

    def walk(el) -> None:  # noqa: ANN001 - lxml elements
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _SKIP or (tag and el.get("hidden") is not None):
            if el.tail:
                parts.append(el.tail)
            return
        block = tag in _BLOCK
        if block:
            parts.append("\n")
        if el.text and tag:
            parts.append(el.text)
        for child in el:
            walk(child)
        if block:
            parts.append("\n")
        if el.tail:
            parts.append(el.tail)

    body = root.find("body")
    walk(body if body is not None else root)
    lines = (_WS.sub(" ", ln).strip() for ln in "".join(parts).split("\n"))
    return "\n".join(ln for ln in lines if ln)


def html_to_text(fragment: str) -> str:
    """Text of an HTML fragment (a feed entry's content), or the string itself if not HTML."""
    if "<" not in fragment:
        return fragment
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError, TypeError):
        return fragment
    return visible_text(lxml_html.tostring(root, encoding="unicode"))

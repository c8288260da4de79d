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
    body = root.find("body")
    top = body if body is not None else root
    # iterative, so that absurdly deep markup cannot exhaust the stack
    skipping = 0
    for event, el in etree.iterwalk(top, events=("start", "end", "comment", "pi")):
        if event in ("comment", "pi"):
            if not skipping and el.tail:
                parts.append(el.tail)
            continue
        tag = el.tag if isinstance(el.tag, str) else ""
        hidden = tag in _SKIP or (tag != "" and el.get("hidden") is not None)
        if event == "start":
            if hidden:
                skipping += 1
            if skipping:
                continue
            if tag in _BLOCK:
                parts.append("\n")
            if el.text and tag:
                parts.append(el.text)
        else:
            if hidden:
                skipping -= 1
            if skipping:
                continue
            if tag in _BLOCK:
                parts.append("\n")
            if el.tail and el is not top:
                parts.append(el.tail)
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

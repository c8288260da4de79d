"""An HTML page as a list of text blocks, each with the facts about its place in the DOM
that tell story from boilerplate: the tags and class names around it, how much of it is
link text, and a readability-style score of the container it sits in.

One iterative pass over the parsed tree (no recursion, so deep markup is safe); the
block model (``_htmlmodel``) decides which blocks are the story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe", "object",
                   "canvas", "button", "select", "option", "input", "textarea", "title",
                   "meta", "link"})
_BLOCK = frozenset({
    "p", "div", "section", "article", "header", "footer", "nav", "aside", "main", "h1", "h2",
    "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "td", "th",
    "blockquote", "pre", "figure", "figcaption", "br", "hr", "address", "body", "caption",
})
_HEAD = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_WS = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")

# words in class / id names: those that mark page furniture, and those that mark the story
_BAD = re.compile(
    r"nav|menu|footer|header|sidebar|side-bar|widget|related|recommend|share|social|"
    r"comment|promo|advert|\bads?\b|ad-|banner|newsletter|subscribe|signup|cookie|popup|modal|"
    r"breadcrumb|tags?\b|topics|trending|popular|most-|byline|author|caption|credit|"
    r"timestamp|dateline|meta|toolbar|masthead|teaser|card|more-|read-?more|outbrain|taboola",
    re.I)
_GOOD = re.compile(r"article|story|content|entry|post|body|text|main|prose|rich", re.I)
_CAPTION = re.compile(r"caption|credit|figure|photo|image|media", re.I)

# flag positions in a block's context vector
F_NAV, F_ASIDE, F_FOOTER, F_HEADER, F_ARTICLE, F_MAIN, F_BAD, F_GOOD, F_CAPTION, F_FIG, \
    F_LI, F_TABLE, F_QUOTE, F_HEAD, F_P, F_TIME = range(16)
N_FLAGS = 16


@dataclass(slots=True)
class Block:
    text: str
    tag: str  # nearest block-level tag
    flags: tuple[int, ...]  # counts of F_* ancestors at the block's first text
    link_chars: int
    depth: int
    anc: tuple[int, ...]  # numbers of its ancestor elements (for the container score)


_TAG_FLAG = {"nav": F_NAV, "aside": F_ASIDE, "footer": F_FOOTER, "header": F_HEADER,
             "article": F_ARTICLE, "main": F_MAIN, "figure": F_FIG, "figcaption": F_FIG,
             "li": F_LI, "table": F_TABLE, "td": F_TABLE, "th": F_TABLE, "blockquote": F_QUOTE,
             "h1": F_HEAD, "h2": F_HEAD, "h3": F_HEAD, "h4": F_HEAD, "h5": F_HEAD,
             "h6": F_HEAD, "p": F_P, "time": F_TIME}
_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary"})
_NAME_CACHE: dict[tuple[str | None, str | None], tuple[int, ...]] = {}


def _name_flags(key: tuple[str | None, str | None]) -> tuple[int, ...]:
    """The flags a class / id pair gives (memoised: pages repeat their class names)."""
    got = _NAME_CACHE.get(key)
    if got is None:
        names = f"{key[0] or ''} {key[1] or ''}"
        f: list[int] = []
        if _BAD.search(names):
            f.append(F_BAD)
        if _GOOD.search(names):
            f.append(F_GOOD)
        if _CAPTION.search(names):
            f.append(F_CAPTION)
        got = tuple(f)
        if len(_NAME_CACHE) > 20000:
            _NAME_CACHE.clear()
        _NAME_CACHE[key] = got
    return got


def _flags_of(el: etree._Element, tag: str) -> tuple[int, ...]:
    t = _TAG_FLAG.get(tag)
    f: tuple[int, ...] = (t,) if t is not None else ()
    get = el.get
    cls = get("class")
    ident = get("id")
    if cls or ident:
        f += _name_flags((cls, ident))
    if get("role") in _ROLES:
        f += (F_NAV,)
    return f


def page_blocks(root: etree._Element) -> tuple[list[Block], dict[int, float]]:
    """The page's text blocks in document order, and a readability-style score per
    container element, keyed by its number in page order (each paragraph adds to its
    parent, half to its grandparent)."""
    body = root.find("body")
    top = body if body is not None else root
    blocks: list[Block] = []
    counts = [0] * N_FLAGS
    # (element number, flags, tag, element): holding the element keeps lxml's proxy alive,
    # so the "end" event reuses it instead of building a new one (lxml.html builds each
    # proxy through a Python class lookup, a tenth of this walk's time)
    stack: list[tuple[int, tuple[int, ...], str, etree._Element]] = []
    buf: list[str] = []
    link_chars = 0
    in_link = 0
    start_flags: tuple[int, ...] | None = None
    start_tag = "body"
    start_anc: tuple[int, ...] = ()
    last_block_tag = "body"

    def flush() -> None:
        nonlocal buf, link_chars, start_flags, start_anc
        if buf:
            text = _WS.sub(" ", "".join(buf)).strip()
            if text and start_flags is not None:
                blocks.append(Block(text, start_tag, start_flags, link_chars, len(start_anc),
                                    start_anc))
        buf = []
        link_chars = 0
        start_flags = None

    def add(s: str) -> None:
        nonlocal link_chars, start_flags, start_tag, start_anc
        if not s:
            return
        if start_flags is None:
            if not s.strip():
                return
            start_flags = tuple(counts)
            start_tag = last_block_tag
            start_anc = tuple(e[0] for e in stack)
        buf.append(s)
        if in_link:
            link_chars += len(s.strip())

    skip_el = None  # the hidden element whose subtree is being passed over
    serial = 0  # each element's number in page order: the key of the container scores
    for event, el in etree.iterwalk(top, events=("start", "end", "comment", "pi")):
        if skip_el is not None:
            if el is skip_el and event == "end":
                skip_el = None
                if el.tail and el is not top:
                    add(el.tail)
            continue
        if event in ("comment", "pi"):
            if el.tail:
                add(el.tail)
            continue
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _SKIP or (tag and el.get("hidden") is not None) \
                    or (el.get("aria-hidden") == "true" and tag not in _BLOCK):
                skip_el = el
                continue
            if tag in _BLOCK:
                flush()
                last_block_tag = tag
            fl = _flags_of(el, tag)
            for f in fl:
                counts[f] += 1
            serial += 1  # not id(el): lxml's element proxies die and their ids are reused
            stack.append((serial, fl, tag, el))
            if tag == "a":
                in_link += 1
            if el.text and tag:
                add(el.text)
        else:
            if stack:
                fl = stack.pop()[1]
                for f in fl:
                    counts[f] -= 1
            if tag == "a":
                in_link -= 1
            if tag in _BLOCK:
                flush()
                last_block_tag = stack[-1][2] if stack else "body"
            if el.tail and el is not top:
                add(el.tail)
    flush()
    scores: dict[int, float] = {}
    for b in blocks:
        if b.tag != "p" and not (b.tag == "div" and len(b.text) > 120):
            continue
        n = len(b.text)
        if n < 25:
            continue
        s = 1.0 + b.text.count(",") + min(n / 100.0, 3.0)
        s *= 1.0 - min(1.0, b.link_chars / n)
        # the block's own element is last on the stack for a <p>; a text-bearing div is
        # its own container
        a = b.anc[:-1] if b.tag == "p" else b.anc
        if len(a) < 2:
            continue
        p, g = a[-1], a[-2]
        scores[p] = scores.get(p, 0.0) + s
        scores[g] = scores.get(g, 0.0) + s / 2
    return blocks, scores

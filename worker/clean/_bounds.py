"""Caps on what the cleaner reads, so that a hostile page costs what a news page does.

trafilatura and lxml grow super-linearly on hostile markup (100,000 ``<p>`` cost 49 s
of CPU, 50,000 attributes on one tag 34 s) and the text path spends ~60 us a line (9 MB
of short lines: 24 s, 1.4 GB). A real news page has a few thousand elements and a few
hundred lines, so the caps below are far above any story and far below the cliff:

* HTML: at most ``MAX_HTML_CHARS`` characters and ``MAX_NODES`` start tags, cut at the
  tag past the cap (lxml closes what is left open); tags longer than ``LONG_TAG_CHARS``
  keep their first ``MAX_ATTRS`` attributes.
* text (a plain-text page, or the visible text of an HTML page): at most ``MAX_LINES``
  lines and ``MAX_TEXT_CHARS`` characters, cut at a line end.

Each cut is reported as a ``Dropped`` entry with rule ``bounded: ...`` so the story says
what was not read. All functions are linear in their input.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from worker.terminal import clean_title_text

from ._model import CleanPage, Dropped

__all__ = ["MAX_ATTRS", "MAX_HTML_CHARS", "MAX_LINES", "MAX_NODES", "MAX_TEXT_CHARS",
           "Bounds", "bound_html", "bound_text"]

MAX_HTML_CHARS = 1_000_000  # of markup and text, script and style bodies not counted
MAX_NODES = 6_000
MAX_ATTRS = 64
LONG_TAG_CHARS = 2_000
MAX_TEXT_CHARS = 500_000
MAX_LINES = 6_000
TITLE_CHARS = 300  # an article title is cut near this, on a word

_START_TAG = re.compile(r"<[A-Za-z]")
# a start tag's name, then whitespace: "a<b;" in an inline script is not a tag
_LONG_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9:-]*)(\s[^<>]{" + str(LONG_TAG_CHARS) + r",})>")
_ATTR = re.compile(r"""\s*[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>]*))?""")


@dataclass
class Bounds:
    """What a cut left, and Dropped notes saying what was cut."""

    text: str
    notes: list[Dropped] = field(default_factory=list)


def _cut_title(text: str, limit: int = TITLE_CHARS) -> str:
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    return (head[:space] if space >= limit * 2 // 3 else head).rstrip() + "…"


def _note(what: str) -> Dropped:
    return Dropped(None, "", f"bounded: {what}")


def bound_html(page: str) -> Bounds:
    """``page`` within the HTML caps."""
    notes: list[Dropped] = []
    page = _without_scripts(page)
    if len(page) > MAX_HTML_CHARS:
        notes.append(_note(f"read the first {MAX_HTML_CHARS:,} of {len(page):,} characters "
                           "(scripts and styles not counted)"))
        page = page[:MAX_HTML_CHARS]
    page, trimmed = _trim_long_tags(page)
    if trimmed:
        notes.append(_note(f"kept the first {MAX_ATTRS} attributes of {trimmed} tag(s)"))
    count = 0
    # every start tag begins with "<": a page with few of them needs no count
    for m in _START_TAG.finditer(page) if page.count("<") > MAX_NODES else ():
        count += 1
        if count > MAX_NODES:
            total = count + sum(1 for _ in _START_TAG.finditer(page, m.end()))
            notes.append(_note(f"read the first {MAX_NODES:,} of {total:,} elements"))
            page = page[: m.start()]
            break
    return Bounds(page, notes)


def _trim_long_tags(page: str) -> tuple[str, int]:
    """``page`` with every tag longer than ``LONG_TAG_CHARS`` cut to its first
    ``MAX_ATTRS`` attributes, and how many were cut. A tag lies within one "<"-delimited
    piece, so the regex runs on the few pieces long enough to hold one, not over the
    whole page (a C-level max over the pieces rules most pages out at once)."""
    pieces = page.split("<")
    if max(map(len, pieces)) <= LONG_TAG_CHARS:
        return page, 0
    trimmed = 0
    for i in range(1, len(pieces)):
        s = pieces[i]
        if len(s) <= LONG_TAG_CHARS or not (s[0].isascii() and s[0].isalpha()) \
                or s.find(">") < LONG_TAG_CHARS:
            continue
        m = _LONG_TAG.match("<" + s)
        if m is None:
            continue
        attrs = _ATTR.findall(m.group(2), 0)
        if len(attrs) > MAX_ATTRS:
            pieces[i] = f"{m.group(1)}{''.join(attrs[:MAX_ATTRS])}>" + s[m.end() - 1:]
            trimmed += 1
    return ("<".join(pieces) if trimmed else page), trimmed


def _without_scripts(page: str) -> str:
    """``page`` with the bodies of <script> and <style> elements removed (they are never
    story text, and inline scripts make up most of a big news page's bytes), except
    JSON-LD, which carries the metadata. A find()
    loop, not a lazy regex: an unclosed <script> repeated must not make it quadratic."""
    if len(page) <= MAX_HTML_CHARS:
        return page
    low = page.lower()
    out: list[str] = []
    pos = 0
    while True:
        s = low.find("<script", pos)
        t = low.find("<style", pos)
        start = min(x for x in (s, t, len(page)) if x >= 0)
        if start >= len(page):
            out.append(page[pos:])
            break
        name = "</script" if start == s else "</style"
        open_end = low.find(">", start)
        close = low.find(name, open_end if open_end >= 0 else start)
        if open_end >= 0 and close >= 0 and "ld+json" in low[start:open_end]:
            out.append(page[pos:close])  # JSON-LD is metadata (date, author): keep it
            pos = close
            continue
        out.append(page[pos: open_end + 1 if open_end >= 0 else start])
        if close < 0:
            break  # unclosed: the rest is script
        pos = close
    return "".join(out)


def bound_text(text: str) -> Bounds:
    """``text`` within the line and character caps, cut at a line end."""
    notes: list[Dropped] = []
    total_chars = len(text)
    if total_chars > MAX_TEXT_CHARS:
        cut = text.rfind("\n", 0, MAX_TEXT_CHARS)
        if cut < MAX_TEXT_CHARS // 2:  # one huge paragraph: cut it on a word instead
            cut = text.rfind(" ", 0, MAX_TEXT_CHARS)
        text = text[: cut if cut > 0 else MAX_TEXT_CHARS]
    lines = 0
    pos = text.find("\n")
    while pos >= 0:
        lines += 1
        if lines >= MAX_LINES:
            total = lines + text.count("\n", pos + 1)
            text = text[:pos]
            notes.append(_note(f"read the first {MAX_LINES:,} of {total:,}+ lines"))
            break
        pos = text.find("\n", pos + 1)
    if len(text) < total_chars and not notes:
        notes.append(_note(f"read the first {len(text):,} of {total_chars:,} characters"))
    elif total_chars > MAX_TEXT_CHARS:
        notes.append(_note(f"read the first {len(text):,} of {total_chars:,} characters"))
    return Bounds(text, notes)


def bound_input(text: str, is_html: bool) -> tuple[str, Callable[[CleanPage], CleanPage]]:
    """The clean entry point's hook: ``text`` within the caps for its kind, and a
    function that puts the cut notes first in the resulting story's ``dropped`` and
    cleans its title (controls and escape sequences removed, cut near 300 characters). (The
    visible text of an HTML page goes through ``bound_text`` where it is taken.)"""
    b = bound_html(text) if is_html else bound_text(text)

    def add_notes(story: CleanPage) -> CleanPage:
        if b.notes:
            story.dropped[:0] = b.notes
        if story.title:
            # a page's <title> is attacker-chosen too: no ESC/OSC or control characters
            # in what is stored and later printed, and no 10,000-character headline
            story.title = _cut_title(clean_title_text(story.title)) or None
        return story

    return b.text, add_notes

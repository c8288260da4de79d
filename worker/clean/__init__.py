"""page → story: HTML extraction, the seed-tuned text cleaner, metadata.

    story = clean_page(data, content_type="text/html; charset=utf-8", url=url)
    story.title, story.text, story.published, story.author, story.status

``clean_page`` never raises on bad input: empty, binary or oversized data gives a
``CleanPage`` with ``status`` set and empty text. ``explain_page`` gives the text path's
decision for every input line (what ``newsradar clean FILE --explain`` prints).
"""

from __future__ import annotations

import logging
from functools import lru_cache

from worker.budget import checkpoint

from ._bounds import bound_input, bound_text
from ._decode import MAX_BYTES, decode, looks_like_html
from ._htmlpath import MIN_BODY_CHARS, extract_html
from ._model import CleanPage, Dropped, LineDecision
from ._params import Params, load_params
from ._textpath import TextCleaner, TextResult, guess_language
from ._visible import html_to_text, visible_text

__all__ = ["CleanPage", "Dropped", "LineDecision", "Params", "clean_page", "clean_text",
           "explain_page", "load_params", "MAX_BYTES"]

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _default_cleaner() -> TextCleaner:
    """One cleaner over the configured parameters, built on first use (it keeps no
    per-call state, so every thread may share it)."""
    return TextCleaner(load_params())


def _text_cleaner(params: Params | None = None) -> TextCleaner:
    return TextCleaner(params) if params is not None else _default_cleaner()


def clean_text(text: str, *, fallback_title: str | None = None,
               params: Params | None = None) -> CleanPage:
    """The text path alone, on a plain-text page dump."""
    res = _text_cleaner(params).clean(text, fallback_title=fallback_title)
    return _story_from_text(res, method="text")


def _story_from_text(res: TextResult, method: str) -> CleanPage:
    pub = res.published
    return CleanPage(
        title=res.title, text=res.text, published=pub.when if pub else None,
        published_has_time=pub.has_time if pub else True, author=res.author,
        language=res.language, description=res.description, dropped=res.dropped,
        status="ok" if res.text else "no_body", method=method)


def clean_page(data: bytes | str, *, content_type: str | None = None, url: str | None = None,
               fallback_text: str | None = None, fallback_title: str | None = None) -> CleanPage:
    """Clean a fetched page (HTML or a plain-text dump) down to its story."""
    dec = decode(data, content_type)
    if dec.status != "ok":
        return CleanPage(title=fallback_title, status=dec.status, method="text")
    try:
        is_html = looks_like_html(dec.text, content_type)
        text, bounded = bound_input(dec.text, is_html)  # hostile input: caps (_bounds.py)
        if is_html:
            return bounded(_clean_html(text, url, fallback_text, fallback_title))
        story = bounded(clean_text(text, fallback_title=fallback_title))
    except Exception as exc:  # a stage boundary: one bad page must not stop the rest
        log.warning("clean_page %s: %s: %s", url or "(no url)", type(exc).__name__, exc)
        story = CleanPage(title=fallback_title, status="no_body", method="text",
                      dropped=[Dropped(None, "", f"error: {type(exc).__name__}")])
    if not story.text and fallback_text:
        return _from_feed(story, fallback_text)
    return story


def _clean_html(page: str, url: str | None, fallback_text: str | None,
                fallback_title: str | None) -> CleanPage:
    h = extract_html(page, url=url)
    pub = h.published
    story = CleanPage(
        title=h.title or fallback_title, text=h.text, published=pub.when if pub else None,
        published_has_time=pub.has_time if pub else True, author=h.author,
        site_name=h.site_name, language=h.language, description=h.description,
        dropped=h.dropped, status="ok", method="html")
    if len(h.text) < MIN_BODY_CHARS:
        checkpoint()  # a second pass over the page: stop here if the budget is spent
        # trafilatura found no or too little body: the text path on the visible text
        t = _text_cleaner().clean(bound_text(visible_text(page)).text, fallback_title=story.title)
        if len(t.text) > len(h.text):
            story.text, story.dropped, story.method = t.text, t.dropped, "text"
            story.title = story.title or t.title
            story.author = story.author or t.author
            story.description = story.description or t.description
            if story.published is None and t.published is not None:
                story.published, story.published_has_time = t.published.when, t.published.has_time
    if len(story.text) < MIN_BODY_CHARS and fallback_text:
        feed = _from_feed(CleanPage(**{**story.__dict__, "dropped": list(story.dropped)}),
                          fallback_text)
        if len(feed.text) > len(story.text):
            return feed
    story.language = story.language or guess_language(story.text)
    story.status = "ok" if story.text else "no_body"
    return story


def _from_feed(story: CleanPage, fallback_text: str) -> CleanPage:
    """The feed entry's own content, when the page gives no body."""
    text = html_to_text(fallback_text).strip()
    paras = [ln.strip() for ln in text.splitlines() if ln.strip()]
    story.text = "\n\n".join(paras)
    story.method = "feed"
    story.language = story.language or guess_language(story.text)
    story.status = "ok" if story.text else "no_body"
    return story


def explain_page(data: bytes | str, *, content_type: str | None = None) -> list[LineDecision]:
    """The text path's decision for every input line: (line_no, text, verdict, reason).

    HTML input is explained over its visible text, one block per line.
    """
    dec = decode(data, content_type)
    if dec.status != "ok":
        return [LineDecision(0, "", "DROP", f"input is {dec.status}")]
    text = visible_text(dec.text) if looks_like_html(dec.text, content_type) else dec.text
    res = _text_cleaner().clean(text, explain=True)
    decided = {d.line_no: d for d in res.decisions}
    out: list[LineDecision] = []
    for no, raw in enumerate(text.splitlines(), start=1):
        d = decided.get(no)
        if d is None:
            out.append(LineDecision(no, raw, "BLANK" if not raw.strip() else "DROP",
                                    "" if not raw.strip() else "metadata: date"))
        else:
            out.append(d)
    return out

"""The HTML path: trafilatura (precision settings, metadata on), then the text rules on
its lines; when trafilatura finds too little, the text path on the page's visible text,
then the feed entry's own content."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ._dates import FoundDate, parse_iso_like
from ._features import LineInfo
from ._model import Dropped
from ._rules import line_rule

MIN_BODY_CHARS = 250  # less than this from trafilatura is "no or too little body"

# rules that hold for trafilatura output too; ui words and rank numbers are left out
# because trafilatura's output has headings and list items that would look like them
_HTML_RULES = frozenset({"also_read", "byline", "date", "caption", "credit", "ai_disclaimer",
                         "advert", "subscribe", "share", "copyright", "contact", "link_row",
                         "comments", "promo", "list_label", "cookies"})

logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
logging.getLogger("htmldate").setLevel(logging.CRITICAL)


# htmldate with the time of day where the page gives one (the default is the day only)
_DATE_PARAMS = {"outputformat": "%Y-%m-%dT%H:%M:%S%z", "original_date": True,
                "extensive_search": True}


def _published(value: str | None) -> FoundDate | None:
    """htmldate's answer; midnight without a zone means it only knew the day."""
    if value and value.endswith("T00:00:00"):
        value = value[:10]
    return parse_iso_like(value)


@dataclass
class HtmlResult:
    title: str | None = None
    text: str = ""
    published: FoundDate | None = None
    author: str | None = None
    site_name: str | None = None
    language: str | None = None
    description: str | None = None
    dropped: list[Dropped] = field(default_factory=list)


def extract_html(page: str, url: str | None = None) -> HtmlResult:
    """trafilatura with precision settings; then our rules drop noise lines it kept."""
    import trafilatura

    res = HtmlResult()
    try:
        doc = trafilatura.bare_extraction(
            page, url=url, favor_precision=True, include_comments=False, with_metadata=True,
            include_tables=True, deduplicate=False, date_extraction_params=_DATE_PARAMS)
    except Exception:  # trafilatura/lxml failures on hostile markup: fall back
        doc = None
    if doc is None:
        return res
    res.title = doc.title or None
    res.author = doc.author or None
    res.site_name = doc.sitename or None
    res.language = doc.language or None
    res.description = doc.description or None
    res.published = _published(doc.date)
    res.text = filter_lines(doc.text or "", res.title, res.dropped)
    return res


def filter_lines(text: str, title: str | None, dropped: list[Dropped]) -> str:
    """Drop the rule-matched lines (and a repeated headline) from extracted text."""
    keep: list[str] = []
    tnorm = " ".join(title.lower().split()) if title else None
    for raw in text.splitlines():
        s = raw.strip()
        if not s:
            continue
        info = LineInfo(s)
        if tnorm and info.norm == tnorm:
            dropped.append(Dropped(None, s, "title_repeat"))
            continue
        rule = line_rule(info.text)
        if rule == "link_row" and s.startswith("|"):
            rule = None  # a table row, not a row of footer links
        if rule in _HTML_RULES and not (info.ends_sentence and info.n_words >= 25):
            dropped.append(Dropped(None, s, rule))
            continue
        keep.append(s)
    return "\n\n".join(keep)

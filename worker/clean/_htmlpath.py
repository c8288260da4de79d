"""The HTML path: trafilatura (precision settings, metadata on), then the text rules on
its lines; when trafilatura finds too little, the text path on the page's visible text,
then the feed entry's own content."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from ._bounds import bound_text
from ._dates import FoundDate, parse_iso_like
from ._features import LineInfo
from ._model import Dropped
from ._rules import line_rule

MIN_BODY_CHARS = 250  # less than this from trafilatura is "no or too little body"

# rules that hold for trafilatura output too; ui words and rank numbers are left out
# because trafilatura's output has headings and list items that would look like them
_HTML_RULES = frozenset({"also_read", "byline", "date", "caption", "credit", "ai_disclaimer",
                         "advert", "subscribe", "share", "copyright", "contact", "link_row",
                         "comments", "promo", "list_label", "cookies", "breadcrumb"})

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
    body = bound_text(doc.text or "")  # hostile input: the rules cost ~60 us a line
    res.dropped.extend(body.notes)
    res.text = filter_lines(body.text, res.title, res.dropped)
    return res


_NUMBERED = re.compile(r"^\d{1,2}[.)]\s+\S")


def filter_lines(text: str, title: str | None, dropped: list[Dropped]) -> str:
    """Drop the rule-matched lines (and a repeated headline) from extracted text, a
    caption split from its credit line, and numbered headline lists (trending, most
    read) that trafilatura keeps when a page gives it no structure to go on."""
    tnorm = " ".join(title.lower().split()) if title else None
    raws = [raw.strip() for raw in text.splitlines() if raw.strip()]
    infos = [LineInfo(s) for s in raws]  # .text is without a leading bullet or number
    rules: list[str | None] = []
    for s, info in zip(raws, infos):
        if tnorm and info.norm == tnorm:
            rules.append("title_repeat")
            continue
        rule = line_rule(info.text)
        if rule == "link_row" and s.startswith("|"):
            rule = None  # a table row, not a row of footer links
        ok = rule in _HTML_RULES and not (info.ends_sentence and info.n_words >= 25)
        rules.append(rule if ok else None)
    # a caption split from its credit line: "X" then "X | Photo: AP"
    for k in range(len(infos) - 1):
        a, b = infos[k], infos[k + 1]
        if rules[k] is None and rules[k + 1] == "caption" and len(a.norm) > 15 \
                and b.norm.startswith(a.norm):
            rules[k] = "caption_dup"
    _mark_headline_lists(raws, infos, rules)
    keep: list[str] = []
    for s, rule in zip(raws, rules):
        if rule is None:
            keep.append(s)
        else:
            dropped.append(Dropped(None, s, rule))
    return "\n\n".join(keep)


def _mark_headline_lists(raws: list[str], infos: list[LineInfo], rules: list[str | None]) -> None:
    """Three or more numbered lines in a row that read as headlines (mostly title
    case, no closing full stop) are a list of links, not the story's own list."""
    k = 0
    while k < len(infos):
        j = k
        while j < len(infos) and _NUMBERED.match(raws[j]) and rules[j] is None \
                and not infos[j].ends_sentence and infos[j].title_ratio >= 0.5:
            j += 1
        if j - k >= 3:
            for i in range(k, j):
                rules[i] = "headline_list"
        k = max(j, k + 1)

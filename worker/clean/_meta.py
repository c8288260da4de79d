"""A page's metadata from its own declarations: JSON-LD (schema.org Article and kin) first,
then Open Graph / article / Dublin Core / name= meta tags, then <title> and <html lang>.

This is one pass over <head> and the JSON-LD scripts, a fraction of the cost of
trafilatura's full metadata pass; the caller runs that pass only for what is missing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from ._dates import FoundDate, parse_iso_like

_ARTICLE_TYPES = re.compile(r"Article|BlogPosting|Report|WebPage|NewsArticle", re.I)
_TITLE_SEP = re.compile(r"\s+[|–—\-:·»]\s+")
_URLISH = re.compile(r"^(?:https?:)?//|^www\.|\.(?:com|org|net)\b", re.I)


@dataclass
class PageMeta:
    title: str | None = None
    published: FoundDate | None = None
    author: str | None = None
    site_name: str | None = None
    language: str | None = None
    description: str | None = None


def _clean(s: Any) -> str | None:
    if not isinstance(s, str):
        return None
    s = " ".join(s.split())
    return s or None


def _names(v: Any) -> list[str]:
    """Author names from a JSON-LD author value (a string, a Person, or a list)."""
    if isinstance(v, str):
        return [v]
    if isinstance(v, dict):
        n = v.get("name")
        return _names(n) if n else []
    if isinstance(v, list):
        out: list[str] = []
        for x in v:
            out += _names(x)
        return out
    return []


def _ld_objects(data: Any, depth: int = 0) -> list[dict[str, Any]]:
    if depth > 4:
        return []
    if isinstance(data, list):
        return [o for x in data for o in _ld_objects(x, depth + 1)]
    if isinstance(data, dict):
        out = [data]
        graph = data.get("@graph")
        if graph is not None:
            out += _ld_objects(graph, depth + 1)
        return out
    return []


def _ld_article(root: etree._Element) -> dict[str, Any] | None:
    best: dict[str, Any] | None = None
    for script in root.iterfind(".//script[@type='application/ld+json']"):
        raw = script.text or ""
        if not raw.strip() or len(raw) > 500_000:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        for obj in _ld_objects(data):
            t = obj.get("@type")
            types = " ".join(t) if isinstance(t, list) else str(t or "")
            if not _ARTICLE_TYPES.search(types):
                continue
            if "Article" in types or "Posting" in types or "Report" in types:
                return obj
            if best is None and ("headline" in obj or "datePublished" in obj):
                best = obj
    return best


def _author(value: str | None) -> str | None:
    if not value or _URLISH.search(value):
        return None
    return value


def page_meta(root: etree._Element) -> PageMeta:
    """What the page declares about itself; fields it does not declare stay None."""
    m = PageMeta()
    tags: dict[str, str] = {}
    for el in root.iterfind(".//meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        val = el.get("content")
        if key and val and key not in tags:
            tags[key] = val
    ld = _ld_article(root)
    if ld is not None:
        m.title = _clean(ld.get("headline"))
        names = [n for n in (_clean(x) for x in _names(ld.get("author"))) if n]
        m.author = _author("; ".join(dict.fromkeys(names))) if names else None
        m.published = parse_iso_like(_clean(ld.get("datePublished")))
        pub = ld.get("publisher")
        if isinstance(pub, dict):
            m.site_name = _clean(pub.get("name"))
        m.description = _clean(ld.get("description"))
    m.title = m.title or _clean(tags.get("og:title")) or _clean(tags.get("twitter:title"))
    if m.published is None:
        for key in ("article:published_time", "og:published_time", "datepublished",
                    "publishdate", "pubdate", "date", "dc.date", "dc.date.issued",
                    "dcterms.created", "parsely-pub-date", "sailthru.date", "publish-date"):
            if key in tags:
                m.published = parse_iso_like(_clean(tags[key]))
                if m.published is not None:
                    break
    if m.author is None:
        for key in ("author", "article:author", "parsely-author", "dc.creator",
                    "sailthru.author", "byl"):
            if key in tags:
                m.author = _author(_clean(tags[key]))
                if m.author:
                    if key == "byl" and m.author.lower().startswith("by "):
                        m.author = m.author[3:]
                    break
    if m.published is None:
        for el in root.xpath(".//*[contains(@itemprop, 'datePublished')]"):
            m.published = parse_iso_like(_clean(el.get("content") or el.get("datetime")
                                                or el.text_content()))
            if m.published is not None:
                break
    if m.published is None:
        for el in root.iterfind(".//time[@datetime]"):
            m.published = parse_iso_like(_clean(el.get("datetime")))
            break  # the first <time> only: later ones date comments and teasers
    m.site_name = _clean(tags.get("og:site_name")) or m.site_name
    m.description = _clean(tags.get("og:description")) or _clean(tags.get("description")) \
        or m.description
    if m.title is None:
        t = root.find(".//title")
        if t is not None and t.text:
            title = _clean(t.text)
            if title:
                parts = _TITLE_SEP.split(title)
                m.title = max(parts, key=len) if len(parts) > 1 else title
    lang = root.get("lang") or tags.get("og:locale") or tags.get("language")
    if lang:
        m.language = re.split(r"[-_]", lang.strip())[0].lower() or None
    return m

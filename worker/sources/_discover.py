"""Feed discovery in an HTML page: the ``<link rel="alternate">`` feeds it advertises.

Used when a feed URL turns out to serve a web page, so the error can offer the real feed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

__all__ = ["discover_feeds", "looks_like_html"]

_FEED_TYPES = {
    "application/rss+xml", "application/atom+xml", "application/rdf+xml",
    "application/feed+json", "application/json", "application/x-rss+xml", "text/xml",
    "application/xml",
}
_HTML_TAG = re.compile(r"<!doctype\s+html\b|<html\b|<head\b|<body\b", re.IGNORECASE)
_SCAN_LIMIT = 512 * 1024


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and a.get("href") and self.base is None:
            self.base = a["href"].strip()
        elif tag == "link":
            rel = a.get("rel", "").lower().split()
            kind = a.get("type", "").split(";")[0].strip().lower()
            if "alternate" in rel and kind in _FEED_TYPES and a.get("href", "").strip():
                self.links.append(a["href"].strip())

    handle_startendtag = handle_starttag


def discover_feeds(html: str, url: str) -> list[str]:
    """Absolute http(s) URLs of the feeds ``html`` (served at ``url``) links to, in page order."""
    collector = _LinkCollector()
    try:
        collector.feed(html[:_SCAN_LIMIT])
        collector.close()
    except Exception:  # noqa: BLE001, S110 - HTMLParser is lenient; a page never breaks discovery
        pass
    base = url
    if collector.base:
        try:
            base = urljoin(url, collector.base)
        except ValueError:
            pass
    found: list[str] = []
    for href in collector.links:
        try:
            absolute = urljoin(base, href)
        except ValueError:
            continue
        if absolute.lower().startswith(("http://", "https://")) and absolute not in found:
            found.append(absolute)
    return found


def looks_like_html(text: str) -> bool:
    """True if ``text`` starts like an HTML document rather than XML or JSON."""
    head = text[:4096]
    pos = 0
    while True:  # skip whitespace and comments without regex backtracking
        while pos < len(head) and head[pos].isspace():
            pos += 1
        if not head.startswith("<!--", pos):
            break
        end = head.find("-->", pos + 4)
        if end < 0:
            return False
        pos = end + 3
    return bool(_HTML_TAG.match(head, pos))

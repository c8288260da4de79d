"""HTML from feeds is sanitised the same way whatever the format (feedparser's rules)."""

from __future__ import annotations

import re

__all__ = ["sanitize_html"]

_TAG = re.compile(r"<[^>]*>")


def sanitize_html(html: str) -> str:
    """``html`` with scripts, event handlers and unsafe elements removed."""
    try:
        from feedparser.sanitizer import _sanitize_html

        return str(_sanitize_html(html, "utf-8", "text/html"))
    except Exception:  # private feedparser API moved or choked: fall back to plain text
        return _TAG.sub(" ", html)

"""The shared feed model every format is adapted to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["TITLE_MAX", "FeedEntry", "ParsedFeed"]

TITLE_MAX = 1000  # characters; longer titles are cut, not rejected


@dataclass
class FeedEntry:
    guid: str
    link: str | None  # absolute http(s), resolved against the feed URL / xml:base
    title: str | None
    published: datetime | None  # aware, UTC
    summary: str | None
    content: str | None
    author: str | None


@dataclass
class ParsedFeed:
    title: str | None
    site_url: str | None
    entries: list[FeedEntry]  # newest first
    problems: list[str] = field(default_factory=list)  # recoverable issues, human-readable
    format: str = "unknown"  # "rss20", "atom10", "rss10", "jsonfeed", ...

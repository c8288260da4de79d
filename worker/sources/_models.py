"""The shared feed model every format is adapted to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from worker.urls import canonical_url

__all__ = ["TITLE_MAX", "FeedEntry", "ParsedFeed"]

TITLE_MAX = 300  # characters; longer titles are cut near it on a word, not rejected


@dataclass
class FeedEntry:
    guid: str
    link: str | None  # absolute http(s), resolved against the feed URL / xml:base
    title: str | None
    published: datetime | None  # aware, UTC
    summary: str | None
    content: str | None
    author: str | None

    @property
    def canonical_link(self) -> str | None:
        """The link as deduplicated: a story whose GUID or title changes between polls
        keeps the same canonical link, so it is not alerted twice."""
        return canonical_url(self.link) if self.link else None


@dataclass
class ParsedFeed:
    title: str | None
    site_url: str | None
    entries: list[FeedEntry]  # newest first
    problems: list[str] = field(default_factory=list)  # recoverable issues, human-readable
    format: str = "unknown"  # "rss20", "atom10", "rss10", "jsonfeed", ...
    # Set when parse_feed(window=N) parsed only the newest N entries of a larger feed:
    # parses the others on demand, newest first (``entries`` + ``older().entries`` is
    # what a full parse returns, in the same order).
    older: Callable[[], ParsedFeed] | None = field(default=None, repr=False, compare=False)

"""The values the cleaner hands out: a CleanPage, what it dropped, and per-line decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Dropped:
    """One dropped line or block: its 1-based input line (None for HTML blocks), its text
    and the rule or feature that dropped it."""

    line: int | None
    text: str
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "text": self.text, "rule": self.rule}


@dataclass
class LineDecision:
    """What the text path decided for one input line (for ``--explain``)."""

    line_no: int
    text: str
    verdict: str  # "KEEP" | "DROP" ("BLANK" for an empty line)
    reason: str

    def __iter__(self):  # lets callers unpack (line_no, text, verdict, reason)
        return iter((self.line_no, self.text, self.verdict, self.reason))


@dataclass
class CleanPage:
    """A page cleaned down to its story and metadata.

    ``text`` holds the body paragraphs with one blank line between them.
    ``published`` is an aware datetime; ``published_has_time`` is False when the page
    gave only a day (the datetime is then midnight UTC of that day).
    ``status`` is "ok", "empty", "binary", "too_large" or "no_body".
    ``method`` says which path produced the body: "html", "text" or "feed".
    """

    title: str | None = None
    text: str = ""
    published: datetime | None = None
    author: str | None = None
    site_name: str | None = None
    language: str | None = None
    description: str | None = None
    dropped: list[Dropped] = field(default_factory=list)
    status: str = "ok"
    method: str = "text"
    published_has_time: bool = True

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict. ``published`` is ISO 8601, a bare date when only the day is known."""
        published: str | None = None
        if self.published is not None:
            published = (
                self.published.isoformat()
                if self.published_has_time
                else self.published.date().isoformat()
            )
        return {
            "title": self.title,
            "published": published,
            "author": self.author,
            "description": self.description,
            "site_name": self.site_name,
            "language": self.language,
            "text": self.text,
            "status": self.status,
            "method": self.method,
            "dropped": [d.to_dict() for d in self.dropped],
        }

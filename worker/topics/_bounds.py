"""What the matcher reads of a story: the title, the lead and a bounded body.

A story's cost to match grows with its length, and a 56,000-word page (or a hostile
one) must not cost more than a news story does. ``bounded_document`` keeps the title
(cut near ``MATCH_TITLE_CHARS``), the whole lead (the first paragraph, which the score
weighs double) and the body up to ``MATCH_BODY_CHARS`` characters, cut at a paragraph or
word boundary. When it cut anything it says so in a note the pipeline puts in the
match's explanation (``note_bounded``), so a reader knows what was not looked at.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ._model import Document, TopicMatch

__all__ = ["MATCH_BODY_CHARS", "MATCH_TITLE_CHARS", "Bounded", "bounded_document",
           "note_bounded"]

MATCH_TITLE_CHARS = 300
MATCH_BODY_CHARS = 30_000  # ~5,000 words: longer than nearly every news story
_LEAD_MAX_CHARS = 2_000  # the lead is kept whole up to this (the matcher reads 60 words)


@dataclass(frozen=True)
class Bounded:
    document: Document  # what to match
    note: str | None  # None when nothing was cut
    body_chars: int  # the body's length before the cut


def _cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a paragraph, line or word end."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    for sep in ("\n\n", "\n", " "):
        i = head.rfind(sep)
        if i >= limit // 2:
            return head[:i].rstrip()
    return head


def bounded_document(doc: Document, *, max_body_chars: int = MATCH_BODY_CHARS,
                     max_title_chars: int = MATCH_TITLE_CHARS) -> Bounded:
    """The part of ``doc`` the matcher reads, and a note when anything was cut."""
    title, body = doc.title or "", doc.body or ""
    cut_title = _cut(title, max_title_chars)
    # The lead (up to the first line break) always survives whole, within reason.
    lead_end = body.find("\n")
    lead_len = len(body) if lead_end < 0 else lead_end
    limit = max(max_body_chars, min(lead_len, _LEAD_MAX_CHARS))
    cut_body = _cut(body, limit)
    notes = []
    if len(cut_title) < len(title):
        notes.append(f"the title's first {len(cut_title):,} of {len(title):,} characters")
    if len(cut_body) < len(body):
        notes.append(f"the body's first {len(cut_body):,} of {len(body):,} characters "
                     "(the title and the lead are always read)")
    note = ("matched on " + " and ".join(notes)) if notes else None
    if note is None:
        return Bounded(doc, None, len(body))
    return Bounded(replace(doc, title=cut_title, body=cut_body), note, len(body))


def note_bounded(match: TopicMatch, note: str | None) -> TopicMatch:
    """Record ``note`` (from ``bounded_document``) in the match's explanation."""
    if note:
        explanation: dict[str, Any] = match.explanation
        explanation["bounded"] = note
    return match

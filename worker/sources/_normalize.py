"""Raw entries from any format -> FeedEntry: the rules every feed format shares.

* title: whitespace collapsed, cut to 1000 characters (never rejected);
* link: absolute http(s), resolved against the feed URL; anything else dropped;
* guid: the feed's id, else the canonical link, else a hash of title + summary;
  overlong ids are hashed; duplicates within one feed collapse to the first;
* published: aware UTC; missing or invalid dates are None (counted in problems);
* entries with nothing at all (no id, link, title or text) are skipped;
* order: newest first (undated entries after dated ones, in document order),
  optionally cut to the newest ``max_entries``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

from worker.sources._models import TITLE_MAX, FeedEntry
from worker.sources._sanitize import sanitize_html, strip_tags
from worker.urls import canonical_url

__all__ = ["RawEntry", "absolute_http", "clean_text", "normalize_entries"]

GUID_MAX = 512
TEXT_MAX = 1_000_000  # summary/content characters kept per entry
_SPACE = re.compile(r"\s+")
SANITIZE_BUDGET = 2_000_000  # characters of HTML sanitised per feed
_TAGLIKE = re.compile(r"</?[A-Za-z][^<>]*>|<!--")


@dataclass
class RawEntry:
    guid: str | None = None
    link: str | None = None
    title: str | None = None
    published: datetime | None = None
    summary: str | None = None
    content: str | None = None
    author: str | None = None
    bad_date: bool = False  # a date was given but could not be read


def clean_text(value: object, limit: int = TEXT_MAX) -> str | None:
    if value is None:
        return None
    text = str(value).replace("\x00", "").strip()
    return text[:limit] or None


def absolute_http(link: object, base: str) -> str | None:
    """``link`` made absolute against ``base``; None unless the result is http(s)."""
    text = clean_text(link, 8192)
    if not text:
        return None
    try:
        absolute = urljoin(base, text) if base else text
    except ValueError:
        return None
    if absolute.lower().startswith(("http://", "https://")) and len(absolute) > 8:
        return absolute
    return None


def _title(value: str | None) -> tuple[str | None, bool]:
    if value is None:
        return None, False
    text = value.replace("\x00", "")
    if _TAGLIKE.search(text):  # an HTML title (Atom type="html"): keep the words
        text = strip_tags(text)
    text = _SPACE.sub(" ", text).strip()
    if not text:
        return None, False
    if len(text) > TITLE_MAX:
        return text[: TITLE_MAX - 1] + "…", True
    return text, False


def _hash(*parts: str | None) -> str:
    digest = hashlib.sha256("\n".join(p or "" for p in parts).encode("utf-8", "replace"))
    return "sha256:" + digest.hexdigest()


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def normalize_entries(
    raw: list[RawEntry], feed_url: str, max_entries: int | None
) -> tuple[list[FeedEntry], list[str]]:
    problems: list[str] = []
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    duplicates = skipped = bad_dates = cut_titles = dropped_links = 0
    for item in raw:
        title, cut = _title(clean_text(item.title, 100_000))
        cut_titles += cut
        summary = clean_text(item.summary)
        content = clean_text(item.content)
        link = absolute_http(item.link, feed_url)
        if item.link and not link:
            dropped_links += 1
        guid = clean_text(item.guid, 100_000)
        if guid and len(guid) > GUID_MAX:
            guid = _hash(guid)
        if not guid:
            if link:
                guid = canonical_url(link)
            elif title or summary or content:
                guid = _hash(title, summary or content)
            else:
                skipped += 1
                continue
        if guid in seen:
            duplicates += 1
            continue
        seen.add(guid)
        published = _utc(item.published)
        if published is None:
            bad_dates += item.bad_date
        entries.append(
            FeedEntry(guid=guid, link=link, title=title, published=published, summary=summary,
                      content=content, author=clean_text(item.author, 1000))
        )
    if skipped:
        problems.append(f"skipped {skipped} entr{'y' if skipped == 1 else 'ies'} with no id, "
                        "link, title or text")
    if duplicates:
        problems.append(f"collapsed {duplicates} entr{'y' if duplicates == 1 else 'ies'} "
                        "with a duplicate GUID")
    if bad_dates:
        problems.append(f"{bad_dates} entr{'y has' if bad_dates == 1 else 'ies have'} an "
                        "unreadable date")
    if cut_titles:
        problems.append(f"truncated {cut_titles} title(s) longer than {TITLE_MAX} characters")
    if dropped_links:
        problems.append(f"dropped {dropped_links} link(s) that are not http(s) URLs")
    # Newest first; a stable sort keeps document order among equals and undated entries.
    epoch = datetime.min.replace(tzinfo=UTC)
    entries.sort(key=lambda e: e.published or epoch, reverse=True)
    if max_entries is not None and max_entries >= 0 and len(entries) > max_entries:
        problems.append(f"kept the newest {max_entries} of {len(entries)} entries")
        entries = entries[:max_entries]
    degraded = _sanitize_entries(entries)
    if degraded:
        problems.append(f"reduced the HTML of {degraded} field(s) to plain text (more than "
                        f"{SANITIZE_BUDGET} characters of markup in one feed)")
    return entries, problems


def _sanitize_entries(entries: list[FeedEntry]) -> int:
    """Sanitise summary/content HTML of the kept entries within a per-feed budget; past it,
    markup is stripped to text (linear) rather than sanitised (slow). Returns how many
    fields were stripped."""
    budget, degraded = SANITIZE_BUDGET, 0
    for entry in entries:
        for name in ("summary", "content"):
            value = getattr(entry, name)
            if not value or not _TAGLIKE.search(value):
                continue
            if len(value) <= budget:
                budget -= len(value)
                setattr(entry, name, sanitize_html(value) or None)
            else:
                degraded += 1
                setattr(entry, name, strip_tags(value) or None)
    return degraded

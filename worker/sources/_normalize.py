"""Raw entries from any format -> FeedEntry: the rules every feed format shares.

* title: tags removed, entities decoded, control and escape sequences removed,
  whitespace collapsed, cut near 300 characters on a word with "…" (never rejected);
* link: absolute http(s), resolved against the feed URL, spaces percent-encoded;
  anything else dropped, and so is a link to the feed itself ("?page=2", "#top");
* guid: the feed's id, else the canonical link, else a hash of title + summary;
  overlong ids are hashed; duplicates within one feed collapse to the first, unless
  their links differ: then the later one is keyed on GUID + link (``entry_key``);
* published: aware UTC; missing or invalid dates are None (counted in problems); a
  date later than the fetch time (plus ten minutes) is the fetch time;
* entries with nothing at all (no id, link, title or text) are skipped;
* order: newest first (undated entries after dated ones, in document order),
  optionally cut to the newest ``max_entries``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import urldefrag, urljoin

from worker.sources._models import TITLE_MAX, FeedEntry
from worker.sources._sanitize import sanitize_html, strip_tags
from worker.terminal import clean_title_text
from worker.urls import canonical_url

__all__ = ["RawEntry", "absolute_http", "clean_text", "entry_key", "feed_title", "guid_hash",
           "normalize_entries"]

GUID_MAX = 512
TEXT_MAX = 1_000_000  # summary/content characters kept per entry
_SPACE = re.compile(r"\s+")
SANITIZE_BUDGET = 2_000_000  # characters of HTML sanitised per feed
FIELD_TAGS_MAX = 20_000  # tags in one field past which it is reduced to text, not sanitised
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
        return _escape_unsafe(absolute)
    return None


def _escape_unsafe(url: str) -> str:
    # A space in a path is not a URL character: browsers send it as %20, and so do we
    # (http clients reject or mangle it otherwise).
    if not any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        return url
    return "".join(f"%{ord(c):02X}" if ord(c) <= 0x20 or ord(c) == 0x7F else c for c in url)


def points_at_feed(raw_link: object, absolute: str | None, feed_url: str) -> bool:
    """True for an item link that is the feed itself: "?page=2", "#top", "" or the feed's
    own URL. (An absolute ``https://site/?p=123`` under a feed at ``/?feed=rss2`` is a
    story, not the feed: only relative query or fragment links are refused.)"""
    text = str(raw_link or "").strip()
    if text.startswith(("?", "#")):
        return True
    if absolute is None:
        return False
    return urldefrag(absolute)[0] == urldefrag(_escape_unsafe(feed_url))[0]


# Raw title characters looked at: plenty for 300 clean ones, and cleaning 100,000-char
# titles (escapes, entities, tags) cost more than parsing them.
_TITLE_RAW_MAX = 8_000


def _title(value: str | None, *, collapse: bool = True) -> tuple[str | None, bool]:
    if value is None:
        return None, False
    text = value.replace("\x00", "")
    if _TAGLIKE.search(text):  # an HTML title (Atom type="html"): keep the words
        text = strip_tags(text)
    if "&" in text:  # "&#8217;" left by a double-escaping publisher
        text = unescape(text)
    text = clean_title_text(_SPACE.sub(" ", text) if collapse else text)
    if not text:
        return None, False
    if len(text) > TITLE_MAX:
        return cut_title(text, TITLE_MAX), True
    if len(value) >= _TITLE_RAW_MAX:  # the raw title was cut before cleaning
        return text[: TITLE_MAX - 1].rstrip() + "…", True
    return text, False


def feed_title(value: object) -> str | None:
    """A feed's own title, cleaned as entry titles are."""
    return _title(clean_text(value, _TITLE_RAW_MAX), collapse=False)[0]


def cut_title(text: str, limit: int = TITLE_MAX) -> str:
    """``text`` cut to at most ``limit`` characters on a word boundary, with "…"."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space >= limit * 2 // 3:
        head = head[:space]
    return head.rstrip(" ,;:-–—") + "…"


def entry_key(guid: str, link: str | None, other_link: str | None) -> str:
    """The key an entry is deduplicated on: its GUID, unless an entry already seen under
    that GUID (in this feed, or stored by the pipeline) has a different link; then the
    GUID and the canonical link, so that a publisher reusing one GUID for two stories
    does not lose the second. A story whose link only changed in tracking parameters
    keeps its GUID key."""
    if not link or not other_link:
        return guid
    mine, theirs = canonical_url(link), canonical_url(other_link)
    if mine == theirs:
        return guid
    return f"{guid} {mine}"


def _hash(*parts: str | None) -> str:
    digest = hashlib.sha256("\n".join(p or "" for p in parts).encode("utf-8", "replace"))
    return "sha256:" + digest.hexdigest()


def guid_hash(guid: str) -> str:
    """The key of an id longer than ``GUID_MAX``."""
    return _hash(guid)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


FUTURE_SKEW = timedelta(minutes=10)  # clocks disagree; later than this is clamped


def normalize_entries(
    raw: list[RawEntry], feed_url: str, max_entries: int | None,
    *, now: datetime | None = None,
) -> tuple[list[FeedEntry], list[str]]:
    problems: list[str] = []
    entries: list[FeedEntry] = []
    seen: dict[str, str | None] = {}  # guid -> its link
    duplicates = skipped = bad_dates = cut_titles = dropped_links = self_links = relinked = 0
    future = 0
    now = (now or datetime.now(UTC)).astimezone(UTC)
    for item in raw:
        title, cut = _title(clean_text(item.title, _TITLE_RAW_MAX))
        cut_titles += cut
        summary = clean_text(item.summary)
        content = clean_text(item.content)
        link = absolute_http(item.link, feed_url)
        if item.link and not link:
            dropped_links += 1
        elif item.link and points_at_feed(item.link, link, feed_url):
            link = None
            self_links += 1
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
            key = entry_key(guid, link, seen[guid])
            if key == guid or key in seen:
                duplicates += 1
                continue
            guid, relinked = key, relinked + 1
        seen[guid] = link
        published = _utc(item.published)
        if published is None:
            bad_dates += item.bad_date
        elif published > now + FUTURE_SKEW:
            published, future = now, future + 1  # "2100": it cannot sort above today's news
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
    if future:
        problems.append(f"{future} date(s) in the future: set to the fetch time")
    if cut_titles:
        problems.append(f"truncated {cut_titles} title(s) longer than {TITLE_MAX} characters "
                        "(cut on a word)")
    if dropped_links:
        problems.append(f"dropped {dropped_links} link(s) that are not http(s) URLs")
    if self_links:
        problems.append(f"dropped {self_links} link(s) to the feed itself (a query or "
                        "fragment only)")
    if relinked:
        problems.append(f"{relinked} entr{'y shares' if relinked == 1 else 'ies share'} a "
                        "GUID with another of a different link: keyed on GUID + link")
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
            # lxml's cleaner is slow per element: 390,000 unclosed tags cost 1.5 s
            if len(value) <= budget and value.count("<") <= FIELD_TAGS_MAX:
                budget -= len(value)
                setattr(entry, name, sanitize_html(value) or None)
            else:
                degraded += 1
                setattr(entry, name, strip_tags(value) or None)
    return degraded

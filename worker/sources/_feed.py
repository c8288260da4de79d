"""parse_feed(bytes) -> ParsedFeed: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed
ourselves; HTML pages, empty bodies, entity bombs and hopeless XML become FeedParseError.

feedparser only ever sees decoded, DOCTYPE-free UTF-8 from memory (never a URL or a file
name). A bozo feed still yields what parsed; the problem is recorded. A truncated feed
keeps only its complete entries, so a half-received item is not stored as if whole.
"""

from __future__ import annotations

import calendar
import io
import re
import time
import xml.sax
from datetime import UTC, datetime
from typing import Any

import feedparser

from worker.errors import FeedParseError
from worker.sources._discover import discover_feeds, looks_like_html
from worker.sources._jsonfeed import looks_like_json, parse_json_feed
from worker.sources._models import ParsedFeed
from worker.sources._normalize import RawEntry, absolute_http, clean_text, normalize_entries
from worker.sources._xmlsafe import decode_body, defuse, root_element, utf8_xml, without_cdata

__all__ = ["MAX_FEED_BYTES", "parse_feed"]

MAX_FEED_BYTES = 10 * 1024 * 1024
MAX_PARSE_ENTRIES = 5000  # entries handed to feedparser per parse, in document order
MAX_PARSE_TAGS = 400_000  # markup in those entries (a rich 5000-item feed has ~150,000)
_FEED_ROOTS = ("rss", "feed", "rdf", "channel")
_ABSOLUTE = re.compile(r"https?://", re.IGNORECASE)
_END_OF_INPUT = re.compile(r"no element found|unclosed token", re.IGNORECASE)
_CLOSED_ENTRY = re.compile(r"</(?:[\w.-]+:)?(?:item|entry)\s*>")


def parse_feed(
    content: bytes,
    *,
    url: str,
    content_type: str | None = None,
    max_entries: int | None = None,
    max_bytes: int = MAX_FEED_BYTES,
) -> ParsedFeed:
    """Entries of the feed in ``content`` (fetched from ``url``), newest first.

    Raises FeedParseError with ``code`` in: too_large, empty, not_a_feed (HTML page; the
    message lists the feeds it advertises), bad_json, entity_bomb, doctype_refused,
    truncated, bad_xml. Recoverable issues go to ``ParsedFeed.problems``.
    """
    try:
        return _parse(content, url, content_type, max_entries, max_bytes)
    except FeedParseError:
        raise
    except (RecursionError, MemoryError) as exc:  # a pathological document
        raise FeedParseError(f"feed {url}: document too deeply nested or too large to parse",
                             code="bad_xml") from exc
    except Exception as exc:  # never let a library surprise escape a stage
        raise FeedParseError(f"feed {url}: could not be parsed: {type(exc).__name__}: {exc}",
                             code="bad_xml") from exc


def _parse(
    content: bytes, url: str, content_type: str | None, max_entries: int | None, max_bytes: int
) -> ParsedFeed:
    if len(content) > max_bytes:
        raise FeedParseError(f"feed {url}: {len(content)} bytes is more than the "
                             f"{max_bytes}-byte limit", code="too_large")
    if not content.strip():
        raise FeedParseError(f"feed {url}: empty body, nothing to parse", code="empty")
    media, charset = _media_type(content_type)
    decoded = decode_body(content, charset, url)
    text = decoded.text
    if "\x00" in text:  # NUL is never valid in XML or JSON text; feedparser chokes on it
        problems_nul = f"removed {text.count(chr(0))} NUL character(s)"
        text = text.replace("\x00", "")
        decoded.problems.append(problems_nul)
    if not text.strip(" \t\r\n\ufeff\x00"):
        raise FeedParseError(f"feed {url}: empty body, nothing to parse", code="empty")
    if looks_like_json(text, media):
        feed = parse_json_feed(text, url=url, max_entries=max_entries)
        feed.problems[:0] = decoded.problems
        return feed
    root = root_element(text)
    if root is None and _starts_with_doctype(text):
        raise FeedParseError(f"feed {url}: unterminated DOCTYPE declaration",
                             code="doctype_refused")
    if looks_like_html(text) or root in ("html", "head", "body"):
        raise _not_a_feed_html(text, url)
    if root is None or root.split(":")[-1] not in _FEED_ROOTS:
        found = f"<{root}>" if root else "no XML element"
        if media and "html" in media:
            raise _not_a_feed_html(text, url)
        raise FeedParseError(f"feed {url}: not an RSS, Atom or JSON feed ({found} found)",
                             code="not_a_feed")
    safe, problems = defuse(text, url, max_expansion=max_bytes)
    problems[:0] = decoded.problems
    # No content-location: feedparser would resolve RSS <guid>s against it as if they were
    # links ("1234" -> "https://site/feeds/1234"). xml:base still applies; what stays
    # relative is resolved against ``url`` by the normaliser.
    head, cut = _first_entries(safe, MAX_PARSE_ENTRIES)
    if cut:
        problems.append(f"more than {MAX_PARSE_ENTRIES} entries: read the first "
                        f"{MAX_PARSE_ENTRIES} in document order")
    tags = without_cdata(head).count("<")
    if tags > MAX_PARSE_TAGS:
        # feedparser spends ~5 us per element even on well-formed input: 10 MB of tiny
        # elements would cost half a minute of CPU on every poll.
        raise FeedParseError(f"feed {url}: {tags} XML tags is more than the "
                             f"{MAX_PARSE_TAGS} newsradar parses in one feed", code="too_large")
    # HTML sanitising happens later, only for the entries kept, within a budget: done by
    # feedparser on every entry it took 18 s on 10 MB of dense markup.
    parsed = feedparser.parse(
        io.BytesIO(utf8_xml(head)),
        response_headers={"content-type": "application/xml; charset=utf-8"},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    return _adapt(parsed, safe, url, root, problems, max_entries, cut=cut)


def _first_entries(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut just after its ``limit``-th closed entry (feedparser spends ~50 us per
    entry; a 10 MB feed of tiny items would cost seconds), and whether it was cut."""
    for count, m in enumerate(_CLOSED_ENTRY.finditer(text), start=1):
        if count == limit:
            rest = text[m.end():]
            return (text[: m.end()], True) if _CLOSED_ENTRY.search(rest) else (text, False)
    return text, False


def _starts_with_doctype(text: str) -> bool:
    head = text.lstrip(" \t\r\n\ufeff")
    if head.startswith("<?"):
        end = head.find("?>")
        head = head[end + 2:].lstrip() if end >= 0 else ""
    return head[:9].upper() == "<!DOCTYPE"


def _media_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    main, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'") or None
    return main.strip().lower() or None, charset


def _not_a_feed_html(text: str, url: str) -> FeedParseError:
    feeds = discover_feeds(text, url)
    if feeds:
        offer = "; it links to feed(s): " + ", ".join(feeds[:5])
    else:
        offer = "; it advertises no feed (<link rel=\"alternate\">)"
    return FeedParseError(f"feed {url}: this is an HTML page, not a feed{offer}",
                          code="not_a_feed")


def _adapt(
    parsed: Any, text: str, url: str, root: str, problems: list[str], max_entries: int | None,
    *, cut: bool = False,
) -> ParsedFeed:
    version = parsed.get("version") or ""
    raw_entries = parsed.get("entries") or []
    truncated = _is_truncated(text, root)
    bozo = parsed.get("bozo_exception") if parsed.get("bozo") else None
    # The XML error of a truncated (or deliberately cut) feed ("no element found") says
    # less than our own note.
    if bozo is not None and not ((truncated or cut) and _END_OF_INPUT.search(str(bozo))):
        problems.append(_describe_bozo(bozo))
    if truncated:
        closed = len(_CLOSED_ENTRY.findall(text))
        if len(raw_entries) > closed:
            problems.append(f"dropped {len(raw_entries) - closed} incomplete entr"
                            f"{'y' if len(raw_entries) - closed == 1 else 'ies'} at the cut")
            raw_entries = raw_entries[:closed]
        if not raw_entries:
            raise FeedParseError(
                f"feed {url}: truncated XML (the <{root}> element is never closed) and no "
                "complete entry", code="truncated")
        kept = len(raw_entries)
        problems.append(f"truncated XML: the <{root}> element is never closed; kept "
                        f"{kept} complete entr{'y' if kept == 1 else 'ies'}")
    if not version and not raw_entries:
        detail = _describe_bozo(parsed.get("bozo_exception")) if parsed.get("bozo") else ""
        raise FeedParseError(f"feed {url}: not a usable RSS or Atom feed"
                             + (f" ({detail})" if detail else ""), code="bad_xml")
    raw = [_raw_entry(e) for e in raw_entries]
    entries, more = normalize_entries(raw, url, max_entries)
    head = parsed.get("feed") or {}
    return ParsedFeed(
        title=clean_text(head.get("title"), 1000),
        site_url=absolute_http(head.get("link"), url),
        entries=entries,
        problems=problems + more,
        format=version or "unknown",
    )


def _is_truncated(text: str, root: str) -> bool:
    tail = text.rstrip()
    # Allow trailing comments / PIs after the root element.
    while tail.endswith(("-->", "?>")):
        start = max(tail.rfind("<!--"), tail.rfind("<?"))
        if start < 0:
            break
        tail = tail[:start].rstrip()
    m = re.search(r"</\s*([\w:.-]+)\s*>\s*$", tail[-512:])
    return not (m and m.group(1).lower() == root)


def _describe_bozo(exc: object) -> str:
    if isinstance(exc, xml.sax.SAXParseException):
        return (f"not well-formed XML at line {exc.getLineNumber()}, column "
                f"{exc.getColumnNumber()}: {exc.getMessage()}; kept what parsed")
    name = type(exc).__name__ if exc is not None else "unknown problem"
    text = str(exc)[:300] if exc is not None else ""
    return f"feed problem ({name}): {text}".rstrip(": ")


def _raw_entry(e: Any) -> RawEntry:
    published, bad = _date(e, "published"), False
    if published is None:
        published = _date(e, "updated")
    if published is None:
        bad = bool(dict.get(e, "published") or dict.get(e, "updated") or dict.get(e, "created"))
    contents = e.get("content") or []
    content = None
    if contents:
        values = [c.get("value") for c in contents if isinstance(c, dict) and c.get("value")]
        content = max(values, key=len) if values else None
    guid = e.get("id") or e.get("guid")
    link = e.get("link")
    if link and e.get("guidislink") and link == guid and not _ABSOLUTE.match(str(link)):
        link = None  # feedparser copied a non-URL <guid> into the link
    return RawEntry(
        guid=guid,
        link=link,
        title=e.get("title"),
        published=published,
        summary=e.get("summary") or e.get("description"),
        content=content,
        author=e.get("author"),
        bad_date=bad,
    )


def _date(e: Any, key: str) -> datetime | None:
    parsed = dict.get(e, f"{key}_parsed")  # plain dict access: no feedparser key fallback
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None

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
from worker.sources._dates import parse_date
from worker.sources._discover import discover_feeds, looks_like_html
from worker.sources._jsonfeed import looks_like_json, parse_json_feed
from worker.sources._models import ParsedFeed
from worker.sources._normalize import (
    RawEntry,
    absolute_http,
    feed_title,
    normalize_entries,
)
from worker.sources._window import plan_window
from worker.sources._xmlsafe import decode_body, defuse, root_element, utf8_xml, without_cdata

__all__ = ["MAX_FEED_BYTES", "parse_feed"]

MAX_FEED_BYTES = 10 * 1024 * 1024
MAX_PARSE_ENTRIES = 2500  # entries handed to feedparser per parse, in document order
# feedparser spends 15-30 us per tag (both of its parsers run on ill-formed XML): one item
# with 390,000 unclosed tags cost 12 s. A rich 2500-item feed has ~75,000 tags.
MAX_PARSE_TAGS = 80_000  # markup read per feed; entries past it wait for the next poll
MAX_ENTRY_TAGS = 5_000  # markup in one entry; an entry with more is skipped
_FEED_ROOTS = ("rss", "feed", "rdf", "channel")
_ABSOLUTE = re.compile(r"https?://", re.IGNORECASE)
_END_OF_INPUT = re.compile(r"no element found|unclosed token", re.IGNORECASE)
_CLOSED_ENTRY = re.compile(r"</(?:[\w.-]+:)?(?:item|entry)\s*>")
_OPEN_ENTRY = re.compile(r"<(?:[\w.-]+:)?(?:item|entry)[\s>]")


def parse_feed(
    content: bytes,
    *,
    url: str,
    content_type: str | None = None,
    max_entries: int | None = None,
    max_bytes: int = MAX_FEED_BYTES,
    fetched_at: datetime | None = None,
    window: int | None = None,
) -> ParsedFeed:
    """Entries of the feed in ``content`` (fetched from ``url`` at ``fetched_at``, default
    now: later dates are clamped to it), newest first.

    ``window``: a caller that takes only the newest entries (the poller's cap) may get
    just the newest ``window`` of a larger feed in ``entries`` and the others from
    ``older()``, parsed only if asked (``_window.py``: the order is read from the raw dates
    and checked after parsing; a feed whose dates cannot be read first is parsed whole,
    ``older`` None). ``max_entries`` parses only the newest ``max_entries`` the same way.

    Raises FeedParseError with ``code`` in: too_large, empty, not_a_feed (HTML page; the
    message lists the feeds it advertises), bad_json, entity_bomb, doctype_refused,
    truncated, bad_xml. Recoverable issues go to ``ParsedFeed.problems``.
    """
    try:
        return _parse(content, url, content_type, max_entries, max_bytes, fetched_at, window)
    except FeedParseError:
        raise
    except (RecursionError, MemoryError) as exc:  # a pathological document
        raise FeedParseError(f"feed {url}: document too deeply nested or too large to parse",
                             code="bad_xml") from exc
    except Exception as exc:  # never let a library surprise escape a stage
        raise FeedParseError(f"feed {url}: could not be parsed: {type(exc).__name__}: {exc}",
                             code="bad_xml") from exc


def _parse(
    content: bytes, url: str, content_type: str | None, max_entries: int | None, max_bytes: int,
    fetched_at: datetime | None = None, window: int | None = None,
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
        feed = parse_json_feed(text, url=url, max_entries=max_entries,
                               max_items=MAX_PARSE_ENTRIES, fetched_at=fetched_at)
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
    head, cut, notes = _first_entries(safe, MAX_PARSE_ENTRIES, MAX_PARSE_TAGS, MAX_ENTRY_TAGS)
    problems.extend(notes)
    if _markup(head) > MAX_PARSE_TAGS + MAX_ENTRY_TAGS:
        # markup outside any closed entry (an unclosed one, or the channel itself)
        raise FeedParseError(f"feed {url}: more than {MAX_PARSE_TAGS} XML tags outside "
                             "its entries", code="too_large")
    head = _valid_char_refs(head)
    sizes = [n for n in (window, max_entries) if n is not None and n > 0]
    if sizes and not _is_truncated(safe, root):
        windowed = _newest_first(head, min(sizes), safe, url, root, problems,
                                 whole=max_entries is not None and min(sizes) == max_entries,
                                 cut=cut, now=fetched_at or datetime.now(UTC))
        if windowed is not None:
            return windowed
    return _adapt(_feedparser(head), safe, url, root, problems, max_entries, cut=cut, now=fetched_at)


def _feedparser(text: str) -> Any:
    # HTML sanitising happens later, only for the entries kept, within a budget: done by
    # feedparser on every entry it took 18 s on 10 MB of dense markup.
    return feedparser.parse(
        io.BytesIO(utf8_xml(text)),
        response_headers={"content-type": "application/xml; charset=utf-8"},
        sanitize_html=False,
        resolve_relative_uris=False,
    )


def _newest_first(
    head: str, size: int, safe: str, url: str, root: str, problems: list[str], *,
    whole: bool, cut: bool, now: datetime,
) -> ParsedFeed | None:
    """The newest ``size`` entries of ``head`` parsed alone (``_window.py``), the others
    left to ``older()`` (never, when ``whole``: the caller keeps only these); None when
    the dates cannot be read first or the parsed window is not what they promised."""
    plan = plan_window(head, size, now)
    if plan is None:
        return None
    feed = _adapt(_feedparser(plan.newest), safe, url, root, list(problems), None, cut=cut, now=now)
    if [(e.guid, e.published) for e in feed.entries] != plan.expected:
        return None  # feedparser read them otherwise (xml:base, an odd date): parse it whole
    if whole:
        feed.problems.append(f"kept the newest {size} of {plan.total} entries")
        return feed

    def older() -> ParsedFeed:
        try:
            return _adapt(_feedparser(plan.others), safe, url, root, [], None, cut=cut, now=now)
        except Exception as exc:  # the newest entries are in hand: keep them, say why no more
            return ParsedFeed(title=feed.title, site_url=feed.site_url, entries=[],
                              problems=[f"the entries after the newest {size} could not be "
                                        f"parsed: {type(exc).__name__}: {exc}"])

    feed.older = older
    return feed


def _first_entries(text: str, limit: int, max_tags: int, max_entry_tags: int
                   ) -> tuple[str, bool, list[str]]:
    """``text`` cut to what feedparser may read: at most ``limit`` closed entries (it spends
    ~50 us an entry) and ``max_tags`` tags in them (``_markup``), in document order, without the entries
    that hold more than ``max_entry_tags`` tags each. Returns the text, whether it was cut
    short (so that the missing end is not reported as truncation) and notes for problems."""
    pieces: list[str] = []
    count = tags = skipped = 0
    prev = 0
    notes: list[str] = []
    for m in _CLOSED_ENTRY.finditer(text):
        seg = text[prev:m.end()]
        seg_tags = _markup(seg)
        if seg_tags > max_entry_tags:
            seg = _reduced_entry(seg)
            seg_tags = _markup(seg)
            skipped += 1
        if tags + seg_tags > max_tags:
            notes.append(f"more than {max_tags} XML tags in the entries: read the first "
                         f"{count} entries in document order")
            return "".join(pieces) + _closing_tail(text), True, notes
        pieces.append(seg)
        tags += seg_tags
        count += 1
        prev = m.end()
        if count == limit:
            if _CLOSED_ENTRY.search(text, prev):
                notes.append(f"more than {limit} entries: read the first {limit} in "
                             "document order")
                return "".join(pieces) + _closing_tail(text), True, notes
            break
    if skipped:
        notes.append(f"reduced {skipped} entr{'y' if skipped == 1 else 'ies'} with more than "
                     f"{max_entry_tags} XML tags each to their short fields")
    pieces.append(text[prev:])
    return "".join(pieces), False, notes


_LEAF = re.compile(r"<([\w:.-]+)((?:\s[^<>]*)?)(?:/>|>([^<]{0,4000})</\1\s*>)")


def _reduced_entry(seg: str) -> str:
    """An entry too rich to parse, reduced to its short leaf elements (title, link, guid,
    dates, author...): the story is kept, its heavy markup is not read."""
    opener = None
    for found in _OPEN_ENTRY.finditer(seg):  # the last opener: where this entry starts
        opener = found
    if opener is None:
        return seg  # nothing to reduce to; the tag budget still applies
    start = opener.start()
    open_end = seg.find(">", start)
    closer = _CLOSED_ENTRY.search(seg, open_end)
    if open_end < 0 or closer is None:
        return seg[:start]
    leaves = []
    for leaf in _LEAF.finditer(seg, open_end + 1, closer.start()):
        leaves.append(leaf.group(0))
        if len(leaves) >= 50:
            break
    return seg[: open_end + 1] + "".join(leaves) + seg[closer.start():]


_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")


def _valid_char_refs(text: str) -> str:
    """Character references to no character (a lone surrogate "&#55296;", past U+10FFFF)
    become U+FFFD, and to control characters ("&#27;" = ESC) nothing: feedparser's loose
    parser crashed the whole feed on a surrogate, and ESC would reach titles and
    terminals."""
    if "&#" not in text:
        return text

    def fix(m: re.Match[str]) -> str:
        code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
        if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            return "&#xFFFD;"
        if (code < 0x20 and code not in (0x9, 0xA, 0xD)) or 0x7F <= code <= 0x9F:
            return ""
        return m.group(0)

    return _CHAR_REF.sub(fix, text)


def _markup(text: str) -> int:
    """feedparser's work on ``text`` in tags: each tag, and an eighth for each entity
    reference (expat reports text in pieces between references: 1.3 million ``&lt;`` in
    one item cost 2 s)."""
    return without_cdata(text).count("<") + text.count("&") // 8


def _closing_tail(text: str) -> str:
    """What follows the document's last closed entry (normally ``</channel></rss>``), so a
    cut feed stays well-formed: otherwise feedparser's strict parser fails at the end and
    its loose parser reads everything a second time."""
    last = max(text.rfind("</"), 0)
    while last > 0:
        m = _CLOSED_ENTRY.match(text, last)
        if m:
            tail = text[m.end():]
            return tail if tail.count("<") <= 100 else ""
        last = text.rfind("</", 0, last)
        if len(text) - last > 100_000:
            break
    return ""


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
    *, cut: bool = False, now: datetime | None = None,
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
    entries, more = normalize_entries(raw, url, max_entries, now=now)
    head = parsed.get("feed") or {}
    return ParsedFeed(
        title=feed_title(head.get("title")),
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
    published, bad = None, False
    for key in ("published", "updated"):
        published, verdict = _entry_date(e, key)
        bad = bad or verdict == "invalid"
        if published is not None:
            break
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


def _entry_date(e: Any, key: str) -> tuple[datetime | None, str]:
    """Our strict reading of the raw date (_dates.py); feedparser's only for the formats
    we do not read (it reads a zone it does not know as UTC and rolls month 13 over)."""
    raw = dict.get(e, key)
    if not raw:
        return None, "unknown"
    when, verdict = parse_date(raw)
    if verdict == "unknown":
        when = _date(e, key)
        verdict = "ok" if when is not None else "invalid"
    return when, verdict


def _date(e: Any, key: str) -> datetime | None:
    parsed = dict.get(e, f"{key}_parsed")  # plain dict access: no feedparser key fallback
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None

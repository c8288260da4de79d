"""JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1), which feedparser does not read."""

from __future__ import annotations

import json
import re
from datetime import datetime
from html import unescape
from typing import Any

from worker.errors import FeedParseError
from worker.sources._dates import parse_date
from worker.sources._models import ParsedFeed
from worker.sources._normalize import (
    RawEntry,
    absolute_http,
    feed_title,
    normalize_entries,
)
from worker.sources._sanitize import strip_tags

__all__ = ["looks_like_json", "parse_json_feed"]


def looks_like_json(text: str, content_type: str | None) -> bool:
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")):
        return True
    return bool(content_type and content_type.endswith("json") and not stripped.startswith("<"))


MAX_ITEMS = 2500  # items read per parse, in document order (as for XML feeds)
_SURROGATE = re.compile("[\ud800-\udfff]")
_TITLE_FROM_TEXT = 120  # characters of an untitled item's text used as its title


def parse_json_feed(text: str, *, url: str, max_entries: int | None,
                    max_items: int = MAX_ITEMS, fetched_at: datetime | None = None
                    ) -> ParsedFeed:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise FeedParseError(f"feed {url}: invalid JSON: {str(exc)[:200]}",
                             code="bad_json") from None
    if not isinstance(doc, dict):
        raise FeedParseError(f"feed {url}: JSON is not a JSON Feed object", code="not_a_feed")
    version = doc.get("version")
    problems: list[str] = []
    if not (isinstance(version, str) and version.startswith("https://jsonfeed.org/version/")):
        if not isinstance(doc.get("items"), list):
            raise FeedParseError(
                f"feed {url}: JSON without a JSON Feed \"version\" or \"items\": not a feed",
                code="not_a_feed",
            )
        problems.append("JSON Feed without a valid \"version\"")
    items = doc.get("items")
    if not isinstance(items, list):
        problems.append("JSON Feed \"items\" is missing or not a list")
        items = []
    base = absolute_http(doc.get("feed_url"), url) or url
    raw: list[RawEntry] = []
    malformed = 0
    if len(items) > max_items:
        # 100,000 items took 10 s to normalise on every poll; the per-poll cap then
        # keeps the newest ``max_entries`` of these.
        problems.append(f"more than {max_items} items: read the first {max_items} in "
                        "document order")
        items = items[:max_items]
    for item in items:
        if not isinstance(item, dict):
            malformed += 1
            continue
        raw.append(_entry(item))
    if malformed:
        problems.append(f"skipped {malformed} JSON Feed item(s) that are not objects")
    entries, more = normalize_entries(raw, base, max_entries, now=fetched_at)
    title = _str(doc.get("title"))
    return ParsedFeed(
        title=feed_title(title),
        site_url=absolute_http(doc.get("home_page_url"), url),
        entries=entries,
        problems=problems + more,
        format="jsonfeed",
    )


def _str(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        # "\ud800" is valid JSON but no character: it would crash every UTF-8 encoder
        # downstream (the database, --json output). Replaced here, once.
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, (int, float)):
        return str(value)
    return None


def _date(value: Any) -> tuple[datetime | None, bool]:
    """(when, whether a date was given but could not be read)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None, value is not None
    when, verdict = parse_date(value)
    return when, when is None and verdict != "ok"


def _title_from_text(text: str | None) -> str | None:
    if not text:
        return None
    words = " ".join(strip_tags(text[: _TITLE_FROM_TEXT * 20]).split())
    words = unescape(words)
    if len(words) <= _TITLE_FROM_TEXT:
        return words or None
    cut = words.rfind(" ", 0, _TITLE_FROM_TEXT)
    return words[: cut if cut > _TITLE_FROM_TEXT // 2 else _TITLE_FROM_TEXT].rstrip() + "…"


def _entry(item: dict[str, Any]) -> RawEntry:
    published, bad = _date(item.get("date_published"))
    if published is None:
        published, bad2 = _date(item.get("date_modified"))
        bad = bad or bad2
    html = _str(item.get("content_html"))
    content = html or _str(item.get("content_text"))  # HTML is sanitised by the normaliser
    author = None
    authors = item.get("authors")
    if isinstance(authors, list):
        names = [_str(a.get("name")) for a in authors if isinstance(a, dict)]
        author = ", ".join(n for n in names if n) or None
    elif isinstance(item.get("author"), dict):  # JSON Feed 1.0
        author = _str(item["author"].get("name"))
    link = _str(item.get("url")) or _str(item.get("external_url"))
    summary = _str(item.get("summary"))
    title = _str(item.get("title"))
    if not (title and title.strip()):
        # JSON Feed titles are optional (microblog posts): the start of the text instead
        title = _title_from_text(_str(item.get("content_text")) or summary or html)
    return RawEntry(
        guid=_str(item.get("id")),
        link=link,
        title=title,
        published=published,
        summary=summary,
        content=content,
        author=author,
        bad_date=bad,
    )

"""JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1), which feedparser does not read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from dateutil import parser as dateparser

from worker.errors import FeedParseError
from worker.sources._models import ParsedFeed
from worker.sources._normalize import RawEntry, absolute_http, clean_text, normalize_entries

__all__ = ["looks_like_json", "parse_json_feed"]


def looks_like_json(text: str, content_type: str | None) -> bool:
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")):
        return True
    return bool(content_type and content_type.endswith("json") and not stripped.startswith("<"))


def parse_json_feed(text: str, *, url: str, max_entries: int | None) -> ParsedFeed:
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
    for item in items:
        if not isinstance(item, dict):
            malformed += 1
            continue
        raw.append(_entry(item))
    if malformed:
        problems.append(f"skipped {malformed} JSON Feed item(s) that are not objects")
    entries, more = normalize_entries(raw, base, max_entries)
    title = doc.get("title")
    return ParsedFeed(
        title=clean_text(title, 1000) if isinstance(title, str) else None,
        site_url=absolute_http(doc.get("home_page_url"), url),
        entries=entries,
        problems=problems + more,
        format="jsonfeed",
    )


def _str(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _date(value: Any) -> tuple[datetime | None, bool]:
    text = _str(value)
    if not text:
        return None, False
    try:
        when = datetime.fromisoformat(text.strip())  # 3.11 reads "Z" too
    except ValueError:
        try:
            when = dateparser.isoparse(text.strip())
        except (ValueError, OverflowError):
            return None, True
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC), False
    except (OverflowError, ValueError):
        return None, True


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
    return RawEntry(
        guid=_str(item.get("id")),
        link=link,
        title=_str(item.get("title")),
        published=published,
        summary=summary,
        content=content,
        author=author,
        bad_date=bad,
    )

"""Feeds and topics added outside the YAML (the console, ``newsradar feeds add`` and
``feeds import``): the only module that changes ``console_feeds``. ``effective_config``
is the YAML plus these; the runner and the service build their context from it.
Feed rows themselves change in ``worker.pipeline.feeds``, which this module calls.

The ``config`` these functions take is the YAML's (``load_config``), not the effective
one: a feed is "defined in config" (read-only here) when the YAML names it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from xml.sax.saxutils import quoteattr

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from worker.config import Config, FeedConfig, TopicConfig
from worker.errors import FeedParseError, FetchError
from worker.pipeline import feeds
from worker.pipeline.context import Context, build_index, network_policy
from worker.redact import redact
from worker.sources import FEED_ACCEPT, FetchLimits, discover_feeds, fetch, parse_feed
from worker.sources._discover import looks_like_html
from worker.store import ConsoleFeed, ConsoleTopic, Feed


class FeedChangeError(Exception):
    """A feed change that cannot be made. ``kind``: invalid | conflict | not_found
    (the console maps these to 422, 409 and 404; the CLI to exit 2)."""

    def __init__(self, kind: str, title: str, detail: str, *, field: str | None = None) -> None:
        # the detail names the URL: shown on a page, put in a redirect's query, logged
        detail = redact(detail)
        super().__init__(detail)
        self.kind, self.title, self.detail, self.field = kind, title, detail, field


def effective_config(config: Config, session: Session) -> Config:
    """``config`` with the feeds and topics created in the console added (config-defined
    items win on a clash)."""
    urls = {f.url for f in config.feeds}
    ids = {t.id for t in config.topics}
    extra = [
        FeedConfig(url=f.url, name=f.name, poll_interval=f.poll_interval_s, enabled=f.enabled)
        for f in session.scalars(select(ConsoleFeed).order_by(ConsoleFeed.created_at))
        if f.url not in urls
    ]
    topics = list(config.topics) + [
        topic_config(t) for t in session.scalars(select(ConsoleTopic).order_by(ConsoleTopic.id))
        if t.id not in ids
    ]
    return config.model_copy(update={"feeds": list(config.feeds) + extra, "topics": topics})


def console_version(session: Session) -> tuple[Any, ...]:
    """Changes whenever a console feed or topic is added, changed or removed: a long-running
    runner compares it between passes and rebuilds its context only when it moved."""
    fc = session.execute(select(func.count(), func.max(ConsoleFeed.created_at),
                                func.sum(cast(ConsoleFeed.enabled, Integer)))).one()
    tc = session.execute(select(func.count(), func.max(ConsoleTopic.updated_at))
                         .select_from(ConsoleTopic)).one()
    return (*fc, *tc)


def topic_config(t: ConsoleTopic) -> TopicConfig:
    return TopicConfig(id=t.id, name=t.name, query=t.query, min_score=t.min_score,
                       channels=list(t.channels or []), enabled=t.enabled, mode=t.mode or "instant",
                       max_per_hour=t.max_per_hour)


def origin(session: Session, config: Config, url: str) -> str:
    """config (the YAML: read-only here) | console (added by console or CLI) | removed."""
    if any(fc.url == url for fc in config.feeds):
        return "config"
    return "console" if session.get(ConsoleFeed, url) is not None else "removed"


def _check_url(url: str) -> None:
    try:
        FeedConfig(url=url)
    except ValueError as exc:
        raise FeedChangeError("invalid", "Invalid input", f"expected an http(s) URL (got {url!r})",
                              field="url") from exc


@dataclass
class DiscoveredFeed:
    url: str
    title: str | None
    entries: int


def discover_feed(config: Config, url: str, *, timeout: float = 20.0) -> DiscoveredFeed:
    """Fetch ``url`` through the SSRF guard; an HTML page is searched for its
    ``<link rel="alternate">`` feeds and the first one is taken, fetched and parsed."""
    _check_url(url)
    limits, policy = FetchLimits(total_timeout=timeout), network_policy(config)
    try:
        res = fetch(url.strip(), limits=limits, policy=policy, accept=FEED_ACCEPT)
        head = res.content[:65536].decode(res.charset or "utf-8", "replace")
        if looks_like_html(head):
            candidates = discover_feeds(res.content.decode(res.charset or "utf-8", "replace"), res.final_url)
            if not candidates:
                raise FeedChangeError("invalid", "Invalid input",
                                      f"{url} is a web page that links to no feed (no <link rel=\"alternate\">)",
                                      field="url")
            url = candidates[0]
            res = fetch(url, limits=limits, policy=policy, accept=FEED_ACCEPT)
        parsed = parse_feed(res.content, url=res.final_url, content_type=res.content_type)
    except (FetchError, FeedParseError) as exc:
        raise FeedChangeError("invalid", "Invalid input", f"{url}: [{exc.code}] {exc}", field="url") from exc
    return DiscoveredFeed(url=url, title=parsed.title, entries=len(parsed.entries))


def add_feed(session: Session, config: Config, url: str, *, name: str | None = None,
             poll_interval: float = 900.0, now: datetime, discover: bool = True) -> Feed:
    """Add a feed outside the YAML (stored in ``console_feeds``, due at once). With
    ``discover`` the URL is fetched first: a page's linked feed is found, a broken feed
    is refused with the fetch or parse error."""
    url = url.strip()
    title = None
    if discover:
        found = discover_feed(config, url)
        url, title = found.url, found.title
    else:
        _check_url(url)
    if any(fc.url == url for fc in config.feeds):
        raise FeedChangeError("conflict", "Already defined", f"{url} is defined in config", field="url")
    if session.get(ConsoleFeed, url) is not None:
        raise FeedChangeError("conflict", "Already added", f"{url} is already a feed", field="url")
    session.add(ConsoleFeed(url=url, name=name or title, poll_interval_s=poll_interval,
                            enabled=True, created_at=now))
    return feeds.upsert_feed(session, url, name=name, title=title, poll_interval=poll_interval, now=now)


def _console_feed(session: Session, config: Config, feed_id: int) -> tuple[Feed, ConsoleFeed]:
    feed = session.get(Feed, feed_id)
    if feed is None:
        raise FeedChangeError("not_found", "Not found", f"no feed {feed_id}")
    if any(fc.url == feed.url for fc in config.feeds):
        raise FeedChangeError("conflict", "Defined in config",
                              f"feed {feed_id} is defined in config: change it in the YAML file")
    cf = session.get(ConsoleFeed, feed.url)
    if cf is None:
        raise FeedChangeError("conflict", "Not a console feed", f"feed {feed_id} is no longer configured")
    return feed, cf


def remove_feed(session: Session, config: Config, feed_id: int) -> Feed:
    """Remove a console feed: marked removed, not polled; its articles and alerts stay."""
    feed, cf = _console_feed(session, config, feed_id)
    session.delete(cf)
    feeds.mark_removed(session, feed)
    return feed


def set_feed_enabled(session: Session, config: Config, feed_id: int, enabled: bool,
                     now: datetime) -> Feed:
    """Enable or disable a feed. A console feed's setting is stored; a config feed may be
    re-enabled (a gone one revived) but is disabled only in its YAML."""
    feed = session.get(Feed, feed_id)
    if feed is None:
        raise FeedChangeError("not_found", "Not found", f"no feed {feed_id}")
    if feed.status == "removed":
        raise FeedChangeError("conflict", "Removed", f"feed {feed_id} is no longer configured")
    cf = session.get(ConsoleFeed, feed.url)
    if cf is None and not enabled:
        raise FeedChangeError("conflict", "Defined in config",
                              f"feed {feed_id} is defined in config: set enabled: false in the YAML file")
    if cf is not None:
        cf.enabled = enabled
    return feeds.set_feed_enabled(session, feed_id, enabled, now)


def export_opml(session: Session, config: Config) -> str:
    """Every feed (config and console) as OPML 2.0."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">',
             "  <head><title>newsradar feeds</title></head>", "  <body>"]
    for fc in effective_config(config, session).feeds:
        text = fc.name or fc.url
        lines.append(f"    <outline type=\"rss\" text={quoteattr(text)} title={quoteattr(text)} "
                     f"xmlUrl={quoteattr(fc.url)}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "url: why"


def import_opml(session: Session, config: Config, text: str | bytes, now: datetime) -> ImportResult:
    """Add every ``<outline xmlUrl=…>`` not yet known, as console feeds (not fetched
    here: the next pass polls them and records any error on the feed)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise FeedChangeError("invalid", "Invalid input", "OPML with a DOCTYPE or ENTITY declaration is refused",
                              field="file")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise FeedChangeError("invalid", "Invalid input", f"not OPML: {exc}", field="file") from exc
    result = ImportResult()
    for node in root.iter("outline"):
        url = (node.get("xmlUrl") or "").strip()
        if not url:
            continue
        try:
            add_feed(session, config, url, name=node.get("title") or node.get("text"), now=now,
                     discover=False)
            result.added.append(url)
        except FeedChangeError as exc:
            result.skipped.append(f"{url}: {exc.detail}")
    return result


def apply_console(ctx: Context, base: Config) -> tuple[Any, ...]:
    """Point ``ctx`` at ``base`` plus the console's feeds and topics (the topic index is
    rebuilt); returns the ``console_version`` it reflects, for the next comparison."""
    with ctx.session() as s:
        ctx.config = effective_config(base, s)
        version = console_version(s)
    ctx.index = build_index(ctx.config)
    return version


def console_feed_urls(session: Session) -> set[str]:
    return set(session.scalars(select(ConsoleFeed.url)))


def with_console(ctx: Context, base: Config,
                 version: tuple[Any, ...] | None) -> tuple[Context, tuple[Any, ...]]:
    """``(ctx, version)`` unchanged while ``console_version`` is ``version``; otherwise a
    Context with ``effective_config(base)`` and its topic index, sharing ctx's engine,
    client, channels and gate (the console adds feeds and topics, not channels or network
    settings), and the new version. Old and new contexts may be used side by side, so the
    service's worker threads never see a context half changed."""
    with ctx.session() as s:
        now_version = console_version(s)
        if now_version == version:
            return ctx, now_version
        config = effective_config(base, s)
    return replace(ctx, config=config, index=build_index(config)), now_version

"""Feeds: the feeds table follows the config; ``poll_feed`` fetches one feed (conditional
GET), parses it, hands its new entries to ``articles.store_entries`` and records the
outcome on the feed (backoff on errors, ``gone`` on 410). The only module that changes
a feed row, including its health incident (``check_feed_health`` asks here)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from worker.config import Config, FeedConfig
from worker.errors import (
    ErrorCode,
    FeedParseError,
    FetchError,
    NewsradarError,
    as_newsradar_error,
    error_code,
    short_message,
)
from worker.pipeline import articles
from worker.pipeline._common import INFRA_ERRORS, fetch_via, storable
from worker.pipeline.context import Context
from worker.pipeline.states import FeedStatus, move, sources_of
from worker.retry import feed_backoff
from worker.sources import FEED_ACCEPT, FeedEntry, ParsedFeed, parse_feed
from worker.store import ConsoleFeed, Feed
from worker.store.rows import claim_columns, insert_or_skip, rowcount

log = logging.getLogger(__name__)


def settings_hash(fc: FeedConfig, config: Config) -> str:
    """What a feed is polled under: its own settings and the network policy. A change
    (an allowlist entry added, a new interval) retries a backed-off or gone feed at once."""
    data = {"feed": fc.model_dump(mode="json"), "network": config.network.model_dump(mode="json")}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def sync_feeds(ctx: Context) -> None:
    """Make the feeds table reflect the config: new feeds are due now; a feed whose
    settings or network policy changed is due now with its backoff cleared (a gone feed
    is tried again); feeds no longer configured are marked removed and stop being polled
    (their articles and alerts stay). Feeds created in the web console or with `feeds add`
    are left as they are even when ``ctx.config`` is the bare config file (a context
    built without ``effective_config``): the console and the CLI enable and disable them."""
    now = ctx.now()
    with ctx.session() as s:
        existing = {f.url: f for f in s.scalars(select(Feed))}
        configured = set(s.scalars(select(ConsoleFeed.url)))  # added by console or CLI
        for fc in ctx.config.feeds:
            configured.add(fc.url)
            feed = existing.get(fc.url)
            digest = settings_hash(fc, ctx.config)
            if feed is None:
                s.execute(
                    insert_or_skip(s, Feed)
                    .values(
                        url=fc.url,
                        name=fc.name,
                        enabled=fc.enabled,
                        poll_interval_s=fc.poll_interval,
                        next_poll_at=now,
                        status=FeedStatus.NEW.value,
                        consecutive_errors=0,
                        settings_hash=digest,
                        created_at=now,
                    )
                    .on_conflict_do_nothing()
                )
                continue
            feed.name = fc.name
            feed.poll_interval_s = fc.poll_interval
            if feed.status == FeedStatus.REMOVED:
                move(feed, FeedStatus.NEW)  # configured again
                feed.next_poll_at = now
            if feed.enabled != fc.enabled:
                feed.enabled = fc.enabled
                if fc.enabled and feed.next_poll_at is None:
                    feed.next_poll_at = now
            if feed.settings_hash != digest:
                if feed.settings_hash is not None and feed.status in (FeedStatus.ERROR, FeedStatus.GONE):
                    _clear_backoff(feed, now)
                feed.settings_hash = digest
        for url, feed in existing.items():
            if url not in configured and feed.status != FeedStatus.REMOVED:
                feed.enabled = False
                move(feed, FeedStatus.REMOVED)
                feed.next_poll_at = None


def _clear_backoff(feed: Feed, now: datetime) -> None:
    feed.next_poll_at = now
    feed.consecutive_errors = 0
    feed.claimed_until = None
    if feed.status == FeedStatus.GONE:
        move(feed, FeedStatus.NEW)  # polled again; a second 410 marks it gone again


class FeedNotFound(LookupError):
    """No feed with that id."""


def refresh_feed(session: Session, feed_id: int, now: datetime) -> Feed:
    """Poll at the next pass: due now, backoff cleared (error streak back to 0), a gone
    feed tried again. State only: works for config and console feeds alike."""
    feed = session.get(Feed, feed_id)
    if feed is None:
        raise FeedNotFound(feed_id)
    _clear_backoff(feed, now)
    session.flush()
    return feed


def refresh_all(session: Session, now: datetime) -> list[Feed]:
    """``refresh_feed`` for every feed still configured (not removed)."""
    feeds = list(session.scalars(select(Feed).where(Feed.status != FeedStatus.REMOVED).order_by(Feed.id)))
    for feed in feeds:
        _clear_backoff(feed, now)
    session.flush()
    return feeds


def set_feed_enabled(session: Session, feed_id: int, enabled: bool, now: datetime) -> Feed:
    """Turn polling on or off; enabling makes the feed due now and revives a gone one."""
    feed = session.get(Feed, feed_id)
    if feed is None:
        raise FeedNotFound(feed_id)
    feed.enabled = enabled
    if enabled:
        _clear_backoff(feed, now)
    session.flush()
    return feed


def upsert_feed(session: Session, url: str, *, name: str | None, title: str | None,
                poll_interval: float, now: datetime) -> Feed:
    """The feed row for a newly added feed (console or CLI): created, or a removed row
    brought back; due now either way."""
    feed = session.scalar(select(Feed).where(Feed.url == url))
    if feed is None:
        feed = Feed(url=url, created_at=now, status=FeedStatus.NEW.value, consecutive_errors=0)
        session.add(feed)
    elif feed.status == FeedStatus.REMOVED:
        move(feed, FeedStatus.NEW)
    feed.name, feed.enabled, feed.poll_interval_s = name or title, True, poll_interval
    feed.title = feed.title or title
    _clear_backoff(feed, now)
    session.flush()
    return feed


def mark_removed(session: Session, feed: Feed) -> None:
    """No longer configured: not polled, not listed as active; articles and alerts stay."""
    feed.enabled = False
    move(feed, FeedStatus.REMOVED)
    feed.next_poll_at = None
    session.flush()


def due_feeds(ctx: Context, now: datetime | None = None, limit: int = 500) -> list[int]:
    now = now or ctx.now()
    with ctx.session() as s:
        return list(
            s.scalars(
                select(Feed.id)
                .where(
                    Feed.enabled.is_(True),
                    Feed.status.not_in((FeedStatus.GONE, FeedStatus.REMOVED)),
                    or_(Feed.next_poll_at.is_(None), Feed.next_poll_at <= now),
                    or_(Feed.claimed_until.is_(None), Feed.claimed_until < now),
                )
                .order_by(Feed.next_poll_at)
                .limit(limit)
            )
        )


@dataclass
class PollResult:
    feed_id: int
    new_article_ids: list[int] = field(default_factory=list)
    new_article_hosts: dict[int, str] = field(default_factory=dict)  # id -> its page's host
    not_modified: bool = False
    skipped: bool = False
    error: str | None = None
    error_code: ErrorCode | None = None
    retry_after: float | None = None
    problems: list[str] = field(default_factory=list)


def poll_feed(ctx: Context, feed_id: int, *, force: bool = False) -> PollResult:
    """Fetch one feed (conditional GET), parse it and store its new entries.

    A feed not due (or claimed by another poller) is skipped, so a duplicate poll
    message costs one UPDATE. Errors are recorded on the feed, which backs off
    (interval doubling up to 24 h) and recovers on its first success."""
    now = ctx.now()
    due: list[ColumnElement[bool]] = [Feed.enabled.is_(True)]
    if not force:
        due.append(or_(Feed.next_poll_at.is_(None), Feed.next_poll_at <= now))
    # one round trip: the claim hands back what the poll needs, in a statement that
    # commits itself without waiting for the WAL flush (a claim lost in a database
    # crash only means the feed is polled again)
    claimed = claim_columns(ctx.engine, Feed, feed_id, now, ctx.claim_lease, *due,
                            columns=[Feed.url, Feed.etag, Feed.last_modified, Feed.poll_interval_s],
                            lazy_commit=True)
    if claimed is None:
        return PollResult(feed_id, skipped=True)
    url, etag, last_modified, interval = tuple(claimed)[:4]

    result = PollResult(feed_id)
    try:
        fetched = fetch_via(ctx, url, etag=etag, last_modified=last_modified, accept=FEED_ACCEPT)
        if fetched.not_modified:
            result.not_modified = True
            _feed_succeeded(ctx, feed_id, interval, etag=etag, last_modified=last_modified,
                            not_modified=True)
            return result
        parsed = parse_feed(
            fetched.content,
            url=fetched.final_url,
            content_type=fetched.content_type,
            fetched_at=now,  # a date later than the fetch is clamped to it
            # a large feed: its newest entries first, the others parsed only if fewer
            # than the cap of them are new (parsing them all is most of a poll's CPU)
            window=ctx.config.run.max_entries_per_poll,
        )
    except (FetchError, FeedParseError) as exc:
        return _feed_failed(ctx, feed_id, interval, exc, result)
    except Exception as exc:  # a bug or a library surprise: record it, never lose the feed
        log.exception("poll_feed %s: unexpected error", url)
        return _feed_failed(ctx, feed_id, interval, as_newsradar_error(exc), result)

    cap = ctx.config.run.max_entries_per_poll
    result.problems = list(parsed.problems)
    try:
        # the new articles and the feed's outcome: one transaction, one commit
        with ctx.session() as s:
            stored = articles.store_entries(ctx, feed_id, parsed.entries, cap, now,
                                            _older_entries(parsed, result.problems), session=s)
            result.new_article_ids = stored.article_ids
            result.new_article_hosts = stored.hosts
            result.problems += stored.problems
            capped = stored.capped
            _feed_succeeded(
                ctx,
                feed_id,
                interval,
                # When capped, forget the validators so that the next poll sees the rest,
                # and come back soon rather than after a full interval.
                etag=None if capped else fetched.etag,
                last_modified=None if capped else fetched.last_modified,
                title=storable(parsed.title),
                site_url=storable(parsed.site_url),
                problems=result.problems,
                new_entries=bool(result.new_article_ids),
                next_in=min(interval, 60.0) if capped else None,
                session=s,
            )
    except INFRA_ERRORS:
        raise  # the database itself: the task retries, the claim expires for the sweep
    except Exception as exc:  # one odd entry must not stop the run or keep the feed claimed
        log.exception("poll_feed %s: cannot store the entries", url)
        result.new_article_ids = []
        return _feed_failed(ctx, feed_id, interval, as_newsradar_error(exc), result)
    return result


def _older_entries(parsed: ParsedFeed, problems: list[str]) -> Callable[[], list[FeedEntry]] | None:
    """The entries a windowed parse left for later, parsed when called (their problems
    noted with the poll's)."""
    older = parsed.older
    if older is None:
        return None

    def entries() -> list[FeedEntry]:
        rest = older()
        problems.extend(rest.problems)
        return rest.entries

    return entries


def _feed_succeeded(
    ctx: Context,
    feed_id: int,
    interval: float,
    *,
    etag: str | None,
    last_modified: str | None,
    title: str | None = None,
    site_url: str | None = None,
    problems: list[str] | None = None,
    new_entries: bool = False,
    next_in: float | None = None,
    not_modified: bool = False,
    session: Session | None = None,
) -> None:
    """The feed's successful poll, in one conditional UPDATE (only from a status that
    may move to ``ok``: a feed removed meanwhile stays removed), in ``session`` or a
    transaction of its own."""
    now = ctx.now()
    values: dict[str, Any] = {
        "polls": func.coalesce(Feed.polls, 0) + 1,
        "etag": etag,
        "last_modified": last_modified,
        "last_polled_at": now,
        "last_success_at": now,
        "next_poll_at": now + timedelta(seconds=next_in if next_in is not None else interval),
        "consecutive_errors": 0,
        "status": FeedStatus.OK.value,
        "last_error": None,
        "last_error_code": None,
        "claimed_until": None,
    }
    if not_modified:
        values["polls_not_modified"] = func.coalesce(Feed.polls_not_modified, 0) + 1
    if new_entries:
        values["last_new_entry_at"] = now
    if problems is not None:
        values["last_problems"] = problems or None
    if title:
        values["title"] = title[:1000]
    if site_url:
        values["site_url"] = site_url[:2048]
    stmt = (update(Feed)
            .where(Feed.id == feed_id, Feed.status.in_(sources_of(FeedStatus.OK)))
            .values(**values)
            .execution_options(synchronize_session=False))
    if session is not None:
        session.execute(stmt)
        return
    with ctx.session() as s:
        s.execute(stmt)


def _feed_failed(
    ctx: Context, feed_id: int, interval: float, exc: NewsradarError, result: PollResult
) -> PollResult:
    now = ctx.now()
    result.error = short_message(exc)
    result.error_code = error_code(exc)
    result.retry_after = exc.retry_after
    with ctx.session() as s:
        feed = s.get(Feed, feed_id)
        assert feed is not None
        feed.consecutive_errors += 1
        feed.last_polled_at = now
        feed.last_error = result.error
        feed.last_error_code = error_code(exc).value
        if exc.code == ErrorCode.GONE:
            # 410: the publisher says the feed is gone for good. Stop polling, say so.
            move(feed, FeedStatus.GONE)
            feed.next_poll_at = None
        else:
            move(feed, FeedStatus.ERROR)
            delay = feed_backoff(interval, feed.consecutive_errors)
            if exc.retry_after:
                delay = max(delay, exc.retry_after)
            feed.next_poll_at = now + timedelta(seconds=delay)
        feed.claimed_until = None
    log.warning("feed %s: %s (%s)", feed_id, result.error, exc.code)
    return result


def set_health_incident(
    session: Session, feed_id: int, previous: str | None, incident: str | None, now: datetime
) -> bool:
    """Compare-and-set the feed's open health incident (``None``: healthy): True if this
    call moved it from ``previous``, so that of two concurrent checks one announces."""
    return rowcount(session.execute(
        update(Feed)
        .where(Feed.id == feed_id,
               Feed.health_incident.is_(None) if previous is None
               else Feed.health_incident == previous)
        .values(health_incident=incident, health_alerted_at=now)
        .execution_options(synchronize_session=False)
    )) == 1

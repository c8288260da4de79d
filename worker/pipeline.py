"""The stages of newsradar as plain functions: poll, process, deliver.

    sync_feeds ─► due_feeds ─► poll_feed(feed) ─► new article ids
                                   │
    due_articles ────────────────► process_article(article) ─► delivery ids
                                   │   fetch page, clean, match, alerts + deliveries (outbox)
    due_deliveries ──────────────► deliver(delivery) ─► sent | failed (retry at) | dead | disabled

Each stage takes a ``Context`` and an id, claims its row in the database (so the same
work done twice, by a retry, a duplicate message or a second worker, is harmless),
does its work and records the outcome on the row. No stage raises for bad input: a
broken feed, page or channel is recorded on its own row and everything else goes on.
Nothing here imports Celery: the embedded runner (``run_once``) and the Celery tasks
(``worker/tasks.py``) call the same functions.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, overload

import httpx
from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from worker.alerts import Channel, build_channels
from worker.alerts import outbox as _alerts
from worker.alerts.outbox import DeliveryResult
from worker.clean import clean_page
from worker.config import Config, Settings
from worker.errors import FeedParseError, FetchError, NewsradarError, short_message
from worker.retry import RetryPolicy, feed_backoff, should_retry
from worker.sources import (
    FEED_ACCEPT,
    PAGE_ACCEPT,
    PAGE_TYPES,
    FetchLimits,
    NetworkPolicy,
    fetch,
    make_client,
    parse_feed,
)
from worker.store import (
    Alert,
    Article,
    Delivery,
    Feed,
    Match,
    make_engine,
    make_sessionmaker,
    session_scope,
    utcnow,
)
from worker.store.rows import DEFAULT_CLAIM_LEASE, claim, insert_or_skip
from worker.topics import Document, Topic, TopicIndex
from worker.urls import canonical_url, host_of

log = logging.getLogger(__name__)

# A page that keeps failing transiently: backoff from 2 minutes, with jitter, capped at
# 2 hours, given up after 5 attempts (then matched on the feed entry's text if any).
ARTICLE_RETRY = RetryPolicy(base=120.0, cap=7200.0, max_attempts=5)


def _no_gate(host: str) -> AbstractContextManager[None]:
    return nullcontext()


@dataclass
class Context:
    """Everything the stages need, built once per process."""

    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    index: TopicIndex
    channels: dict[str, Channel]
    limits: FetchLimits = field(default_factory=FetchLimits)
    policy: NetworkPolicy = field(default_factory=NetworkPolicy)
    client: httpx.Client | None = None
    # Per-host politeness: a context manager held around each request. The embedded
    # runner lets requests through; the service uses a Redis-backed gate.
    host_gate: Callable[[str], AbstractContextManager[Any]] = _no_gate
    clock: Callable[[], datetime] = utcnow
    # How long a claimed row stays claimed if its worker dies (see worker/store/rows.py)
    claim_lease: timedelta = DEFAULT_CLAIM_LEASE

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.sessions) as s:
            yield s

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        self.engine.dispose()


def build_index(config: Config) -> TopicIndex:
    index = TopicIndex(config.lists)
    for t in config.topics:
        if t.enabled:
            index.add(Topic(id=t.id, name=t.display_name, query=t.query, min_score=t.min_score))
    return index


def network_policy(config: Config) -> NetworkPolicy:
    return NetworkPolicy(
        allow_private=config.network.allow_private,
        allowlist=tuple(config.network.allowlist),
    )


def build_context(
    config: Config,
    settings: Settings,
    *,
    engine: Engine | None = None,
    migrate: bool = True,
    clock: Callable[[], datetime] = utcnow,
) -> Context:
    """Build a Context: engine (migrated), topic index, channels, network policy."""
    from worker.store import upgrade

    engine = engine or make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    limits = FetchLimits()
    policy = network_policy(config)
    return Context(
        config=config,
        engine=engine,
        sessions=make_sessionmaker(engine),
        index=build_index(config),
        channels=build_channels(config.channels, network=policy),
        limits=limits,
        policy=policy,
        # one pooled, guarded client per process: connections are reused across feeds/pages
        client=make_client(limits, policy),
        clock=clock,
    )


# ---------------------------------------------------------------------------
# helpers


# The database itself failing (connection lost, deadlock): raised for the task to retry,
# never recorded as the row's own error.
_INFRA_ERRORS = (OperationalError, InterfaceError)
_SURROGATE = re.compile("[\ud800-\udfff]")


@overload
def _storable(text: str) -> str: ...
@overload
def _storable(text: str | None) -> str | None: ...
def _storable(text: str | None) -> str | None:
    """``text`` without lone surrogates (U+FFFD instead), which no database driver can
    encode: JSON feeds spell them as valid escapes (``"\\ud800"``)."""
    return _SURROGATE.sub("\ufffd", text) if text else text


def _fetch(ctx: Context, url: str, **kwargs: Any) -> Any:
    host = host_of(url) or ""
    with ctx.host_gate(host):
        return fetch(url, limits=ctx.limits, policy=ctx.policy, client=ctx.client, **kwargs)


# ---------------------------------------------------------------------------
# feeds


def sync_feeds(ctx: Context) -> None:
    """Make the feeds table reflect the config: new feeds are due now; feeds no longer
    configured stop being polled (their articles and alerts stay)."""
    now = ctx.now()
    with ctx.session() as s:
        existing = {f.url: f for f in s.scalars(select(Feed))}
        configured = set()
        for fc in ctx.config.feeds:
            configured.add(fc.url)
            feed = existing.get(fc.url)
            if feed is None:
                s.execute(
                    insert_or_skip(s, Feed)
                    .values(
                        url=fc.url,
                        name=fc.name,
                        enabled=fc.enabled,
                        poll_interval_s=fc.poll_interval,
                        next_poll_at=now,
                        status="new",
                        consecutive_errors=0,
                        created_at=now,
                    )
                    .on_conflict_do_nothing()
                )
            else:
                feed.name = fc.name
                feed.poll_interval_s = fc.poll_interval
                if feed.enabled != fc.enabled:
                    feed.enabled = fc.enabled
                    if fc.enabled and feed.next_poll_at is None:
                        feed.next_poll_at = now
        for url, feed in existing.items():
            if url not in configured and feed.enabled:
                feed.enabled = False


def due_feeds(ctx: Context, now: datetime | None = None, limit: int = 500) -> list[int]:
    now = now or ctx.now()
    with ctx.session() as s:
        return list(
            s.scalars(
                select(Feed.id)
                .where(
                    Feed.enabled.is_(True),
                    Feed.status != "gone",
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
    not_modified: bool = False
    skipped: bool = False
    error: str | None = None
    error_code: str | None = None
    retry_after: float | None = None
    problems: list[str] = field(default_factory=list)


def poll_feed(ctx: Context, feed_id: int, *, force: bool = False) -> PollResult:
    """Fetch one feed (conditional GET), parse it and store its new entries.

    A feed not due (or claimed by another poller) is skipped, so a duplicate poll
    message costs one UPDATE. Errors are recorded on the feed, which backs off
    (interval doubling up to 24 h) and recovers on its first success."""
    now = ctx.now()
    with ctx.session() as s:
        due = [Feed.enabled.is_(True)]
        if not force:
            due.append(or_(Feed.next_poll_at.is_(None), Feed.next_poll_at <= now))
        if not claim(s, Feed, feed_id, now, ctx.claim_lease, *due):
            return PollResult(feed_id, skipped=True)
        feed = s.get(Feed, feed_id)
        assert feed is not None
        url, etag, last_modified = feed.url, feed.etag, feed.last_modified
        interval = feed.poll_interval_s

    result = PollResult(feed_id)
    try:
        fetched = _fetch(ctx, url, etag=etag, last_modified=last_modified, accept=FEED_ACCEPT)
        if fetched.not_modified:
            result.not_modified = True
            _feed_succeeded(ctx, feed_id, interval, etag=etag, last_modified=last_modified)
            return result
        parsed = parse_feed(
            fetched.content,
            url=fetched.final_url,
            content_type=fetched.content_type,
        )
    except (FetchError, FeedParseError) as exc:
        return _feed_failed(ctx, feed_id, interval, exc, result)
    except Exception as exc:  # a bug or a library surprise: record it, never lose the feed
        log.exception("poll_feed %s: unexpected error", url)
        return _feed_failed(ctx, feed_id, interval, NewsradarError(short_message(exc), code="internal"), result)

    cap = ctx.config.run.max_entries_per_poll
    result.problems = list(parsed.problems)
    try:
        capped = _store_entries(ctx, feed_id, parsed, cap, now, result)
    except _INFRA_ERRORS:
        raise  # the database itself: the task retries, the claim expires for the sweep
    except Exception as exc:  # one odd entry must not stop the run or keep the feed claimed
        log.exception("poll_feed %s: cannot store the entries", url)
        result.new_article_ids = []
        return _feed_failed(ctx, feed_id, interval, NewsradarError(short_message(exc), code="internal"), result)
    _feed_succeeded(
        ctx,
        feed_id,
        interval,
        # When capped, forget the validators so that the next poll sees the rest, and
        # come back soon rather than after a full interval.
        etag=None if capped else fetched.etag,
        last_modified=None if capped else fetched.last_modified,
        title=_storable(parsed.title),
        site_url=_storable(parsed.site_url),
        problems=result.problems,
        new_entries=bool(result.new_article_ids),
        next_in=min(interval, 60.0) if capped else None,
    )
    return result


def _store_entries(
    ctx: Context, feed_id: int, parsed: Any, cap: int, now: datetime, result: PollResult
) -> bool:
    """Insert the feed's new entries (the unique keys skip known ones); True if capped."""
    capped = False
    with ctx.session() as s:
        for entry in parsed.entries:  # newest first
            if len(result.new_article_ids) >= cap:
                capped = True
                break
            if not entry.link:
                continue
            link = _storable(entry.link)
            title, author = _storable(entry.title), _storable(entry.author)
            canon = canonical_url(link)
            row = s.execute(
                insert_or_skip(s, Article)
                .values(
                    feed_id=feed_id,
                    guid=_storable(entry.guid)[:2048],
                    url=link[:2048],
                    canonical_url=canon[:2048],
                    title=(title or None) and title[:1000],
                    published_at=entry.published,
                    entry_summary=_storable(entry.content or entry.summary),
                    author=(author or None) and author[:300],
                    site=host_of(link),
                    status="new",
                    attempts=0,
                    created_at=now,
                )
                .on_conflict_do_nothing()
                .returning(Article.id)
            ).first()
            if row is not None:
                result.new_article_ids.append(row[0])
        skipped_links = sum(1 for e in parsed.entries if not e.link)
        if skipped_links:
            result.problems.append(f"{skipped_links} item(s) without a link were skipped")
        if capped:
            result.problems.append(
                f"more than {cap} new items: the first {cap} (newest) were taken, the rest come next poll"
            )
    return capped


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
) -> None:
    now = ctx.now()
    with ctx.session() as s:
        feed = s.get(Feed, feed_id)
        assert feed is not None
        feed.etag = etag
        feed.last_modified = last_modified
        feed.last_polled_at = now
        feed.last_success_at = now
        if new_entries:
            feed.last_new_entry_at = now
        feed.next_poll_at = now + timedelta(seconds=next_in if next_in is not None else interval)
        feed.consecutive_errors = 0
        feed.status = "ok"
        feed.last_error = None
        feed.last_error_code = None
        if problems is not None:
            feed.last_problems = problems or None
        if title:
            feed.title = title[:1000]
        if site_url:
            feed.site_url = site_url[:2048]
        feed.claimed_until = None


def _feed_failed(
    ctx: Context, feed_id: int, interval: float, exc: NewsradarError, result: PollResult
) -> PollResult:
    now = ctx.now()
    result.error = short_message(exc)
    result.error_code = exc.code
    result.retry_after = exc.retry_after
    with ctx.session() as s:
        feed = s.get(Feed, feed_id)
        assert feed is not None
        feed.consecutive_errors += 1
        feed.last_polled_at = now
        feed.last_error = result.error
        feed.last_error_code = exc.code
        if exc.code == "gone":
            # 410: the publisher says the feed is gone for good. Stop polling, say so.
            feed.status = "gone"
            feed.next_poll_at = None
        else:
            feed.status = "error"
            delay = feed_backoff(interval, feed.consecutive_errors)
            if exc.retry_after:
                delay = max(delay, exc.retry_after)
            feed.next_poll_at = now + timedelta(seconds=delay)
        feed.claimed_until = None
    log.warning("feed %s: %s (%s)", feed_id, result.error, exc.code)
    return result


# ---------------------------------------------------------------------------
# articles


def due_articles(ctx: Context, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Articles waiting to be processed: new, due for a retry, or left 'processing' by a
    worker that died (its claim expired)."""
    now = now or ctx.now()
    with ctx.session() as s:
        return list(
            s.scalars(
                select(Article.id)
                .where(
                    or_(
                        and_(
                            Article.status.in_(("new", "retry")),
                            or_(Article.next_attempt_at.is_(None), Article.next_attempt_at <= now),
                        ),
                        Article.status == "processing",
                    ),
                    or_(Article.claimed_until.is_(None), Article.claimed_until < now),
                )
                .order_by(Article.id)
                .limit(limit)
            )
        )


@dataclass
class ProcessResult:
    article_id: int
    status: str
    delivery_ids: list[int] = field(default_factory=list)
    matched_topics: list[str] = field(default_factory=list)
    error: str | None = None
    retry_after: float | None = None


def process_article(ctx: Context, article_id: int) -> ProcessResult:
    """Fetch an article's page, clean it to the story, match every topic and write the
    alerts and their deliveries (the outbox) in one transaction.

    Idempotent: an article already done returns its pending deliveries; one claimed
    by another worker is skipped. A transient fetch failure leaves the article in
    ``retry`` with ``next_attempt_at``; a permanent one falls back to the feed entry's
    own text or marks the article ``failed`` with the error."""
    now = ctx.now()
    with ctx.session() as s:
        art = s.get(Article, article_id)
        if art is None:
            return ProcessResult(article_id, "missing", error="no such article")
        if art.status in ("done", "failed"):
            return ProcessResult(article_id, art.status, _pending_deliveries(s, article_id))
        if art.status == "retry" and art.next_attempt_at is not None and art.next_attempt_at > now:
            # a duplicate message: the page is not asked again before its retry time
            return ProcessResult(article_id, "retry", error=art.error,
                                 retry_after=(art.next_attempt_at - now).total_seconds())
        if not claim(s, Article, article_id, now, ctx.claim_lease,
                     or_(Article.status.in_(("new", "processing")),
                         and_(Article.status == "retry",
                              or_(Article.next_attempt_at.is_(None), Article.next_attempt_at <= now)))):
            return ProcessResult(article_id, "claimed")
        s.refresh(art)  # as claimed: another worker may have moved it since it was read
        if art.status == "processing" and art.attempts >= ARTICLE_RETRY.max_attempts:
            # Still 'processing' with its claim expired: each earlier attempt ended with
            # its worker (a hard time limit, memory). Give up instead of looping.
            art.status = "failed"
            art.error = (f"gave up after {art.attempts} attempts: the worker processing it "
                         "stopped each time (time limit or crash)")
            art.error_code = "crashed"
            art.claimed_until = None
            return ProcessResult(article_id, "failed", error=art.error)
        art.status = "processing"
        art.attempts += 1
        url, attempts = art.url, art.attempts
        fallback_text, fallback_title = art.entry_summary, art.title

    error: NewsradarError | None = None
    try:
        page = _fetch(ctx, url, accept=PAGE_ACCEPT, content_types=PAGE_TYPES)
        story = clean_page(
            page.content,
            content_type=page.content_type,
            url=page.final_url,
            fallback_text=fallback_text,
            fallback_title=fallback_title,
        )
    except FetchError as exc:
        delay = should_retry(exc, attempts, policy=ARTICLE_RETRY)
        if delay is not None:
            return _article_retry(ctx, article_id, exc, timedelta(seconds=delay))
        error = exc
        story = None
        if fallback_text:
            try:
                story = clean_page(fallback_text.encode("utf-8"), content_type="text/html",
                                   url=url, fallback_title=fallback_title)
            except Exception:  # the page error stays the one recorded
                log.exception("process_article %s: cannot clean the feed entry's text", url)
    except Exception as exc:  # never let one page stop the run
        log.exception("process_article %s: unexpected error", url)
        error = NewsradarError(short_message(exc), code="internal")
        story = None

    if story is None or not (story.text or "").strip():
        return _article_failed(ctx, article_id, now, error, story)
    try:
        return _store_story(ctx, article_id, story, error, now)
    except _INFRA_ERRORS:
        raise  # the database itself: the task retries, the claim expires for the sweep
    except Exception as exc:  # a bug matching or storing must not stop the run nor loop
        log.exception("process_article %s: cannot match or store the story", url)
        return _article_failed(ctx, article_id, now, NewsradarError(short_message(exc), code="internal"), None)


def _article_failed(
    ctx: Context, article_id: int, now: datetime, error: NewsradarError | None, story: Any
) -> ProcessResult:
    with ctx.session() as s:
        art = s.get(Article, article_id)
        assert art is not None
        art.status = "failed"
        art.fetched_at = now
        art.error = short_message(error) if error else f"no story text ({story.status if story else 'none'})"
        art.error_code = error.code if error else "no_body"
        art.claimed_until = None
    return ProcessResult(article_id, "failed", error=short_message(error) if error else "no story text")


def _store_story(
    ctx: Context, article_id: int, story: Any, error: NewsradarError | None, now: datetime
) -> ProcessResult:
    """The article's result, its matches, story and outbox: one transaction."""
    with ctx.session() as s:
        # Locked and read afresh: a worker whose claim expired while it was slow may
        # get here with another; the second to come must see what the first stored,
        # or it would put the article in a second story (whose near-duplicates would
        # then get a second alert).
        art = s.get(Article, article_id, with_for_update=True, populate_existing=True)
        assert art is not None
        if art.status == "done":
            return ProcessResult(article_id, "done", delivery_ids=_pending_deliveries(s, article_id))
        art.title = (story.title or art.title or "")[:1000] or None
        art.text = story.text
        art.published_at = art.published_at or story.published
        art.author = (story.author or art.author or None) and (story.author or art.author)[:300]
        art.language = story.language
        art.description = story.description
        art.content_hash = hashlib.sha256(story.text.encode("utf-8")).hexdigest()
        art.fetched_at = now
        if error is not None:  # story from the feed entry: keep the page error visible
            art.error = f"page unavailable, matched the feed entry's text: {short_message(error)}"
            art.error_code = error.code
        else:
            art.error = None
            art.error_code = None
        doc = Document(title=art.title or "", body=story.text, site=art.site, lang=story.language)
        matches = ctx.index.match(doc)
        story_id = assign_story(s, art)
        delivery_ids: list[int] = []
        for m in matches:
            match_row = s.execute(
                insert_or_skip(s, Match)
                .values(
                    article_id=article_id,
                    topic_id=m.topic_id,
                    score=m.score,
                    explanation=m.explanation,
                    highlights=m.highlights,
                    created_at=now,
                )
                .on_conflict_do_nothing()
                .returning(Match.id)
            ).first()
            match_id = match_row[0] if match_row else None
            delivery_ids += create_alert(ctx, s, art, story_id, m.topic_id, m.score, match_id, now)
        art.status = "done"
        art.claimed_until = None
        return ProcessResult(
            article_id,
            "done",
            delivery_ids=delivery_ids or _pending_deliveries(s, article_id),
            matched_topics=[m.topic_id for m in matches],
        )


def _article_retry(ctx: Context, article_id: int, exc: FetchError, delay: timedelta) -> ProcessResult:
    now = ctx.now()
    with ctx.session() as s:
        art = s.get(Article, article_id)
        assert art is not None
        art.status = "retry"
        art.error = short_message(exc)
        art.error_code = exc.code
        art.next_attempt_at = now + delay
        art.claimed_until = None
    return ProcessResult(article_id, "retry", error=short_message(exc), retry_after=delay.total_seconds())


def assign_story(session: Session, article: Article, now: datetime | None = None) -> int:
    """Put the article in a story (a cluster of near-duplicates) and return its id: an
    agency story carried by several outlets joins the story of the first copy seen
    (SimHash of the cleaned text, threshold in worker/alerts/_simhash.py)."""
    return _alerts.assign_story(session, article, now)


def create_alert(
    ctx: Context,
    session: Session,
    article: Article,
    story_id: int,
    topic_id: str,
    score: float,
    match_id: int | None,
    now: datetime,
) -> list[int]:
    """Write the alert for (topic, story) and one delivery per channel of the topic:
    the outbox, written in the same transaction as the article's result and before
    any send. Unique keys make a second run a no-op; an article whose story already
    has an alert for the topic joins it as another source. Returns new delivery ids."""
    return _alerts.create_alert(ctx, session, article, story_id, topic_id, score, match_id, now)


def _pending_deliveries(session: Session, article_id: int) -> list[int]:
    return list(
        session.scalars(
            select(Delivery.id)
            .join(Alert, Alert.id == Delivery.alert_id)
            .where(Alert.article_id == article_id, Delivery.status.in_(("pending", "failed")))
        )
    )


# ---------------------------------------------------------------------------
# deliveries


def due_deliveries(ctx: Context, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Deliveries to hand to ``deliver``: pending, retry due, stuck in sending (worker
    died), or held for quiet hours that have ended."""
    return _alerts.due_deliveries(ctx, now, limit)


def deliver(ctx: Context, delivery_id: int) -> DeliveryResult:
    """Send one alert on one channel and record the outcome.

    The row is claimed first; a delivery already sent (or claimed by another worker)
    is never sent again. The topic's policy may hold it (quiet hours) or move it into
    the next digest (digest mode, max_per_hour). A failure schedules the next try in
    the database (``next_attempt_at``) on the Standard Webhooks schedule, then
    ``dead``; a 410 disables the channel (``newsradar alerts list`` shows it)."""
    return _alerts.deliver(ctx, delivery_id)


def send_digests(ctx: Context, now: datetime | None = None) -> list[int]:
    """Periodic: gather held alerts whose digest time has come and send the digests
    that are due (retried on the delivery schedule). Returns the digest ids sent."""
    return _alerts.send_digests(ctx, now)


def check_feed_health(ctx: Context, now: datetime | None = None) -> list[int]:
    """Periodic: system alerts on the ``feed_health`` channels for feeds failing N polls
    in a row or silent k times their usual interval, once per incident, and a recovery
    notice. Returns the new delivery ids (hand them to ``deliver``)."""
    return _alerts.check_feed_health(ctx, now)


# ---------------------------------------------------------------------------
# the embedded runner


@dataclass
class RunSummary:
    feeds_polled: int = 0
    feeds_failed: int = 0
    feeds_not_modified: int = 0
    articles_new: int = 0
    articles_processed: int = 0
    articles_failed: int = 0
    alerts: int = 0
    deliveries_sent: int = 0
    deliveries_failed: int = 0
    digests_sent: int = 0


class Progress:
    """What the runner reports as it goes (the CLI draws it; tests ignore it)."""

    def feed(self, feed_id: int, result: PollResult) -> None: ...
    def article(self, article_id: int, result: ProcessResult) -> None: ...
    def delivery(self, delivery_id: int, result: DeliveryResult) -> None: ...
    def stage(self, name: str, total: int) -> None: ...


def run_once(ctx: Context, progress: Progress | None = None) -> RunSummary:
    """One pass in-process: poll every due feed, process every waiting article, raise
    feed-health notices, deliver every due alert and send the digests that are due."""
    progress = progress or Progress()
    summary = RunSummary()
    sync_feeds(ctx)

    feed_ids = due_feeds(ctx)
    progress.stage("feeds", len(feed_ids))
    for feed_id in feed_ids:
        result = poll_feed(ctx, feed_id)
        if result.skipped:
            continue
        summary.feeds_polled += 1
        summary.feeds_failed += result.error is not None
        summary.feeds_not_modified += result.not_modified
        summary.articles_new += len(result.new_article_ids)
        progress.feed(feed_id, result)

    article_ids = due_articles(ctx)
    progress.stage("articles", len(article_ids))
    for article_id in article_ids:
        pres = process_article(ctx, article_id)
        summary.articles_processed += pres.status == "done"
        summary.articles_failed += pres.status == "failed"
        progress.article(article_id, pres)

    # feed-health notices are deliveries like any other: raise them before the sweep
    check_feed_health(ctx)
    delivery_ids = due_deliveries(ctx)
    progress.stage("deliveries", len(delivery_ids))
    for delivery_id in delivery_ids:
        dres = deliver(ctx, delivery_id)
        summary.deliveries_sent += dres.status == "sent"
        summary.deliveries_failed += dres.status in ("failed", "dead")
        progress.delivery(delivery_id, dres)
    summary.digests_sent = len(send_digests(ctx))
    with ctx.session() as s:
        summary.alerts = s.query(Alert).count()
    return summary

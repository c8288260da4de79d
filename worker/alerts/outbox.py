"""The database side of alerts: stories, the outbox, delivery, digests, feed health.

``worker.pipeline`` calls these with its ``Context`` (anything with ``config``,
``channels``, ``session()`` and ``now()``); nothing here imports Celery, so the embedded
runner and the Celery tasks share them.

    assign_story(session, article, now)      SimHash the cleaned text, join a near-duplicate's story
    create_alert(ctx, session, ...)          outbox: alert + one delivery per channel, before any send
                                             (a story that already has an alert for the topic: no new alert)
    due_deliveries(ctx, now)                 pending, retry due, stuck, or held until quiet hours ended
    deliver(ctx, delivery_id)                claim, apply the policy (send | hold | digest), send, record
    send_digests(ctx, now)                   gather held alerts into digests when due, send them
    check_feed_health(ctx, now)              system alerts for failing/silent feeds, once per incident

Every write is guarded by a unique key or a conditional UPDATE, so each function may run
twice (a redelivered task, two workers) without a second alert or a second send of a
row already sent.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from worker.alerts._health import FeedSnapshot, assess_feed, health_change, usual_interval
from worker.alerts._policy import decide, digest_period_key, effective_policy
from worker.alerts._schedule import RETRY_SCHEDULE, retry_delay
from worker.alerts._simhash import STORY_THRESHOLD, hamming, simhash, to_signed, to_unsigned
from worker.alerts.channels import Channel
from worker.alerts.message import AlertMessage, DigestMessage, Message, Source, SystemMessage
from worker.config import Config
from worker.errors import DeliveryError, short_message
from worker.store import (
    Alert,
    Article,
    ChannelState,
    Delivery,
    DeliveryAttempt,
    Digest,
    Feed,
    Match,
    Story,
)
from worker.store.rows import claim, insert_or_skip, with_db_retries

__all__ = [
    "SYSTEM_TOPIC",
    "DeliveryResult",
    "assign_story",
    "build_message",
    "check_feed_health",
    "create_alert",
    "deliver",
    "disable_channel",
    "due_deliveries",
    "send_digests",
]

log = logging.getLogger(__name__)

# Near-duplicates are looked for among articles stored this recently, newest first.
STORY_WINDOW = timedelta(days=3)
STORY_CANDIDATES = 5000
# PostgreSQL advisory lock key (any constant) that serialises story assignment.
_STORY_LOCK = 0x6E72_5354  # "nrST"
# The topic id of system alerts (feed health): not a valid configured topic id.
SYSTEM_TOPIC = "_feed_health"
HEALTH_HISTORY = 20


class AlertContext(Protocol):
    config: Config
    channels: dict[str, Channel]
    claim_lease: timedelta

    def session(self) -> AbstractContextManager[Session]: ...
    def now(self) -> datetime: ...


@dataclass
class DeliveryResult:
    delivery_id: int
    status: str
    next_attempt_at: datetime | None = None
    error: str | None = None
    # True when this call did nothing: the row was already sent, or another worker holds it
    skipped: bool = False


# ---------------------------------------------------------------------------
# stories


def assign_story(session: Session, article: Article, now: datetime | None = None) -> int:
    """Put the article in a story and return the story id: the story of the closest
    article stored in the ``STORY_WINDOW`` before ``now`` (default: when this article
    was stored) within ``STORY_THRESHOLD`` bits of SimHash, else a new story.
    Articles too short to fingerprint get a story of their own."""
    if article.story_id is not None:
        return article.story_id
    now = now or article.created_at or datetime.now(UTC)
    fp = simhash("\n".join(x for x in (article.text,) if x) or "")
    article.simhash = to_signed(fp) if fp is not None else None
    if fp is not None:
        # Two copies of a story matched at once must not each start a story (and each
        # get an alert): on PostgreSQL, whose transactions do not see each other's
        # uncommitted stories, assignment is serialised until this transaction ends,
        # and the lookup below then sees the other's committed story. SQLite already
        # serialises writers.
        if session.get_bind().dialect.name == "postgresql":
            session.execute(select(func.pg_advisory_xact_lock(_STORY_LOCK)))
        rows = session.execute(
            select(Article.simhash, Article.story_id)
            .where(
                Article.id != article.id,
                Article.story_id.is_not(None),
                Article.simhash.is_not(None),
                Article.created_at >= now - STORY_WINDOW,
            )
            .order_by(Article.id.desc())
            .limit(STORY_CANDIDATES)
        ).all()
        best: tuple[int, int] | None = None
        for other_fp, story_id in rows:
            d = hamming(fp, to_unsigned(other_fp))
            if d <= STORY_THRESHOLD and (best is None or d < best[0]):
                best = (d, story_id)
        if best is not None:
            article.story_id = best[1]
            return best[1]
    story = Story(first_article_id=article.id, simhash=article.simhash, created_at=now)
    session.add(story)
    session.flush()
    article.story_id = story.id
    return story.id


# ---------------------------------------------------------------------------
# the outbox


def create_alert(
    ctx: AlertContext,
    session: Session,
    article: Article,
    story_id: int | None,
    topic_id: str,
    score: float,
    match_id: int | None,
    now: datetime,
) -> list[int]:
    """Write the alert for (topic, story) and one pending delivery per channel of the
    topic, in the caller's transaction (the outbox: written before any send). When the
    story already has an alert for the topic, the article just joins it as another
    source and nothing new is written. Returns the new delivery ids."""
    topic = ctx.config.topic(topic_id)
    if topic is None:
        return []
    if story_id is not None and session.scalar(
        select(Alert.id).where(Alert.topic_id == topic_id, Alert.story_id == story_id)
    ) is not None:
        return []
    alert_row = session.execute(
        insert_or_skip(session, Alert)
        .values(topic_id=topic_id, article_id=article.id, story_id=story_id, match_id=match_id,
                score=score, kind="article", created_at=now)
        .on_conflict_do_nothing()
        .returning(Alert.id)
    ).first()
    if alert_row is None:  # (topic, article) or (topic, story) already has one
        return []
    return _outbox_deliveries(session, alert_row[0], topic.channels, now)


def _outbox_deliveries(
    session: Session, alert_id: int, channels: list[str], now: datetime,
    payload: Callable[[str], dict[str, Any]] | None = None,
) -> list[int]:
    ids: list[int] = []
    for channel in channels:
        row = session.execute(
            insert_or_skip(session, Delivery)
            .values(alert_id=alert_id, channel=channel, status="pending", attempts=0,
                    next_attempt_at=now, created_at=now,
                    payload=payload(channel) if payload else None)
            .on_conflict_do_nothing()
            .returning(Delivery.id)
        ).first()
        if row is not None:
            ids.append(row[0])
    return ids


# ---------------------------------------------------------------------------
# messages


def _alert_message(session: Session, config: Config, alert: Alert, channel: str,
                   delivery_id: int) -> AlertMessage:
    article = alert.article
    if article is None:
        raise DeliveryError(f"alert {alert.id}: its article is gone", code="missing", permanent=True)
    topic = config.topic(alert.topic_id)
    match = session.get(Match, alert.match_id) if alert.match_id else None
    others: list[Source] = []
    if alert.story_id is not None:
        for other in session.scalars(
            select(Article)
            .where(Article.story_id == alert.story_id, Article.id != article.id)
            .order_by(Article.published_at.is_(None), Article.published_at, Article.id)
        ):
            others.append(Source(url=other.url, title=other.title, outlet=other.site,
                                 published=other.published_at))
    return AlertMessage(
        alert_id=alert.id,
        delivery_id=delivery_id,
        channel=channel,
        topic_id=alert.topic_id,
        topic_name=topic.display_name if topic else alert.topic_id,
        url=article.url,
        title=article.title,
        outlet=article.site,
        published=article.published_at,
        score=alert.score,
        explanation=(match.explanation if match else None) or {},
        highlights=(match.highlights if match else None) or [],
        other_sources=others,
        created_at=alert.created_at,
        story_id=alert.story_id,
    )


def build_message(session: Session, config: Config, delivery: Delivery) -> Message:
    """The message for one delivery, from the rows as they are now (a story's sources
    grow as outlets pick it up). System alerts carry their message in the payload."""
    alert = delivery.alert
    if alert.kind == "system":
        return SystemMessage.from_payload(delivery.payload or {}, alert_id=alert.id,
                                          channel=delivery.channel)
    return _alert_message(session, config, alert, delivery.channel, delivery.id)


# ---------------------------------------------------------------------------
# delivery


def _due(now: datetime) -> Any:
    return or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now)


def _deliverable(now: datetime) -> Any:
    """Rows ``deliver`` may claim: to send or retry, stuck in sending (worker died), or
    held for quiet hours that have ended."""
    return and_(
        or_(
            Delivery.status.in_(("pending", "failed", "sending")),
            and_(Delivery.status == "held", Delivery.hold_reason == "quiet"),
        ),
        _due(now),
    )


def due_deliveries(ctx: AlertContext, now: datetime | None = None, limit: int = 500) -> list[int]:
    now = now or ctx.now()
    with ctx.session() as s:
        return list(s.scalars(
            select(Delivery.id)
            .where(_deliverable(now),
                   or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now))
            .order_by(Delivery.id)
            .limit(limit)
        ))


def _released_last_hour(session: Session, topic_id: str, channel: str, now: datetime) -> int:
    return session.scalar(
        select(func.count(Delivery.id))
        .join(Alert, Alert.id == Delivery.alert_id)
        .where(Alert.topic_id == topic_id, Delivery.channel == channel,
               Delivery.released_at >= now - timedelta(hours=1))
    ) or 0


def disable_channel(session: Session, channel: str, reason: str, now: datetime) -> None:
    """Record that a channel's endpoint asked us to stop (410): nothing more is sent on
    it until ``newsradar alerts enable CHANNEL``."""
    state = session.get(ChannelState, channel)
    if state is None:
        state = ChannelState(channel=channel)
        session.add(state)
    state.disabled = True
    state.disabled_reason = reason
    state.disabled_at = now
    log.error("channel %s disabled: %s", channel, reason)


def deliver(ctx: AlertContext, delivery_id: int) -> DeliveryResult:
    """Send one alert on one channel and record the outcome.

    The row is claimed first: a delivery already sent, or claimed by another worker, is
    never sent again. A first attempt goes through the topic's policy and may be held
    (quiet hours) or moved into the next digest (digest mode, throttle). A failure
    schedules the next try in the database on the Standard Webhooks schedule, then
    ``dead``; 410 disables the channel."""
    now = ctx.now()
    with ctx.session() as s:
        if not claim(s, Delivery, delivery_id, now, ctx.claim_lease, _deliverable(now)):
            d = s.get(Delivery, delivery_id)
            return DeliveryResult(delivery_id, d.status if d else "missing",
                                  d.next_attempt_at if d else None, skipped=True)
        delivery = s.get(Delivery, delivery_id)
        assert delivery is not None
        if delivery.status == "sending" and retry_delay(delivery.attempts) is None:
            # Still 'sending' with its claim expired: each earlier try ended with its
            # worker (a hard time limit, memory). Give up, visibly, instead of looping.
            delivery.status, delivery.next_attempt_at, delivery.claimed_until = "dead", None, None
            delivery.last_error = (f"gave up after {delivery.attempts} attempts: the worker sending "
                                   "it stopped each time (time limit or crash)")
            delivery.last_error_code = "crashed"
            s.add(DeliveryAttempt(delivery_id=delivery_id, at=now, ok=False, error=delivery.last_error))
            log.error("delivery %s dead: %s", delivery_id, delivery.last_error)
            return DeliveryResult(delivery_id, "dead", error=delivery.last_error)
        state = s.get(ChannelState, delivery.channel)
        if state is not None and state.disabled:
            delivery.status = "disabled"
            delivery.last_error = f"channel {delivery.channel} is disabled: {state.disabled_reason}"
            delivery.claimed_until = None
            return DeliveryResult(delivery_id, "disabled", error=delivery.last_error)
        alert = delivery.alert
        if alert.kind != "system" and delivery.released_at is None:
            decision = decide(
                effective_policy(ctx.config.topic(alert.topic_id), delivery.channel),
                now=now, score=alert.score,
                released_last_hour=_released_last_hour(s, alert.topic_id, delivery.channel, now),
            )
            if decision.action != "send":
                delivery.status = "held"
                delivery.hold_reason = decision.reason
                delivery.next_attempt_at = decision.until
                delivery.claimed_until = None
                return DeliveryResult(delivery_id, "held", decision.until)
            delivery.released_at = now
            delivery.hold_reason = None
        attempts = delivery.attempts + 1
        channel = ctx.channels.get(delivery.channel)
        message: Message | None = None
        error: DeliveryError | None = None
        try:
            message = build_message(s, ctx.config, delivery)
            delivery.payload = message.to_payload()
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # a bug building the message must not lose the delivery
            log.exception("deliver %s: cannot build the message", delivery_id)
            error = DeliveryError(short_message(exc), code="internal")
        delivery.status = "sending"
        delivery.attempts = attempts  # counted before the send: a try that ends its worker counts

    if error is None:
        try:
            if channel is None:
                raise DeliveryError(f"channel {delivery.channel!r} is not configured", code="no_channel")
            assert message is not None
            channel.send(message)
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # a channel bug must not lose the delivery
            log.exception("deliver %s: unexpected error", delivery_id)
            error = DeliveryError(short_message(exc), code="internal")
    # The send happened (or failed): recording it must survive a dropped connection, or
    # the delivery would be sent again once its claim expires.
    return with_db_retries(lambda: _record(ctx, delivery_id, attempts, error),
                           what=f"recording delivery {delivery_id}")


def _record(ctx: AlertContext, delivery_id: int, attempts: int, error: DeliveryError | None) -> DeliveryResult:
    now = ctx.now()
    with ctx.session() as s:
        delivery = s.get(Delivery, delivery_id)
        assert delivery is not None
        delivery.attempts = attempts
        delivery.claimed_until = None
        s.add(DeliveryAttempt(delivery_id=delivery_id, at=now, ok=error is None,
                              status_code=getattr(error, "status_code", None),
                              error=short_message(error) if error else None))
        if error is None:
            delivery.status = "sent"
            delivery.sent_at = now
            delivery.next_attempt_at = None
            delivery.last_error = None
            delivery.last_error_code = None
            return DeliveryResult(delivery_id, "sent")
        delivery.last_error = short_message(error)
        delivery.last_error_code = error.code
        if error.code == "gone":
            disable_channel(s, delivery.channel, short_message(error), now)
            delivery.status = "disabled"
            delivery.next_attempt_at = None
            return DeliveryResult(delivery_id, "disabled", error=delivery.last_error)
        delay = retry_delay(attempts, error)
        if delay is None:
            delivery.status = "dead"
            delivery.next_attempt_at = None
            log.error("delivery %s dead after %s attempt(s): %s", delivery_id, attempts, delivery.last_error)
        else:
            delivery.status = "failed"
            delivery.next_attempt_at = now + delay
        return DeliveryResult(delivery_id, delivery.status, delivery.next_attempt_at, delivery.last_error)


# ---------------------------------------------------------------------------
# digests


def send_digests(ctx: AlertContext, now: datetime | None = None) -> list[int]:
    """Gather held alerts whose digest time has come into one digest per (channel,
    topic, period), then send every digest that is due. Returns the digest ids sent.
    A digest that fails is retried on the delivery schedule; its alerts stay attached."""
    now = now or ctx.now()
    _gather_digests(ctx, now)
    with ctx.session() as s:
        due = list(s.scalars(
            select(Digest.id)
            .where(Digest.status.in_(("pending", "failed", "sending")),
                   or_(Digest.next_attempt_at.is_(None), Digest.next_attempt_at <= now))
            .order_by(Digest.id)
        ))
    return [d for d in due if _send_digest(ctx, d, now) == "sent"]


def _gather_digests(ctx: AlertContext, now: datetime) -> None:
    with ctx.session() as s:
        rows = s.execute(
            select(Delivery.id, Delivery.channel, Alert.topic_id, Delivery.next_attempt_at)
            .join(Alert, Alert.id == Delivery.alert_id)
            .where(Delivery.status == "held", Delivery.hold_reason.in_(("digest", "throttle")),
                   Delivery.digest_id.is_(None), _due(now))
            .order_by(Delivery.id)
        ).all()
        groups: dict[tuple[str, str, datetime | None], list[int]] = defaultdict(list)
        for did, channel, topic_id, due_at in rows:
            groups[(channel, topic_id, due_at)].append(did)
        # in one order, so that two gatherers lock the digests below without deadlock
        for (channel, topic_id, due_at), ids in sorted(
                groups.items(), key=lambda g: (g[0][0], g[0][1], g[0][2] or now)):
            policy = effective_policy(ctx.config.topic(topic_id), channel)
            key = digest_period_key(policy.digest, due_at or now)
            digest_id = _open_digest(s, channel, topic_id, key, now)
            if digest_id is None:  # that period's digest already went: a late arrival
                digest_id = _open_digest(s, channel, topic_id, f"{key}+{ids[0]}", now)
            if digest_id is None:
                continue
            s.execute(update(Delivery)
                      .where(Delivery.id.in_(ids), Delivery.digest_id.is_(None))
                      .values(digest_id=digest_id))


def _open_digest(s: Session, channel: str, topic_id: str, key: str, now: datetime) -> int | None:
    """The id of the not-yet-sent digest for this period, created if needed. The row
    stays locked until the caller commits, so that a sender cannot claim it and read
    its alerts before the ones attached here are committed (they would be left behind
    in a sent digest)."""
    s.execute(
        insert_or_skip(s, Digest)
        .values(channel=channel, topic_id=topic_id, period_key=key, status="pending",
                attempts=0, next_attempt_at=now, created_at=now)
        .on_conflict_do_nothing()
    )
    row = s.execute(select(Digest.id, Digest.status).where(
        Digest.channel == channel, Digest.topic_id == topic_id, Digest.period_key == key)
        .with_for_update()).first()
    if row is None or row[1] not in ("pending", "failed"):
        return None
    return row[0]


def _send_digest(ctx: AlertContext, digest_id: int, now: datetime) -> str:
    with ctx.session() as s:
        # Still 'sending' with its lease expired and the schedule used up: each earlier
        # try ended with its worker (a hard time limit, memory). Give up, visibly.
        if s.execute(
            update(Digest)
            .where(Digest.id == digest_id, Digest.status == "sending", Digest.next_attempt_at <= now,
                   Digest.attempts > len(RETRY_SCHEDULE))
            .values(status="dead", next_attempt_at=None)
        ).rowcount:
            digest = s.get(Digest, digest_id)
            assert digest is not None
            digest.last_error = (f"gave up after {digest.attempts} attempts: the worker sending it "
                                 "stopped each time (time limit or crash)")
            for d in s.scalars(select(Delivery).where(Delivery.digest_id == digest_id,
                                                      Delivery.status == "held")):
                d.status, d.last_error, d.last_error_code = "dead", digest.last_error, "crashed"
            log.error("digest %s dead: %s", digest_id, digest.last_error)
            return "dead"
        # Claim: 'sending' with a lease in next_attempt_at (a dead worker's claim expires).
        claimed = s.execute(
            update(Digest)
            .where(Digest.id == digest_id, Digest.status.in_(("pending", "failed", "sending")),
                   or_(Digest.next_attempt_at.is_(None), Digest.next_attempt_at <= now))
            .values(status="sending", next_attempt_at=now + ctx.claim_lease)
        ).rowcount
        if not claimed:
            return "claimed"
        digest = s.get(Digest, digest_id)
        assert digest is not None
        deliveries = list(s.scalars(select(Delivery).where(Delivery.digest_id == digest_id)
                                    .order_by(Delivery.id)))
        state = s.get(ChannelState, digest.channel)
        if state is not None and state.disabled:
            digest.status = "disabled"
            digest.last_error = f"channel {digest.channel} is disabled: {state.disabled_reason}"
            for d in deliveries:
                d.status, d.last_error = "disabled", digest.last_error
            return "disabled"
        if not deliveries:
            digest.status = "empty"
            return "empty"
        topic = ctx.config.topic(digest.topic_id)
        items, item_payloads = [], {}
        for d in deliveries:
            try:
                item = _alert_message(s, ctx.config, d.alert, d.channel, d.id)
            except DeliveryError as exc:  # an item whose article is gone: say so, send the rest
                d.status, d.last_error = "dead", short_message(exc)
                continue
            items.append(item)
            item_payloads[d.id] = item.to_payload()
        message = DigestMessage(
            digest_id=digest_id, channel=digest.channel, topic_id=digest.topic_id,
            topic_name=topic.display_name if topic else digest.topic_id,
            period_key=digest.period_key, items=items, created_at=now,
        )
        attempts = digest.attempts + 1
        digest.attempts = attempts  # counted before the send: a try that ends its worker counts
        channel = ctx.channels.get(digest.channel)

    error: DeliveryError | None = None
    try:
        if channel is None:
            raise DeliveryError(f"channel {digest.channel!r} is not configured", code="no_channel")
        channel.send(message)
    except DeliveryError as exc:
        error = exc
    except Exception as exc:
        log.exception("digest %s: unexpected error", digest_id)
        error = DeliveryError(short_message(exc), code="internal")

    return with_db_retries(
        lambda: _record_digest(ctx, digest_id, attempts, item_payloads, error),
        what=f"recording digest {digest_id}")


def _record_digest(ctx: AlertContext, digest_id: int, attempts: int,
                   item_payloads: dict[int, Any], error: DeliveryError | None) -> str:
    done = ctx.now()
    with ctx.session() as s:
        digest = s.get(Digest, digest_id)
        assert digest is not None
        digest.attempts = attempts
        members = list(s.scalars(select(Delivery).where(Delivery.digest_id == digest_id,
                                                        Delivery.id.in_(item_payloads))))
        for d in members:
            d.attempts += 1
            d.payload = item_payloads[d.id]
            s.add(DeliveryAttempt(delivery_id=d.id, at=done, ok=error is None,
                                  status_code=getattr(error, "status_code", None),
                                  error=short_message(error) if error else None))
        if error is None:
            digest.status, digest.sent_at, digest.next_attempt_at, digest.last_error = "sent", done, None, None
            for d in members:
                d.status, d.sent_at, d.next_attempt_at, d.last_error = "digested", done, None, None
            return "sent"
        digest.last_error = short_message(error)
        for d in members:
            d.last_error, d.last_error_code = digest.last_error, error.code
        if error.code == "gone":
            disable_channel(s, digest.channel, digest.last_error, done)
            digest.status = "disabled"
            for d in members:
                d.status = "disabled"
            return "disabled"
        delay = retry_delay(attempts, error)
        if delay is None:
            digest.status, digest.next_attempt_at = "dead", None
            for d in members:
                d.status = "dead"
            log.error("digest %s dead after %s attempt(s): %s", digest_id, attempts, digest.last_error)
            return "dead"
        digest.status, digest.next_attempt_at = "failed", done + delay
        return "failed"


# ---------------------------------------------------------------------------
# feed health


def check_feed_health(ctx: AlertContext, now: datetime | None = None) -> list[int]:
    """Raise a system alert on the ``feed_health`` channels when a feed starts failing
    or goes silent, once per incident, and a recovery notice when it is healthy again.
    Returns the new delivery ids (pending; ``deliver`` sends them)."""
    now = now or ctx.now()
    policy = ctx.config.feed_health
    if not policy.channels:
        return []
    created: list[int] = []
    with ctx.session() as s:
        feeds = list(s.scalars(select(Feed).where(Feed.enabled.is_(True)).order_by(Feed.id)))
        for feed in feeds:
            times = list(s.scalars(select(Article.created_at).where(Article.feed_id == feed.id)
                                   .order_by(Article.created_at.desc()).limit(HEALTH_HISTORY)))
            snapshot = FeedSnapshot(
                consecutive_errors=feed.consecutive_errors or 0,
                poll_interval_s=feed.poll_interval_s or 0.0,
                last_new_entry_at=feed.last_new_entry_at or (max(times) if times else None),
                usual_interval_s=usual_interval(times),
                status=feed.status,
            )
            incident, reason = assess_feed(snapshot, policy, now)
            change = health_change(feed.health_incident, incident, reason)
            if change is None:
                continue
            previous = feed.health_incident
            # Compare-and-set: of two concurrent checks, one announces.
            won = s.execute(
                update(Feed)
                .where(Feed.id == feed.id,
                       Feed.health_incident.is_(None) if previous is None
                       else Feed.health_incident == previous)
                .values(health_incident=incident if change.action == "raise" else None,
                        health_alerted_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if not won:
                continue
            event = f"feed.{change.incident}" if change.action == "raise" else "feed.recovered"
            detail = change.detail if change.action == "raise" else f"healthy again after: {previous}"
            alert = Alert(topic_id=SYSTEM_TOPIC, article_id=None, feed_id=feed.id, kind="system",
                          score=0.0, created_at=now)
            s.add(alert)
            s.flush()

            def payload(channel: str, alert_id: int = alert.id, feed: Feed = feed,
                        event: str = event, detail: str = detail) -> dict[str, Any]:
                return SystemMessage(
                    alert_id=alert_id, channel=channel, event=event, feed_url=feed.url,
                    feed_name=feed.name or feed.title, detail=detail,
                    last_error=feed.last_error if event != "feed.recovered" else None,
                    created_at=now,
                ).to_payload()

            created += _outbox_deliveries(s, alert.id, policy.channels, now, payload)
            log.warning("feed %s (%s): %s %s", feed.id, feed.url, event, detail)
    return created


"""Deliveries: one alert on one channel. ``deliver`` claims the row, applies the topic's
policy (send | hold | digest), sends, and records the outcome; digests and the command
line change a delivery only through the functions here. The only module that changes
a delivery row (and writes delivery_attempts).

Every write is guarded by a claim or a conditional UPDATE, so each call may run twice
(a redelivered task, two workers) without a second send of a row already sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from worker.alerts import decide, effective_policy, retry_delay
from worker.alerts.message import Message
from worker.errors import DeliveryError, ErrorCode, error_code, short_message
from worker.pipeline import channels
from worker.pipeline.context import Context
from worker.pipeline.messages import build_message
from worker.pipeline.states import DeliveryStatus, HoldReason, move, sources_of
from worker.redact import stored_error
from worker.store import Alert, Article, ChannelState, Delivery, DeliveryAttempt, Match
from worker.store.rows import claim_row, with_db_retries

log = logging.getLogger(__name__)

_D = DeliveryStatus


@dataclass
class DeliveryResult:
    delivery_id: int
    status: str  # a DeliveryStatus, or "missing"
    next_attempt_at: datetime | None = None
    error: str | None = None
    # True when this call did nothing: the row was already sent, or another worker holds it
    skipped: bool = False


def due(now: datetime) -> Any:
    return or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now)


def _deliverable(now: datetime) -> Any:
    """Rows ``deliver`` may claim: to send or retry, stuck in sending (worker died), or
    held for quiet hours that have ended."""
    return and_(
        or_(
            Delivery.status.in_((_D.PENDING, _D.FAILED, _D.SENDING)),
            and_(Delivery.status == _D.HELD, Delivery.hold_reason == HoldReason.QUIET),
        ),
        due(now),
    )


def due_deliveries(ctx: Context, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Deliveries to hand to ``deliver``: pending, retry due, stuck in sending (worker
    died), or held for quiet hours that have ended."""
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


def deliver(ctx: Context, delivery_id: int) -> DeliveryResult:
    """Send one alert on one channel and record the outcome.

    The row is claimed first: a delivery already sent, or claimed by another worker, is
    never sent again. A first attempt goes through the topic's policy and may be held
    (quiet hours) or moved into the next digest (digest mode, throttle). A failure
    schedules the next try in the database (``next_attempt_at``) on the Standard
    Webhooks schedule, then ``dead``; a 410 disables the channel (``newsradar alerts
    list`` shows it)."""
    now = ctx.now()
    with ctx.session() as s:
        delivery = claim_row(s, Delivery, delivery_id, now, ctx.claim_lease, _deliverable(now))
        if delivery is None:
            d = s.get(Delivery, delivery_id)
            return DeliveryResult(delivery_id, d.status if d else "missing",
                                  d.next_attempt_at if d else None, skipped=True)
        if delivery.status == _D.SENDING and retry_delay(delivery.attempts) is None:
            # Still 'sending' with its claim expired: each earlier try ended with its
            # worker (a hard time limit, memory). Give up, visibly, instead of looping.
            move(delivery, _D.DEAD)
            delivery.next_attempt_at, delivery.claimed_until = None, None
            delivery.last_error = (f"gave up after {delivery.attempts} attempts: the worker sending "
                                   "it stopped each time (time limit or crash)")
            delivery.last_error_code = ErrorCode.CRASHED.value
            s.add(DeliveryAttempt(delivery_id=delivery_id, at=now, ok=False, error=delivery.last_error))
            log.error("delivery %s dead: %s", delivery_id, delivery.last_error)
            return DeliveryResult(delivery_id, _D.DEAD, error=delivery.last_error)
        # One read for what the send needs: the alert, its article and match (loaded into
        # the session, so the message builds without further reads) and the channel state.
        loaded = s.execute(
            select(Alert, Article, Match, ChannelState)
            .outerjoin(Article, Article.id == Alert.article_id)
            .outerjoin(Match, Match.id == Alert.match_id)
            .outerjoin(ChannelState, ChannelState.channel == delivery.channel)
            .where(Alert.id == delivery.alert_id)
        ).first()
        reason = channels.reason_of(loaded[3] if loaded is not None else None)
        if reason is not None:
            move(delivery, _D.DISABLED)
            delivery.last_error = stored_error(f"channel {delivery.channel} is disabled: {reason}")
            delivery.claimed_until = None
            return DeliveryResult(delivery_id, _D.DISABLED, error=delivery.last_error)
        alert = delivery.alert
        if alert.kind != "system" and delivery.released_at is None:
            policy = effective_policy(ctx.config.topic(alert.topic_id), delivery.channel)
            decision = decide(
                policy, now=now, score=alert.score,
                # counted only where a throttle is set (ix_deliveries_channel_released)
                released_last_hour=(_released_last_hour(s, alert.topic_id, delivery.channel, now)
                                    if policy.max_per_hour is not None else 0),
            )
            if decision.action != "send":
                move(delivery, _D.HELD)
                delivery.hold_reason = decision.reason
                delivery.next_attempt_at = decision.until
                delivery.claimed_until = None
                return DeliveryResult(delivery_id, _D.HELD, decision.until)
            delivery.released_at = now
            delivery.hold_reason = None
        attempts = delivery.attempts + 1
        channel = ctx.channels.get(delivery.channel)
        message: Message | None = None
        error: DeliveryError | None = None
        try:
            with s.no_autoflush:  # the delivery's changes go in one UPDATE, at the commit
                message = build_message(s, ctx.config, delivery)
            delivery.payload = message.to_payload()
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # a bug building the message must not lose the delivery
            log.exception("deliver %s: cannot build the message", delivery_id)
            error = DeliveryError(short_message(exc), code=ErrorCode.INTERNAL)
        move(delivery, _D.SENDING)
        delivery.attempts = attempts  # counted before the send: a try that ends its worker counts

    if error is None:
        try:
            if channel is None:
                raise DeliveryError(f"channel {delivery.channel!r} is not configured",
                                    code=ErrorCode.NO_CHANNEL)
            assert message is not None
            channel.send(message)
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # a channel bug must not lose the delivery
            log.exception("deliver %s: unexpected error", delivery_id)
            error = DeliveryError(short_message(exc), code=ErrorCode.INTERNAL)
    # The send happened (or failed): recording it must survive a dropped connection, or
    # the delivery would be sent again once its claim expires.
    channel_name = delivery.channel
    return with_db_retries(lambda: _record(ctx, delivery_id, channel_name, attempts, error),
                           what=f"recording delivery {delivery_id}")


def _record(ctx: Context, delivery_id: int, channel: str, attempts: int,
            error: DeliveryError | None) -> DeliveryResult:
    """The outcome of a send, written without reading the row first: one conditional
    UPDATE (only from a state that may make the move, ``states.sources_of``) and the
    attempt's row."""
    now = ctx.now()
    values: dict[str, Any] = {"attempts": attempts, "claimed_until": None}
    if error is None:
        status, next_at = _D.SENT, None
        values.update(sent_at=now, last_error=None, last_error_code=None)
    else:
        values.update(last_error=short_message(error), last_error_code=error_code(error).value)
        delay = retry_delay(attempts, error)
        if error.code == ErrorCode.GONE:
            status, next_at = _D.DISABLED, None
        elif delay is None:
            status, next_at = _D.DEAD, None
        else:
            status, next_at = _D.FAILED, now + delay
    attempt = {"delivery_id": delivery_id, "at": now, "ok": error is None,
               "status_code": getattr(error, "status_code", None),
               "error": short_message(error) if error else None}
    with ctx.session() as s:
        move_row = (
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.status.in_(sources_of(status)))
            .values(status=status.value, next_attempt_at=next_at, **values)
            .returning(Delivery.id)
        )
        if s.get_bind().dialect.name == "postgresql":
            # one statement: the move in a CTE (PostgreSQL runs it whether or not it is
            # read), the attempt's row, and whether the move happened
            moved_cte = move_row.cte("moved")
            moved = s.execute(
                insert(DeliveryAttempt).values(**attempt)
                .returning(select(func.count()).select_from(moved_cte).scalar_subquery())
                .add_cte(moved_cte)
            ).scalar_one() or None
        else:
            moved = s.execute(move_row.execution_options(synchronize_session=False)).first()
            s.execute(insert(DeliveryAttempt).values(**attempt))
        if moved is None:  # a bug, or a hand-made change meanwhile: the attempt is still logged
            log.error("delivery %s: cannot record %s over its current state", delivery_id, status)
        if status == _D.DISABLED and error is not None:
            channels.disable_channel(s, channel, short_message(error), now)
        if status == _D.DEAD:
            log.error("delivery %s dead after %s attempt(s): %s", delivery_id, attempts, values["last_error"])
    if status == _D.SENT:
        return DeliveryResult(delivery_id, _D.SENT)
    if status == _D.DISABLED:
        return DeliveryResult(delivery_id, _D.DISABLED, error=values["last_error"])
    return DeliveryResult(delivery_id, status, next_at, values["last_error"])


# ---------------------------------------------------------------------------
# deliveries in a digest (the digests module decides; the rows change here)


def held_for_digest(session: Session, now: datetime) -> list[tuple[int, str, str, datetime | None]]:
    """(delivery id, channel, topic id, due at) of held deliveries waiting for a digest."""
    rows = session.execute(
        select(Delivery.id, Delivery.channel, Alert.topic_id, Delivery.next_attempt_at)
        .join(Alert, Alert.id == Delivery.alert_id)
        .where(Delivery.status == _D.HELD,
               Delivery.hold_reason.in_((HoldReason.DIGEST, HoldReason.THROTTLE)),
               Delivery.digest_id.is_(None), due(now))
        .order_by(Delivery.id)
    ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def attach_to_digest(session: Session, delivery_ids: list[int], digest_id: int) -> None:
    session.execute(update(Delivery)
                    .where(Delivery.id.in_(delivery_ids), Delivery.digest_id.is_(None))
                    .values(digest_id=digest_id))


def in_digest(session: Session, digest_id: int, *, held_only: bool = False) -> list[Delivery]:
    stmt = select(Delivery).where(Delivery.digest_id == digest_id)
    if held_only:
        stmt = stmt.where(Delivery.status == _D.HELD)
    return list(session.scalars(stmt.order_by(Delivery.id)))


def settle(deliveries: Iterable[Delivery], status: DeliveryStatus, *,
           error: str | None = None, code: ErrorCode | None = None) -> None:
    """Give digest members their outcome (dead, disabled): ``error`` as their last error."""
    for d in deliveries:
        move(d, status)
        d.last_error = stored_error(error) if error is not None else None
        if code is not None:
            d.last_error_code = code.value


def record_digest_attempt(session: Session, members: list[Delivery], payloads: dict[int, Any],
                          error: DeliveryError | None, done: datetime) -> None:
    """One attempt of a digest, on each of its members; sent ones become ``digested``."""
    for d in members:
        d.attempts += 1
        d.payload = payloads[d.id]
        session.add(DeliveryAttempt(delivery_id=d.id, at=done, ok=error is None,
                                    status_code=getattr(error, "status_code", None),
                                    error=short_message(error) if error else None))
    if error is None:
        for d in members:
            move(d, _D.DIGESTED)
            d.sent_at, d.next_attempt_at, d.last_error = done, None, None
        return
    for d in members:
        d.last_error, d.last_error_code = short_message(error), error_code(error).value


# ---------------------------------------------------------------------------
# rewinding, by hand (``newsradar alerts retry`` and ``enable``)


@dataclass
class RetryOutcome:
    delivery_id: int
    queued: bool
    why_not: str | None = None  # "missing", "sent" or "disabled" when not queued
    sent_at: datetime | None = None
    channel: str | None = None
    disabled_reason: str | None = None


def _rewind(d: Delivery, now: datetime) -> None:
    if d.digest_id is not None:
        # back into the next digest gathering, as a new digest
        move(d, _D.HELD)
        d.hold_reason, d.digest_id = d.hold_reason or HoldReason.DIGEST.value, None
    else:
        move(d, _D.PENDING)
    d.attempts = 0
    d.next_attempt_at = now
    d.claimed_until = None


def retry_delivery(session: Session, delivery_id: int, now: datetime) -> RetryOutcome:
    """Send a delivery again now (dead, failed, disabled or held): attempts start over
    on the retry schedule. A delivery already sent, or on a disabled channel, is left."""
    d = session.get(Delivery, delivery_id)
    if d is None:
        return RetryOutcome(delivery_id, False, "missing")
    if d.status in (_D.SENT, _D.DIGESTED):
        return RetryOutcome(delivery_id, False, "sent", sent_at=d.sent_at)
    reason = channels.disabled_reason(session, d.channel)
    if reason is not None:
        return RetryOutcome(delivery_id, False, "disabled", channel=d.channel, disabled_reason=reason)
    _rewind(d, now)
    return RetryOutcome(delivery_id, True)


def enable_channel(session: Session, channel: str, now: datetime, *, resend: bool = True) -> int | None:
    """Re-enable a channel disabled by a 410 and, with ``resend``, queue the deliveries
    it skipped meanwhile. None if the channel was not disabled, else how many queued."""
    if not channels.enable_channel(session, channel):
        return None
    n = 0
    if resend:
        for d in session.scalars(select(Delivery).where(Delivery.channel == channel,
                                                        Delivery.status == _D.DISABLED)):
            _rewind(d, now)
            n += 1
    return n

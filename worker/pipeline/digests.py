"""Digests: held alerts gathered into one message per (channel, topic, period) and
sent when due, retried on the delivery schedule. The only module that changes a digest
row; its member deliveries change through ``worker.pipeline.deliveries``."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from worker.alerts import RETRY_SCHEDULE, digest_period_key, effective_policy, retry_delay
from worker.alerts.message import DigestMessage
from worker.errors import DeliveryError, ErrorCode, short_message
from worker.pipeline import channels, deliveries
from worker.pipeline.context import Context
from worker.pipeline.messages import alert_message
from worker.pipeline.states import DeliveryStatus, DigestStatus, move
from worker.redact import stored_error
from worker.store import Digest
from worker.store.rows import insert_or_skip, rowcount, with_db_retries

log = logging.getLogger(__name__)

_G = DigestStatus


def send_digests(ctx: Context, now: datetime | None = None) -> list[int]:
    """Periodic: gather held alerts whose digest time has come into one digest per
    (channel, topic, period), then send every digest that is due. Returns the digest
    ids sent. A digest that fails is retried on the delivery schedule; its alerts stay
    attached."""
    now = now or ctx.now()
    _gather_digests(ctx, now)
    with ctx.session() as s:
        due = list(s.scalars(
            select(Digest.id)
            .where(Digest.status.in_((_G.PENDING, _G.FAILED, _G.SENDING)),
                   or_(Digest.next_attempt_at.is_(None), Digest.next_attempt_at <= now))
            .order_by(Digest.id)
        ))
    return [d for d in due if _send_digest(ctx, d, now) == _G.SENT]


def _gather_digests(ctx: Context, now: datetime) -> None:
    with ctx.session() as s:
        rows = deliveries.held_for_digest(s, now)
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
            deliveries.attach_to_digest(s, ids, digest_id)


def _open_digest(s: Session, channel: str, topic_id: str, key: str, now: datetime) -> int | None:
    """The id of the not-yet-sent digest for this period, created if needed. The row
    stays locked until the caller commits, so that a sender cannot claim it and read
    its alerts before the ones attached here are committed (they would be left behind
    in a sent digest)."""
    s.execute(
        insert_or_skip(s, Digest)
        .values(channel=channel, topic_id=topic_id, period_key=key, status=_G.PENDING.value,
                attempts=0, next_attempt_at=now, created_at=now)
        .on_conflict_do_nothing()
    )
    row = s.execute(select(Digest.id, Digest.status).where(
        Digest.channel == channel, Digest.topic_id == topic_id, Digest.period_key == key)
        .with_for_update()).first()
    if row is None or row[1] not in (_G.PENDING, _G.FAILED):
        return None
    return row[0]


def _send_digest(ctx: Context, digest_id: int, now: datetime) -> str:
    with ctx.session() as s:
        # Still 'sending' with its lease expired and the schedule used up: each earlier
        # try ended with its worker (a hard time limit, memory). Give up, visibly.
        if rowcount(s.execute(
            update(Digest)
            .where(Digest.id == digest_id, Digest.status == _G.SENDING, Digest.next_attempt_at <= now,
                   Digest.attempts > len(RETRY_SCHEDULE))
            .values(status=_G.DEAD.value, next_attempt_at=None)
        )):
            digest = s.get(Digest, digest_id)
            assert digest is not None
            digest.last_error = (f"gave up after {digest.attempts} attempts: the worker sending it "
                                 "stopped each time (time limit or crash)")
            deliveries.settle(deliveries.in_digest(s, digest_id, held_only=True), DeliveryStatus.DEAD,
                              error=digest.last_error, code=ErrorCode.CRASHED)
            log.error("digest %s dead: %s", digest_id, digest.last_error)
            return _G.DEAD
        # Claim: 'sending' with a lease in next_attempt_at (a dead worker's claim expires).
        claimed = rowcount(s.execute(
            update(Digest)
            .where(Digest.id == digest_id, Digest.status.in_((_G.PENDING, _G.FAILED, _G.SENDING)),
                   or_(Digest.next_attempt_at.is_(None), Digest.next_attempt_at <= now))
            .values(status=_G.SENDING.value, next_attempt_at=now + ctx.unrenewed_lease)
        ))
        if not claimed:
            return "claimed"
        digest = s.get(Digest, digest_id)
        assert digest is not None
        members = deliveries.in_digest(s, digest_id)
        reason = channels.disabled_reason(s, digest.channel)
        if reason is not None:
            move(digest, _G.DISABLED)
            digest.last_error = stored_error(f"channel {digest.channel} is disabled: {reason}")
            for d in members:
                deliveries.settle([d], DeliveryStatus.DISABLED, error=digest.last_error)
            return _G.DISABLED
        if not members:
            move(digest, _G.EMPTY)
            return _G.EMPTY
        topic = ctx.config.topic(digest.topic_id)
        items, item_payloads = [], {}
        for d in members:
            try:
                item = alert_message(s, ctx.config, d.alert, d.channel, d.id)
            except DeliveryError as exc:  # an item whose article is gone: say so, send the rest
                deliveries.settle([d], DeliveryStatus.DEAD, error=short_message(exc))
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
            raise DeliveryError(f"channel {digest.channel!r} is not configured", code=ErrorCode.NO_CHANNEL)
        channel.send(message)
    except DeliveryError as exc:
        error = exc
    except Exception as exc:
        log.exception("digest %s: unexpected error", digest_id)
        error = DeliveryError(short_message(exc), code=ErrorCode.INTERNAL)

    return with_db_retries(
        lambda: _record_digest(ctx, digest_id, attempts, item_payloads, error),
        what=f"recording digest {digest_id}")


def _record_digest(ctx: Context, digest_id: int, attempts: int,
                   item_payloads: dict[int, Any], error: DeliveryError | None) -> str:
    done = ctx.now()
    with ctx.session() as s:
        digest = s.get(Digest, digest_id)
        assert digest is not None
        digest.attempts = attempts
        members = [d for d in deliveries.in_digest(s, digest_id) if d.id in item_payloads]
        deliveries.record_digest_attempt(s, members, item_payloads, error, done)
        if error is None:
            move(digest, _G.SENT)
            digest.sent_at, digest.next_attempt_at, digest.last_error = done, None, None
            return _G.SENT
        digest.last_error = short_message(error)
        if error.code == ErrorCode.GONE:
            channels.disable_channel(s, digest.channel, digest.last_error, done)
            move(digest, _G.DISABLED)
            deliveries.settle(members, DeliveryStatus.DISABLED, error=digest.last_error)
            return _G.DISABLED
        delay = retry_delay(attempts, error)
        if delay is None:
            move(digest, _G.DEAD)
            digest.next_attempt_at = None
            deliveries.settle(members, DeliveryStatus.DEAD, error=digest.last_error)
            log.error("digest %s dead after %s attempt(s): %s", digest_id, attempts, digest.last_error)
            return _G.DEAD
        move(digest, _G.FAILED)
        digest.next_attempt_at = done + delay
        return _G.FAILED

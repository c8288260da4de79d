"""The outbox: an alert and one pending delivery per channel, written in the caller's
transaction before anything is sent. The only module that creates alert rows and
delivery rows; unique keys make a second run a no-op."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import String, column, literal, select, values
from sqlalchemy.orm import Session

from worker.pipeline.context import Context
from worker.pipeline.states import AlertKind, DeliveryStatus
from worker.store import Alert, Article, Delivery
from worker.store.rows import insert_or_skip

# The topic id of system alerts (feed health): not a valid configured topic id.
SYSTEM_TOPIC = "_feed_health"


def create_alert(
    ctx: Context,
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
                score=score, kind=AlertKind.ARTICLE.value, created_at=now)
        .on_conflict_do_nothing()
        .returning(Alert.id)
    ).first()
    if alert_row is None:  # (topic, article) or (topic, story) already has one
        return []
    return _deliveries(session, alert_row[0], topic.channels, now)


def create_alerts(
    ctx: Context,
    session: Session,
    article_id: int,
    story_id: int | None,
    items: list[tuple[str, float, int | None]],
    now: datetime,
) -> list[int]:
    """``create_alert`` for several (topic id, score, match id) of one article at once:
    one INSERT for the alerts and one for their deliveries, whatever the number of
    topics and channels. The unique keys decide, as there: a (topic, story) or (topic,
    article) that already has an alert gets nothing new. Returns the new delivery ids."""
    channels_of = {}
    for topic_id, _, _ in items:
        topic = ctx.config.topic(topic_id)
        if topic is not None:
            channels_of[topic_id] = topic.channels
    rows = [{"topic_id": topic_id, "article_id": article_id, "story_id": story_id, "match_id": match_id,
             "score": score, "kind": AlertKind.ARTICLE.value, "created_at": now}
            for topic_id, score, match_id in items if topic_id in channels_of]
    if not rows:
        return []
    new_alerts = insert_or_skip(session, Alert).values(rows).on_conflict_do_nothing().returning(
        Alert.id, Alert.topic_id)
    if session.get_bind().dialect.name == "postgresql":
        # one statement: the alerts in a CTE, a delivery per (alert, channel of its topic)
        # for the alerts it inserted (the unique keys still decide)
        a = new_alerts.cte("new_alerts")
        pairs = [(topic_id, channel) for topic_id, chans in channels_of.items() for channel in chans]
        if not pairs:
            session.execute(new_alerts)
            return []
        v = values(column("topic_id", String), column("channel", String), name="topic_channels").data(pairs)
        delivery_rows = select(
            a.c.id, v.c.channel, literal(DeliveryStatus.PENDING.value), literal(0),
            literal(now, Delivery.__table__.c.next_attempt_at.type),
            literal(now, Delivery.__table__.c.created_at.type),
        ).select_from(a.join(v, v.c.topic_id == a.c.topic_id))
        return list(session.scalars(
            insert_or_skip(session, Delivery)
            .from_select(["alert_id", "channel", "status", "attempts", "next_attempt_at", "created_at"],
                         delivery_rows)
            .on_conflict_do_nothing()
            .returning(Delivery.id)
            .add_cte(a)
        ))
    alerts = session.execute(new_alerts).all()
    wanted = [{"alert_id": alert_id, "channel": channel, "status": DeliveryStatus.PENDING.value,
               "attempts": 0, "next_attempt_at": now, "created_at": now, "payload": None}
              for alert_id, topic_id in alerts for channel in channels_of[topic_id]]
    if not wanted:
        return []
    return list(session.scalars(
        insert_or_skip(session, Delivery).values(wanted).on_conflict_do_nothing().returning(Delivery.id)
    ))


def create_system_alert(
    session: Session, feed_id: int, channels: list[str], now: datetime,
    payload: Callable[[int, str], dict[str, Any]],
) -> list[int]:
    """A system alert (feed health) about one feed and a delivery per channel, each
    carrying its message as ``payload(alert_id, channel)``. Returns the delivery ids."""
    alert = Alert(topic_id=SYSTEM_TOPIC, article_id=None, feed_id=feed_id,
                  kind=AlertKind.SYSTEM.value, score=0.0, created_at=now)
    session.add(alert)
    session.flush()
    alert_id = alert.id
    return _deliveries(session, alert_id, channels, now, lambda ch: payload(alert_id, ch))


def _deliveries(
    session: Session, alert_id: int, channels: list[str], now: datetime,
    payload: Callable[[str], dict[str, Any]] | None = None,
) -> list[int]:
    ids: list[int] = []
    for channel in channels:
        row = session.execute(
            insert_or_skip(session, Delivery)
            .values(alert_id=alert_id, channel=channel, status=DeliveryStatus.PENDING.value,
                    attempts=0, next_attempt_at=now, created_at=now,
                    payload=payload(channel) if payload else None)
            .on_conflict_do_nothing()
            .returning(Delivery.id)
        ).first()
        if row is not None:
            ids.append(row[0])
    return ids

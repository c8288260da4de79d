"""Feed health: a system alert on the ``feed_health`` channels when a feed starts
failing or goes silent, once per incident, and a recovery notice when it is healthy
again. The rules are ``worker.alerts``' (no database); the feed's incident changes in
``feeds``, the alert and its deliveries are written by ``outbox``."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select

from worker.alerts import FeedSnapshot, SystemMessage, assess_feed, health_change, usual_interval
from worker.pipeline import feeds, outbox
from worker.pipeline.context import Context
from worker.store import Article, Feed

log = logging.getLogger(__name__)

HEALTH_HISTORY = 20


def check_feed_health(ctx: Context, now: datetime | None = None) -> list[int]:
    """Periodic: system alerts for feeds failing N polls in a row or silent k times their
    usual interval, once per incident, and a recovery notice. Returns the new delivery
    ids (pending; hand them to ``deliver``)."""
    now = now or ctx.now()
    policy = ctx.config.feed_health
    if not policy.channels:
        return []
    created: list[int] = []
    with ctx.session() as s:
        rows = list(s.scalars(select(Feed).where(Feed.enabled.is_(True)).order_by(Feed.id)))
        for feed in rows:
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
            if not feeds.set_health_incident(
                    s, feed.id, previous, incident if change.action == "raise" else None, now):
                continue
            event = f"feed.{change.incident}" if change.action == "raise" else "feed.recovered"
            detail = change.detail if change.action == "raise" else f"healthy again after: {previous}"

            def payload(alert_id: int, channel: str, feed: Feed = feed,
                        event: str = event, detail: str = detail) -> dict[str, Any]:
                return SystemMessage(
                    alert_id=alert_id, channel=channel, event=event, feed_url=feed.url,
                    feed_name=feed.name or feed.title, detail=detail,
                    last_error=feed.last_error if event != "feed.recovered" else None,
                    created_at=now,
                ).to_payload()

            created += outbox.create_system_alert(s, feed.id, policy.channels, now, payload)
            log.warning("feed %s (%s): %s %s", feed.id, feed.url, event, detail)
    return created

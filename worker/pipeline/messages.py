"""The message for a delivery, read from the rows as they are now (a story's sources
grow as outlets pick it up). Reads only: nothing here changes a row."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from worker.alerts.message import AlertMessage, Message, Source, SystemMessage
from worker.config import Config
from worker.errors import DeliveryError, ErrorCode
from worker.pipeline.states import AlertKind
from worker.store import Alert, Article, Delivery, Match


def alert_message(session: Session, config: Config, alert: Alert, channel: str,
                  delivery_id: int) -> AlertMessage:
    article = alert.article
    if article is None:
        raise DeliveryError(f"alert {alert.id}: its article is gone", code=ErrorCode.MISSING,
                            permanent=True)
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
    from worker.config import get_settings
    from worker.pipeline.feedback import feedback_links

    settings = get_settings()
    good_url, bad_url = feedback_links(settings.web_base_url, settings.feedback_secret, alert.id)
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
        relevance=match.relevance if match else None,
        feedback_good_url=good_url,
        feedback_bad_url=bad_url,
    )


def build_message(session: Session, config: Config, delivery: Delivery) -> Message:
    """The message for one delivery. System alerts carry theirs in the payload."""
    alert = delivery.alert
    if alert.kind == AlertKind.SYSTEM:
        return SystemMessage.from_payload(delivery.payload or {}, alert_id=alert.id,
                                          channel=delivery.channel)
    return alert_message(session, config, alert, delivery.channel, delivery.id)

"""Relevance feedback: a user's good/bad mark on a (topic, article), from the CLI
(``newsradar alerts feedback``), the console, the API or a signed link in an alert.
The only module that writes the ``alert_feedback`` table; ``topics tune`` reads it.

A second mark on the same (topic, article) replaces the first. Marking a held-back
match good does not send it now (its time has passed): it teaches the topic, and
``topics tune`` refits the threshold and model from the marks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from worker.store import Alert, AlertFeedback, Article, utcnow

LABELS = ("good", "bad")


class FeedbackError(ValueError):
    """A mark that cannot be stored: an unknown label, alert or article."""


@dataclass(frozen=True)
class Feedback:
    topic_id: str
    article_id: int
    label: str           # good | bad
    source: str | None   # who: cli, console, link, api
    at: datetime


def _as_feedback(row: AlertFeedback) -> Feedback:
    return Feedback(row.topic_id, row.article_id, row.verdict, row.source, row.at)


def record_feedback(session: Session, topic_id: str, article_id: int, label: str,
                    source: str | None = None, now: datetime | None = None) -> Feedback:
    """Mark (topic, article) good or bad, in the caller's transaction."""
    label = label.strip().lower()
    if label not in LABELS:
        raise FeedbackError(f"expected good or bad (got {label!r})")
    if session.get(Article, article_id) is None:
        raise FeedbackError(f"no article {article_id}")
    now = now or utcnow()
    row = session.scalar(select(AlertFeedback).where(AlertFeedback.topic_id == topic_id,
                                                     AlertFeedback.article_id == article_id))
    if row is None:
        row = AlertFeedback(topic_id=topic_id, article_id=article_id)
        session.add(row)
    row.verdict, row.at, row.source = label, now, source
    session.flush()
    return _as_feedback(row)


def record_alert_feedback(session: Session, alert_id: int, label: str,
                          source: str | None = None, now: datetime | None = None) -> Feedback:
    """Mark an article alert's (topic, article) good or bad."""
    alert = session.get(Alert, alert_id)
    if alert is None or alert.article_id is None:
        raise FeedbackError(f"no article alert {alert_id}")
    return record_feedback(session, alert.topic_id, alert.article_id, label, source, now)


def feedback_for_topic(session: Session, topic_id: str) -> list[Feedback]:
    """Every mark on a topic, oldest first."""
    rows = session.scalars(select(AlertFeedback).where(AlertFeedback.topic_id == topic_id)
                           .order_by(AlertFeedback.at, AlertFeedback.id))
    return [_as_feedback(r) for r in rows]


def feedback_of(session: Session, topic_id: str, article_id: int) -> Feedback | None:
    row = session.scalar(select(AlertFeedback).where(AlertFeedback.topic_id == topic_id,
                                                     AlertFeedback.article_id == article_id))
    return _as_feedback(row) if row is not None else None


# ---------------------------------------------------------------------------
# signed one-click links (email, webhook feedback_url), verified by the console


def _mac(secret: str, msg: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), msg.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode("ascii")


def feedback_token(secret: str, alert_id: int, label: str) -> str:
    """``{alert_id}.{label}.{mac}``: marks one alert good or bad, nothing else."""
    if label not in LABELS:
        raise FeedbackError(f"expected good or bad (got {label!r})")
    msg = f"{alert_id}.{label}"
    return f"{msg}.{_mac(secret, 'feedback:' + msg)}"


def verify_feedback_token(secret: str, token: str) -> tuple[int, str] | None:
    """(alert_id, label) of a valid token, else None."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or parts[1] not in LABELS:
        return None
    msg = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2], _mac(secret, "feedback:" + msg)):
        return None
    return int(parts[0]), parts[1]


def feedback_links(base_url: str | None, secret: str | None, alert_id: int
                   ) -> tuple[str | None, str | None]:
    """(good, bad) links to the console's feedback route, or (None, None)."""
    if not base_url or not secret:
        return None, None
    base = base_url.rstrip("/")
    return tuple(f"{base}/feedback/{feedback_token(secret, alert_id, lab)}"  # type: ignore[return-value]
                 for lab in LABELS)

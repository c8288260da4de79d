"""Reading matches: the held-back ones (the gate passed them, relevance held them back),
so that nothing relevance decides is dropped silently. Reads only: matches are written
by ``pipeline/articles.py``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from worker.pipeline.states import MatchStatus
from worker.store import AlertFeedback, Article, Match


@dataclass(frozen=True)
class HeldBack:
    match_id: int
    topic_id: str
    article_id: int
    title: str | None
    url: str
    site: str | None
    published: datetime | None
    score: float                      # the gate's score
    relevance: dict[str, Any] | None  # Relevance.to_dict(): score, parts, reason, ...
    created_at: datetime
    feedback: str | None              # good | bad, when the user marked it

    @property
    def reason(self) -> str:
        return str((self.relevance or {}).get("reason") or "")

    @property
    def relevance_score(self) -> float | None:
        v = (self.relevance or {}).get("score")
        return float(v) if v is not None else None


def _held_back_query(topic_id: str | None):
    q = (select(Match, Article, AlertFeedback.verdict)
         .join(Article, Article.id == Match.article_id)
         .outerjoin(AlertFeedback, (AlertFeedback.topic_id == Match.topic_id)
                    & (AlertFeedback.article_id == Match.article_id))
         .where(Match.status == MatchStatus.HELD_BACK.value))
    if topic_id is not None:
        q = q.where(Match.topic_id == topic_id)
    return q


def list_held_back(session: Session, topic_id: str | None = None, limit: int = 50,
                   offset: int = 0) -> list[HeldBack]:
    """Held-back matches, newest first (per topic when ``topic_id`` is given)."""
    rows = session.execute(_held_back_query(topic_id)
                           .order_by(Match.created_at.desc(), Match.id.desc())
                           .limit(limit).offset(offset))
    return [HeldBack(m.id, m.topic_id, a.id, a.title, a.url, a.site, a.published_at, m.score,
                     m.relevance, m.created_at, verdict) for m, a, verdict in rows]


def count_held_back(session: Session, topic_id: str | None = None) -> int:
    q = select(func.count(Match.id)).where(Match.status == MatchStatus.HELD_BACK.value)
    if topic_id is not None:
        q = q.where(Match.topic_id == topic_id)
    return int(session.scalar(q) or 0)


def match_of(session: Session, topic_id: str, article_id: int) -> Match | None:
    return session.scalar(select(Match).where(Match.topic_id == topic_id,
                                              Match.article_id == article_id))

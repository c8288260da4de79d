"""Persistence: SQLAlchemy models, engines/sessions and Alembic migrations."""

from worker.store.db import (
    make_engine,
    make_sessionmaker,
    session_scope,
    upgrade,
)
from worker.store.models import (
    Alert,
    Article,
    Base,
    ChannelState,
    Delivery,
    DeliveryAttempt,
    Digest,
    Feed,
    Match,
    Story,
    utcnow,
)
from worker.store.queries import StoredArticle, iter_articles

__all__ = [
    "Alert", "Article", "Base", "ChannelState", "Delivery", "DeliveryAttempt", "Digest",
    "Feed", "Match", "Story", "StoredArticle", "iter_articles", "make_engine", "make_sessionmaker", "session_scope",
    "upgrade", "utcnow",
]

"""Persistence: SQLAlchemy models, engines/sessions and Alembic migrations."""

from worker.store.db import (
    make_engine,
    make_sessionmaker,
    session_scope,
    upgrade,
)
from worker.store.models import (
    Alert,
    AlertFeedback,
    ApiToken,
    Article,
    Base,
    ChannelState,
    ConsoleFeed,
    ConsoleSession,
    ConsoleTopic,
    Delivery,
    DeliveryAttempt,
    Digest,
    Feed,
    Match,
    MutedStory,
    Story,
    StoryBand,
    TopicRelevanceModel,
    band_keys,
    utcnow,
)
from worker.store.queries import StoredArticle, iter_articles

__all__ = [
    "Alert", "AlertFeedback", "ApiToken", "Article", "ConsoleFeed", "ConsoleSession", "ConsoleTopic", "Base", "ChannelState", "Delivery", "DeliveryAttempt", "Digest",
    "Feed", "Match", "MutedStory", "Story", "StoryBand", "StoredArticle", "TopicRelevanceModel", "band_keys", "iter_articles", "make_engine", "make_sessionmaker", "session_scope",
    "upgrade", "utcnow",
]

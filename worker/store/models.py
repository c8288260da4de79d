"""SQLAlchemy models: the whole state of newsradar.

Uniqueness that the guarantees rest on lives here, as database constraints:

- ``feeds.url``                         one row per feed
- ``articles.canonical_url``            an article is stored once, whatever feed or poll brings it
- ``articles (feed_id, guid)``          an entry already stored is skipped by key
- ``matches (article_id, topic_id)``    one match per article and topic
- ``alerts (topic_id, article_id)``     one alert per topic and article
- ``alerts (topic_id, story_id)``       one alert per topic and story (near-duplicates share a story)
- ``deliveries (alert_id, channel)``    one delivery per alert and channel

Times are stored as aware UTC datetimes (``UtcDateTime`` normalises SQLite's naive values).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    name: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str | None] = mapped_column(String(1000))
    site_url: Mapped[str | None] = mapped_column(String(2048))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    poll_interval_s: Mapped[float] = mapped_column(Float, default=900.0)
    etag: Mapped[str | None] = mapped_column(String(1000))
    last_modified: Mapped[str | None] = mapped_column(String(200))
    last_polled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_new_entry_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_poll_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    consecutive_errors: Mapped[int] = mapped_column(Integer, default=0)
    # ok | new | error | gone | disabled
    status: Mapped[str] = mapped_column(String(20), default="new")
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_code: Mapped[str | None] = mapped_column(String(50))
    # problems a feed had that did not stop it (bozo XML, capped items)
    last_problems: Mapped[list[str] | None] = mapped_column(JSON)
    # A claim so that two pollers never work on the same feed at once.
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # feed-health incident bookkeeping (system alerts, once per incident)
    health_incident: Mapped[str | None] = mapped_column(String(30))
    health_alerted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # a hash of what the feed was last polled under (its config and the network policy):
    # when it changes, a backed-off or gone feed is polled again at once
    settings_hash: Mapped[str | None] = mapped_column(String(64))
    # successful polls (200 or 304) and those answered 304 Not Modified: the share of 304s
    polls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    polls_not_modified: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    articles: Mapped[list[Article]] = relationship(back_populates="feed")


class Story(Base):
    """A cluster of near-duplicate articles (the same agency story on several outlets)."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    simhash: Mapped[int | None] = mapped_column(BigInteger, index=True)
    first_article_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# The near-duplicate lookup's LSH: 8 bit selections (the identity and 7 fixed random
# permutations of the 64 bits), each cut into 4 bands of 16 bits = 32 buckets per
# fingerprint. Two fingerprints within STORY_THRESHOLD (12) bits share a bucket for
# 97 % of bench/dedup.py's same-story pairs (100 % at distance <= 3, pigeonhole); an
# unrelated one shares one with odds 32/65,536. Changing this needs a re-band migration.
_BAND_BITS = 16
_BAND_PERMS: tuple[tuple[int, ...], ...] = (tuple(range(64)),) + tuple(
    tuple(random.Random(0x6E72 + i).sample(range(64), 64)) for i in range(7)
)


def band_keys(fp: int) -> list[int]:
    """The LSH bucket keys of an unsigned 64-bit SimHash (distinct ints < 2**21)."""
    keys = []
    per = 64 // _BAND_BITS
    for pi, perm in enumerate(_BAND_PERMS):
        for j in range(per):
            v = 0
            for k, bit in enumerate(perm[j * _BAND_BITS:(j + 1) * _BAND_BITS]):
                v |= ((fp >> bit) & 1) << k
            keys.append(((pi * per + j) << _BAND_BITS) | v)
    return keys


class StoryBand(Base):
    """One LSH bucket of a fingerprinted article: the near-duplicate lookup's index.

    ``bucket`` packs (band number, 16 bits of the SimHash under that band's bit
    selection); an article has one row per band. Lookup reads the rows sharing any of
    the new article's buckets through the ``bucket`` index, so its cost depends on the
    bucket occupancy (archive / 65,536 per band), not on a time window. Rows stay when
    an article is pruned: the story keeps its fingerprints."""

    __tablename__ = "story_bands"

    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[int] = mapped_column(Integer, index=True)
    simhash: Mapped[int] = mapped_column(BigInteger)


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("feed_id", "guid"),
        Index("ix_articles_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    guid: Mapped[str] = mapped_column(String(2048))
    url: Mapped[str] = mapped_column(String(2048))
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str | None] = mapped_column(String(1000))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    fetched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # what the feed entry itself carried: the fallback when the page gives no story
    entry_summary: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(300))
    site: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    simhash: Mapped[int | None] = mapped_column(BigInteger)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id"), index=True)
    # new | processing | done | error | failed
    status: Mapped[str] = mapped_column(String(20), default="new")
    error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(50))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)

    feed: Mapped[Feed | None] = relationship(back_populates="articles")
    matches: Mapped[list[Match]] = relationship(back_populates="article")


class Match(Base):
    __tablename__ = "matches"
    __table_args__ = (UniqueConstraint("article_id", "topic_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    topic_id: Mapped[str] = mapped_column(String(200), index=True)
    score: Mapped[float] = mapped_column(Float)
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    highlights: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # alerted | held_back (MatchStatus): relevance held back a story the gate passed
    status: Mapped[str] = mapped_column(String(20), default="alerted", server_default="alerted",
                                        index=True)
    # Relevance.to_dict() (score, parts, reason, ...); None when relevance is off
    relevance: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    article: Mapped[Article] = relationship(back_populates="matches")


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("topic_id", "article_id"),
        UniqueConstraint("topic_id", "story_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[str] = mapped_column(String(200), index=True)
    # None for system alerts (feed health), which name their feed instead
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id"))
    match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id", ondelete="SET NULL"))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    # article | system (feed health)
    kind: Mapped[str] = mapped_column(String(20), default="article")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)

    article: Mapped[Article | None] = relationship()
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="alert")


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "channel"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        # the hourly throttle counts a channel's releases of the last hour
        Index("ix_deliveries_channel_released", "channel", "released_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(200))
    # pending | sending | sent | failed (will retry) | dead | held (digest/quiet/throttle) | digested | disabled
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_code: Mapped[str | None] = mapped_column(String(50))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    digest_id: Mapped[int | None] = mapped_column(Integer)
    # why a held delivery waits: quiet (until quiet hours end) | digest | throttle (next digest)
    hold_reason: Mapped[str | None] = mapped_column(String(20))
    # when the policy let it go out: the max_per_hour throttle counts these
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    alert: Mapped[Alert] = relationship(back_populates="deliveries")
    attempt_log: Mapped[list[DeliveryAttempt]] = relationship(
        back_populates="delivery", order_by="DeliveryAttempt.id"
    )


class DeliveryAttempt(Base):
    """One try of a delivery: when, outcome, error. `alerts show` prints these."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)

    delivery: Mapped[Delivery] = relationship(back_populates="attempt_log")


class ChannelState(Base):
    """Per-channel state: an endpoint that answered 410 is disabled, and says so."""

    __tablename__ = "channel_state"

    channel: Mapped[str] = mapped_column(String(200), primary_key=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Digest(Base):
    """A digest sent on a channel: the held deliveries it carried point at it."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("channel", "topic_id", "period_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(200))
    topic_id: Mapped[str] = mapped_column(String(200))
    period_key: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# ---------------------------------------------------------------------------
# The console (worker/web): API tokens, feeds and topics created in the console, and
# per-(topic, article) feedback. Migration 0002_web_tokens.


class ApiToken(Base):
    """A bearer token for /api/v1: only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ConsoleSession(Base):
    """A console login session (or a login form's pre-session): only the SHA-256 of its
    id is stored, so a copy of the table opens no session. In the database rather than
    in one process's memory: a console restart keeps its users logged in, and several
    console processes share the sessions."""

    __tablename__ = "console_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    csrf: Mapped[str] = mapped_column(String(64))
    user: Mapped[str | None] = mapped_column(String(200))  # None: a login form's pre-session
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class ConsoleFeed(Base):
    """A feed added in the console (config-defined feeds stay in the YAML). The runner
    polls the union of both (``worker.web._actions.effective_config``)."""

    __tablename__ = "console_feeds"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(300))
    poll_interval_s: Mapped[float] = mapped_column(Float, default=900.0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ConsoleTopic(Base):
    """A watch topic created in the console; same fields as a config topic's core."""

    __tablename__ = "console_topics"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(300))
    query: Mapped[str] = mapped_column(Text)
    min_score: Mapped[float] = mapped_column(Float, default=0.0)
    channels: Mapped[list[str] | None] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # delivery policy (TopicConfig's): instant | digest, and a cap per hour
    mode: Mapped[str] = mapped_column(String(20), default="instant")
    max_per_hour: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class MutedStory(Base):
    """A story muted in the console: its alerts leave the inbox (they stay in the database)."""

    __tablename__ = "muted_stories"

    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AlertFeedback(Base):
    """THE relevance feedback: good/bad per (topic, article), from the CLI, the console,
    or a signed link. Written only by worker/pipeline/feedback.py."""

    __tablename__ = "alert_feedback"
    __table_args__ = (UniqueConstraint("topic_id", "article_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[str] = mapped_column(String(200), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    verdict: Mapped[str] = mapped_column(String(10))  # good | bad
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    source: Mapped[str | None] = mapped_column(String(100))  # who: cli, console, link, api


class TopicRelevanceModel(Base):
    """A topic's tuned relevance: the threshold and model fitted by ``topics tune``.
    Written only by worker/pipeline/tuning.py; read when the topic is prepared."""

    __tablename__ = "topic_relevance_models"

    topic_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    min_relevance: Mapped[float] = mapped_column(Float)
    model: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # TopicModel.to_dict()
    n_labels: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # P/R before/after
    fitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

"""Stories: clusters of near-duplicate articles (an agency story carried by several
outlets). The only module that writes the stories table, the near-duplicate index
(``story_bands``) and an article's story membership (``story_id``, ``simhash``).

The lookup is an LSH over the SimHash in a database table: each fingerprinted article
has one ``story_bands`` row per bucket (``worker.store.band_keys``), and a new article
reads only the rows sharing one of its buckets, through an index. Its cost follows the
bucket occupancy, not the size or age of the archive, so a duplicate of a month-old
story is found as quickly as one of an hour-old story.

Concurrency (PostgreSQL): the choice (lookup, maybe a new story, the article's bucket
rows) takes advisory locks on the article's 32 buckets only, held to the end of the
caller's transaction (the article's result, matches, alerts, deliveries: one commit),
so two copies of one story that share a bucket are serialised and the second sees the
first's committed rows, while unrelated articles never wait for each other. The choice
is idempotent: a retried article finds its own bucket rows and keeps its story.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, func, insert, literal_column, select, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT, INTEGER
from sqlalchemy.orm import Session

from worker.alerts import STORY_THRESHOLD, hamming, simhash, to_signed, to_unsigned
from worker.store import Article, Story, StoryBand, band_keys

# Advisory-lock key space for the buckets (high bits: "nrST"), so they never collide
# with another lock of the application.
_LOCK_BASE = 0x6E72_5354 << 32


_NEW_STORY_PG = text(
    "WITH s AS (INSERT INTO stories (first_article_id, simhash, created_at) "
    "VALUES (:article_id, :fp, :now) RETURNING id) "
    "INSERT INTO story_bands (bucket, article_id, story_id, simhash) "
    "SELECT k, :article_id, s.id, :fp FROM s, unnest(:keys) AS k RETURNING story_id"
).bindparams(bindparam("keys", type_=ARRAY(INTEGER)), bindparam("now", type_=Story.__table__.c.created_at.type))


class ChoiceTimer:
    """Seconds spent holding the bucket locks (from the choice to the commit), for the
    benchmark; the caller that commits adds to it."""

    total_s: float = 0.0
    count: int = 0


def assign_story(session: Session, article: Article, now: datetime | None = None) -> int:
    """Put the article in a story and return the story id (see ``choose_story``); sets
    the article's ``story_id`` and ``simhash``."""
    if article.story_id is not None:
        return article.story_id
    now = now or article.created_at or datetime.now(UTC)
    story_id, signed = choose_story(session, article.id, article.text, now)
    article.simhash = signed
    article.story_id = story_id
    return story_id


def fingerprint(text: str | None) -> int | None:
    """The article's SimHash (None: too short to fingerprint)."""
    return simhash(text or "")


def choose_story(session: Session, article_id: int, text: str | None, now: datetime,
                 *, fp: int | None = None) -> tuple[int, int | None]:
    """The story of the closest stored article within ``STORY_THRESHOLD`` bits of
    SimHash among those sharing an LSH bucket with this one, else a new story, in the
    caller's transaction; returns (story id, the article's signed SimHash). Articles
    too short to fingerprint get a story of their own. On PostgreSQL the article's
    bucket locks are held until the caller commits. ``fp``: the fingerprint, computed
    by the caller beforehand (outside any lock)."""
    if fp is None:
        fp = fingerprint(text)
    if fp is None:
        story = Story(first_article_id=article_id, simhash=None, created_at=now)
        session.add(story)
        session.flush()
        return story.id, None
    lock = session.get_bind().dialect.name == "postgresql"  # SQLite serialises writers itself
    return _choose(session.connection(), article_id, fp, now, lock=lock), to_signed(fp)


def _choose(conn: Connection, article_id: int, fp: int, now: datetime, *, lock: bool) -> int:
    keys = sorted(band_keys(fp))
    if lock:
        # One statement, buckets in ascending order: two choices never deadlock. Its own
        # statement, so the lookup below reads with a snapshot taken after the wait.
        conn.execute(
            select(func.pg_advisory_xact_lock(literal_column("k"))).select_from(
                func.unnest(bindparam("keys", type_=ARRAY(BIGINT))).alias("k")
            ),
            {"keys": [_LOCK_BASE | k for k in keys]},
        )
    rows = conn.execute(
        select(StoryBand.article_id, StoryBand.story_id, StoryBand.simhash).where(
            StoryBand.bucket.in_(keys)
        )
    ).all()
    story_id = _closest(article_id, fp, rows)
    if story_id is None and lock:
        # PostgreSQL: the new story and its bucket rows in one statement (one round trip)
        new_id = conn.execute(_NEW_STORY_PG, {
            "article_id": article_id, "fp": to_signed(fp), "now": now, "keys": keys,
        }).scalars().first()
        assert new_id is not None  # 32 bucket rows were inserted
        return int(new_id)
    if story_id is None:
        story_id = conn.execute(
            insert(Story)
            .values(first_article_id=article_id, simhash=to_signed(fp), created_at=now)
            .returning(Story.id)
        ).scalar_one()
    elif any(r[0] == article_id for r in rows):
        return story_id  # a retry: this article's rows are already there
    signed = to_signed(fp)
    # executemany: SQLAlchemy sends it as one multi-row INSERT with a cached compile
    conn.execute(
        insert(StoryBand),
        [{"bucket": k, "article_id": article_id, "story_id": story_id, "simhash": signed} for k in keys],
    )
    return story_id


def _closest(article_id: int, fp: int, rows: Sequence[tuple[int, int, int]]) -> int | None:
    best: tuple[int, int] | None = None
    for other_id, story_id, other_fp in rows:
        if other_id == article_id:
            return story_id
        d = hamming(fp, to_unsigned(other_fp))
        if d <= STORY_THRESHOLD and (best is None or d < best[0] or (d == best[0] and story_id < best[1])):
            best = (d, story_id)
    return best[1] if best is not None else None

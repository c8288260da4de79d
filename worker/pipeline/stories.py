"""Stories: clusters of near-duplicate articles (an agency story carried by several
outlets). The only module that writes the stories table and an article's story
membership (``story_id``, ``simhash``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from worker.alerts import STORY_THRESHOLD, hamming, simhash, to_signed, to_unsigned
from worker.store import Article, Story

# Near-duplicates are looked for among articles stored this recently, newest first.
STORY_WINDOW = timedelta(days=3)
STORY_CANDIDATES = 5000
# PostgreSQL advisory lock key (any constant) that serialises story assignment.
_STORY_LOCK = 0x6E72_5354  # "nrST"


def assign_story(session: Session, article: Article, now: datetime | None = None) -> int:
    """Put the article in a story and return the story id: the story of the closest
    article stored in the ``STORY_WINDOW`` before ``now`` (default: when this article
    was stored) within ``STORY_THRESHOLD`` bits of SimHash, else a new story.
    Articles too short to fingerprint get a story of their own."""
    if article.story_id is not None:
        return article.story_id
    now = now or article.created_at or datetime.now(UTC)
    fp = simhash("\n".join(x for x in (article.text,) if x) or "")
    article.simhash = to_signed(fp) if fp is not None else None
    if fp is not None:
        # Two copies of a story matched at once must not each start a story (and each
        # get an alert): on PostgreSQL, whose transactions do not see each other's
        # uncommitted stories, assignment is serialised until this transaction ends,
        # and the lookup below then sees the other's committed story. SQLite already
        # serialises writers.
        if session.get_bind().dialect.name == "postgresql":
            session.execute(select(func.pg_advisory_xact_lock(_STORY_LOCK)))
        rows = session.execute(
            select(Article.simhash, Article.story_id)
            .where(
                Article.id != article.id,
                Article.story_id.is_not(None),
                Article.simhash.is_not(None),
                Article.created_at >= now - STORY_WINDOW,
            )
            .order_by(Article.id.desc())
            .limit(STORY_CANDIDATES)
        ).all()
        best: tuple[int, int] | None = None
        for other_fp, story_id in rows:
            d = hamming(fp, to_unsigned(other_fp))
            if d <= STORY_THRESHOLD and (best is None or d < best[0]):
                best = (d, story_id)
        if best is not None:
            article.story_id = best[1]
            return best[1]
    story = Story(first_article_id=article.id, simhash=article.simhash, created_at=now)
    session.add(story)
    session.flush()
    article.story_id = story.id
    return story.id

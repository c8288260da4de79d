"""Read-side queries shared by the CLI commands."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from worker.store.db import make_engine, make_sessionmaker, upgrade
from worker.store.models import Article


@dataclass(frozen=True)
class StoredArticle:
    """An article as the topics backtest reads it: the cleaned story, never the page."""

    id: int
    url: str
    title: str
    text: str
    published: datetime | None
    site: str | None
    lang: str | None
    story_id: int | None = None  # the story it belongs to: alerts are one per (topic, story)


def iter_articles(
    *, since: datetime | None = None, database_url: str | None = None, batch: int = 500
) -> Iterator[StoredArticle]:
    """Every processed article (published or, undated, fetched since ``since``), oldest
    first, streamed in batches so a large store does not fill memory."""
    if database_url is None:
        from worker.config import get_settings

        database_url = get_settings().database_url
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        stmt = select(Article).where(Article.status == "done", Article.text.is_not(None))
        if since is not None:
            stmt = stmt.where(
                or_(
                    Article.published_at >= since,
                    Article.published_at.is_(None) & (Article.created_at >= since),
                )
            )
        stmt = stmt.order_by(Article.id).execution_options(yield_per=batch)
        with make_sessionmaker(engine)() as session:
            for art in session.scalars(stmt):
                yield StoredArticle(
                    id=art.id, url=art.url, title=art.title or "", text=art.text or "",
                    published=art.published_at, site=art.site, lang=art.language,
                    story_id=art.story_id,
                )
    finally:
        engine.dispose()

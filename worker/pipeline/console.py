"""What the console adds to the config: feeds and topics created in the web console live in
the database (``console_feeds``, ``console_topics``); the runner, the service and the
console all see the config file plus those (reads only: the console's own module writes
them).

    effective_config(config, session)    the config file plus the console's feeds and topics
    console_version(session)             changes whenever a console feed or topic does
    apply_console(ctx, base)             point ctx at them (in place); returns the version
    with_console(ctx, base, version)     ctx again, or a new ctx with them when they changed

The firsthour2 branch grows this module (console feed changes for ``newsradar feeds add``
and the console); ``effective_config``, ``console_version``, ``topic_config`` and
``apply_console`` are written as there, so the two merge by taking that side's file plus
``with_console`` and ``console_feed_urls``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from worker.config import Config, FeedConfig, TopicConfig
from worker.pipeline.context import Context, build_index
from worker.store import ConsoleFeed, ConsoleTopic

__all__ = ["apply_console", "console_feed_urls", "console_version", "effective_config", "topic_config",
           "with_console"]


def topic_config(t: ConsoleTopic) -> TopicConfig:
    return TopicConfig(id=t.id, name=t.name, query=t.query, min_score=t.min_score,
                       channels=list(t.channels or []), enabled=t.enabled, mode=t.mode or "instant",
                       max_per_hour=t.max_per_hour)


def effective_config(config: Config, session: Session) -> Config:
    """``config`` with the feeds and topics created in the console added. The runner and
    the service build their context from this, so console changes are picked up on the
    next pass without a restart (config-defined items win on a clash)."""
    urls = {f.url for f in config.feeds}
    ids = {t.id for t in config.topics}
    feeds = list(config.feeds) + [
        FeedConfig(url=f.url, name=f.name, poll_interval=f.poll_interval_s, enabled=f.enabled)
        for f in session.scalars(select(ConsoleFeed).order_by(ConsoleFeed.created_at))
        if f.url not in urls
    ]
    topics = list(config.topics) + [
        topic_config(t) for t in session.scalars(select(ConsoleTopic).order_by(ConsoleTopic.id))
        if t.id not in ids
    ]
    return config.model_copy(update={"feeds": feeds, "topics": topics})


def console_feed_urls(session: Session) -> set[str]:
    return set(session.scalars(select(ConsoleFeed.url)))


def console_version(session: Session) -> tuple[Any, ...]:
    """Changes whenever a console feed or topic is added, changed or removed: a long-running
    runner or service compares it each pass/tick and rebuilds its context from
    ``effective_config`` only when it moved. Two cheap aggregate queries."""
    feeds = session.execute(select(func.count(), func.max(ConsoleFeed.created_at),
                                   func.sum(cast(ConsoleFeed.enabled, Integer)))).one()
    topics = session.execute(select(func.count(), func.max(ConsoleTopic.updated_at))
                             .select_from(ConsoleTopic)).one()
    return (*feeds, *topics)


def apply_console(ctx: Context, base: Config) -> tuple[Any, ...]:
    """Point ``ctx`` at ``base`` plus the console's feeds and topics (the topic index is
    rebuilt); returns the ``console_version`` it reflects, for the next comparison."""
    with ctx.session() as s:
        ctx.config = effective_config(base, s)
        version = console_version(s)
    ctx.index = build_index(ctx.config)
    return version


def with_console(ctx: Context, base: Config,
                 version: tuple[Any, ...] | None) -> tuple[Context, tuple[Any, ...]]:
    """``(ctx, version)`` unchanged while ``console_version`` is ``version``; otherwise a
    Context with ``effective_config(base)`` and its topic index, sharing ctx's engine,
    client, channels and gate (the console adds feeds and topics, not channels or network
    settings), and the new version. Old and new contexts may be used side by side, so the
    service's worker threads never see a context half changed."""
    with ctx.session() as s:
        now_version = console_version(s)
        if now_version == version:
            return ctx, now_version
        config = effective_config(base, s)
    return replace(ctx, config=config, index=build_index(config)), now_version

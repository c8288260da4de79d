"""The embedded runner and the service pick up the console's feeds and topics without a
restart: ``newsradar run --once`` polls a console feed and matches a console topic; a
running context is rebuilt when ``console_version`` moves (and only then); the service's
context holder does the same; ``sync_feeds`` never turns a console feed off."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from worker import pipeline
from worker.cli.app import app
from worker.config import load_config
from worker.pipeline.states import MatchStatus
from worker.store import (
    Alert,
    Feed,
    Match,
    make_engine,
    make_sessionmaker,
    session_scope,
    upgrade,
    utcnow,
)
from worker.web import _actions as A

from .conftest import Site, settings_for, write_config


def _add_console_feed_and_topic(database_url: str, config_path: Path, site: Site) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    try:
        with session_scope(make_sessionmaker(engine)) as s:
            config = load_config(config_path)
            A.add_feed(s, config, site.feed, name="Seed News", now=utcnow(), discover=False)
            A.save_topic(s, config, topic_id="kursk", name="Kursk", query="Kursk", min_score=1,
                         channels=["jsonl"], now=utcnow(), create=True)
    finally:
        engine.dispose()


def test_run_once_polls_console_feeds_and_matches_console_topics(site: Site, tmp_path: Path) -> None:
    config_path = write_config(tmp_path)
    url = f"sqlite:///{tmp_path / 'nr.db'}"
    _add_console_feed_and_topic(url, config_path, site)
    res = CliRunner().invoke(app, ["run", "--once", "--quiet", "--config", str(config_path),
                                   "--database-url", url])
    assert res.exit_code == 0, res.output
    engine = make_engine(url)
    try:
        with session_scope(make_sessionmaker(engine)) as s:
            feed = s.scalar(select(Feed).where(Feed.url == site.feed))
            assert feed is not None and feed.enabled and feed.status == "ok"
            # the console topic was matched; "Kursk" is background in the seed stories, so
            # relevance holds those matches back rather than alerting (tests/web/test_relevance.py)
            kursk = s.scalars(select(Match).where(Match.topic_id == "kursk")).all()
            assert kursk and {m.status for m in kursk} == {MatchStatus.HELD_BACK}
            assert not s.scalars(select(Alert).where(Alert.topic_id == "kursk")).all()
    finally:
        engine.dispose()


def test_a_running_context_is_rebuilt_only_when_the_console_changes(site: Site, tmp_path: Path) -> None:
    config_path = write_config(tmp_path)
    settings = settings_for(f"sqlite:///{tmp_path / 'nr.db'}", config_path)
    config = load_config(config_path)
    base = pipeline.build_context(config, settings)
    try:
        ctx, version = pipeline.with_console(base, config, None)
        assert [f.url for f in ctx.config.feeds] == [] and ctx.config.topic("kursk") is None
        same, again = pipeline.with_console(base, config, version)
        assert same is base and again == version  # nothing changed: nothing rebuilt

        _add_console_feed_and_topic(settings.database_url, config_path, site)
        ctx, moved = pipeline.with_console(base, config, version)
        assert moved != version and ctx is not base
        assert [f.url for f in ctx.config.feeds] == [site.feed]
        assert ctx.config.topic("kursk") is not None
        assert "kursk" in ctx.index and "kursk" not in base.index
        assert ctx.engine is base.engine and ctx.client is base.client  # shared, not reopened

        # a context built from the config file alone syncs feeds without turning the
        # console's feed off
        pipeline.sync_feeds(ctx)
        pipeline.sync_feeds(base)
        with ctx.session() as s:
            assert s.scalar(select(Feed.enabled).where(Feed.url == site.feed)) is True

        # `newsradar run` between passes: the same context pointed at the console's items
        assert base.config.topic("kursk") is None
        assert pipeline.apply_console(base, config) == moved
        assert base.config.topic("kursk") is not None and "kursk" in base.index
    finally:
        base.close()


def test_the_service_context_picks_up_console_changes(site: Site, tmp_path: Path, monkeypatch) -> None:
    from worker.service import _context  # noqa: PLC0415

    config_path = write_config(tmp_path)
    url = f"sqlite:///{tmp_path / 'nr.db'}"
    monkeypatch.setenv("NEWSRADAR_DATABASE_URL", url)
    monkeypatch.setenv("NEWSRADAR_CONFIG", str(config_path))
    monkeypatch.setattr(_context, "_CHECK_EVERY", 0.0)  # check on every get(), not every 2 s
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    holder = _context.ContextHolder()
    try:
        ctx = holder.get()
        assert ctx.config.topic("kursk") is None
        holder.sync_feeds_if_needed(ctx)
        assert holder.get() is ctx  # no change, same context

        _add_console_feed_and_topic(url, config_path, site)
        ctx = holder.get()
        assert ctx.config.topic("kursk") is not None and [f.url for f in ctx.config.feeds] == [site.feed]
        assert holder.sync_feeds_if_needed(ctx)  # synced again after the rebuild
        with ctx.session() as s:
            feed = s.scalar(select(Feed).where(Feed.url == site.feed))
            assert feed is not None and feed.enabled
    finally:
        if holder._ctx is not None:  # noqa: SLF001
            holder._ctx.close()  # noqa: SLF001

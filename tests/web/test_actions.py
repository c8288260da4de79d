"""The console's data operations where they meet the runner: console feeds and topics
join the config for the next pass, config items win a clash, and the export is a config
file that loads."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from worker.config import load_config, parse_config
from worker.pipeline import console_version, effective_config
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

from .conftest import Site, run_pass, settings_for, write_config


def test_console_feeds_and_topics_reach_the_runner_and_export(site: Site, tmp_path: Path) -> None:
    config_path = write_config(tmp_path)
    settings = settings_for(f"sqlite:///{tmp_path / 'nr.db'}", config_path)
    config = load_config(config_path)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    now = utcnow()
    with session_scope(sessions) as s:
        before = console_version(s)
        A.add_feed(s, config, site.feed, name="Seed News", now=now, discover=False)
        A.save_topic(s, config, topic_id="kursk", name="Kursk", query="Kursk", min_score=1,
                     channels=["jsonl"], now=now, create=True)
        # a console topic that reuses a config topic's id is refused, not shadowed
        try:
            A.save_topic(s, config, topic_id="armistice", query="x", now=now, create=True)
        except A.ActionError as exc:
            assert exc.status == 409
        else:
            raise AssertionError("a config topic was overwritten")
    with session_scope(sessions) as s:
        assert console_version(s) != before
        merged = effective_config(config, s)
        assert [f.url for f in merged.feeds] == [site.feed]
        assert [t.id for t in merged.topics][-1] == "kursk" and merged.topic("armistice") == config.topic("armistice")
        exported = A.export_config(config, s)
    again = parse_config(exported, source="export")  # loads as a config file, every check passed
    assert again.topic("kursk").query == "Kursk" and again.feeds[0].url == site.feed

    run_pass(settings)
    with session_scope(sessions) as s:
        # the console topic reached the runner: its matches are recorded (Kursk is a
        # passing mention in the seeds, so relevance may hold them back instead of alerting)
        kursk = s.scalars(select(Match).where(Match.topic_id == "kursk")).all()
        assert len(kursk) >= 1
        alerted = {a.article_id for a in s.scalars(select(Alert).where(Alert.topic_id == "kursk"))}
        assert alerted == {m.article_id for m in kursk if m.status == "alerted"}
        feed = s.scalar(select(Feed))
        assert feed.enabled and feed.status == "ok"  # the pass kept the console feed on
        version = console_version(s)
        A.set_feed_enabled(s, config, feed.id, False, utcnow())
        s.flush()
        assert console_version(s) != version  # disabling a feed is a change too
    run_pass(settings)
    with session_scope(sessions) as s:
        assert s.scalar(select(Feed)).enabled is False  # and a disabled one off
    engine.dispose()

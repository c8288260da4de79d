"""Review of the service mode: what the embedded runner does every pass, the service
must do too. A real Celery worker and beat over a private redis-server and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from tests.helpers.httpserver import LocalServer, Route
from tests.helpers.servers import PrivateRedis, TempDatabase
from tests.service._harness import service_env, start_beat, start_worker, wait_until
from worker.store import Alert, Article, Delivery, Feed, Match

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


def test_the_service_sends_digests_and_feed_health_notices(tmp_path: Path, private_redis: PrivateRedis,
                                                           pg_db: TempDatabase) -> None:
    """The tick only enqueued due feeds, articles and deliveries: alerts held for a
    digest (digest mode, or over max_per_hour) never went out, and no feed-health
    notice was ever raised, in the service; only the embedded runner did both."""
    out = tmp_path / "out.jsonl"
    with LocalServer() as site:
        feed_url = site.route("/broken.xml", Route(status=500, body=b"down"))
        config = tmp_path / "newsradar.json"
        config.write_text(json.dumps({
            "feeds": [{"url": feed_url, "poll_interval": 3600}],
            "topics": [{"id": "daily", "query": "x", "channels": ["sink"], "mode": "digest",
                        "digest": {"every": "hourly", "at": "00:00", "timezone": "UTC"}}],
            "channels": {"sink": {"type": "jsonl", "path": str(out)}},
            "feed_health": {"channels": ["sink"], "failures": 3},
            "network": {"allowlist": ["127.0.0.1/32"]},
        }), encoding="utf-8")

        now = datetime.now(UTC)
        engine = create_engine(pg_db.url)
        with Session(engine) as s, s.begin():
            # a feed that failed 5 polls in a row and is not due again for an hour
            s.add(Feed(url=feed_url, enabled=True, poll_interval_s=3600, status="error",
                       consecutive_errors=5, last_error="HTTP 500", next_poll_at=now + timedelta(hours=1),
                       created_at=now - timedelta(days=1)))
            # an alert held for its digest, whose time has come
            art = Article(guid="g1", url="https://a.example/1", canonical_url="https://a.example/1",
                          title="A story", site="a.example", text="x " * 50, status="done",
                          attempts=1, created_at=now - timedelta(hours=1))
            s.add(art)
            s.flush()
            m = Match(article_id=art.id, topic_id="daily", score=1.0, created_at=now)
            s.add(m)
            s.flush()
            alert = Alert(topic_id="daily", article_id=art.id, match_id=m.id, score=1.0,
                          kind="article", created_at=now - timedelta(hours=1))
            s.add(alert)
            s.flush()
            s.add(Delivery(alert_id=alert.id, channel="sink", status="held", hold_reason="digest",
                           attempts=0, released_at=now - timedelta(hours=1),
                           next_attempt_at=now - timedelta(minutes=1), created_at=now - timedelta(hours=1)))

        env = service_env(pg_db.url, private_redis.url, config)
        worker = start_worker(env, tmp_path)
        beat = start_beat(env, tmp_path)
        try:
            def outcome() -> tuple[list[str], list[str]]:
                with Session(engine) as s:
                    held = list(s.scalars(select(Delivery.status).join(Alert).where(Alert.kind == "article")))
                    system = list(s.scalars(select(Delivery.status).join(Alert).where(Alert.kind == "system")))
                return held, system

            wait_until(lambda: outcome() == (["digested"], ["sent"]), 40, "the digest and the feed-health notice")
        finally:
            beat.stop()
            worker.stop()
            engine.dispose()
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(line.get("type", "") for line in lines) == ["digest.created", "feed.failing"], lines

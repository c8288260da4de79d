"""Review of the guarantees under concurrency: two workers in their own transactions at
once, on the stack's PostgreSQL (READ COMMITTED, where writers do not serialize)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from tests.alerts.test_delivery import Clock, make_ctx, story_text
from worker import pipeline
from worker.store import Alert, Article, Match

CONFIG = """
topics: [{id: t, query: x, channels: [out]}]
channels: {out: {type: jsonl, path: "OUT"}}
"""


def _store_and_alert(ctx, s, key: str, body: str) -> list[int]:
    """What process_article's last transaction does for one matched article."""
    now = ctx.now()
    url = f"https://{key}.example/story"
    art = Article(guid=url, url=url, canonical_url=url, title=f"Story {key}", site=f"{key}.example",
                  text=body, status="done", attempts=0, created_at=now, published_at=now)
    s.add(art)
    s.flush()
    story_id = pipeline.assign_story(s, art)
    m = Match(article_id=art.id, topic_id="t", score=5.0, explanation={}, highlights=[], created_at=now)
    s.add(m)
    s.flush()
    return pipeline.create_alert(ctx, s, art, story_id, "t", 5.0, m.id, now)


def _waiting_on_a_lock(ctx) -> bool:
    with ctx.engine.connect() as conn:
        return bool(conn.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")))


@pytest.mark.postgres
def test_two_copies_of_a_story_processed_at_once_make_one_alert(tmp_path, postgres_url):
    """Two outlets' copies of one agency story, matched by two workers at the same
    time: neither transaction sees the other's uncommitted story, so without
    serialising story assignment each makes its own story and its own alert."""
    ctx = make_ctx(tmp_path, CONFIG.replace("OUT", str(tmp_path / "out.jsonl")),
                   Clock(datetime(2026, 1, 5, 9, tzinfo=UTC)), postgres_url)
    base = story_text(7, 200)
    first_written, go, second_done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with ctx.session() as s:
                _store_and_alert(ctx, s, "a", base)
                first_written.set()
                go.wait(60)  # commit only once the second worker has run or is waiting
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
            first_written.set()

    def second() -> None:
        try:
            with ctx.session() as s:
                _store_and_alert(ctx, s, "b", "Breaking: " + base + " (AFP)")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            second_done.set()

    t1 = threading.Thread(target=first)
    t1.start()
    assert first_written.wait(60)
    t2 = threading.Thread(target=second)
    t2.start()
    # The second worker either finishes (no serialisation) or waits for the first.
    while not second_done.is_set() and not _waiting_on_a_lock(ctx):
        second_done.wait(0.01)
    go.set()
    t1.join(60)
    t2.join(60)
    assert not errors, errors
    with ctx.session() as s:
        assert s.scalar(select(func.count(Alert.id))) == 1
        a_story, b_story = s.scalars(select(Article.story_id).order_by(Article.id))
        assert a_story == b_story
    ctx.close()

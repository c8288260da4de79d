"""Review of the guarantees under concurrency: two workers in their own transactions at
once, on the stack's PostgreSQL (READ COMMITTED, where writers do not serialize)."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text, update

from tests.alerts.test_delivery import Clock, add_alert, make_ctx, story_text
from worker import pipeline
from worker.pipeline import digests as _alerts
from worker.store import Alert, Article, Delivery, Digest, Match

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


class _CommitsWhenTold:
    """The stages' context, except that each transaction, its work done, waits for
    ``go`` before it commits (a worker paused at the worst moment)."""

    def __init__(self, ctx) -> None:
        self._ctx = ctx
        self.config, self.channels, self.claim_lease = ctx.config, ctx.channels, ctx.claim_lease
        self.written, self.go = threading.Event(), threading.Event()

    def now(self):
        return self._ctx.now()

    @contextmanager
    def session(self):
        with self._ctx.session() as s:
            yield s
            s.flush()
            self.written.set()
            self.go.wait(60)


DIGEST_CONFIG = """
topics:
  - {id: t, query: x, channels: [out], mode: digest, digest: {every: hourly, at: "00:00", timezone: UTC}}
channels: {out: {type: jsonl, path: "OUT"}}
"""


@pytest.mark.postgres
def test_an_alert_gathered_into_a_digest_as_it_is_sent_is_not_lost(tmp_path, postgres_url):
    """One worker gathers a newly held alert into the open digest of its period while
    another sends that digest: the sender read the digest's alerts before the gatherer
    committed, so the digest went out without it, and the alert stayed 'held' in a
    sent digest, where nothing ever looks again."""
    out = tmp_path / "out.jsonl"
    clock = Clock(datetime(2026, 1, 5, 9, 30, tzinfo=UTC))
    ctx = make_ctx(tmp_path, DIGEST_CONFIG.replace("OUT", str(out)), clock, postgres_url)
    w, x = add_alert(ctx, key="w", topic="t", text=story_text(1)), add_alert(ctx, key="x", topic="t", text=story_text(2))
    due = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)

    def hold(ids: list[int]) -> None:
        with ctx.session() as s:
            s.execute(update(Delivery).where(Delivery.id.in_(ids)).values(
                status="held", hold_reason="digest", next_attempt_at=due, released_at=None))

    hold(w)
    clock.now = due + timedelta(seconds=1)
    _alerts._gather_digests(ctx, clock.now)  # the period's digest, open, with w
    [digest_id] = ctx.sessions().scalars(select(Digest.id)).all()
    hold(x)  # x is held for the same digest just after

    paused = _CommitsWhenTold(ctx)
    gatherer = threading.Thread(target=_alerts._gather_digests, args=(paused, clock.now))
    gatherer.start()
    assert paused.written.wait(60)
    sent: list[str] = []
    sender = threading.Thread(target=lambda: sent.append(_alerts._send_digest(ctx, digest_id, clock.now)))
    sender.start()
    while sender.is_alive() and not _waiting_on_a_lock(ctx):
        sender.join(0.01)
    paused.go.set()
    gatherer.join(60)
    sender.join(60)
    assert sent == ["sent"]
    clock.advance(hours=1)
    pipeline.send_digests(ctx)  # whatever was left over goes in the next one
    with ctx.session() as s:
        assert sorted(s.scalars(select(Delivery.status))) == ["digested", "digested"]
    items = [len(json.loads(line)["items"]) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sum(items) == 2
    ctx.close()

"""Review of process_article when its claim expires under a slow worker and a second
worker processes the same article: on PostgreSQL, whose transactions run side by side."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text

from tests.helpers.httpserver import LocalServer
from tests.pipeline.test_stages import CONFIG, Clock
from tests.seedsite import serve_one_article
from worker.config import get_settings, parse_config
from worker.pipeline import build_context, due_feeds, poll_feed, process_article, sync_feeds
from worker.store import Alert, Article, Story


def _waiting_on_a_lock(ctx) -> bool:
    with ctx.engine.connect() as conn:
        return bool(conn.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")))


@pytest.mark.postgres
def test_a_slow_worker_finishing_after_another_leaves_the_article_in_its_story(tmp_path: Path, postgres_url) -> None:
    """Worker A's claim expires while it is slow; worker B takes the article and both
    reach the last transaction together. A read the article before B committed, so it
    put the article in a story of its own over B's: the alert stayed on B's story, and
    the article's later near-duplicates joined A's story, which had no alert, and got
    a second alert for the same story."""
    with LocalServer() as site:
        link, feed = serve_one_article(site)
        clock = Clock()
        cfg = parse_config(CONFIG.format(feed=feed, out=tmp_path / "out.jsonl"))
        settings = get_settings().model_copy(update={"database_url": postgres_url})
        ctx = build_context(cfg, settings, clock=clock)
        sync_feeds(ctx)
        [feed_id] = due_feeds(ctx)
        [article_id] = poll_feed(ctx, feed_id).new_article_ids

        a_thread = threading.current_thread()
        a_read, b_done, go = threading.Event(), threading.Event(), threading.Event()

        @event.listens_for(ctx.engine, "before_cursor_execute")
        def pause_a(_conn, _cursor, statement, *_args) -> None:
            # A, in its last transaction (its story chosen, its buckets locked), holds on
            # just before it writes the article's result
            if threading.current_thread() is worker_a and statement.startswith("UPDATE articles SET") \
                    and "story_id" in statement:
                a_read.set()
                go.wait(60)

        results: dict[str, object] = {}

        def run(name: str) -> None:
            try:
                results[name] = process_article(ctx, article_id)
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                results[name] = exc
            finally:
                if name == "b":
                    b_done.set()

        try:
            worker_a = threading.Thread(target=run, args=("a",))
            worker_a.start()
            assert a_read.wait(60)
            clock.advance(seconds=ctx.claim_lease.total_seconds() + 1)  # A's claim has expired
            worker_b = threading.Thread(target=run, args=("b",))
            worker_b.start()
            while not b_done.is_set() and not _waiting_on_a_lock(ctx):
                b_done.wait(0.01)
            go.set()
            worker_a.join(60)
            worker_b.join(60)
        finally:
            event.remove(ctx.engine, "before_cursor_execute", pause_a)
        assert a_thread is not worker_a
        assert results["a"].status == "done", results  # type: ignore[union-attr]
        assert results["b"].status in ("done", "claimed"), results  # type: ignore[union-attr]

        with ctx.session() as s:
            [alert] = s.scalars(select(Alert)).all()
            art = s.get(Article, article_id)
            assert art.story_id == alert.story_id
            assert s.scalar(select(func.count(Story.id))) == 1
        ctx.close()

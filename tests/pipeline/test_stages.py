"""The stages one by one, in-process, against real local servers and a SQLite file:
idempotency (every stage may run twice), errors recorded on their own rows, backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.helpers.httpserver import LocalServer, Route
from tests.seedsite import page_html, rss, seed_pages, serve_one_article
from worker.config import get_settings, parse_config
from worker.pipeline import (
    build_context,
    deliver,
    due_articles,
    due_deliveries,
    due_feeds,
    poll_feed,
    process_article,
    sync_feeds,
)
from worker.store import Alert, Article, Delivery, Feed


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


CONFIG = """
feeds:
  - {{url: "{feed}", name: main, poll_interval: 10m}}
topics:
  - {{id: korea, name: Korea, query: '"North Korea"', channels: [out]}}
channels:
  out: {{type: jsonl, path: "{out}"}}
network: {{allowlist: ["127.0.0.1/32"]}}
"""


@pytest.fixture
def site():
    with LocalServer() as srv:
        yield srv


def make_ctx(tmp_path: Path, feed_url: str, clock: Clock):
    cfg = parse_config(CONFIG.format(feed=feed_url, out=tmp_path / "out.jsonl"))
    settings = get_settings().model_copy(update={"database_url": f"sqlite:///{tmp_path / 'db.sqlite'}"})
    return build_context(cfg, settings, clock=clock)


def count(ctx, model) -> int:
    with ctx.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_every_stage_may_run_twice_without_a_second_alert(site: LocalServer, tmp_path: Path) -> None:
    link, feed_url = serve_one_article(site)  # North Korea admits sending troops
    clock = Clock()
    ctx = make_ctx(tmp_path, feed_url, clock)
    sync_feeds(ctx)
    sync_feeds(ctx)
    assert count(ctx, Feed) == 1
    [feed_id] = due_feeds(ctx)

    first = poll_feed(ctx, feed_id)
    again = poll_feed(ctx, feed_id)  # a duplicate poll message: the feed is no longer due
    assert len(first.new_article_ids) == 1 and again.skipped
    forced = poll_feed(ctx, feed_id, force=True)  # even when forced, the unique key decides
    assert forced.new_article_ids == [] and count(ctx, Article) == 1

    [article_id] = first.new_article_ids
    p1 = process_article(ctx, article_id)
    p2 = process_article(ctx, article_id)
    assert p1.status == "done" and p1.matched_topics == ["korea"]
    assert p2.status == "done" and p2.delivery_ids == p1.delivery_ids
    assert count(ctx, Alert) == 1 and count(ctx, Delivery) == 1

    [delivery_id] = p1.delivery_ids
    d1 = deliver(ctx, delivery_id)
    d2 = deliver(ctx, delivery_id)
    assert d1.status == "sent" and d2.status == "sent"
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 1
    assert site.hits("/a.html") == 1


def test_same_story_from_two_feeds_is_one_article(site: LocalServer, tmp_path: Path) -> None:
    page = seed_pages()[3]
    link = site.route("/story.html", Route(body=page_html(page), content_type="text/html"))
    a = site.route("/a.xml", Route(body=rss([("a-1", link + "?utm_source=a", page.title)]),
                                   content_type="application/rss+xml"))
    b = site.route("/b.xml", Route(body=rss([("b-1", link + "?utm_medium=b#top", page.title)]),
                                   content_type="application/rss+xml"))
    clock = Clock()
    ctx = make_ctx(tmp_path, a, clock)
    second = ctx.config.feeds[0].model_copy(update={"url": b, "name": "second"})
    ctx.config = ctx.config.model_copy(update={"feeds": [*ctx.config.feeds, second]})
    sync_feeds(ctx)
    results = [poll_feed(ctx, fid) for fid in due_feeds(ctx)]
    assert sorted(len(r.new_article_ids) for r in results) == [0, 1]
    assert count(ctx, Article) == 1


def test_page_errors_are_recorded_on_the_article_and_transient_ones_retry(site: LocalServer, tmp_path: Path) -> None:
    gone = site.route("/gone.html", Route(status=404, body=b"no"))
    busy = site.route("/busy.html", Route(status=503, body=b"busy", headers={"Retry-After": "600"}))
    feed_url = site.route("/feed.xml", Route(body=rss([("g1", gone, "Gone"), ("g2", busy, "Busy")]),
                                             content_type="application/rss+xml"))
    clock = Clock()
    ctx = make_ctx(tmp_path, feed_url, clock)
    sync_feeds(ctx)
    [feed_id] = due_feeds(ctx)
    ids = poll_feed(ctx, feed_id).new_article_ids
    results = {r.article_id: r for r in (process_article(ctx, i) for i in ids)}
    with ctx.session() as s:
        arts = {a.url: a for a in s.scalars(select(Article))}
    assert arts[gone].status == "failed" and arts[gone].error_code == "not_found"
    assert "404" in arts[gone].error and "/gone.html" in arts[gone].error
    assert arts[busy].status == "retry" and arts[busy].error_code == "http_5xx"
    assert results[arts[busy].id].retry_after >= 600  # Retry-After wins over the base delay
    assert due_articles(ctx) == []  # not due before its retry time
    clock.advance(seconds=601)
    site.routes["/busy.html"] = Route(body=page_html(seed_pages()[2]), content_type="text/html")
    assert due_articles(ctx) == [arts[busy].id]
    assert process_article(ctx, arts[busy].id).status == "done"


def test_failing_feed_backs_off_and_recovers(site: LocalServer, tmp_path: Path) -> None:
    feed_url = site.route("/feed.xml", Route(status=500, body=b"oops"))
    clock = Clock()
    ctx = make_ctx(tmp_path, feed_url, clock)
    sync_feeds(ctx)
    [feed_id] = due_feeds(ctx)
    delays = []
    for _ in range(3):
        res = poll_feed(ctx, feed_id)
        assert res.error_code == "http_5xx"
        with ctx.session() as s:
            feed = s.get(Feed, feed_id)
            delays.append((feed.next_poll_at - clock.now).total_seconds())
            assert feed.status == "error" and feed.enabled
        clock.now = feed.next_poll_at
    assert delays[0] < delays[1] < delays[2] <= 86400
    site.routes["/feed.xml"] = Route(body=rss([]), content_type="application/rss+xml")
    assert poll_feed(ctx, feed_id).error is None
    with ctx.session() as s:
        feed = s.get(Feed, feed_id)
        assert (feed.status, feed.consecutive_errors, feed.last_error) == ("ok", 0, None)
        assert (feed.next_poll_at - clock.now).total_seconds() == 600


def test_gone_feed_stops_polling_and_says_so(site: LocalServer, tmp_path: Path) -> None:
    feed_url = site.route("/feed.xml", Route(status=410, body=b"gone"))
    ctx = make_ctx(tmp_path, feed_url, Clock())
    sync_feeds(ctx)
    [feed_id] = due_feeds(ctx)
    assert poll_feed(ctx, feed_id).error_code == "gone"
    with ctx.session() as s:
        feed = s.get(Feed, feed_id)
        assert feed.status == "gone" and feed.next_poll_at is None
    assert due_feeds(ctx, now=datetime(2030, 1, 1, tzinfo=UTC)) == []


def test_failed_delivery_retries_on_schedule_then_succeeds(site: LocalServer, tmp_path: Path) -> None:
    link, feed_url = serve_one_article(site)
    clock = Clock()
    out = tmp_path / "blocked"
    out.mkdir()  # the jsonl path is a directory: writing fails
    ctx = make_ctx(tmp_path, feed_url, clock)
    ctx.channels["out"].path = out
    sync_feeds(ctx)
    [aid] = poll_feed(ctx, due_feeds(ctx)[0]).new_article_ids
    [did] = process_article(ctx, aid).delivery_ids
    res = deliver(ctx, did)
    assert res.status == "failed" and res.next_attempt_at == clock.now + timedelta(seconds=5)
    assert due_deliveries(ctx) == []
    clock.advance(seconds=5)
    assert due_deliveries(ctx) == [did]
    ctx.channels["out"].path = tmp_path / "ok.jsonl"
    assert deliver(ctx, did).status == "sent"
    with ctx.session() as s:
        d = s.get(Delivery, did)
        assert d.attempts == 2 and [a.ok for a in d.attempt_log] == [False, True]


def test_polls_and_304s_are_counted_for_the_share_the_console_shows(
    site: LocalServer, tmp_path: Path
) -> None:
    """Each successful poll counts; a 304 Not Modified counts as one of those too. The
    console's feeds page shows the share (a feed that never answers 304 is worth a look:
    it costs a full parse on every poll)."""
    from tests.helpers.httpserver import Route
    from tests.seedsite import rss
    from worker.web import _actions as A

    feed_url = site.route("/feed.xml", Route(body=rss([("g1", site.url("/a.html"), "A story")]),
                                             content_type="application/rss+xml",
                                             headers={"ETag": '"v1"'}, not_modified_etag='"v1"'))
    clock = Clock()
    ctx = make_ctx(tmp_path, feed_url, clock)
    sync_feeds(ctx)
    [feed_id] = due_feeds(ctx)
    first = poll_feed(ctx, feed_id)
    second = poll_feed(ctx, feed_id, force=True)  # sends If-None-Match: answered 304
    assert not first.not_modified and second.not_modified
    with ctx.session() as s:
        feed = s.get(Feed, feed_id)
        assert (feed.polls, feed.polls_not_modified) == (2, 1)
        row = A.list_feeds(s, ctx.config).items[0]
        assert row.polls == 2 and row.not_modified_share == 0.5
    ctx.close()

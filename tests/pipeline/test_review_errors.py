"""Review of the error paths: one bad input never stops the rest, and no stage leaves
its row claimed without saying why."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from tests.helpers.httpserver import LocalServer, Route
from tests.pipeline.test_stages import Clock, make_ctx
from tests.seedsite import page_html, rss, seed_pages, serve_one_article
from worker.pipeline import (
    ARTICLE_RETRY,
    due_articles,
    due_feeds,
    poll_feed,
    process_article,
    run_once,
    sync_feeds,
)
from worker.store import Article, Feed
from worker.store.rows import claim
from worker.topics import Document, Topic, TopicIndex, TopicMatch


def test_a_json_feed_with_a_lone_surrogate_escape_does_not_stop_the_run(tmp_path: Path) -> None:
    r"""``"\ud800"`` is valid JSON, and json.loads turns it into a lone surrogate that no
    database driver can encode: storing the entry raised out of poll_feed, which ended
    run_once before any other feed, article or delivery, left the feed claimed and
    recorded nothing."""
    with LocalServer() as site:
        link, good = serve_one_article(site)  # North Korea admits sending troops
        odd_link = site.url("/odd.html")
        bad = site.route("/feed.json", Route(body=json.dumps({
            "version": "https://jsonfeed.org/version/1.1", "title": "Odd",
            "items": [{"id": "odd-1", "url": odd_link + "?x=\ud800", "title": "Odd \ud800 title",
                       "content_html": "<p>North Korea \ud800</p>"}],
        }).encode(), content_type="application/feed+json"))
        clock = Clock()
        ctx = make_ctx(tmp_path, good, clock)
        second = ctx.config.feeds[0].model_copy(update={"url": bad, "name": "odd"})
        # the bad feed first, so that it comes before the good one in the run
        ctx.config = ctx.config.model_copy(update={"feeds": [second, *ctx.config.feeds]})

        summary = run_once(ctx)

        assert summary.deliveries_sent == 1  # the good feed's story went out
        with ctx.session() as s:
            feeds = {f.url: f for f in s.scalars(select(Feed))}
            arts = {a.guid: a for a in s.scalars(select(Article))}
        assert feeds[bad].claimed_until is None and feeds[good].claimed_until is None
        assert feeds[bad].status == "ok" and feeds[good].status == "ok"
        # the odd entry is kept, its unencodable character replaced
        assert arts["odd-1"].title == "Odd \ufffd title"
        assert "\ud800" not in arts["odd-1"].url
        assert arts["g1"].status == "done"
        ctx.close()


class _IndexWithABug(TopicIndex):
    """The configured topics, with a matcher that fails on one story (a stand-in for
    any bug between the cleaned story and the committed outbox)."""

    def match(self, doc: Document) -> list[TopicMatch]:
        if "troops" in doc.body:
            raise RuntimeError("matcher bug")
        return super().match(doc)


def test_an_unexpected_error_after_cleaning_is_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    """An exception between the cleaned story and the commit (matching, stories, the
    outbox) left process_article by raising: the article stayed 'processing' with no
    error, was taken again after every lease, and run_once stopped there, before the
    other articles and every delivery."""
    with LocalServer() as site:
        bad_page, good_page = seed_pages()[2], seed_pages()[3]  # troops; no troops
        bad = site.route("/bad.html", Route(body=page_html(bad_page), content_type="text/html"))
        good = site.route("/good.html", Route(body=page_html(good_page), content_type="text/html"))
        feed = site.route("/feed.xml", Route(body=rss([("bad", bad, bad_page.title), ("good", good, good_page.title)]),
                                             content_type="application/rss+xml"))
        ctx = make_ctx(tmp_path, feed, Clock())
        ctx.index = _IndexWithABug(ctx.config.lists)
        for t in ctx.config.topics:
            ctx.index.add(Topic(id=t.id, name=t.display_name, query=t.query, min_score=t.min_score))

        summary = run_once(ctx)

        assert summary.articles_failed == 1 and summary.deliveries_sent == 1
        with ctx.session() as s:
            arts = {a.guid: a for a in s.scalars(select(Article))}
        assert arts["bad"].status == "failed" and arts["bad"].error_code == "internal"
        assert "matcher bug" in arts["bad"].error and arts["bad"].claimed_until is None
        assert arts["good"].status == "done"
        assert due_articles(ctx) == []
        ctx.close()


def test_a_page_that_kills_its_worker_every_time_is_given_up(tmp_path: Path) -> None:
    """A page that ends its worker each time (the hard time limit, or memory) leaves the
    article 'processing'; the sweep takes it again when the claim expires. Only fetch
    errors counted towards ARTICLE_RETRY's limit, so such a page was taken again after
    every lease, without end, and never said why."""
    with LocalServer() as site:
        link, feed = serve_one_article(site)
        clock = Clock()
        ctx = make_ctx(tmp_path, feed, clock)
        sync_feeds(ctx)
        [feed_id] = due_feeds(ctx)
        [article_id] = poll_feed(ctx, feed_id).new_article_ids
        for _ in range(ARTICLE_RETRY.max_attempts):
            # what a worker that died while processing leaves: 'processing', claimed
            with ctx.session() as s:
                assert claim(s, Article, article_id, clock.now, ctx.claim_lease,
                             Article.status.in_(("new", "retry", "processing")))
                art = s.get(Article, article_id)
                art.status, art.attempts = "processing", art.attempts + 1
            clock.advance(seconds=ctx.claim_lease.total_seconds() + 1)
            assert due_articles(ctx) == [article_id]  # the sweep takes it again

        result = process_article(ctx, article_id)

        assert result.status == "failed"
        assert site.hits("/a.html") == 0  # not tried a sixth time
        with ctx.session() as s:
            art = s.get(Article, article_id)
            assert art.status == "failed" and art.error_code == "crashed" and art.claimed_until is None
            assert f"{ARTICLE_RETRY.max_attempts} attempts" in art.error
        assert due_articles(ctx) == []
        ctx.close()


def test_a_duplicate_message_does_not_fetch_a_page_before_its_retry_time(tmp_path: Path) -> None:
    """Feeds, deliveries and digests are claimed only when due; an article in 'retry'
    was claimed whenever asked, so a redelivered or duplicate message fetched the page
    again at once, before the time the site asked for (Retry-After)."""
    with LocalServer() as site:
        busy = site.route("/busy.html", Route(status=503, body=b"busy", headers={"Retry-After": "600"}))
        feed = site.route("/feed.xml", Route(body=rss([("g1", busy, "Busy")]), content_type="application/rss+xml"))
        clock = Clock()
        ctx = make_ctx(tmp_path, feed, clock)
        sync_feeds(ctx)
        [feed_id] = due_feeds(ctx)
        [article_id] = poll_feed(ctx, feed_id).new_article_ids
        first = process_article(ctx, article_id)
        assert first.status == "retry" and site.hits("/busy.html") == 1

        clock.advance(seconds=60)
        again = process_article(ctx, article_id)  # a duplicate message, 60 s later

        assert site.hits("/busy.html") == 1
        assert again.status == "retry" and again.retry_after is not None
        assert 0 < again.retry_after <= first.retry_after - 60
        with ctx.session() as s:
            art = s.get(Article, article_id)
            assert art.attempts == 1 and art.claimed_until is None
        clock.advance(seconds=first.retry_after)
        site.routes["/busy.html"] = Route(body=page_html(seed_pages()[2]), content_type="text/html")
        assert process_article(ctx, article_id).status == "done"
        ctx.close()

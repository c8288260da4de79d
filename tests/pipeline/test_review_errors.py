"""Review of the error paths: one bad input never stops the rest, and no stage leaves
its row claimed without saying why."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from tests.helpers.httpserver import LocalServer, Route
from tests.pipeline.test_stages import Clock, make_ctx
from tests.seedsite import page_html, rss, seed_pages
from worker.pipeline import run_once
from worker.store import Article, Feed


def test_a_json_feed_with_a_lone_surrogate_escape_does_not_stop_the_run(tmp_path: Path) -> None:
    r"""``"\ud800"`` is valid JSON, and json.loads turns it into a lone surrogate that no
    database driver can encode: storing the entry raised out of poll_feed, which ended
    run_once before any other feed, article or delivery, left the feed claimed and
    recorded nothing."""
    with LocalServer() as site:
        page = seed_pages()[2]  # North Korea admits sending troops
        link = site.route("/a.html", Route(body=page_html(page), content_type="text/html"))
        good = site.route("/feed.xml", Route(body=rss([("g1", link, page.title)]),
                                             content_type="application/rss+xml"))
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

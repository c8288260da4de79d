"""A large feed through poll_feed: the poller parses the newest ``max_entries_per_poll``
entries first and the older ones only when fewer than the cap of those are new, so each
poll stores exactly what one pass over every entry would: the newest new ones, up to
the cap (issue 12, feed_xml_50k_items)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy import select

from tests.helpers.httpserver import LocalServer, Route
from worker.config import get_settings, parse_config
from worker.pipeline import build_context
from worker.pipeline.feeds import due_feeds, poll_feed, sync_feeds
from worker.sources import parse_feed
from worker.store import Article


def big_feed(n: int) -> bytes:
    rng = random.Random(5)
    days = list(range(n))
    rng.shuffle(days)  # document order is not date order
    items = "".join(
        f"<item><title>Story {i}</title><link>https://news.example/{i}</link><guid>g-{i}</guid>"
        f"<pubDate>{datetime.fromtimestamp(1_700_000_000 + d * 3600, UTC):%a, %d %b %Y %H:%M:%S} GMT"
        f"</pubDate></item>" for i, d in enumerate(days))
    return f"<rss version='2.0'><channel><title>Big</title>{items}</channel></rss>".encode()


def test_each_poll_stores_the_newest_new_entries_up_to_the_cap(tmp_path: Path) -> None:
    body = big_feed(400)
    newest_first = [e.guid for e in parse_feed(body, url="https://news.example/feed").entries]
    with LocalServer() as srv:
        url = srv.route("/big.xml", Route(body=body, content_type="application/rss+xml"))
        cfg = parse_config(yaml.safe_dump({
            "feeds": [{"url": url, "name": "Big"}], "topics": [],
            "network": {"allowlist": ["127.0.0.1/32"]}, "run": {"max_entries_per_poll": 150}}))
        settings = get_settings().model_copy(
            update={"database_url": f"sqlite:///{tmp_path / 'db.sqlite'}"})
        ctx = build_context(cfg, settings)
        try:
            sync_feeds(ctx)
            [feed_id] = due_feeds(ctx)
            stored: list[list[str]] = []
            capped: list[bool] = []
            for _ in range(4):
                before = _guids(ctx)
                result = poll_feed(ctx, feed_id, force=True)
                stored.append([g for g in _guids(ctx) if g not in before])
                capped.append(any("more than 150 new items" in p for p in result.problems))
            # poll 1 from the newest 150 alone (window); poll 2: all of those known, so
            # the older entries are parsed and the next 150 stored; poll 3: the last 100
            assert sorted(stored[0]) == sorted(newest_first[:150])
            assert sorted(stored[1]) == sorted(newest_first[150:300])
            assert sorted(stored[2]) == sorted(newest_first[300:])
            assert stored[3] == [] and not result.new_article_ids
            assert capped == [True, True, False, False]  # the rest come next poll, then none
        finally:
            ctx.close()


def _guids(ctx) -> list[str]:
    with ctx.session() as s:
        return list(s.scalars(select(Article.guid)))

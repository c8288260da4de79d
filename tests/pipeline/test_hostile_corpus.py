"""The hostile corpus through the pipeline, all in one run: every broken feed and page
is recorded on its own row, with the code and a message naming the URL, while the good
feeds of the same run are stored normally (tests/data/manifest.yaml)."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.helpers.corpus import load_corpus, serve_corpus
from tests.helpers.httpserver import LocalServer, Route
from worker.config import get_settings, parse_config
from worker.pipeline import build_context, run_once
from worker.sources import make_client
from worker.store import Article, Feed
from worker.urls import canonical_url

CORPUS = load_corpus()
FEED_CASES = [c for c in CORPUS.cases if c.kind == "feed"]
PAGE_CASES = [c for c in CORPUS.cases if c.kind == "page"]
# Failures a later poll or attempt may fix (the row says so and waits); the rest are final.
TRANSIENT = {"rate_limited", "http_5xx", "timeout", "network"}


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict, dict, int]]:
    tmp: Path = tmp_path_factory.mktemp("corpus")
    with LocalServer() as server:
        urls = serve_corpus(CORPUS, server)
        # One more feed whose items link to every page case.
        items = "".join(
            f"<item><guid>{c.name}</guid><link>{html.escape(urls[c.name])}</link>"
            f"<title>{c.name}</title></item>" for c in PAGE_CASES
        )
        server.route("/pages.xml", Route(
            body=f"<rss version='2.0'><channel><title>pages</title>{items}</channel></rss>",
            content_type="application/rss+xml"))
        feeds = [{"url": urls[c.name], "name": c.name} for c in FEED_CASES]
        feeds.append({"url": CORPUS.url(server, "x").replace("/case/x", "/pages.xml"), "name": "pages"})
        import yaml

        cfg = parse_config(yaml.safe_dump({
            "feeds": feeds,
            "topics": [{"id": "any", "query": "the", "channels": []}],
            "run": {"max_entries_per_poll": CORPUS.max_entries},
        }))
        settings = get_settings().model_copy(update={"database_url": f"sqlite:///{tmp / 'db.sqlite'}"})
        ctx = build_context(cfg, settings, clock=lambda: datetime.now(UTC))
        ctx.policy, ctx.limits = CORPUS.policy(), CORPUS.limits()
        ctx.client = make_client(ctx.limits, ctx.policy)
        summary = run_once(ctx)
        with ctx.session() as s:
            feeds_by_name = {f.name: f for f in s.scalars(select(Feed))}
            articles = {a.url: a for a in s.scalars(select(Article))}
        ctx.close()
        yield feeds_by_name, articles, server.port, summary


@pytest.mark.parametrize("case", FEED_CASES, ids=lambda c: c.name)
def test_feed_outcome_is_recorded_on_the_feed(outcome, case) -> None:
    feeds, articles, port, _ = outcome
    feed = feeds[case.name]
    want = case.expect
    if want["outcome"] == "error":
        expected_status = "gone" if want["code"] == "gone" else "error"
        assert (feed.status, feed.last_error_code) == (expected_status, want["code"]), feed.last_error
        assert case.expected("message", port) in feed.last_error
        assert CORPUS.host in feed.last_error, "the message names the URL"
        assert feed.consecutive_errors == 1 and feed.enabled
        if want["code"] == "gone":
            assert feed.next_poll_at is None  # not retried forever
        else:
            assert feed.next_poll_at is not None  # backs off, never silently disabled
            if want.get("retry_after"):
                assert (feed.next_poll_at - feed.last_polled_at).total_seconds() >= want["retry_after"]
        return
    assert (feed.status, feed.last_error) == ("ok", None)
    for fragment in case.expected("problems", port, []):
        problems = feed.last_problems or []
        if "kept the newest" in fragment:  # the pipeline caps new items itself
            fragment = f"more than {CORPUS.max_entries} new items"
        assert any(fragment in p for p in problems), (fragment, problems)
    if "links" in want:
        stored = {a.canonical_url for a in articles.values() if a.feed_id == feed.id}
        assert stored <= {canonical_url(u) for u in case.expected("links", port)}


def test_changing_guids_for_the_same_links_store_each_story_once(outcome) -> None:
    # poll1 and poll2 carry the same links as good_rss20 under other GUIDs (and a
    # tracking parameter): each story is stored once, so it can alert once.
    _, articles, _, _ = outcome
    canon = [a.canonical_url for a in articles.values()]
    for link in ("https://corpus.example/news/1", "https://corpus.example/news/2"):
        assert canon.count(link) == 1


def test_thousands_of_items_are_capped_per_poll(outcome) -> None:
    feeds, articles, _, _ = outcome
    feed = feeds["thousands_of_items"]
    assert sum(1 for a in articles.values() if a.feed_id == feed.id) == CORPUS.max_entries
    # the rest is taken next poll: soon, and without the validators that would hide it
    assert (feed.next_poll_at - feed.last_polled_at).total_seconds() <= 60
    assert feed.etag is None and feed.last_modified is None


@pytest.mark.parametrize("case", PAGE_CASES, ids=lambda c: c.name)
def test_page_outcome_is_recorded_on_the_article(outcome, case) -> None:
    _, articles, port, _ = outcome
    [art] = [a for a in articles.values() if a.guid == case.name]
    if case.expect["outcome"] == "ok":
        assert art.status == "done", art.error
        assert art.text and art.error is None
        return
    assert art.status == "failed"
    assert art.error_code == case.expect["code"]
    assert case.expected("message", port) in art.error and CORPUS.host in art.error


def test_the_good_feeds_of_the_same_run_were_processed(outcome) -> None:
    feeds, articles, _, summary = outcome
    for name in ("good_rss20", "good_atom", "good_rss10", "good_jsonfeed11"):
        feed = feeds[name]
        assert feed.status == "ok"
        assert any(a.feed_id == feed.id for a in articles.values()), name
    assert summary.feeds_polled == len(FEED_CASES) + 1
    assert summary.feeds_failed == sum(c.expect["outcome"] == "error" for c in FEED_CASES)


def test_a_latin1_page_without_charset_is_decoded(outcome) -> None:
    _, articles, _, _ = outcome
    [art] = [a for a in articles.values() if a.guid == "page_latin1_no_charset"]
    assert "Café naïve" in art.text

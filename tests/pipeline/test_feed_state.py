"""Issue 15, problem 1 and the feed items of problem 12: fixing the config un-sticks a
feed; a feed can be refreshed (poll now, backoff cleared) and a gone (410) feed
re-enabled; feeds dropped from the config are marked removed; the embedded runner
polls feeds added outside the YAML, and its loop reloads a changed config."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy import create_engine, select, text

from tests.helpers.httpserver import LocalServer, Route
from tests.seedsite import ROOT, page_html, rss, seed_pages
from worker import pipeline
from worker.config import get_settings, parse_config
from worker.pipeline import console
from worker.pipeline import feeds as pfeeds
from worker.pipeline.runner import run_once
from worker.store import ConsoleFeed, Feed


def _config(feeds: list[str], allowlist: list[str], *, topics: bool = True) -> str:
    example = yaml.safe_load((ROOT / "config" / "newsradar.yaml").read_text(encoding="utf-8"))
    example["feeds"] = [{"url": u, "name": f"feed {i}"} for i, u in enumerate(feeds)]
    example["channels"] = {"console": {"type": "console"}}
    for t in example["topics"]:
        t["channels"] = ["console"]
    if not topics:
        example["topics"] = []
    example["network"] = {"allowlist": allowlist}
    return yaml.safe_dump(example, sort_keys=False)


def _ctx(tmp_path: Path, config: str) -> pipeline.Context:
    settings = get_settings().model_copy(update={"database_url": f"sqlite:///{tmp_path / 'nr.db'}"})
    base = parse_config(config)
    ctx = pipeline.build_context(base, settings)
    console.apply_console(ctx, base)
    return ctx


def _feed(ctx: pipeline.Context, url: str) -> Feed:
    with ctx.session() as s:
        feed = s.scalar(select(Feed).where(Feed.url == url))
        assert feed is not None
        s.expunge(feed)
        return feed


def _site(srv: LocalServer) -> str:
    page = seed_pages()[2]
    link = srv.route("/a.html", Route(body=page_html(page), content_type="text/html"))
    return srv.route("/feed.xml", Route(body=rss([("g1", link, page.title)]), content_type="application/rss+xml"))


def test_allowlisting_a_blocked_feed_polls_it_on_the_next_run(tmp_path: Path) -> None:
    with LocalServer() as srv:
        feed_url = _site(srv)
        ctx = _ctx(tmp_path, _config([feed_url], []))
        first = run_once(ctx)
        assert first.feeds_failed == 1
        blocked = _feed(ctx, feed_url)
        assert blocked.status == "error" and blocked.last_error_code == "blocked_address"
        assert run_once(ctx).feeds_polled == 0  # backing off: the problem the issue describes
        ctx.close()

        # the fix: the feed's host and port allowlisted. The next run polls it at once.
        host_port = feed_url.split("//", 1)[1].split("/", 1)[0]
        ctx = _ctx(tmp_path, _config([feed_url], [host_port]))
        fixed = run_once(ctx)
        assert fixed.feeds_polled == 1 and fixed.feeds_failed == 0 and fixed.articles_new == 1
        assert _feed(ctx, feed_url).status == "ok"
        # an unchanged config does not reset the schedule
        assert run_once(ctx).feeds_polled == 0
        ctx.close()


def test_refresh_clears_the_backoff_and_revives_a_gone_feed(tmp_path: Path) -> None:
    with LocalServer() as srv:
        srv.route("/gone.xml", Route(status=410))
        feed_url = srv.url("/gone.xml")
        ctx = _ctx(tmp_path, _config([feed_url], ["127.0.0.1/32"], topics=False))
        assert run_once(ctx).feeds_failed == 1
        assert _feed(ctx, feed_url).status == "gone"
        assert run_once(ctx).feeds_polled == 0  # gone: not polled

        page = seed_pages()[0]
        srv.route("/gone.xml", Route(body=rss([("g", srv.url("/p.html"), page.title)]),
                                     content_type="application/rss+xml"))
        srv.route("/p.html", Route(body=page_html(page), content_type="text/html"))
        fid = _feed(ctx, feed_url).id
        with ctx.session() as s:
            refreshed = pfeeds.refresh_feed(s, fid, datetime.now(UTC))
            assert refreshed.status == "new" and refreshed.consecutive_errors == 0
        back = run_once(ctx)
        assert back.feeds_polled == 1 and back.feeds_failed == 0
        assert _feed(ctx, feed_url).status == "ok"

        # the same through `feeds enable`, after a second 410
        srv.route("/gone.xml", Route(status=410))
        with ctx.session() as s:
            pfeeds.refresh_feed(s, fid, datetime.now(UTC))
        run_once(ctx)
        assert _feed(ctx, feed_url).status == "gone"
        with ctx.session() as s:
            assert console.set_feed_enabled(s, ctx.config, fid, True, datetime.now(UTC)).status == "new"
        assert fid in pfeeds.due_feeds(ctx)
        ctx.close()


def test_feeds_dropped_from_the_config_are_marked_removed(tmp_path: Path) -> None:
    with LocalServer() as srv:
        feed_url = _site(srv)
        ctx = _ctx(tmp_path, _config([feed_url], ["127.0.0.1/32"], topics=False))
        run_once(ctx)
        ctx.close()
        ctx = _ctx(tmp_path, _config([], ["127.0.0.1/32"], topics=False))
        run_once(ctx)
        gone = _feed(ctx, feed_url)
        assert gone.status == "removed" and not gone.enabled and gone.next_poll_at is None
        assert gone.id not in pfeeds.due_feeds(ctx)
        ctx.close()
        # configured again: new, due now
        ctx = _ctx(tmp_path, _config([feed_url], ["127.0.0.1/32"], topics=False))
        assert run_once(ctx).feeds_polled == 1
        assert _feed(ctx, feed_url).status == "ok"
        ctx.close()


def test_the_runner_polls_feeds_added_outside_the_yaml_and_removes_them(tmp_path: Path) -> None:
    with LocalServer() as srv:
        feed_url = _site(srv)
        base = _config([], ["127.0.0.1/32"])
        ctx = _ctx(tmp_path, base)
        yaml_only = parse_config(base)  # the console functions take the YAML's config, not the effective one
        with ctx.session() as s:
            feed = console.add_feed(s, yaml_only, feed_url, now=datetime.now(UTC), discover=True)
            fid = feed.id
        console.apply_console(ctx, yaml_only)
        res = run_once(ctx)
        assert res.feeds_polled == 1 and res.articles_new == 1 and res.new_alerts >= 1
        with ctx.session() as s:
            console.remove_feed(s, yaml_only, fid)
            assert s.get(ConsoleFeed, feed_url) is None
        console.apply_console(ctx, parse_config(base))
        run_once(ctx)
        assert _feed(ctx, feed_url).status == "removed"
        ctx.close()


def test_opml_export_then_import_round_trip(tmp_path: Path) -> None:
    cfg = parse_config(_config(["http://example.org/a.xml"], []))
    ctx = _ctx(tmp_path, _config(["http://example.org/a.xml"], []))
    with ctx.session() as s:
        console.add_feed(s, cfg, "http://example.org/b.xml", name="B & co", now=datetime.now(UTC),
                         discover=False)
        opml = console.export_opml(s, cfg)
    assert 'xmlUrl="http://example.org/a.xml"' in opml and 'text="B &amp; co"' in opml
    other = _ctx(tmp_path / "other", _config([], []))
    with other.session() as s:
        result = console.import_opml(s, parse_config(_config([], [])), opml, datetime.now(UTC))
    assert sorted(result.added) == ["http://example.org/a.xml", "http://example.org/b.xml"]
    ctx.close()
    other.close()


def test_run_loop_reloads_a_changed_config(tmp_path: Path) -> None:
    """`run` without --once: a feed added to the YAML between passes is polled without a
    restart (the loop re-reads the file when its contents change)."""
    with LocalServer() as srv:
        first = _site(srv)
        page = seed_pages()[3]
        link = srv.route("/b.html", Route(body=page_html(page), content_type="text/html"))
        second = srv.route("/b.xml", Route(body=rss([("g2", link, page.title)]), content_type="application/rss+xml"))
        path = tmp_path / "newsradar.yaml"
        cfg = yaml.safe_load(_config([first], ["127.0.0.1/32"], topics=False))
        cfg["run"] = {"interval": 1}
        path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
        db = f"sqlite:///{tmp_path / 'nr.db'}"
        env = {**os.environ, "NEWSRADAR_DATABASE_URL": db}
        proc = subprocess.Popen([sys.executable, "-m", "worker.cli", "run", "--quiet", "--config", str(path)],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        engine = create_engine(db)

        def polled() -> set[str]:
            try:
                with engine.connect() as c:
                    return set(c.execute(text("SELECT url FROM feeds WHERE last_polled_at IS NOT NULL")).scalars())
            except Exception:
                return set()

        try:
            deadline = time.monotonic() + 120
            while first not in polled() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert polled() == {first}
            cfg["feeds"].append({"url": second, "name": "second"})
            path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
            while second not in polled() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert polled() == {first, second}
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            engine.dispose()

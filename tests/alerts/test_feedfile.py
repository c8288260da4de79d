"""The feed-file channel: a topic's alerts as Atom and JSON Feed files, read back with
feedparser (what a feed reader would do)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import feedparser
import pytest

from tests.pipeline.test_deliveries import Clock, add_alert, make_ctx, story_text
from worker import pipeline
from worker.alerts import FeedFileChannel, build_channels, send_test
from worker.config import parse_config
from worker.errors import DeliveryError
from worker.sources import parse_feed

from .samples import alert_message, digest_message, system_message


def _parse(path):
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def _read_as_newsradar(path):
    """What newsradar's own poller makes of the file (feedparser for Atom, its JSON Feed
    reader for JSON, which feedparser 6 does not read): alert feeds can be polled too."""
    parsed = parse_feed(path.read_bytes(), url="https://alerts.example.org/" + path.name)
    assert parsed.problems == []
    return parsed


def test_atom_and_json_feed_validate_with_feedparser(tmp_path):
    channel = FeedFileChannel("feed", tmp_path / "feeds")
    channel.send(alert_message("feed"))
    channel.send(alert_message("feed", alert_id=43, title="Rallies mark the anniversary",
                               url="https://news.example.org/rallies",
                               created_at=datetime(2025, 7, 27, 9, 0, tzinfo=UTC)))
    channel.send(digest_message("feed"))
    atom = _parse(tmp_path / "feeds" / "korea-armistice.atom")
    assert atom.version == "atom10"
    assert atom.feed.title == "newsradar: Korean War armistice anniversary"
    titles = [e.title for e in atom.entries]
    assert titles[0] == "Korean War armistice anniversary: 2 new stories"  # newest first
    assert "Korean War armistice anniversary: Rallies mark the anniversary" in titles
    kim = next(e for e in atom.entries if "Kim" in e.title)
    assert kim.link == "https://example.com/world/kim-vows-victory"
    assert "<b>Korean War</b>" in kim.content[0].value  # highlights, as HTML
    assert kim.id == "urn:newsradar:nr_alert_42_feed"

    jf = _read_as_newsradar(tmp_path / "feeds" / "korea-armistice.json")
    assert jf.title == atom.feed.title
    assert [e.title for e in jf.entries] == titles
    # a digest has no link of its own (feedparser shows its id instead); each story does
    assert [e.link for e in jf.entries][1:] == [e.link for e in atom.entries][1:]
    assert jf.entries[0].link is None and "Rallies across North Korea" in jf.entries[0].content
    assert [e.title for e in _read_as_newsradar(tmp_path / "feeds" / "korea-armistice.atom").entries] == titles
    doc = json.loads((tmp_path / "feeds" / "korea-armistice.json").read_text())
    assert doc["version"] == "https://jsonfeed.org/version/1.1"


def test_a_retried_send_replaces_its_entry_and_the_feed_keeps_the_newest(tmp_path):
    channel = FeedFileChannel("feed", tmp_path, formats=["atom"], max_entries=3)
    for i in range(5):
        channel.send(alert_message("feed", alert_id=i, title=f"Story {i}",
                                   created_at=datetime(2026, 1, 1, i, tzinfo=UTC)))
    channel.send(alert_message("feed", alert_id=4, title="Story 4",
                               created_at=datetime(2026, 1, 1, 4, tzinfo=UTC)))  # a retry
    atom = _parse(tmp_path / "korea-armistice.atom")
    assert [e.title.split(": ")[1] for e in atom.entries] == ["Story 4", "Story 3", "Story 2"]


def test_feed_health_goes_to_its_own_feed(tmp_path):
    channel = FeedFileChannel("feed", tmp_path)
    channel.send(system_message("feed"))
    atom = _parse(tmp_path / "_feed_health.atom")
    assert atom.entries[0].title == "feed health: feed failing: Example News"


def test_unwritable_directory_is_a_retryable_delivery_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DeliveryError) as err:
        FeedFileChannel("feed", blocker / "feeds").send(alert_message("feed"))
    assert (err.value.code, err.value.permanent) == ("io", False)
    assert not send_test(FeedFileChannel("feed", blocker / "feeds")).ok


def test_feedfile_channel_from_config_through_the_outbox(tmp_path):
    config = f"""
topics: [{{id: war, name: War, query: x, channels: [feed]}}]
channels: {{feed: {{type: feedfile, path: "{tmp_path / 'feeds'}", formats: [atom, json]}}}}
"""
    clock = Clock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    ctx = make_ctx(tmp_path, config, clock)
    assert isinstance(build_channels(parse_config(config).channels)["feed"], FeedFileChannel)
    add_alert(ctx, key="one", topic="war", text=story_text(1))
    add_alert(ctx, key="two", topic="war", text=story_text(2))
    assert [r.status for r in [pipeline.deliver(ctx, d) for d in pipeline.due_deliveries(ctx)]] == ["sent", "sent"]
    atom = _parse(tmp_path / "feeds" / "war.atom")
    assert sorted(e.link for e in atom.entries) == ["https://example.com/one", "https://example.com/two"]


def _write_many(path: str, start: int) -> None:
    channel = FeedFileChannel("feed", path, max_entries=100)
    for i in range(start, start + 10):
        channel.send(alert_message("feed", alert_id=i, title=f"Story {i}"))


def test_worker_processes_sharing_the_directory_lose_no_entry(tmp_path):
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_write_many, args=(str(tmp_path), n * 10)) for n in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    atom = _parse(tmp_path / "korea-armistice.atom")
    assert len(atom.entries) == 30

"""The feed of alerts per topic served by the console (issue 16): /feeds/topics/{id}.atom
and .json over a database filled by a real pass, validated with feedparser (Atom) and newsradar's own feed reader (JSON Feed); a feed reader
authenticates with an API token in the URL (or a session), and gets a 401 otherwise."""

from __future__ import annotations

import feedparser
import pytest
from starlette.testclient import TestClient

from worker.sources import parse_feed
from worker.store import Alert, MutedStory, utcnow
from worker.web import WebSettings, create_app
from worker.web import _actions as A

from .conftest import PASSWORD, Site, login, run_pass, session_for, settings_for, write_config


@pytest.fixture(scope="module")
def seeded(site: Site, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("web-topic-feeds")
    settings = settings_for(f"sqlite:///{tmp / 'nr.db'}",
                            write_config(tmp, feeds=[{"url": site.feed, "name": "Seed News"}]))
    run_pass(settings)
    return settings


@pytest.fixture(scope="module")
def token(seeded) -> str:  # type: ignore[no-untyped-def]
    with session_for(seeded) as s:
        token, _ = A.create_token(s, "reader", utcnow())
        s.commit()
    return token


def _alerts_of(settings, topic: str) -> list[Alert]:  # type: ignore[no-untyped-def]
    with session_for(settings) as s:
        return list(s.query(Alert).filter(Alert.topic_id == topic).order_by(Alert.id))


def test_atom_feed_of_a_topic_with_a_token_in_the_url(seeded, token: str) -> None:
    alerts = _alerts_of(seeded, "armistice")
    assert alerts
    client = TestClient(create_app(seeded, WebSettings(password=PASSWORD)))
    r = client.get(f"/feeds/topics/armistice.atom?token={token}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(r.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title.startswith("newsradar: ")
    assert len(parsed.entries) == len(alerts)
    assert {e.id for e in parsed.entries} == {f"urn:newsradar:nr_alert_{a.id}_feed" for a in alerts}
    assert all(e.link.startswith("http") for e in parsed.entries)
    # the feed's self link does not repeat the token
    assert token not in r.text


def test_json_feed_of_a_topic_and_session_auth(seeded) -> None:
    client = TestClient(create_app(seeded, WebSettings(password=PASSWORD)))
    login(client)
    r = client.get("/feeds/topics/armistice.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/feed+json")
    # feedparser 6 reads no JSON Feed: newsradar's own feed reader does (alert feeds can be polled)
    parsed = parse_feed(r.content, url="http://testserver/feeds/topics/armistice.json")
    assert parsed.problems == []
    assert len(parsed.entries) == len(_alerts_of(seeded, "armistice"))
    body = r.json()
    assert body["version"] == "https://jsonfeed.org/version/1.1" and body["_newsradar"]["topic"] == "armistice"


def test_feed_needs_a_valid_token_and_names_only_known_topics(seeded, token: str) -> None:
    client = TestClient(create_app(seeded, WebSettings(password=PASSWORD)))
    assert client.get("/feeds/topics/armistice.atom").status_code == 401
    assert client.get("/feeds/topics/armistice.atom?token=nr_wrong").status_code == 401
    assert client.get(f"/feeds/topics/no-such-topic.atom?token={token}").status_code == 404
    assert client.get(f"/feeds/topics/armistice.rss?token={token}").status_code == 404


def test_a_muted_story_leaves_the_feed(seeded, token: str) -> None:
    alerts = [a for a in _alerts_of(seeded, "armistice") if a.story_id is not None]
    assert alerts
    client = TestClient(create_app(seeded, WebSettings(password=PASSWORD)))
    before = len(feedparser.parse(client.get(f"/feeds/topics/armistice.atom?token={token}").content).entries)
    with session_for(seeded) as s:
        s.add(MutedStory(story_id=alerts[0].story_id, at=utcnow()))
        s.commit()
    try:
        after = feedparser.parse(client.get(f"/feeds/topics/armistice.atom?token={token}").content).entries
        muted = sum(1 for a in alerts if a.story_id == alerts[0].story_id)
        assert len(after) == before - muted
    finally:
        with session_for(seeded) as s:
            s.delete(s.get(MutedStory, alerts[0].story_id))
            s.commit()

"""The pages' forms, as a browser posts them (with their CSRF token): they call the same
functions as the API and show the same messages."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient

from worker.web import WebSettings, create_app

from .conftest import PASSWORD, csrf_of, login, settings_for, write_config


@pytest.fixture
def browser_client(tmp_path: Path, sqlite_url: str):  # type: ignore[no-untyped-def]
    client = TestClient(create_app(settings_for(sqlite_url, write_config(tmp_path)), WebSettings(password=PASSWORD)))
    return client, login(client)


def test_topic_form_shows_the_query_error_at_its_column_then_saves(browser_client) -> None:
    client, csrf = browser_client
    form = {"csrf_token": csrf, "save_as": "create", "id": "kursk", "name": "Kursk", "query": "Kursk AND (",
            "min_score": "1", "channels": ["jsonl"], "enabled": "on"}
    r = client.post("/topics", data=form)
    assert r.status_code == 422
    assert "unexpected end of query" in r.text and "(column 12)" in r.text
    assert 'value="kursk"' in r.text and "Kursk AND (" in r.text  # what was typed stays
    r = client.post("/topics", data={**form, "query": "Kursk"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/topics/kursk?notice=saved"
    page = client.get("/topics/kursk").text
    assert "Delete topic" in page and "defined in config" not in page
    assert "Save topic" not in client.get("/topics/armistice").text  # config topics are read-only here
    r = client.post("/topics", data={**form, "id": "armistice", "query": "x"})
    assert r.status_code == 409 and "defined in config" in r.text
    r = client.post("/topics/kursk/delete", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and client.get("/topics/kursk").status_code == 404


def test_feed_form_errors_come_back_on_the_page(browser_client) -> None:
    client, csrf = browser_client
    r = client.post("/feeds", data={"csrf_token": csrf, "url": "http://127.0.0.1:9/nothing.xml"},
                    follow_redirects=False)
    assert r.status_code == 303 and "error=" in r.headers["location"]
    page = client.get(r.headers["location"]).text
    assert 'role="alert">http://127.0.0.1:9/nothing.xml: [network]' in page and "Connection refused" in page
    r = client.post("/feeds/999/refresh", data={"csrf_token": csrf}, follow_redirects=False)
    assert "no%20feed%20999" in r.headers["location"]


def test_deliveries_tokens_and_exports(browser_client) -> None:
    client, csrf = browser_client
    r = client.post("/deliveries/retry", data={"csrf_token": csrf})
    assert "0 delivery(ies) queued" in r.text
    r = client.post("/settings/tokens", data={"csrf_token": csrf, "name": "ci"})
    token = r.text.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert token.startswith("nr_")
    assert client.get("/api/v1/feeds", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    exported = yaml.safe_load(client.get("/config/export").text)
    assert {t["id"] for t in exported["topics"]} == {"armistice", "russia-ties", "kim-diplomacy"}
    assert client.get("/feeds.opml").headers["content-type"].startswith("text/x-opml")
    assert "csrf_token" in client.get("/").text and csrf_of(client.get("/feeds").text) == csrf


def test_a_feed_url_with_credentials_is_shown_redacted(tmp_path: Path, sqlite_url: str) -> None:
    """A private feed's password (https://user:password@host/feed) never reaches the
    console's pages, its API or its notices; the feed is still polled with it."""
    from .conftest import run_pass

    secret = "S3cretFeedPw"
    url = f"http://reader:{secret}@127.0.0.1:9/private.xml"
    settings = settings_for(sqlite_url, write_config(tmp_path, feeds=[{"url": url, "name": None}]))
    run_pass(settings)  # syncs and polls the feed: nothing listens on port 9, its error is stored
    client = TestClient(create_app(settings, WebSettings(password=PASSWORD)))
    login(client)
    page = client.get("/feeds").text
    assert "http://reader:***@127.0.0.1:9/private.xml" in page and "[network]" in page
    token = client.post("/settings/tokens", data={"csrf_token": csrf_of(client.get("/settings").text),
                                                  "name": "t"}).text
    token = token.split('id="new-token">', 1)[1].split("<", 1)[0]
    api = client.get("/api/v1/feeds", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200 and "reader:***@127.0.0.1:9" in api.text
    assert secret not in page and secret not in api.text


def test_a_refused_feed_url_comes_back_without_its_password(browser_client) -> None:
    client, csrf = browser_client
    r = client.post("/feeds", data={"csrf_token": csrf, "url": "http://u:Hunter2Pw@127.0.0.1:9/x.xml"},
                    follow_redirects=False)
    assert r.status_code == 303 and "Hunter2Pw" not in r.headers["location"]
    page = client.get(r.headers["location"]).text
    assert "http://u:***@127.0.0.1:9/x.xml: [network]" in page and "Hunter2Pw" not in page

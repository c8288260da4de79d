"""/api/v1 over a database filled by a real pass of the embedded runner on a local site:
lists are JSON arrays paginated the same way; errors are problem details naming the field
(and the column of a query); the pages and the API call the same functions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from worker.store import ChannelState, Delivery
from worker.web import WebSettings, create_app

from .conftest import PASSWORD, Site, login, run_pass, session_for, settings_for, write_config

AUTH = ("admin", PASSWORD)


@pytest.fixture(scope="module")
def seeded(site: Site, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("web-api")
    settings = settings_for(f"sqlite:///{tmp / 'nr.db'}",
                            write_config(tmp, feeds=[{"url": site.feed, "name": "Seed News"}]))
    summary = run_pass(settings)
    assert summary.alerts >= 4, summary  # type: ignore[attr-defined]
    return settings


@pytest.fixture(scope="module")
def client(seeded):  # type: ignore[no-untyped-def]
    return TestClient(create_app(seeded, WebSettings(password=PASSWORD)))


def problem_of(r, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status and body["title"]
    return body


def test_alerts_newest_first_one_per_story_with_why_and_highlights(client) -> None:
    r = client.get("/api/v1/alerts", auth=AUTH)
    alerts = r.json()
    assert isinstance(alerts, list) and int(r.headers["x-total-count"]) == len(alerts) >= 4
    assert [a["id"] for a in alerts] == sorted((a["id"] for a in alerts), reverse=True)
    armistice = [a for a in alerts if a["topic_id"] == "armistice"]
    assert armistice and armistice[0]["topic_name"] == "Korean War armistice anniversary"
    a = armistice[0]
    assert a["headline"] and a["outlets"][0]["feed"] == "Seed News"
    assert any("«" in h for h in a["highlights"]) and a["why"]
    assert "failed" in a["delivery_status"]  # the unreachable webhook


def test_inbox_has_one_row_per_story_with_each_topic_it_matched(client) -> None:
    alerts = client.get("/api/v1/alerts?limit=500", auth=AUTH).json()
    stories = client.get("/api/v1/stories?limit=500", auth=AUTH).json()
    assert sorted(a["id"] for s in stories for a in s["alerts"]) == sorted(a["id"] for a in alerts)
    per_story = {}
    for a in alerts:
        per_story.setdefault(a["story_id"], set()).add(a["topic_id"])
    assert len(stories) == len(per_story) < len(alerts)  # a seed story matched two topics
    two = next(s for s in stories if len(s["alerts"]) == 2)
    assert {a["topic_id"] for a in two["alerts"]} == per_story[two["story_id"]]
    assert two["headline"] and two["outlets"] and two["key"] == f"s{two['story_id']}"
    only = client.get("/api/v1/stories?topic=armistice", auth=AUTH).json()
    assert {a["topic_id"] for s in only for a in s["alerts"]} == {"armistice"}


def test_lists_paginate_the_same_way(client) -> None:
    total = int(client.get("/api/v1/alerts", auth=AUTH).headers["x-total-count"])
    seen = []
    url = "/api/v1/alerts?limit=2"
    while url:
        r = client.get(url, auth=AUTH)
        assert int(r.headers["x-total-count"]) == total
        seen += [a["id"] for a in r.json()]
        link = r.headers.get("link")
        url = link[1:link.index(">")] if link else ""
    assert len(seen) == total == len(set(seen))
    for path in ("/api/v1/topics?limit=1", "/api/v1/feeds?limit=1", "/api/v1/deliveries?limit=1",
                 "/api/v1/stories?limit=1"):
        r = client.get(path, auth=AUTH)
        assert len(r.json()) == 1 and int(r.headers["x-total-count"]) >= 1, path
    problem = problem_of(client.get("/api/v1/feeds?limit=0", auth=AUTH), 422)
    assert problem["field"] == "limit"


def test_filters_and_their_validation(client) -> None:
    by_topic = client.get("/api/v1/alerts?topic=russia-ties", auth=AUTH).json()
    assert by_topic and {a["topic_id"] for a in by_topic} == {"russia-ties"}
    assert client.get("/api/v1/alerts?since=2000-01-01&until=2000-01-02", auth=AUTH).json() == []
    assert client.get("/api/v1/alerts?status=failed", auth=AUTH).json()
    body = problem_of(client.get("/api/v1/alerts?status=lost", auth=AUTH), 422)
    assert body["field"] == "status" and "unknown status 'lost'" in body["detail"]
    body = problem_of(client.get("/api/v1/alerts?since=yesterday", auth=AUTH), 422)
    assert body["field"] == "since"


def test_feedback_marks_an_alert_and_filters_by_it(client) -> None:
    alert = client.get("/api/v1/alerts?topic=kim-diplomacy", auth=AUTH).json()[0]
    r = client.post(f"/api/v1/alerts/{alert['id']}/feedback", json={"verdict": "bad"}, auth=AUTH)
    assert r.status_code == 200 and r.json()["verdict"] == "bad"
    bad = client.get("/api/v1/alerts?feedback=bad", auth=AUTH).json()
    assert [a["id"] for a in bad] == [alert["id"]] and bad[0]["feedback"] == "bad"
    assert alert["id"] not in [a["id"] for a in client.get("/api/v1/alerts?feedback=none", auth=AUTH).json()]
    body = problem_of(client.post(f"/api/v1/alerts/{alert['id']}/feedback", json={"verdict": "meh"}, auth=AUTH), 422)
    assert body["field"] == "verdict"
    problem_of(client.post("/api/v1/alerts/99999/feedback", json={"verdict": "good"}, auth=AUTH), 404)


def test_feedback_form_returns_to_its_page_never_to_another_site(client) -> None:
    alert = client.get("/api/v1/alerts?topic=armistice", auth=AUTH).json()[0]
    csrf = login(client)
    for referer, back in (("http://testserver/?topic=armistice", "/?topic=armistice"),
                          ("https://elsewhere.example/login", "/")):
        r = client.post(f"/alerts/{alert['id']}/feedback", data={"csrf_token": csrf, "verdict": "good"},
                        headers={"referer": referer}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == back, r.text[:800]
    client.post(f"/api/v1/alerts/{alert['id']}/feedback", json={"verdict": "good"}, auth=AUTH)


def test_mute_a_story_leaves_the_inbox_until_unmuted(client) -> None:
    alert = client.get("/api/v1/alerts?topic=russia-ties", auth=AUTH).json()[0]
    total = int(client.get("/api/v1/alerts", auth=AUTH).headers["x-total-count"])
    r = client.post(f"/api/v1/alerts/{alert['id']}/mute", json={"muted": True}, auth=AUTH)
    assert r.json()["muted"] is True
    shown = client.get("/api/v1/alerts", auth=AUTH)
    assert int(shown.headers["x-total-count"]) < total and alert["id"] not in [a["id"] for a in shown.json()]
    assert alert["id"] in [a["id"] for a in client.get("/api/v1/alerts?muted=1", auth=AUTH).json()]
    client.post(f"/api/v1/alerts/{alert['id']}/mute", json={"muted": False}, auth=AUTH)
    assert int(client.get("/api/v1/alerts", auth=AUTH).headers["x-total-count"]) == total


def test_article_view_has_cleaned_text_metadata_and_matches(client) -> None:
    alert = client.get("/api/v1/alerts?topic=armistice", auth=AUTH).json()[0]
    art = client.get(f"/api/v1/articles/{alert['article_id']}", auth=AUTH).json()
    assert art["status"] == "done" and art["text"] and art["feed"] == "Seed News"
    assert "armistice" in [m["topic_id"] for m in art["matches"]]
    x = client.get(f"/api/v1/articles/{alert['article_id']}/explain", auth=AUTH).json()
    assert x["error"] is None and x["kept"] > 0 and x["dropped"] > 0
    assert {line["verdict"] for line in x["lines"]} == {"KEEP", "DROP"} and all(line["reason"] for line in x["lines"])
    page = TestClient(client.app).get(f"/articles/{alert['article_id']}", auth=AUTH, follow_redirects=False)
    assert page.status_code == 303  # pages take a session (or the proxy header), not Basic


def test_topic_query_errors_name_the_column(client) -> None:
    r = client.post("/api/v1/topics/preview", json={"query": "Korea AND (Russia"}, auth=AUTH)
    problem = r.json()["problem"]
    assert problem["column"] and "column" not in problem["message"]
    body = problem_of(client.post("/api/v1/topics", json={"id": "t1", "query": "Korea AND"}, auth=AUTH), 422)
    assert body["field"] == "query" and body["column"] == len("Korea AND") + 1  # where a clause was expected
    body = problem_of(client.post("/api/v1/topics", json={"id": "bad id", "query": "Korea"}, auth=AUTH), 422)
    assert body["field"] == "id"
    body = problem_of(client.post("/api/v1/topics", json={"id": "t2", "query": "Korea", "channels": ["nope"]},
                                  auth=AUTH), 422)
    assert body["field"] == "channels" and "unknown channel 'nope'" in body["detail"]
    problem_of(client.put("/api/v1/topics/armistice", json={"id": "armistice", "query": "x"}, auth=AUTH), 409)


def test_preview_backtest_and_console_topics(client) -> None:
    prev = client.post("/api/v1/topics/preview", json={"query": '"Korean War"'}, auth=AUTH).json()
    assert prev["problem"] is None and prev["hits"] and prev["scanned"] >= 5
    bt = client.post("/api/v1/topics/backtest", json={"query": "Pyongyang", "days": 7}, auth=AUTH).json()
    assert len(bt["per_day"]) == 7 and sum(d["alerts"] for d in bt["per_day"]) == bt["alerts"] >= 1
    r = client.post("/api/v1/topics", json={"id": "pyongyang", "query": "Pyongyang", "min_score": 2,
                                            "channels": ["jsonl"], "mode": "digest", "max_per_hour": 3}, auth=AUTH)
    assert r.status_code == 201 and r.json()["origin"] == "console"
    assert (r.json()["mode"], r.json()["max_per_hour"]) == ("digest", 3)
    body = problem_of(client.post("/api/v1/topics", json={"id": "p2", "query": "x", "mode": "weekly"}, auth=AUTH), 422)
    assert body["field"] == "mode"
    problem_of(client.post("/api/v1/topics", json={"id": "pyongyang", "query": "x"}, auth=AUTH), 409)
    r = client.put("/api/v1/topics/pyongyang", json={"id": "pyongyang", "query": "Pyongyang OR Seoul"}, auth=AUTH)
    assert r.json()["query"] == "Pyongyang OR Seoul"
    topics = {t["id"]: t for t in client.get("/api/v1/topics", auth=AUTH).json()}
    assert topics["armistice"]["origin"] == "config" and len(topics["armistice"]["volume"]) == 30
    assert topics["armistice"]["alerts_30d"] >= 1 and topics["pyongyang"]["origin"] == "console"
    export = client.get("/api/v1/config/export", auth=AUTH).text
    assert "id: pyongyang" in export and "id: armistice" in export
    assert client.delete("/api/v1/topics/pyongyang", auth=AUTH).status_code == 204


def test_full_text_search_best_first_with_a_topic_query_to_save(client) -> None:
    r = client.get("/api/v1/search", params={"q": "kursk"}, auth=AUTH).json()
    assert r["total"] == len(r["hits"]) == 2 and r["topic_query"] == "kursk"
    assert all("«Kursk»" in h["snippet"] or "«kursk»" in h["snippet"].lower() for h in r["hits"])
    both = client.get("/api/v1/search", params={"q": "Kursk Pyong*"}, auth=AUTH).json()
    assert 1 <= both["total"] <= 2 and both["topic_query"] == "Kursk AND Pyong*"
    # the saved topic finds the same articles as the search did
    prev = client.post("/api/v1/topics/preview", json={"query": both["topic_query"]}, auth=AUTH).json()
    assert {h["article_id"] for h in prev["hits"]} == {h["article_id"] for h in both["hits"]}
    assert client.get("/api/v1/search", params={"q": "zzzunknownword"}, auth=AUTH).json()["total"] == 0
    body = problem_of(client.get("/api/v1/search", params={"q": "  ()  "}, auth=AUTH), 422)
    assert body["field"] == "q"


def test_feeds_add_with_discovery_refresh_disable_opml(client, site: Site) -> None:
    feeds = client.get("/api/v1/feeds", auth=AUTH).json()
    assert feeds[0]["origin"] == "config" and feeds[0]["health"] == "ok" and feeds[0]["articles"] == 5
    problem_of(client.post("/api/v1/feeds", json={"url": site.feed}, auth=AUTH), 409)
    body = problem_of(client.post("/api/v1/feeds", json={"url": "ftp://x"}, auth=AUTH), 422)
    assert body["field"] == "url"
    missing = site.server.url("/missing.xml")
    body = problem_of(client.post("/api/v1/feeds", json={"url": missing}, auth=AUTH), 422)
    assert "not_found" in body["detail"]
    # a second site whose home page links to its feed
    site.server.route("/two.xml", site.server.routes["/feed.xml"])
    site.server.route("/two/", site.server.routes["/"].__class__(
        body=b'<html><head><link rel="alternate" type="application/atom+xml" href="/two.xml"></head></html>',
        content_type="text/html"))
    r = client.post("/api/v1/feeds", json={"url": site.server.url("/two/"), "name": "Two"}, auth=AUTH)
    assert r.status_code == 201, r.text
    added = r.json()
    assert added["url"] == site.server.url("/two.xml") and added["origin"] == "console" and added["status"] == "new"
    assert client.post(f"/api/v1/feeds/{added['id']}/enabled", json={"enabled": False}, auth=AUTH).json()["enabled"] is False
    assert client.post(f"/api/v1/feeds/{added['id']}/refresh", auth=AUTH).json()["consecutive_errors"] == 0
    problem_of(client.post(f"/api/v1/feeds/{feeds[0]['id']}/enabled", json={"enabled": False}, auth=AUTH), 409)
    opml = client.get("/api/v1/feeds.opml", auth=AUTH).text
    assert site.feed in opml and site.server.url("/two.xml") in opml
    assert client.delete(f"/api/v1/feeds/{added['id']}", auth=AUTH).status_code == 204
    # import the export back: known feeds are skipped, the removed one comes back
    csrf = login(client)
    r = client.post("/feeds/opml", data={"csrf_token": csrf}, files={"file": ("f.opml", opml.encode(), "text/xml")},
                    follow_redirects=False)
    assert r.status_code == 303 and "1%20feed%28s%29%20added" in r.headers["location"]
    urls = [f["url"] for f in client.get("/api/v1/feeds", auth=AUTH).json()]
    assert site.server.url("/two.xml") in urls


def test_deliveries_retry_and_reenable_a_channel(client, seeded) -> None:
    failed = client.get("/api/v1/deliveries?status=problem", auth=AUTH).json()
    assert failed and {d["channel"] for d in failed} == {"hook"}
    assert failed[0]["attempt_log"] and failed[0]["last_error"]
    with session_for(seeded) as s:  # the endpoint answered 410 (as deliver() records it)
        s.add(ChannelState(channel="hook", disabled=True, disabled_reason="HTTP 410 Gone"))
        s.commit()
    res = client.post("/api/v1/deliveries/retry", json={"ids": [failed[0]["id"]]}, auth=AUTH).json()
    assert res["queued"] == [] and "channel hook is disabled" in res["skipped"][0]
    assert [c["channel"] for c in client.get("/api/v1/channels/disabled", auth=AUTH).json()] == ["hook"]
    assert client.post("/api/v1/channels/hook/enable", auth=AUTH).json()["channel"] == "hook"
    res = client.post("/api/v1/deliveries/retry", json={}, auth=AUTH).json()
    assert sorted(res["queued"]) == sorted(d["id"] for d in failed)
    with session_for(seeded) as s:
        rows = s.scalars(select(Delivery).where(Delivery.id.in_(res["queued"]))).all()
        assert {d.status for d in rows} == {"pending"} and {d.attempts for d in rows} == {0}
    problem_of(client.post("/api/v1/channels/hook/enable", auth=AUTH), 409)


def test_openapi_document_comes_from_the_same_models(client) -> None:
    doc = client.get("/api/v1/openapi.json", auth=AUTH).json()
    assert doc["openapi"].startswith("3.")
    assert {"/api/v1/alerts", "/api/v1/topics", "/api/v1/feeds", "/api/v1/deliveries"} <= set(doc["paths"])
    schemas = doc["components"]["schemas"]
    assert {"AlertRow", "FeedRow", "TopicRow", "TopicIn", "Problem"} <= set(schemas)
    assert "headline" in schemas["AlertRow"]["properties"]
    post = doc["paths"]["/api/v1/topics"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/TopicIn")


@pytest.mark.postgres
def test_api_lists_on_postgresql(site: Site, postgres_url: str, tmp_path: Path) -> None:
    settings = settings_for(postgres_url, write_config(tmp_path, feeds=[{"url": site.feed, "name": "Seed News"}]))
    run_pass(settings)
    app = create_app(settings, WebSettings(password=PASSWORD))
    client = TestClient(app)
    alerts = client.get("/api/v1/alerts?limit=2", auth=AUTH)
    assert len(alerts.json()) == 2 and int(alerts.headers["x-total-count"]) >= 4 and "next" in alerts.headers["link"]
    assert client.get("/api/v1/feeds", auth=AUTH).json()[0]["articles"] == 5
    assert len(client.get("/api/v1/topics", auth=AUTH).json()) >= 3
    stories = client.get("/api/v1/stories", auth=AUTH)
    assert 1 <= len(stories.json()) < int(alerts.headers["x-total-count"]) == sum(len(s["alerts"]) for s in stories.json())
    assert client.post("/api/v1/topics/backtest", json={"query": "Pyongyang", "days": 3}, auth=AUTH).json()["alerts"] >= 1
    found = client.get("/api/v1/search", params={"q": "kursk"}, auth=AUTH).json()
    assert found["total"] == 2 and all("«" in h["snippet"] for h in found["hits"])
    app.state.ctx.engine.dispose()

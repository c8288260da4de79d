"""Relevance in the console, over a real pass of the embedded runner on a local site with
two stories (the ones of tests/pipeline/test_relevance.py): one threaded through by the
topic alerts, one that mentions it in a background clause is held back. The inbox, the
article view and /api/v1/alerts show each alert's relevance; the held-back page and
/api/v1/held-back list the held-back match, and marking it good stores the feedback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from markupsafe import escape
from starlette.testclient import TestClient

from tests.helpers.httpserver import LocalServer, Route
from tests.helpers.stories import BACKGROUND, THREAD
from tests.pipeline.test_relevance import _page
from worker.config import Settings
from worker.pipeline.feedback import feedback_of
from worker.web import WebSettings, create_app

from .conftest import PASSWORD, login, recent_rss, run_pass, session_for, settings_for

AUTH = ("admin", PASSWORD)

CONFIG = """
feeds: [{{url: "{feed}", name: "Korea Wire"}}]
lists:
  dprk: ['"North Korea*"', DPRK, Pyongyang, '"Kim Jong Un"']
topics:
  - id: missiles
    name: North Korean missile launches
    query: '@dprk AND (missile* OR launch*)'
    channels: [out]
  - id: quiet
    name: Nothing held back here
    query: 'Atlantis'
    channels: [out]
channels:
  out: {{type: jsonl, path: "{out}"}}
network: {{allowlist: ["127.0.0.1/32"]}}
"""


@dataclass
class Seeded:
    settings: Settings
    thread: int      # article id of the story that alerted
    background: int  # article id of the story held back


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    from sqlalchemy import select  # noqa: PLC0415

    from worker.store import Article  # noqa: PLC0415

    tmp = tmp_path_factory.mktemp("web-relevance")
    with LocalServer() as srv:
        thread = srv.route("/thread.html", Route(body=_page(*THREAD), content_type="text/html"))
        back = srv.route("/background.html", Route(body=_page(*BACKGROUND), content_type="text/html"))
        feed = srv.route("/feed.xml", Route(body=recent_rss([("t", thread, THREAD[0]), ("b", back, BACKGROUND[0])],
                                                            datetime.now(UTC)),
                                            content_type="application/rss+xml"))
        config = tmp / "newsradar.yaml"
        config.write_text(CONFIG.format(feed=feed, out=tmp / "alerts.jsonl"), encoding="utf-8")
        settings = settings_for(f"sqlite:///{tmp / 'nr.db'}", config)
        summary = run_pass(settings)
        assert summary.alerts == 1, summary  # type: ignore[attr-defined]
        with session_for(settings) as s:
            ids = {("thread" if "thread" in a.url else "background"): a.id for a in s.scalars(select(Article))}
    yield Seeded(settings, ids["thread"], ids["background"])


@pytest.fixture
def client(seeded: Seeded) -> TestClient:
    return TestClient(create_app(seeded.settings, WebSettings(password=PASSWORD)))


def test_inbox_and_api_show_each_alerts_relevance_next_to_why_it_matched(client, seeded: Seeded) -> None:
    [alert] = client.get("/api/v1/alerts", auth=AUTH).json()
    assert alert["article_id"] == seeded.thread and alert["why"]
    rel = alert["relevance"]
    assert rel["relevant"] is True and rel["score"] >= rel["min_relevance"] > 0
    assert rel["reason"] and set(rel["parts"]) >= {"salience", "similarity", "model"}
    assert rel["parts"]["salience"] is not None
    [story] = client.get("/api/v1/stories", auth=AUTH).json()
    assert story["alerts"][0]["relevance"] == rel

    login(client)
    page = client.get("/").text
    section = page.split(f'id="alert-{alert["id"]}"', 1)[1].split("</section>", 1)[0]
    assert f"relevance {rel['score']:.2f}" in section
    assert f"salience {rel['parts']['salience']:.2f}" in section
    assert f'<p class="rel-reason">{escape(rel["reason"])}</p>' in section
    assert section.index("rel-reason") < section.index("Why it matched")

    article = client.get(f"/articles/{seeded.thread}").text
    assert f"relevance {rel['score']:.2f}" in article and "rel-reason" in article
    held = client.get(f"/articles/{seeded.background}").text
    assert "held back" in held and "background" in held


def test_held_back_page_and_api_list_the_held_back_match(client, seeded: Seeded) -> None:
    r = client.get("/api/v1/held-back", auth=AUTH)
    [row] = r.json()
    assert r.headers["x-total-count"] == "1"
    assert row["article_id"] == seeded.background and row["topic_id"] == "missiles"
    assert row["headline"] == BACKGROUND[0] and row["feedback"] is None
    assert row["relevance"]["relevant"] is False and "background" in row["relevance"]["reason"]
    assert row["relevance"]["score"] < row["relevance"]["min_relevance"]
    assert client.get("/api/v1/held-back?topic=quiet", auth=AUTH).json() == []
    assert client.get("/api/v1/held-back?topic=missiles&limit=1&offset=1", auth=AUTH).json() == []
    assert client.get("/api/v1/held-back?limit=0", auth=AUTH).status_code == 422

    login(client)
    page = client.get("/held-back").text
    assert BACKGROUND[0] in page and f'id="held-{row["match_id"]}"' in page
    assert f"relevance {row['relevance']['score']:.2f}" in page and "background" in page
    assert "Mark good" in page and "Mark bad" in page
    assert "Nothing held back for this topic" in client.get("/held-back?topic=quiet").text
    # the topic editor counts them and links here
    editor = client.get("/topics/missiles").text
    assert '<a href="/held-back?topic=missiles">1 match held back by relevance</a>' in editor
    assert "0 matches held back" in client.get("/topics/quiet").text


def test_marking_a_held_back_match_good_stores_feedback(client, seeded: Seeded) -> None:
    [row] = client.get("/api/v1/held-back", auth=AUTH).json()
    csrf = login(client)
    r = client.post(f"/held-back/{row['match_id']}/feedback", data={"csrf_token": csrf, "verdict": "good"},
                    headers={"HX-Request": "true"})
    assert r.status_code == 200 and "marked good for North Korean missile launches" in r.text
    assert r.text.lstrip().startswith('<li class="held-back fb-good"')
    with session_for(seeded.settings) as s:
        fb = feedback_of(s, "missiles", seeded.background)
        assert fb is not None and fb.label == "good" and fb.source == "console"
    assert client.get("/api/v1/held-back", auth=AUTH).json()[0]["feedback"] == "good"

    # without its CSRF token the form is refused and the mark stays
    r = client.post(f"/held-back/{row['match_id']}/feedback", data={"verdict": "bad"})
    assert r.status_code == 403
    # the API marks it too (bearer/basic: no CSRF), and says which match is unknown
    r = client.post(f"/api/v1/held-back/{row['match_id']}/feedback", json={"verdict": "bad"}, auth=AUTH)
    assert r.status_code == 200 and r.json()["feedback"] == "bad"
    with session_for(seeded.settings) as s:
        assert feedback_of(s, "missiles", seeded.background).label == "bad"  # type: ignore[union-attr]
    r = client.post("/api/v1/held-back/999999/feedback", json={"verdict": "good"}, auth=AUTH)
    assert r.status_code == 404 and "held-back match 999999" in r.json()["detail"]
    r = client.post(f"/api/v1/held-back/{row['match_id']}/feedback", json={"verdict": "meh"}, auth=AUTH)
    assert r.status_code == 422 and r.json()["field"] == "verdict"
    # an alerted match is not a held-back one
    alerted = client.get("/api/v1/alerts", auth=AUTH).json()[0]
    with session_for(seeded.settings) as s:
        from worker.pipeline.matches import match_of  # noqa: PLC0415

        m = match_of(s, "missiles", alerted["article_id"])
        assert m is not None
        mid = m.id
    assert client.post(f"/api/v1/held-back/{mid}/feedback", json={"verdict": "good"}, auth=AUTH).status_code == 404


def test_held_back_needs_auth(client, seeded: Seeded) -> None:
    with session_for(seeded.settings) as s:
        before = feedback_of(s, "missiles", seeded.background)
    [row] = client.get("/api/v1/held-back", auth=AUTH).json()
    for path in ("/held-back", "/held-back?topic=missiles"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    mark = f"/held-back/{row['match_id']}/feedback"
    assert client.post(mark, data={"verdict": "good"}, follow_redirects=False).status_code == 303
    assert client.get("/api/v1/held-back").status_code == 401
    assert client.post("/api/v1" + mark, json={"verdict": "good"}).status_code == 401
    assert client.post("/api/v1" + mark, json={"verdict": "good"}, auth=("admin", "wrong")).status_code == 401
    with session_for(seeded.settings) as s:
        assert feedback_of(s, "missiles", seeded.background) == before  # nothing was recorded


def test_the_editors_backtest_counts_would_be_alerts_and_lists_the_held_back(client, seeded: Seeded) -> None:
    """The backtest judges each match as the pipeline would (salience from the query
    alone, as a console topic has): the background mention is listed as held back with
    its reason, not counted as a would-be alert nor drawn in the chart."""
    query = "@dprk AND (missile* OR launch*)"
    view = client.post("/api/v1/topics/backtest", json={"query": query, "days": 7}, auth=AUTH).json()
    assert view["alerts"] == 1 and [h["article_id"] for h in view["hits"]] == [seeded.thread]
    assert sum(d["alerts"] for d in view["per_day"]) == 1
    assert view["held_back_count"] == 1
    [held] = view["held_back"]
    assert held["hit"]["article_id"] == seeded.background and held["reason"]
    assert 0 <= held["relevance"] < 0.5

    login(client)
    page = client.get("/topics/new").text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    html = client.post("/topics/backtest", data={"query": query, "days": "7", "csrf_token": csrf}).text
    assert "Held back by relevance: 1 more match(es)" in html and escape(held["reason"]) in html

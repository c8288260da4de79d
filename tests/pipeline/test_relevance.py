"""Relevance through the pipeline, against real local servers and real databases: a story
that mentions the topic in one background clause is held back (recorded, listed, never
alerted), a story threaded through by it alerts; `relevance: off` is the old behaviour;
feedback round-trips through SQLite and PostgreSQL; `topics tune` fits and stores; the
webhook payload and the email carry the relevance."""

from __future__ import annotations

import email as email_lib
import email.policy
import html
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from tests.helpers.httpserver import LocalServer, Route
from tests.helpers.stories import BACKGROUND, THREAD
from tests.seedsite import rss
from worker import pipeline
from worker.alerts import build_channels
from worker.cli.alerts import app as alerts_app
from worker.cli.topics import app as topics_app
from worker.config import get_settings, parse_config
from worker.pipeline.feedback import (
    FeedbackError,
    feedback_for_topic,
    feedback_links,
    record_feedback,
    verify_feedback_token,
)
from worker.pipeline.matches import list_held_back
from worker.pipeline.relevance import topic_relevance
from worker.pipeline.states import MatchStatus
from worker.pipeline.tuning import tune_topic
from worker.relevance import FEATURES_VERSION
from worker.sources import NetworkPolicy
from worker.store import Alert, Article, Match, TopicRelevanceModel

CONFIG = """
feeds: [{{url: "{feed}"}}]
lists:
  dprk: ['"North Korea*"', DPRK, Pyongyang, '"Kim Jong Un"']
topics:
  - id: missiles
    name: North Korean missile launches
    query: '@dprk AND (missile* OR launch*)'
    channels: [{channels}]
    relevance: {relevance}
channels:
  out: {{type: jsonl, path: "{out}"}}
{extra_channels}
network: {{allowlist: ["127.0.0.1/32"]}}
"""


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _page(title: str, paragraphs: list[str]) -> bytes:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
            f"{html.escape(title)}</title></head><body><article><h1>{html.escape(title)}</h1>"
            f"{body}</article></body></html>").encode()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'db.sqlite'}"


def run_pipeline(tmp_path: Path, db: str, *, relevance: str = "on", channels: str = "out",
                 extra_channels: str = "",
                 before_process: Callable[[pipeline.Context, int], None] | None = None,
                 ) -> tuple[pipeline.Context, dict[str, int]]:
    """Serve the two stories in a feed, poll it and process both; article ids by kind.
    ``before_process(ctx, article_id)`` runs before each article is processed."""
    with LocalServer() as site:
        thread = site.route("/thread.html", Route(body=_page(*THREAD), content_type="text/html"))
        back = site.route("/background.html", Route(body=_page(*BACKGROUND), content_type="text/html"))
        feed = site.route("/feed.xml", Route(body=rss([("t", thread, THREAD[0]),
                                                       ("b", back, BACKGROUND[0])]),
                                             content_type="application/rss+xml"))
        cfg = parse_config(CONFIG.format(feed=feed, out=tmp_path / "out.jsonl", relevance=relevance,
                                         channels=channels, extra_channels=extra_channels))
        settings = get_settings().model_copy(update={"database_url": db})
        ctx = pipeline.build_context(cfg, settings, clock=Clock())
        ctx.policy = NetworkPolicy(allowlist=("127.0.0.1/32",))
        ctx.channels = build_channels(cfg.channels, network=ctx.policy)
        pipeline.sync_feeds(ctx)
        [fid] = pipeline.due_feeds(ctx)
        pipeline.poll_feed(ctx, fid)
        ids: dict[str, int] = {}
        for aid in pipeline.due_articles(ctx):
            if before_process is not None:
                before_process(ctx, aid)
            r = pipeline.process_article(ctx, aid)
            assert r.status == "done"
            with ctx.session() as s:
                url = s.get(Article, aid).url
            ids["thread" if "thread" in url else "background"] = aid
    return ctx, ids


def test_background_clause_is_held_back_and_a_thread_alerts(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ctx, ids = run_pipeline(tmp_path, db)
    with ctx.session() as s:
        alerts = {a.article_id for a in s.scalars(select(Alert))}
        matches = {m.article_id: m for m in s.scalars(select(Match))}
        assert alerts == {ids["thread"]}
        assert matches[ids["thread"]].status == MatchStatus.ALERTED
        held = matches[ids["background"]]
        assert held.status == MatchStatus.HELD_BACK
        assert held.relevance is not None and held.relevance["relevant"] is False
        assert "background" in held.relevance["reason"]
        assert matches[ids["thread"]].relevance["relevant"] is True
        [listed] = list_held_back(s, topic_id="missiles")
        assert listed.article_id == ids["background"] and "background" in listed.reason
        assert list_held_back(s, topic_id="other") == []
    # the CLI lists it, with the command to mark it good
    runner = CliRunner()
    res = runner.invoke(topics_app, ["held-back", "missiles", "--database-url", db])
    assert res.exit_code == 0, res.output
    assert "1 held-back match(es) for topic missiles" in res.output
    assert BACKGROUND[0] in res.output and "background" in res.output
    assert f"--article {ids['background']} --topic missiles good" in res.output
    res = runner.invoke(alerts_app, ["held-back", "--json", "--database-url", db])
    assert res.exit_code == 0, res.output
    [row] = [json.loads(line) for line in res.output.splitlines()]
    assert row["article_id"] == ids["background"] and row["relevance"]["relevant"] is False
    ctx.close()


def test_relevance_off_alerts_every_match_as_before(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ctx, ids = run_pipeline(tmp_path, db, relevance="off")
    with ctx.session() as s:
        assert {a.article_id for a in s.scalars(select(Alert))} == set(ids.values())
        for m in s.scalars(select(Match)):
            assert m.status == MatchStatus.ALERTED and m.relevance is None
        assert list_held_back(s) == []
    ctx.close()


def test_feedback_round_trip_and_tune(tmp_path: Path, db_url: str) -> None:
    ctx, ids = run_pipeline(tmp_path, db_url)
    runner = CliRunner()
    with ctx.session() as s:
        alert_id = s.scalar(select(Alert.id).where(Alert.article_id == ids["thread"]))
    # an alert by its id, a held-back match by article and topic
    res = runner.invoke(alerts_app, ["feedback", str(alert_id), "good", "--database-url", db_url])
    assert res.exit_code == 0, res.output
    assert f"marked good: topic missiles, article {ids['thread']}" in res.output
    res = runner.invoke(alerts_app, ["feedback", "--article", str(ids["background"]),
                                     "--topic", "missiles", "good", "--database-url", db_url])
    assert res.exit_code == 0, res.output
    res = runner.invoke(alerts_app, ["feedback", str(alert_id), "maybe", "--database-url", db_url])
    assert res.exit_code == 1 and "expected good or bad" in res.output
    with ctx.session() as s:
        marks = {(f.article_id, f.label, f.source) for f in feedback_for_topic(s, "missiles")}
        assert marks == {(ids["thread"], "good", "cli"), (ids["background"], "good", "cli")}
        # a second mark replaces the first
        record_feedback(s, "missiles", ids["background"], "bad", source="console")
    with ctx.session() as s:
        assert {(f.article_id, f.label) for f in feedback_for_topic(s, "missiles")} == {
            (ids["thread"], "good"), (ids["background"], "bad")}
        [held] = list_held_back(s, topic_id="missiles")
        assert held.feedback == "bad"
        with pytest.raises(FeedbackError):
            record_feedback(s, "missiles", 999_999, "good")

    # topics tune: precision/recall before and after, and the fit is stored
    cfg_path = tmp_path / "newsradar.yaml"
    cfg_path.write_text(CONFIG.format(feed="http://127.0.0.1:9/feed.xml", out=tmp_path / "o.jsonl",
                                      relevance="on", channels="out", extra_channels=""))
    res = runner.invoke(topics_app, ["tune", "missiles", "--config", str(cfg_path),
                                     "--database-url", db_url])
    assert res.exit_code == 0, res.output
    assert "topic missiles: 2 label(s) (2 feedback, 0 example(s))" in res.output
    assert "before: precision" in res.output and "after:  precision" in res.output
    assert "stored: the pipeline uses it" in res.output
    with ctx.session() as s:
        row = s.get(TopicRelevanceModel, "missiles")
        assert row is not None and row.n_labels == 2 and 0.0 <= row.min_relevance <= 1.0
        assert row.report["n_feedback"] == 2
        # the pipeline prepares the topic with the stored threshold from then on
        tr = topic_relevance(ctx.config, ctx.relevance, "missiles", s)
        assert tr is not None and tr.min_relevance == pytest.approx(row.min_relevance)
        again = tune_topic(s, ctx.config, "missiles", store=False)
        assert again.result.n_labels == 2 and not again.stored
    ctx.close()


def test_relevance_in_the_webhook_payload_and_the_email(tmp_path: Path, receiver, secret_env,
                                                       smtp_server, monkeypatch) -> None:
    monkeypatch.setenv("NEWSRADAR_WEB_BASE_URL", "https://news.example.org/")
    monkeypatch.setenv("NEWSRADAR_FEEDBACK_SECRET", "s3cret-for-links")
    extra = (f"  mail: {{type: email, to: [desk@example.org], host: 127.0.0.1, port: {smtp_server.port}}}\n"
             f"  hook: {{type: webhook, url: \"{receiver.url}\", secret_env: {secret_env}}}")
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ctx, ids = run_pipeline(tmp_path, db, channels="mail, hook", extra_channels=extra)
    results = [pipeline.deliver(ctx, d) for d in pipeline.due_deliveries(ctx)]
    assert sorted(r.status for r in results) == ["sent", "sent"]  # the thread only, two channels
    assert not receiver.rejected
    [hook] = receiver.received
    p = hook["payload"]
    assert p["version"] == "2"
    rel = p["match"]["relevance"]
    assert rel["relevant"] is True and rel["score"] >= rel["min_relevance"]
    assert set(rel["parts"]) == {"salience", "similarity", "model"} and rel["reason"]
    # the signed link marks exactly this alert good
    assert p["feedback_url"].startswith("https://news.example.org/feedback/")
    token = p["feedback_url"].rsplit("/", 1)[1]
    assert verify_feedback_token("s3cret-for-links", token) == (p["alert_id"], "good")
    assert p["feedback_urls"]["good"] == p["feedback_url"] and "bad" in p["feedback_urls"]["bad"]
    assert verify_feedback_token("another-secret", token) is None
    assert verify_feedback_token("s3cret-for-links", token.replace("good", "bad")) is None
    [mail] = [email_lib.message_from_bytes(m["data"], policy=email.policy.default)
              for m in smtp_server.inbox.messages]
    text = mail.get_body(("plain",)).get_content()
    htm = mail.get_body(("html",)).get_content()
    assert "Relevance " in text and "thread" in text
    good, bad = feedback_links("https://news.example.org/", "s3cret-for-links", p["alert_id"])
    assert good in text and bad in text and html.escape(good) in htm
    # and `alerts show` prints it
    res = CliRunner().invoke(alerts_app, ["show", str(results[0].delivery_id), "--database-url", db])
    assert res.exit_code == 0, res.output
    assert "relevance: " in res.output and "relevant" in res.output and "reason: " in res.output
    ctx.close()


def test_no_links_without_a_console(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("NEWSRADAR_WEB_BASE_URL", raising=False)
    assert feedback_links(None, "x", 1) == (None, None)
    assert feedback_links("https://n.example", None, 1) == (None, None)


def test_held_back_story_is_not_alerted_on_a_second_process(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ctx, ids = run_pipeline(tmp_path, db)
    again = pipeline.process_article(ctx, ids["background"])
    assert again.status == "done" and again.delivery_ids == []
    with ctx.session() as s:
        assert s.scalar(select(Alert.id).where(Alert.article_id == ids["background"])) is None
    ctx.close()



def test_a_relevance_failure_alerts_as_the_gate_decided(tmp_path: Path) -> None:
    """Fail open: a relevance bug must not lose an alert."""
    import dataclasses

    from worker.pipeline.relevance import RelevanceCache, judge
    from worker.topics import Document, TopicMatch

    cfg = parse_config("topics: [{id: t, query: missile}]")
    cache = RelevanceCache()
    tr = topic_relevance(cfg, cache, "t")
    assert tr is not None
    cache.topics["t"] = dataclasses.replace(tr, branches=(object(),))  # a broken entry
    [j] = judge(cfg, cache, Document("Missile", "A missile."), [TopicMatch("t", 3.0)])
    assert j.alerts and j.error and j.relevance_dict()["relevant"] is True


def test_a_tuned_threshold_reaches_a_running_worker_at_its_next_refresh(tmp_path: Path) -> None:
    """Workers keep a copy of the tuned models (no round trip per article) and re-read
    it every MODELS_REFRESH_S seconds; the next article is then judged by the new fit."""
    from worker.pipeline.relevance import MODELS_REFRESH_S, prepare_topics, score
    from worker.topics import Document, TopicMatch

    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ctx, ids = run_pipeline(tmp_path, db)  # the background story was held back
    cache = ctx.relevance
    read_at = cache.models_read_at
    assert cache.models == {}
    with ctx.session() as s:  # what `topics tune` writes (pipeline/tuning.py)
        s.add(TopicRelevanceModel(topic_id="missiles", min_relevance=0.0, model=None, n_labels=3,
                                  report={"features_version": FEATURES_VERSION},
                                  fitted_at=datetime(2026, 1, 5, 10, tzinfo=UTC)))
    with ctx.session() as s:
        assert cache.stored(s, now=read_at + MODELS_REFRESH_S - 1) == {}  # its copy, no read
        fresh = cache.stored(s, now=read_at + MODELS_REFRESH_S)
        assert fresh["missiles"].min_relevance == 0.0
        art = s.get(Article, ids["background"])
        doc = Document(art.title or "", art.text or "")
    [j] = score(doc, [TopicMatch("missiles", 3.0)],
                prepare_topics(ctx.config, cache, ["missiles"], stored=fresh))
    assert j.alerts and j.relevance is not None and j.relevance.min_relevance == 0.0
    ctx.close()


def test_a_database_failure_while_preparing_relevance_is_retried_not_failed(tmp_path: Path) -> None:
    """Preparing a topic reads the database (the tuned models). When that read fails,
    it is the database's failure, not the page's: process_article raises it (the task
    retries; the claim expires for the sweep) and the article is not marked failed."""
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    seen: list[str] = []

    def database_gone_once(ctx: pipeline.Context, aid: int) -> None:
        if seen:
            return
        with ctx.engine.begin() as conn:  # the next read of the models fails
            conn.execute(text("ALTER TABLE topic_relevance_models RENAME TO gone"))
        with pytest.raises(OperationalError):
            pipeline.process_article(ctx, aid)
        with ctx.session() as s:
            seen.append(s.get(Article, aid).status)
        with ctx.engine.begin() as conn:
            conn.execute(text("ALTER TABLE gone RENAME TO topic_relevance_models"))
        ctx.clock.now = ctx.clock.now.replace(hour=12)  # past the claim's lease

    ctx, ids = run_pipeline(tmp_path, db, before_process=database_gone_once)
    assert seen == ["processing"]  # neither failed nor done: processed again, then done
    with ctx.session() as s:
        assert {a.article_id for a in s.scalars(select(Alert))} == {ids["thread"]}
    ctx.close()


def test_a_fit_tuned_on_older_relevance_features_is_not_used(tmp_path: Path, caplog) -> None:
    """A threshold and model stored by `topics tune` under another FEATURES_VERSION were
    fitted on other scores: they are set aside, with a warning naming the command, until
    the topic is tuned again; a current fit is used."""
    from worker.pipeline.relevance import RelevanceCache

    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ctx, ids = run_pipeline(tmp_path, db)
    fitted = datetime(2026, 1, 5, 10, tzinfo=UTC)
    with ctx.session() as s:  # a fit stored under other features (another release's)
        s.add(TopicRelevanceModel(topic_id="missiles", min_relevance=0.0, model=None, n_labels=3,
                                  report={"features_version": FEATURES_VERSION + 1},
                                  fitted_at=fitted))
    with ctx.session() as s, caplog.at_level("WARNING"):
        tr = topic_relevance(ctx.config, RelevanceCache(), "missiles", s)
    assert tr is not None and tr.prepared.profile.min_relevance is None  # the default
    assert "newsradar topics tune missiles" in caplog.text
    with ctx.session() as s:
        s.get(TopicRelevanceModel, "missiles").report = {"features_version": FEATURES_VERSION}
    with ctx.session() as s:
        tr = topic_relevance(ctx.config, RelevanceCache(), "missiles", s)
    assert tr is not None and tr.prepared.profile.min_relevance == 0.0
    ctx.close()


def test_preparing_a_topic_lets_a_database_failure_through(tmp_path: Path) -> None:
    """A relevance bug fails open (the gate decides), but a database that cannot be read
    while preparing a topic (its example articles) is raised, for the task to retry."""
    from worker.pipeline.relevance import RelevanceCache, prepare_topics
    from worker.store import make_engine, make_sessionmaker

    cfg = parse_config("topics: [{id: t, query: missile, description: Missile tests., examples: [5]}]")
    gone = make_sessionmaker(make_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'db.sqlite'}"))
    with pytest.raises(OperationalError):
        prepare_topics(cfg, RelevanceCache(), ["t"], stored={}, open_session=gone)

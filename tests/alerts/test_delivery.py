"""Alerts through the pipeline, against a SQLite file, a real SMTP server and a real
webhook receiver that verifies every signature. Time is injected (a Clock), never slept."""

from __future__ import annotations

import html
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.helpers.httpserver import LocalServer, Route
from tests.seedsite import rss
from worker import pipeline
from worker.alerts import build_channels
from worker.cli.alerts import app as alerts_app
from worker.config import get_settings, parse_config
from worker.sources import NetworkPolicy
from worker.store import Alert, Article, ChannelState, Delivery, DeliveryAttempt, Digest, Match

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "gold"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """The alert stages on both databases: the embedded SQLite file and the stack's PostgreSQL."""
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'db.sqlite'}"


def make_ctx(tmp_path: Path, config: str, clock: Clock, db_url: str | None = None) -> pipeline.Context:
    cfg = parse_config(config)
    url = db_url or f"sqlite:///{tmp_path / 'db.sqlite'}"
    settings = get_settings().model_copy(update={"database_url": url})
    ctx = pipeline.build_context(cfg, settings, clock=clock)
    # outlets are names on the loopback server: resolve them there, and let webhooks reach it
    ctx.policy = NetworkPolicy(allowlist=("127.0.0.1/32",), resolver=lambda host, port: ["127.0.0.1"])
    ctx.channels = build_channels(cfg.channels, network=ctx.policy)
    return ctx


def story_text(seed: int, words: int = 120) -> str:
    """A distinct made-up story (different seeds are far apart in SimHash)."""
    rng = random.Random(seed)
    vocab = ["troops", "minister", "summit", "border", "talks", "sanctions", "missile", "envoy", "treaty", "ports", "grain", "election", "court", "rally", "budget", "strike", "weather", "harvest", "market", "bank", "rates", "vote"]
    return " ".join(rng.choice(vocab) for _ in range(words)) + "."


def add_alert(ctx, *, key: str, topic: str, score: float = 5.0, text: str | None = None,
              site: str = "example.com") -> list[int]:
    """An article already cleaned and matched: store it, cluster it, write the outbox."""
    now = ctx.now()
    url = f"https://{site}/{key}"
    with ctx.session() as s:
        art = Article(guid=url, url=url, canonical_url=url, title=f"Story {key}", site=site,
                      text=text or story_text(hash(key) % 10_000), status="done", attempts=0,
                      created_at=now, published_at=now)
        s.add(art)
        s.flush()
        story_id = pipeline.assign_story(s, art, now)
        m = Match(article_id=art.id, topic_id=topic, score=score, explanation={},
                  highlights=[f"the «{key}» story"], created_at=now)
        s.add(m)
        s.flush()
        return pipeline.create_alert(ctx, s, art, story_id, topic, score, m.id, now)


def deliver_due(ctx) -> list[pipeline.DeliveryResult]:
    return [pipeline.deliver(ctx, d) for d in pipeline.due_deliveries(ctx)]


def statuses(ctx) -> list[tuple[int, str]]:
    with ctx.session() as s:
        return list(s.execute(select(Delivery.id, Delivery.status).order_by(Delivery.id)).all())


# ---------------------------------------------------------------------------
# one alert per story


def _page(title: str, paragraphs: list[str]) -> bytes:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title></head><body><article><h1>{html.escape(title)}</h1>\n{body}\n</article></body></html>").encode()


def test_three_outlets_same_story_one_alert_three_sources(tmp_path, receiver, smtp_server, secret_env):
    gold = (SEEDS / "000_906bbe40c4e300f6.txt").read_text(encoding="utf-8")
    paras = [p for p in gold.splitlines() if p.strip()]
    title = "Kim Jong Un vows victory over US on Korean War anniversary"
    other = [p for p in (SEEDS / "002_0fcbd66dd195d702.txt").read_text(encoding="utf-8").splitlines() if p.strip()]
    with LocalServer() as site:
        port = site.url("/").split(":")[2].split("/")[0]
        pages = {
            "outlet-a.test": _page(title, paras),
            "outlet-b.test": _page("Kim vows to beat US as North marks war anniversary",
                                   ["SEOUL (Reuters) - North Korea's leader spoke on Saturday.", *paras,
                                    "(Reporting by Hyonhee Shin; Editing by Ed Davies)"]),
            "outlet-c.test": _page(title, ["Advertisement", *paras[:-1],
                                           "Sign up for our morning newsletter."]),
        }
        items = []
        for host, body in pages.items():
            site.route(f"/{host}/kim.html", Route(body=body, content_type="text/html; charset=utf-8"))
        # every outlet serves its page at /<host>/kim.html on the loopback server
        for i, host in enumerate(pages):
            items.append((f"g{i}", f"http://{host}:{port}/{host}/kim.html", title))
        site.route("/outlet-a.test/troops.html", Route(body=_page("North Korea admits sending troops", other),
                                                        content_type="text/html"))
        items.append(("g9", f"http://outlet-a.test:{port}/outlet-a.test/troops.html", "Troops"))
        feed = site.route("/feed.xml", Route(body=rss(items), content_type="application/rss+xml"))
        config = f"""
feeds: [{{url: "{feed}"}}]
topics:
  - {{id: war, name: Korean War anniversary, query: '"Korean War" OR troops', channels: [mail, hook]}}
channels:
  mail: {{type: email, to: [desk@example.org], host: 127.0.0.1, port: {smtp_server.port}, timezone: Asia/Seoul}}
  hook: {{type: webhook, url: "{receiver.url}", secret_env: {secret_env}}}
network: {{allowlist: ["127.0.0.1/32"]}}
"""
        clock = Clock(datetime(2026, 1, 5, 9, tzinfo=UTC))
        ctx = make_ctx(tmp_path, config, clock)
        pipeline.sync_feeds(ctx)
        [fid] = pipeline.due_feeds(ctx)
        assert len(pipeline.poll_feed(ctx, fid).new_article_ids) == 4
        for aid in pipeline.due_articles(ctx):
            assert pipeline.process_article(ctx, aid).status == "done"
        results = deliver_due(ctx)

    with ctx.session() as s:
        alerts = list(s.scalars(select(Alert).where(Alert.topic_id == "war")))
        kim = [a for a in alerts if "kim" in a.article.url]
        assert len(kim) == 1, "three outlets, one story: one alert"
        sources = list(s.scalars(select(Article.site).where(Article.story_id == kim[0].story_id)))
        assert sorted(sources) == ["outlet-a.test", "outlet-b.test", "outlet-c.test"]
        assert len(alerts) == 2  # and the troops story is a story of its own
    assert {r.status for r in results} == {"sent"} and len(results) == 4

    # the webhook receiver verified every request; the Kim alert lists the two other outlets
    assert not receiver.rejected
    kim_payload = next(r["payload"] for r in receiver.received if "kim" in r["payload"]["article"]["url"])
    assert sorted(x["outlet"] for x in kim_payload["story"]["sources"]) == sorted(
        {"outlet-a.test", "outlet-b.test", "outlet-c.test"} - {kim_payload["article"]["outlet"]})
    assert kim_payload["article"]["snippets"][0]["marks"]
    # the email carries the same story, its other outlets and the local time
    import email as email_lib
    import email.policy

    mails = [email_lib.message_from_bytes(m["data"], policy=email.policy.default)
             for m in smtp_server.inbox.messages]
    kim_mail = next(m for m in mails if "Kim" in m["Subject"] or "Korean War" in m["Subject"])
    assert kim_mail["Subject"].startswith("[newsradar] Korean War anniversary: ")
    text = kim_mail.get_body(("plain",)).get_content()
    assert "Also carried by 2 other outlets" in text and "KST (Asia/Seoul)" in text
    assert "*Korean War*" in text


def test_story_already_alerted_attaches_instead_of_alerting(tmp_path, db_url):
    clock = Clock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    ctx = make_ctx(tmp_path, """
topics: [{id: t, query: x, channels: [out]}]
channels: {out: {type: jsonl, path: "OUT"}}
""".replace("OUT", str(tmp_path / "out.jsonl")), clock, db_url)
    base = story_text(1, 200)
    assert len(add_alert(ctx, key="a", topic="t", text=base, site="a.example")) == 1
    assert add_alert(ctx, key="b", topic="t", text="Breaking: " + base + " (AFP)", site="b.example") == []
    assert len(add_alert(ctx, key="c", topic="t", text=story_text(2, 200), site="c.example")) == 1
    with ctx.session() as s:
        assert s.scalar(select(func.count(Alert.id))) == 2
        a_story, b_story, c_story = s.scalars(select(Article.story_id).order_by(Article.id))
        assert a_story == b_story != c_story


# ---------------------------------------------------------------------------
# policy: digest, throttle, quiet hours


DIGEST_CONFIG = """
topics:
  - id: daily
    name: Daily topic
    query: x
    channels: [mail]
    mode: digest
    digest: {every: daily, at: "08:00", timezone: Europe/Paris}
channels:
  mail: {type: email, to: [desk@example.org], host: 127.0.0.1, port: %d}
"""


def test_digest_lists_each_story_once_with_its_sources(tmp_path, db_url, smtp_server):
    clock = Clock(datetime(2026, 1, 5, 10, tzinfo=UTC))
    ctx = make_ctx(tmp_path, DIGEST_CONFIG % smtp_server.port, clock, db_url)
    one = story_text(11, 200)
    add_alert(ctx, key="one", topic="daily", text=one, site="a.example")
    add_alert(ctx, key="one-copy", topic="daily", text=one + " Reuters.", site="b.example")
    add_alert(ctx, key="two", topic="daily", text=story_text(12, 200), site="c.example")
    results = deliver_due(ctx)
    assert [r.status for r in results] == ["held", "held"]
    assert results[0].next_attempt_at == datetime(2026, 1, 6, 7, tzinfo=UTC)  # 08:00 Paris
    assert pipeline.send_digests(ctx) == [] and smtp_server.inbox.messages == []

    clock.now = datetime(2026, 1, 6, 7, 0, tzinfo=UTC)
    assert pipeline.due_deliveries(ctx) == []  # digests are not single deliveries
    [digest_id] = pipeline.send_digests(ctx)
    assert pipeline.send_digests(ctx) == []  # once
    [mail] = smtp_server.inbox.messages
    import email as email_lib
    import email.policy

    msg = email_lib.message_from_bytes(mail["data"], policy=email.policy.default)
    assert msg["Subject"] == "[newsradar] Daily topic: 2 new stories"
    text = msg.get_body(("plain",)).get_content()
    assert text.count("Story one") == 1 and "Also: b.example" in text and "Story two" in text
    assert {st for _, st in statuses(ctx)} == {"digested"}
    with ctx.session() as s:
        d = s.get(Digest, digest_id)
        assert (d.status, d.period_key) == ("sent", "daily:2026-01-06T07:00Z")


def test_throttle_rolls_excess_into_digest_nothing_dropped(tmp_path, db_url):
    out = tmp_path / "out.jsonl"
    clock = Clock(datetime(2026, 1, 5, 10, 0, tzinfo=UTC))
    ctx = make_ctx(tmp_path, """
topics: [{id: busy, query: x, channels: [out], max_per_hour: 2, digest: {every: hourly}}]
channels: {out: {type: jsonl, path: "OUT"}}
""".replace("OUT", str(out)), clock, db_url)
    for i in range(5):
        add_alert(ctx, key=f"s{i}", topic="busy", text=story_text(100 + i))
    assert sorted(r.status for r in deliver_due(ctx)) == ["held"] * 3 + ["sent"] * 2
    clock.now = datetime(2026, 1, 5, 11, 0, tzinfo=UTC)
    [_] = pipeline.send_digests(ctx)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["type"] for x in lines] == ["alert.created", "alert.created", "digest.created"]
    delivered = {x["article"]["url"] for x in lines[:2]} | {i["article"]["url"] for i in lines[2]["items"]}
    assert len(delivered) == 5  # every alert arrived, once
    # a new hour: the next alert goes out at once again
    clock.advance(minutes=5)
    add_alert(ctx, key="late", topic="busy", text=story_text(200))
    assert [r.status for r in deliver_due(ctx)] == ["sent"]


def test_quiet_hours_hold_until_they_end_urgent_bypasses(tmp_path, db_url):
    out = tmp_path / "out.jsonl"
    clock = Clock(datetime(2026, 1, 5, 23, 0, tzinfo=UTC))
    ctx = make_ctx(tmp_path, """
topics:
  - {id: calm, query: x, channels: [out], urgent_min_score: 10,
     quiet_hours: {start: "22:00", end: "07:00", timezone: UTC}}
channels: {out: {type: jsonl, path: "OUT"}}
""".replace("OUT", str(out)), clock, db_url)
    [quiet_id] = add_alert(ctx, key="minor", topic="calm", score=3, text=story_text(1))
    [urgent_id] = add_alert(ctx, key="major", topic="calm", score=12, text=story_text(2))
    res = {r.delivery_id: r for r in deliver_due(ctx)}
    assert res[quiet_id].status == "held" and res[quiet_id].next_attempt_at == datetime(2026, 1, 6, 7, tzinfo=UTC)
    assert res[urgent_id].status == "sent"
    clock.now = datetime(2026, 1, 6, 6, 59, tzinfo=UTC)
    assert pipeline.due_deliveries(ctx) == []
    clock.now = datetime(2026, 1, 6, 7, 0, tzinfo=UTC)
    assert [r.status for r in deliver_due(ctx)] == ["sent"]
    urls = [json.loads(x)["article"]["url"] for x in out.read_text().splitlines()]
    assert urls == ["https://example.com/major", "https://example.com/minor"]


# ---------------------------------------------------------------------------
# delivery outcomes against the receiver


HOOK_CONFIG = """
topics: [{id: t, query: x, channels: [hook]}]
channels: {hook: {type: webhook, url: "%s", secret_env: %s, timeout: 5}}
network: {allowlist: ["127.0.0.1/32"]}
"""


def test_receiver_fails_then_recovers_delivered_once(tmp_path, db_url, receiver, secret_env):
    clock = Clock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    ctx = make_ctx(tmp_path, HOOK_CONFIG % (receiver.url, secret_env), clock, db_url)
    [did] = add_alert(ctx, key="a", topic="t")
    receiver.script = [(503, {}), (429, {"Retry-After": "900"})]
    r1 = pipeline.deliver(ctx, did)
    assert r1.status == "failed" and r1.next_attempt_at == clock.now + timedelta(seconds=5)
    clock.now = r1.next_attempt_at
    r2 = pipeline.deliver(ctx, did)
    assert r2.status == "failed" and r2.next_attempt_at >= clock.now + timedelta(seconds=900)
    clock.advance(seconds=60)
    assert pipeline.due_deliveries(ctx) == []  # Retry-After is honoured
    clock.now = r2.next_attempt_at
    assert pipeline.deliver(ctx, did).status == "sent"
    assert pipeline.deliver(ctx, did).status == "sent"  # a duplicate task sends nothing
    assert receiver.ids == ["nr_alert_1_hook"]  # delivered once, after recovery
    with ctx.session() as s:
        log = list(s.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == did)
                             .order_by(DeliveryAttempt.id)))
        assert [(a.ok, a.status_code) for a in log] == [(False, 503), (False, 429), (True, None)]


def test_receiver_410_disables_endpoint_visible_in_alerts_list(tmp_path, receiver, secret_env, monkeypatch):
    clock = Clock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    ctx = make_ctx(tmp_path, HOOK_CONFIG % (receiver.url, secret_env), clock)
    [first] = add_alert(ctx, key="a", topic="t", text=story_text(1))
    [second] = add_alert(ctx, key="b", topic="t", text=story_text(2))
    receiver.script = [(410, {})]
    assert pipeline.deliver(ctx, first).status == "disabled"
    assert pipeline.deliver(ctx, second).status == "disabled"  # no request made
    assert receiver.received == [] and receiver.script == []
    with ctx.session() as s:
        state = s.get(ChannelState, "hook")
        assert state.disabled and "410" in state.disabled_reason

    runner = CliRunner()
    monkeypatch.setenv("NEWSRADAR_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    listed = runner.invoke(alerts_app, ["list", "--status", "disabled"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "channel hook is DISABLED" in listed.output and "410" in listed.output
    assert "disabled" in listed.output
    as_json = [json.loads(x) for x in runner.invoke(alerts_app, ["list", "--json"]).output.splitlines()]
    assert as_json[0] == {"channel": "hook", "disabled": True, "reason": as_json[0]["reason"],
                          "at": "2026-01-05 09:00:00Z"}
    assert {x["status"] for x in as_json[1:]} == {"disabled"}

    enabled = runner.invoke(alerts_app, ["enable", "hook"])
    assert enabled.exit_code == 0 and "2 delivery(ies) queued" in enabled.output
    clock.now = datetime.now(UTC)  # the CLI stamps real time
    assert sorted(r.status for r in deliver_due(ctx)) == ["sent", "sent"]
    assert len(receiver.received) == 2


def test_dead_after_the_schedule_then_retry_from_the_cli(tmp_path, receiver, secret_env, monkeypatch):
    clock = Clock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    ctx = make_ctx(tmp_path, HOOK_CONFIG % (receiver.url, secret_env), clock)
    [did] = add_alert(ctx, key="a", topic="t")
    receiver.script = [(500, {})] * 10
    start = clock.now
    for _ in range(10):
        res = pipeline.deliver(ctx, did)
        if res.status == "dead":
            break
        clock.now = res.next_attempt_at
    assert res.status == "dead"
    assert timedelta(days=2.5) < clock.now - start < timedelta(days=4)  # about three days
    with ctx.session() as s:
        d = s.get(Delivery, did)
        assert d.attempts == 10 and "HTTP 500" in d.last_error

    runner = CliRunner()
    monkeypatch.setenv("NEWSRADAR_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    dead = runner.invoke(alerts_app, ["list", "--status", "dead", "--json"])
    assert [json.loads(x)["id"] for x in dead.output.splitlines()] == [did]
    shown = runner.invoke(alerts_app, ["show", str(did)])
    assert shown.exit_code == 0
    assert shown.output.count("FAILED HTTP 500") == 10 and '"type": "alert.created"' in shown.output
    assert runner.invoke(alerts_app, ["retry", str(did)]).exit_code == 0
    clock.now = datetime.now(UTC)  # the CLI stamps real time
    assert [r.status for r in deliver_due(ctx)] == ["sent"]
    assert receiver.ids == ["nr_alert_1_hook"]
    assert runner.invoke(alerts_app, ["show", "999"]).exit_code == 1


def test_outbox_is_written_before_any_send(tmp_path, receiver, secret_env):
    clock = Clock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    ctx = make_ctx(tmp_path, HOOK_CONFIG % (receiver.url, secret_env), clock)
    ids = add_alert(ctx, key="a", topic="t")
    with ctx.session() as s:
        assert [(d.status, d.attempts) for d in s.scalars(select(Delivery))] == [("pending", 0)]
    assert receiver.received == []
    # writing the same alert again is a no-op (unique keys)
    with ctx.session() as s:
        art = s.scalars(select(Article)).one()
        assert pipeline.create_alert(ctx, s, art, art.story_id, "t", 5.0, None, clock.now) == []
    assert ids and pipeline.deliver(ctx, ids[0]).status == "sent"


# ---------------------------------------------------------------------------
# feed health


def test_feed_health_once_per_incident_and_recovery(tmp_path, db_url):
    out = tmp_path / "ops.jsonl"
    with LocalServer() as site:
        feed_route = Route(status=503, body=b"down")
        feed = site.route("/feed.xml", feed_route)
        clock = Clock(datetime(2026, 1, 5, 9, tzinfo=UTC))
        ctx = make_ctx(tmp_path, f"""
feeds: [{{url: "{feed}", name: Flaky News, poll_interval: 1m}}]
channels: {{ops: {{type: jsonl, path: "{out}"}}}}
feed_health: {{channels: [ops], failures: 2}}
network: {{allowlist: ["127.0.0.1/32"]}}
""", clock, db_url)
        pipeline.sync_feeds(ctx)
        [fid] = pipeline.due_feeds(ctx)
        assert pipeline.poll_feed(ctx, fid).error
        assert pipeline.check_feed_health(ctx) == []  # one failure is not an incident
        clock.advance(hours=1)
        assert pipeline.poll_feed(ctx, fid).error
        raised = pipeline.check_feed_health(ctx)
        assert len(raised) == 1
        clock.advance(hours=1)
        assert pipeline.poll_feed(ctx, fid).error
        assert pipeline.check_feed_health(ctx) == []  # once per incident
        deliver_due(ctx)

        site.routes["/feed.xml"] = Route(body=rss([]), content_type="application/rss+xml")
        clock.advance(hours=3)
        assert pipeline.poll_feed(ctx, fid).error is None
        recovered = pipeline.check_feed_health(ctx)
        assert len(recovered) == 1 and pipeline.check_feed_health(ctx) == []
        deliver_due(ctx)
    events = [json.loads(x) for x in out.read_text().splitlines()]
    assert [e["type"] for e in events] == ["feed.failing", "feed.recovered"]
    assert events[0]["feed"]["name"] == "Flaky News" and "2 polls in a row failed" in events[0]["detail"]
    assert "503" in (events[0]["last_error"] or "")


def test_silent_feed_raises_an_incident(tmp_path):
    out = tmp_path / "ops.jsonl"
    clock = Clock(datetime(2026, 1, 10, 12, tzinfo=UTC))
    ctx = make_ctx(tmp_path, f"""
feeds: [{{url: "https://quiet.example/feed.xml", name: Quiet, poll_interval: 10m}}]
channels: {{ops: {{type: jsonl, path: "{out}"}}}}
feed_health: {{channels: [ops], silence_factor: 4, min_silence: 1h}}
""", clock)
    pipeline.sync_feeds(ctx)
    from worker.store import Feed

    with ctx.session() as s:
        feed = s.scalars(select(Feed)).one()
        last = clock.now - timedelta(hours=30)
        for i in range(6):  # an entry every 2 hours, the last one 30 hours ago
            t = last - timedelta(hours=2 * i)
            s.add(Article(feed_id=feed.id, guid=f"g{i}", url=f"https://quiet.example/{i}",
                          canonical_url=f"https://quiet.example/{i}", status="done", attempts=0, created_at=t))
        feed.last_new_entry_at = last
    assert len(pipeline.check_feed_health(ctx)) == 1
    deliver_due(ctx)
    [event] = [json.loads(x) for x in out.read_text().splitlines()]
    assert event["type"] == "feed.silent" and "usually one every 2.0 hours" in event["detail"]


@pytest.mark.parametrize("status", ["bogus"])
def test_alerts_list_rejects_unknown_status(tmp_path, status, monkeypatch):
    monkeypatch.setenv("NEWSRADAR_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    res = CliRunner().invoke(alerts_app, ["list", "--status", status])
    assert res.exit_code != 0 and "unknown status" in res.output

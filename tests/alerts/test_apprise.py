"""Apprise channels against a real local HTTP server (json:// and form:// targets on
127.0.0.1; never a real chat service), through the channel and through the outbox."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from tests.pipeline.test_deliveries import Clock, add_alert, make_ctx, story_text
from worker import pipeline
from worker.alerts import AppriseChannel, build_channels, send_test
from worker.alerts._apprise import apprise_target
from worker.alerts._chat import chat_message
from worker.config import parse_config
from worker.errors import ConfigError, DeliveryError
from worker.redact import redact
from worker.store import Delivery, DeliveryAttempt

from .samples import alert_message, digest_message


@dataclass
class ChatServer:
    """Answers POSTs with the scripted statuses (then 200) and keeps every request."""

    url: str = ""
    script: list[int] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)  # every request, whatever the answer
    accepted: list[dict] = field(default_factory=list)  # those answered 2xx
    delay: float = 0.0  # seconds before answering
    lock: threading.Lock = field(default_factory=threading.Lock)

    def json(self, i: int = -1) -> dict:
        return json.loads(self.accepted[i]["body"])


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    state = ChatServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            time.sleep(state.delay)
            req = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                   "body": body}
            with state.lock:
                status = state.script.pop(0) if state.script else 200
                state.requests.append(req)
                if 200 <= status < 300:
                    state.accepted.append(req)
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------------------
# the channel alone


def test_json_target_gets_title_and_markdown_body(chat_server):
    channel = AppriseChannel("chat", urls=[f"json://{chat_server.url}/hook"], timeout=5)
    channel.send(alert_message("chat"))
    [req] = chat_server.accepted
    assert req["path"] == "/hook" and req["headers"]["content-type"] == "application/json"
    payload = json.loads(req["body"])
    assert payload["type"] == "info"
    assert payload["title"].startswith("Korean War armistice anniversary: ")
    body = payload["message"]
    # the headline is a link, the matched words bold, the other outlets named
    assert "](https://example.com/world/kim-vows-victory)" in body
    assert "**" in body and "relevance" in body and "Also reported by" in body


def test_form_target_gets_form_fields(chat_server):
    channel = AppriseChannel("chat", urls=[f"form://{chat_server.url}/notify"], timeout=5)
    channel.send(alert_message("chat"))
    [req] = chat_server.accepted
    assert req["headers"]["content-type"] == "application/x-www-form-urlencoded"
    fields = {k: v[0] for k, v in parse_qs(req["body"].decode()).items()}
    assert fields["title"].startswith("Korean War armistice anniversary: ") and fields["type"] == "info"
    assert "relevance" in fields["message"]


def test_apprise_retries_are_off_whatever_the_url_says(chat_server):
    chat_server.script = [503, 503, 503, 503]
    channel = AppriseChannel("chat", urls=[f"json://{chat_server.url}/hook?retry=3"], timeout=5)
    with pytest.raises(DeliveryError) as err:
        channel.send(alert_message("chat"))
    assert len(chat_server.requests) == 1  # one try: the outbox decides when the next is
    assert (err.value.code, err.value.permanent, err.value.status_code) == ("http_5xx", False, 503)
    assert "HTTP 503" in str(err.value)


@pytest.mark.parametrize(("status", "code", "permanent"), [
    (500, "http_5xx", False), (502, "http_5xx", False), (429, "rate_limited", False),
    (408, "http_4xx", False), (400, "http_4xx", True), (401, "http_4xx", True),
    (403, "http_4xx", True), (404, "http_4xx", True),
])
def test_status_maps_to_retry_or_permanent(chat_server, status, code, permanent):
    chat_server.script = [status]
    channel = AppriseChannel("chat", urls=[f"json://{chat_server.url}/hook"], timeout=5)
    with pytest.raises(DeliveryError) as err:
        channel.send(alert_message("chat"))
    assert (err.value.code, err.value.permanent, err.value.status_code) == (code, permanent, status)


def test_unreachable_target_is_retried_and_bad_url_is_permanent():
    with pytest.raises(DeliveryError) as err:
        AppriseChannel("chat", urls=["json://127.0.0.1:9/closed"], timeout=2).send(alert_message("chat"))
    assert (err.value.code, err.value.permanent) == ("network", False)
    with pytest.raises(DeliveryError) as err:
        AppriseChannel("chat", urls=["nosuchservice://x"]).send(alert_message("chat"))
    assert (err.value.code, err.value.permanent) == ("bad_url", True)


def test_slow_target_times_out_within_the_channel_timeout_and_is_retried(chat_server):
    chat_server.delay = 3.0
    channel = AppriseChannel("chat", urls=[f"json://{chat_server.url}/hook"], timeout=1)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as err:
        channel.send(alert_message("chat"))
    assert time.monotonic() - started < 2.5  # not Apprise's default, not the server's 3 s
    assert not err.value.permanent and err.value.code in ("network", "timeout")


def test_two_targets_retry_sends_only_to_the_one_that_failed(chat_server):
    chat_server.script = [200, 503]
    channel = AppriseChannel("chat", urls=[f"json://{chat_server.url}/a", f"json://{chat_server.url}/b"],
                             timeout=5)
    with pytest.raises(DeliveryError) as err:
        channel.send(alert_message("chat"))
    assert not err.value.permanent
    channel.send(alert_message("chat"))  # the retry
    assert [r["path"] for r in chat_server.accepted] == ["/a", "/b"]


def test_secret_urls_from_env_are_redacted(chat_server, monkeypatch):
    token = "tok-9f8e7d6c5b4a"
    monkeypatch.setenv("NR_TEST_CHAT_URLS", f"json://bot:{token}@{chat_server.url}/hook")
    cfg = parse_config("channels: {chat: {type: apprise, urls_env: NR_TEST_CHAT_URLS, timeout: 5}}")
    channel = build_channels(cfg.channels)["chat"]
    assert token not in repr(channel)
    chat_server.script = [500]
    outcome = send_test(channel)
    assert not outcome.ok and outcome.code == "http_5xx"
    assert token not in outcome.line()
    assert token not in redact(f"sending to json://bot:{token}@x failed")
    assert send_test(channel).ok
    assert chat_server.accepted[0]["headers"]["authorization"].startswith("Basic ")


def test_a_token_in_the_path_of_a_secret_url_is_redacted_too(chat_server, monkeypatch):
    token = "T0k3nInThePath9f8e"
    monkeypatch.setenv("NR_TEST_CHAT_URLS", f"json://{chat_server.url}/hooks/{token}")
    cfg = parse_config("channels: {chat: {type: apprise, urls_env: NR_TEST_CHAT_URLS, timeout: 5}}")
    chat_server.script = [500]
    outcome = send_test(build_channels(cfg.channels)["chat"])
    assert not outcome.ok and "URL #1 (json://…): HTTP 500" in outcome.line()
    assert token not in outcome.line() and token not in redact(f"POST /hooks/{token} failed")
    assert chat_server.requests[0]["path"] == f"/hooks/{token}"  # sent to the real URL


def test_no_urls_is_retried_until_configured():
    cfg = parse_config("channels: {chat: {type: apprise, urls_env: NR_TEST_UNSET_VARIABLE}}")
    outcome = send_test(build_channels(cfg.channels)["chat"])
    assert (outcome.ok, outcome.code, outcome.permanent) == (False, "no_urls", False)
    assert "would retry" in outcome.line()


def test_config_rejects_a_url_without_scheme():
    with pytest.raises(ConfigError) as err:
        parse_config("channels:\n  chat: {type: apprise, urls: [hooks.example.org/x]}\n")
    assert "channels.chat.urls" in str(err.value) and "Apprise URL" in str(err.value)


def test_send_test_prints_the_outcome(chat_server):
    channel = AppriseChannel("chat", urls=[f"json://{chat_server.url}/hook"], timeout=5)
    outcome = send_test(channel)
    assert outcome.ok and outcome.line() == "chat: sent"
    assert "Test message from newsradar: channel chat works" in chat_server.json()["title"]
    chat_server.script = [401]
    outcome = send_test(channel)
    assert not outcome.ok and outcome.permanent and "HTTP 401" in outcome.line()
    assert "dead" in outcome.line()


# ---------------------------------------------------------------------------
# formatting within each target's limits


@pytest.mark.parametrize(("url", "markup"), [
    ("discord://1234/abcd", "markdown"),
    ("tgram://123456789:abcdefghijklmnop/12345", "html"),
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general", "markdown"),
    ("ntfy://127.0.0.1/alerts", "text"),
    ("matrix://user:pw@127.0.0.1/#room", "markdown"),
])
def test_digest_is_one_message_within_the_target_limit(url, markup):
    from worker.alerts._apprise import _markup

    target = apprise_target(url)
    assert target is not None and target.retry == 0
    assert _markup(target, "auto") == markup
    base = digest_message("chat")
    many = type(base)(**{**base.__dict__, "items": [
        alert_message("chat", alert_id=i, title=f"Story number {i} about the armistice talks " * 2)
        for i in range(1000)]})
    msg = chat_message(many, markup, body_maxlen=target.body_maxlen, title_maxlen=target.title_maxlen)
    assert len(msg.title) + len(msg.body) <= target.body_maxlen
    lines = msg.body.splitlines()
    story_lines = [x for x in lines if x.startswith("• ")]
    assert len(story_lines) == len({x for x in story_lines})  # one line per story
    assert lines[-1].startswith("… and ") and lines[-1].endswith("more stories")
    shown = int(lines[-1].split()[2])
    assert len(story_lines) + shown == 1000


def test_small_digest_has_every_story():
    msg = chat_message(digest_message("chat"), "markdown")
    assert msg.title == "Korean War armistice anniversary: 2 new stories"
    assert [x[:2] for x in msg.body.splitlines()] == ["• ", "• "]
    assert msg.body.count("relevance 0.87") == 2


def test_chat_alert_rates_by_relevance_with_its_reason_or_by_the_gate_score():
    body = chat_message(alert_message("chat"), "markdown").body
    assert "relevance 0.87" in body and "Why: '\"korean war\"' appears 2 times" in body
    gate_only = chat_message(alert_message("chat", relevance=None), "markdown").body
    assert "score 8" in gate_only and "relevance" not in gate_only and "Why:" not in gate_only


# ---------------------------------------------------------------------------
# through the outbox


CHAT_CONFIG = """
topics:
  - {id: t, query: x, channels: [chat]}
  - {id: daily, name: Daily topic, query: x, channels: [chat], mode: digest,
     digest: {every: daily, at: "08:00", timezone: UTC}}
channels: {chat: {type: apprise, urls: ["json://%s/hook"], timeout: 5}}
"""


def _attempts(ctx, did: int) -> list[tuple[bool, int | None]]:
    with ctx.session() as s:
        rows = s.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == did)
                         .order_by(DeliveryAttempt.id))
        return [(a.ok, a.status_code) for a in rows]


def test_outbox_target_fails_then_recovers_delivered_once(tmp_path, chat_server):
    clock = Clock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    ctx = make_ctx(tmp_path, CHAT_CONFIG % chat_server.url, clock)
    [did] = add_alert(ctx, key="a", topic="t")
    chat_server.script = [503, 502]
    r1 = pipeline.deliver(ctx, did)
    assert r1.status == "failed"
    clock.now = r1.next_attempt_at
    r2 = pipeline.deliver(ctx, did)
    assert r2.status == "failed" and r2.next_attempt_at > clock.now
    assert pipeline.deliver(ctx, did).status == "failed"  # not due yet: no request
    clock.now = r2.next_attempt_at
    assert pipeline.deliver(ctx, did).status == "sent"
    assert pipeline.deliver(ctx, did).status == "sent"  # a duplicate task sends nothing
    assert len(chat_server.requests) == 3 and len(chat_server.accepted) == 1
    assert "Story a" in chat_server.json()["title"]
    assert _attempts(ctx, did) == [(False, 503), (False, 502), (True, None)]


def test_outbox_permanent_failure_ends_dead(tmp_path, chat_server):
    clock = Clock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    ctx = make_ctx(tmp_path, CHAT_CONFIG % chat_server.url, clock)
    [did] = add_alert(ctx, key="a", topic="t")
    chat_server.script = [401]
    result = pipeline.deliver(ctx, did)
    assert result.status == "dead" and result.next_attempt_at is None
    assert pipeline.due_deliveries(ctx) == []
    with ctx.session() as s:
        d = s.get(Delivery, did)
        assert (d.attempts, d.last_error_code) == (1, "http_4xx") and "HTTP 401" in d.last_error
    assert len(chat_server.requests) == 1


def test_outbox_digest_is_one_message_one_line_per_story(tmp_path, chat_server):
    clock = Clock(datetime(2026, 1, 5, 10, tzinfo=UTC))
    ctx = make_ctx(tmp_path, CHAT_CONFIG % chat_server.url, clock)
    for i in range(3):
        add_alert(ctx, key=f"d{i}", topic="daily", text=story_text(100 + i, 200), site=f"s{i}.example")
    assert {r.status for r in [pipeline.deliver(ctx, d) for d in pipeline.due_deliveries(ctx)]} == {"held"}
    clock.now = datetime(2026, 1, 6, 8, 0, tzinfo=UTC)
    assert len(pipeline.send_digests(ctx)) == 1
    [req] = chat_server.accepted
    payload = json.loads(req["body"])
    assert payload["title"] == "Daily topic: 3 new stories"
    lines = payload["message"].splitlines()
    assert len(lines) == 3 and all(x.startswith("• [Story d") for x in lines)


def test_send_test_works_for_any_channel(receiver, secret_env, loopback_policy, smtp_server, tmp_path):
    cfg = parse_config(f"""
channels:
  hook: {{type: webhook, url: "{receiver.url}", secret_env: {secret_env}, timeout: 5}}
  mail: {{type: email, to: [desk@example.org], host: 127.0.0.1, port: {smtp_server.port}}}
  log: {{type: jsonl, path: "{tmp_path / 'a.jsonl'}"}}
""")
    channels = build_channels(cfg.channels, network=loopback_policy)
    assert [send_test(channels[n]).line() for n in ("hook", "mail", "log")] == [
        "hook: sent", "mail: sent", "log: sent"]
    assert receiver.received[0]["payload"]["topic"]["name"] == "newsradar test"  # signature verified
    assert len(smtp_server.inbox.messages) == 1
    receiver.script = [(410, {})]
    outcome = send_test(channels["hook"])
    assert (outcome.ok, outcome.code, outcome.permanent) == (False, "gone", True)


def test_channel_examples_in_the_docs_parse_and_build(monkeypatch, tmp_path):
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "alerts.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", doc, re.S)
              if "type: apprise" in b or "type: feedfile" in b]
    assert len(blocks) == 2
    monkeypatch.setenv("NEWSRADAR_SLACK_URL", "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#news")
    secret_file = tmp_path / "telegram-url"
    secret_file.write_text("tgram://123456789:AAHabcdefghijklmnop/-1001234567890\n")
    for block in blocks:
        block = block.replace("/run/secrets/telegram-url", str(secret_file))
        channels = build_channels(parse_config(block).channels)
        assert channels and all(hasattr(c, "send") for c in channels.values())

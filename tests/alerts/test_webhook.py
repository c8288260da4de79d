"""The webhook channel against a real HTTP receiver that verifies every request with
the ``standardwebhooks`` package, as a receiver would."""

from __future__ import annotations

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from worker.alerts import WebhookChannel, build_channels
from worker.config import Secret
from worker.config import WebhookChannel as WebhookCfg
from worker.errors import DeliveryError

from .conftest import SECRET
from .samples import alert_message, digest_message


def _channel(receiver, policy, **kw) -> WebhookChannel:
    return WebhookChannel("hook", url=receiver.url, secret=Secret(SECRET), timeout=5, network=policy, **kw)


def test_signed_delivery_verifies(receiver, loopback_policy):
    ch = _channel(receiver, loopback_policy)
    ch.send(alert_message("hook"))
    ch.send(digest_message("hook"))
    assert not receiver.rejected
    first, second = receiver.received
    assert first["headers"]["webhook-id"] == "nr_alert_42_hook"
    assert first["headers"]["content-type"] == "application/json"
    assert first["payload"]["type"] == "alert.created"
    assert first["payload"]["article"]["url"] == "https://example.com/world/kim-vows-victory"
    assert second["payload"]["type"] == "digest.created" and len(second["payload"]["items"]) == 2


def test_webhook_id_is_stable_across_retries(receiver, loopback_policy):
    receiver.script = [(503, {})]
    ch = _channel(receiver, loopback_policy)
    with pytest.raises(DeliveryError):
        ch.send(alert_message("hook"))
    ch.send(alert_message("hook"))
    assert receiver.ids == ["nr_alert_42_hook"]


def test_tampered_body_is_rejected_by_the_receiver(receiver, loopback_policy):
    ch = _channel(receiver, loopback_policy)
    ch.send(alert_message("hook"))
    genuine = receiver.received[0]
    tampered = genuine["body"].replace(b"Kim Jong Un", b"Kim Jong Il")
    assert tampered != genuine["body"]
    headers = {k: genuine["headers"][k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    r = httpx.post(receiver.url, content=tampered, headers=headers)
    assert r.status_code == 401
    assert len(receiver.rejected) == 1 and len(receiver.received) == 1
    # and a wrong secret is rejected too
    other = WebhookChannel("hook", url=receiver.url, secret=Secret("whsec_" + "A" * 43), network=loopback_policy)
    with pytest.raises(DeliveryError) as err:
        other.send(alert_message("hook"))
    assert err.value.status_code == 401


def test_signature_matches_standardwebhooks_for_a_known_vector():
    from datetime import UTC, datetime

    from worker.alerts import signed_headers

    at = datetime(2025, 7, 27, 0, 0, tzinfo=UTC)
    h = signed_headers(Secret(SECRET), "msg_1", b'{"a":1}', at)
    assert h["webhook-timestamp"] == str(int(at.timestamp()))
    assert h["webhook-signature"] == Webhook(SECRET).sign("msg_1", at, '{"a":1}')


@pytest.mark.parametrize(
    "status,headers,code,permanent,retry_after",
    [
        (410, {}, "gone", True, None),
        (429, {"Retry-After": "120"}, "rate_limited", False, 120.0),
        (503, {"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}, "http_5xx", False, "big"),
        (500, {}, "http_5xx", False, None),
        (400, {}, "http_4xx", False, None),
        (302, {"Location": "http://169.254.169.254/"}, "redirect", False, None),
    ],
)
def test_status_outcomes(receiver, loopback_policy, status, headers, code, permanent, retry_after):
    receiver.script = [(status, headers)]
    with pytest.raises(DeliveryError) as err:
        _channel(receiver, loopback_policy).send(alert_message("hook"))
    e = err.value
    assert (e.code, e.permanent, e.status_code) == (code, permanent, status)
    if retry_after == "big":
        assert e.retry_after == 86400  # honoured up to a day (issue 12)
    else:
        assert e.retry_after == retry_after


def test_private_address_refused_without_allowlist(receiver):
    from worker.sources import NetworkPolicy

    with pytest.raises(DeliveryError) as err:
        _channel(receiver, NetworkPolicy()).send(alert_message("hook"))
    assert err.value.code == "blocked_address" and err.value.permanent
    assert receiver.received == [] and receiver.rejected == []


def test_timeout_is_transient(loopback_policy):
    import socket
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)  # accepts, never answers
    url = f"http://127.0.0.1:{srv.getsockname()[1]}/"
    try:
        ch = WebhookChannel("hook", url=url, secret=Secret(SECRET), timeout=0.5, network=loopback_policy)
        with pytest.raises(DeliveryError) as err:
            ch.send(alert_message("hook"))
        assert err.value.code == "timeout" and not err.value.permanent
    finally:
        srv.close()
    assert threading.active_count() >= 1


def test_missing_secret_fails_clearly_and_retries(receiver, loopback_policy, monkeypatch):
    monkeypatch.delenv("NR_UNSET_SECRET", raising=False)
    cfg = WebhookCfg(type="webhook", url=receiver.url, secret_env="NR_UNSET_SECRET")
    ch = build_channels({"hook": cfg}, network=loopback_policy)["hook"]
    with pytest.raises(DeliveryError) as err:
        ch.send(alert_message("hook"))
    assert err.value.code == "no_secret" and not err.value.permanent
    assert receiver.received == []


def test_secret_from_environment(receiver, loopback_policy, secret_env):
    cfg = WebhookCfg(type="webhook", url=receiver.url, secret_env=secret_env)
    ch = build_channels({"hook": cfg}, network=loopback_policy)["hook"]
    ch.send(alert_message("hook"))
    assert receiver.ids == ["nr_alert_42_hook"]
    assert SECRET not in repr(ch)


def test_stdlib_verification_from_the_docs(receiver, loopback_policy):
    """The library-free receiver snippet in docs/alerts.md accepts our requests and
    refuses a tampered body."""
    import base64
    import hashlib
    import hmac
    import time

    def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        msg_id, ts = headers["webhook-id"], headers["webhook-timestamp"]
        if abs(time.time() - int(ts)) > 300:
            return False
        expected = base64.b64encode(
            hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
        return any(hmac.compare_digest(expected, sig.split(",", 1)[1])
                   for sig in headers["webhook-signature"].split() if sig.startswith("v1,"))

    _channel(receiver, loopback_policy).send(alert_message("hook"))
    got = receiver.received[0]
    assert verify(SECRET, got["headers"], got["body"])
    assert not verify(SECRET, got["headers"], got["body"] + b" ")

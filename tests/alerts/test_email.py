"""The email channel against a real SMTP server (aiosmtpd): plain, AUTH, STARTTLS, TLS."""

from __future__ import annotations

import email
import email.policy
import ssl

import pytest

from worker.alerts import EmailChannel
from worker.config import Secret
from worker.errors import DeliveryError

from .conftest import free_port
from .samples import alert_message


def _parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_plain_multipart_text_and_html(smtp_server):
    ch = EmailChannel("team-mail", to=["ana@example.org", "bo@example.org"], sender="radar@example.com",
                      host=smtp_server.host, port=smtp_server.port, timezone="Europe/Paris")
    ch.send(alert_message())
    [got] = smtp_server.inbox.messages
    assert got["to"] == ["ana@example.org", "bo@example.org"]
    msg = _parse(got["data"])
    assert msg["Subject"] == ("[newsradar] Korean War armistice anniversary: "
                              "Kim Jong Un vows victory over US on Korean War anniversary")
    assert msg["Message-ID"] == "<nr_alert_42_team-mail@example.com>"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "2025-07-27 02:22 CEST (Europe/Paris)" in text
    assert "<mark>armistice</mark>" in html


def test_login_with_password_from_environment(smtp_server, monkeypatch):
    monkeypatch.setenv("NR_SMTP_PASSWORD", "s3cret")
    from worker.alerts import build_channels
    from worker.config import EmailChannel as EmailCfg

    cfg = EmailCfg(type="email", to=["ana@example.org"], host=smtp_server.host, port=smtp_server.port,
                   username="alice", password_env="NR_SMTP_PASSWORD")
    ch = build_channels({"mail": cfg})["mail"]
    assert "s3cret" not in repr(ch)
    ch.send(alert_message("mail"))
    assert smtp_server.inbox.messages[0]["auth"]


def test_wrong_password_is_retried_and_never_shown(smtp_server):
    ch = EmailChannel("mail", to=["ana@example.org"], host=smtp_server.host, port=smtp_server.port,
                      username="alice", password=Secret("hunter2-wrong"))
    with pytest.raises(DeliveryError) as err:
        ch.send(alert_message("mail"))
    assert err.value.code == "smtp_auth" and not err.value.permanent
    assert "hunter2" not in str(err.value)


def test_refused_recipient_is_permanent(smtp_server):
    smtp_server.inbox.reject_rcpt.add("nobody@example.org")
    ch = EmailChannel("mail", to=["nobody@example.org"], host=smtp_server.host, port=smtp_server.port)
    with pytest.raises(DeliveryError) as err:
        ch.send(alert_message("mail"))
    assert err.value.permanent and err.value.code == "smtp_recipients"
    assert "550" in str(err.value)


def test_no_server_is_transient():
    ch = EmailChannel("mail", to=["a@example.org"], host="127.0.0.1", port=free_port(), timeout=2)
    with pytest.raises(DeliveryError) as err:
        ch.send(alert_message("mail"))
    assert not err.value.permanent and err.value.code == "network"


def _trusting(cert) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(cert))
    return ctx


def test_starttls_with_login(starttls_server):
    ch = EmailChannel("mail", to=["ana@example.org"], host=starttls_server.host, port=starttls_server.port,
                      security="starttls", username="alice", password=Secret("s3cret"),
                      ssl_context=_trusting(starttls_server.cert))
    ch.send(alert_message("mail"))
    [got] = starttls_server.inbox.messages
    assert got["tls"] and got["auth"]


def test_implicit_tls(tls_server):
    ch = EmailChannel("mail", to=["ana@example.org"], host=tls_server.host, port=tls_server.port,
                      security="tls", ssl_context=_trusting(tls_server.cert))
    ch.send(alert_message("mail"))
    assert tls_server.inbox.messages[0]["tls"]


def test_untrusted_certificate_is_refused(tls_server):
    ch = EmailChannel("mail", to=["ana@example.org"], host=tls_server.host, port=tls_server.port,
                      security="tls", timeout=5)
    with pytest.raises(DeliveryError) as err:
        ch.send(alert_message("mail"))
    assert err.value.code == "tls"


def test_message_rejected_with_5xx_is_permanent(smtp_server):
    async def reject(server, session, envelope):
        return "554 5.7.1 message refused as spam"

    smtp_server.inbox.handle_DATA = reject
    ch = EmailChannel("mail", to=["ana@example.org"], host=smtp_server.host, port=smtp_server.port)
    with pytest.raises(DeliveryError) as err:
        ch.send(alert_message("mail"))
    assert err.value.permanent and err.value.code == "smtp_rejected" and "554" in str(err.value)


def test_busy_server_4xx_is_retried(smtp_server):
    async def busy(server, session, envelope):
        return "451 4.3.0 try again later"

    smtp_server.inbox.handle_DATA = busy
    ch = EmailChannel("mail", to=["ana@example.org"], host=smtp_server.host, port=smtp_server.port)
    with pytest.raises(DeliveryError) as err:
        ch.send(alert_message("mail"))
    assert not err.value.permanent and err.value.code == "smtp_busy"

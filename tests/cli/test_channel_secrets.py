"""Issue 12: the secrets of the email and Apprise channels stay out of every stored
error, every CLI output (with and without ``--json``) and the logs, with real servers
that fail in the ways most likely to carry them back:

* SMTP (aiosmtpd on a free loopback port) that refuses the login with a reply quoting
  the user, the password and the AUTH PLAIN blob; one that takes the login and then
  refuses the message quoting the password; a closed port;
* Apprise ``json://user:pass@127.0.0.1:port`` from ``urls_env`` and ``form://user:pass@...``
  written in the YAML, against a local HTTP server that answers 500 with a body echoing
  the request's Authorization header and path; a closed port.

One ``newsradar run --once -v`` (debug logging) in a subprocess, then the tables and
``alerts list/show``, ``deliveries list/show``, each with and without ``--json``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import create_engine, text

from tests.cli._story import newsradar, route_good_feed
from tests.helpers.httpserver import LocalServer, Reply, RequestInfo, Route

SMTP_PW = "Smtp-S3cret-Pw41"  # refused at login, echoed by the server
SMTP_DATA_PW = "Smtp-Data-Pw52"  # accepted at login; the message is refused, echoing it
SMTP_CLOSED_PW = "Smtp-Closed-Pw63"  # the server's port is closed
CHAT_PW = "Chat-Env-Pw74"  # Apprise json:// URL from urls_env
FORM_PW = "Chat-Yaml-Pw85"  # Apprise form:// URL written in the YAML
CLOSED_PW = "Chat-Closed-Pw96"  # Apprise URL to a closed port
SECRETS = (SMTP_PW, SMTP_DATA_PW, SMTP_CLOSED_PW, CHAT_PW, FORM_PW, CLOSED_PW)


def _forms(secret: str, user: str) -> set[str]:
    """The secret as a server may quote it: plain, and inside the base64 of HTTP Basic
    and SMTP AUTH PLAIN."""
    return {secret,
            base64.b64encode(f"{user}:{secret}".encode()).decode(),
            base64.b64encode(f"\0{user}\0{secret}".encode()).decode()}


FORMS = {
    **{f: "SMTP_PW" for f in _forms(SMTP_PW, "alice")},
    **{f: "SMTP_DATA_PW" for f in _forms(SMTP_DATA_PW, "bob")},
    **{f: "SMTP_CLOSED_PW" for f in _forms(SMTP_CLOSED_PW, "carol")},
    **{f: "CHAT_PW" for f in _forms(CHAT_PW, "chatuser")},
    **{f: "FORM_PW" for f in _forms(FORM_PW, "formuser")},
    **{f: "CLOSED_PW" for f in _forms(CLOSED_PW, "closeduser")},
}


def _no_secret(output: str, where: str) -> None:
    for form, name in FORMS.items():
        assert form not in output, f"{name} ({form}) in {where}:\n{output[:3000]}"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _EchoingInbox:
    """Takes bob's login, then refuses his message quoting his password."""

    async def handle_DATA(self, server, session, envelope):
        return f"451 4.3.0 try later, bob:{SMTP_DATA_PW} is greylisted"


def _authenticator(server, session, envelope, mechanism, auth_data):
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    login, password = auth_data.login.decode(), auth_data.password.decode()
    if (login, password) == ("bob", SMTP_DATA_PW):
        return AuthResult(success=True)
    blob = base64.b64encode(f"\0{login}\0{password}".encode()).decode()
    return AuthResult(success=False, handled=False,
                      message=f"535 5.7.8 {login}:{password} ({blob}) not accepted")


@pytest.fixture(scope="module")
def smtp_port() -> Iterator[int]:
    port = free_port()
    controller = Controller(_EchoingInbox(), hostname="127.0.0.1", port=port,
                            authenticator=_authenticator, auth_require_tls=False)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def _echo_500(req: RequestInfo) -> Reply:
    # a hostile or broken target: its error page repeats what it was sent
    return Reply(status=500, body=(f"denied {req.path} authorization="
                                   f"{req.headers.get('authorization')}").encode())


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory: pytest.TempPathFactory, smtp_port: int):
    tmp_path = tmp_path_factory.mktemp("secrets")
    with LocalServer() as srv:
        route_good_feed(srv)
        srv.route("/chat", Route(handler=_echo_500))
        srv.route("/form", Route(handler=_echo_500))
        hostport = srv.url("/").split("://", 1)[1].rstrip("/")
        closed = free_port()
        mail = {"type": "email", "to": ["ops@example.org"], "host": "127.0.0.1", "timeout": 5}
        channels = {
            "mail_login": {**mail, "port": smtp_port, "username": "alice",
                           "password_env": "NR_TEST_SMTP_PW"},
            "mail_data": {**mail, "port": smtp_port, "username": "bob",
                          "password_env": "NR_TEST_SMTP_DATA_PW"},
            "mail_closed": {**mail, "port": closed, "username": "carol",
                            "password_env": "NR_TEST_SMTP_CLOSED_PW"},
            "chat_env": {"type": "apprise", "urls_env": "NR_TEST_CHAT_URLS", "timeout": 5},
            "chat_yaml": {"type": "apprise", "timeout": 5,
                          "urls": [f"form://formuser:{FORM_PW}@{hostport}/form"]},
            "chat_closed": {"type": "apprise", "timeout": 5,
                            "urls": [f"json://closeduser:{CLOSED_PW}@127.0.0.1:{closed}/x"]},
        }
        for ch in channels.values():
            if ch["type"] == "email":
                ch.pop("timeout")
        cfg = {
            "feeds": [{"url": srv.url("/good.xml"), "name": "Good"}],
            "topics": [{"id": "ferry", "query": "ferry", "channels": list(channels)}],
            "channels": channels,
            "network": {"allowlist": ["127.0.0.1/32"]},
        }
        path = tmp_path / "newsradar.yaml"
        path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
        env = {"NEWSRADAR_DATABASE_URL": f"sqlite:///{tmp_path / 'nr.db'}",
               "NEWSRADAR_CONFIG": str(path),
               "NR_TEST_SMTP_PW": SMTP_PW, "NR_TEST_SMTP_DATA_PW": SMTP_DATA_PW,
               "NR_TEST_SMTP_CLOSED_PW": SMTP_CLOSED_PW,
               "NR_TEST_CHAT_URLS": f"json://chatuser:{CHAT_PW}@{hostport}/chat"}
        res = newsradar("run", "--once", "-v", "--config", str(path), env=env)
        assert res.returncode == 0, res.stderr
        # the targets were really reached with the secrets (so the failures could echo them)
        chat = [r for r in srv.requests if r.path in ("/chat", "/form")]
        assert {r.path for r in chat} == {"/chat", "/form"}, srv.requests
        yield env, res


def test_no_channel_secret_in_stored_errors_cli_output_or_logs(failed_run) -> None:
    env, run = failed_run
    _no_secret(run.stdout + run.stderr, "run --once -v")
    engine = create_engine(env["NEWSRADAR_DATABASE_URL"])
    with engine.connect() as c:
        deliveries = {row.channel: (row.id, row.status, row.last_error) for row in c.execute(
            text("SELECT id, channel, status, last_error FROM deliveries"))}
        attempts = c.execute(text("SELECT error FROM delivery_attempts")).scalars().all()
        alert_id = c.execute(text("SELECT id FROM alerts")).scalar_one()
    engine.dispose()
    _no_secret(json.dumps(deliveries), "deliveries.last_error")
    _no_secret(json.dumps(attempts), "delivery_attempts.error")
    # every channel failed, each for the reason staged (so the checks above saw them)
    assert set(deliveries) == {"mail_login", "mail_data", "mail_closed", "chat_env",
                               "chat_yaml", "chat_closed"}, deliveries
    errors = {name: err or "" for name, (_, _, err) in deliveries.items()}
    assert "login refused (535)" in errors["mail_login"], errors
    assert "451" in errors["mail_data"] and "greylisted" in errors["mail_data"], errors
    assert "mail_closed" in errors["mail_closed"], errors
    assert "HTTP 500" in errors["chat_env"] and "HTTP 500" in errors["chat_yaml"], errors
    assert errors["chat_closed"], errors
    assert len(attempts) >= 6
    commands = [["alerts", "list"], ["alerts", "list", "--json"], ["alerts", "show", str(alert_id)],
                ["deliveries", "list"], ["deliveries", "list", "--json"]]
    for delivery_id, _, _ in deliveries.values():
        commands.append(["deliveries", "show", str(delivery_id)])
    for args in commands:
        res = newsradar(*args, env=env)
        assert res.returncode == 0, (args, res.stderr)
        _no_secret(res.stdout + res.stderr, " ".join(args))
    listed = newsradar("deliveries", "list", "--json", env=env).stdout
    assert "451" in listed and "HTTP 500" in listed  # the errors are shown, masked


@pytest.mark.parametrize("name", ["mail_login", "mail_data", "mail_closed", "chat_env",
                                  "chat_yaml", "chat_closed"])
def test_channels_test_shows_no_secret(failed_run, name: str) -> None:
    env, _ = failed_run
    res = newsradar("channels", "test", name, env=env)
    assert res.returncode == 1, res.stdout + res.stderr  # failed, as staged
    _no_secret(res.stdout + res.stderr, f"channels test {name}")

"""Real servers for the alerts tests: an aiosmtpd SMTP server and an HTTP webhook
receiver that verifies every request with the ``standardwebhooks`` package."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET = "whsec_" + base64.b64encode(b"newsradar-test-secret-32-bytes!!").decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------
# SMTP


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.reject_rcpt: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject_rcpt:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append({
            "from": envelope.mail_from,
            "to": list(envelope.rcpt_tos),
            "data": envelope.content,
            "auth": bool(session.authenticated),
            "tls": server.transport.get_extra_info("cipher") is not None,
        })
        return "250 Message accepted"


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: _Inbox
    cert: Path | None = None


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"alice" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port,
                            authenticator=_authenticator, auth_require_tls=False)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, inbox)
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture
def starttls_server(tls_cert) -> Iterator[SmtpServer]:
    cert, key = tls_cert
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=ctx,
                            require_starttls=True, authenticator=_authenticator)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, inbox, cert)
    finally:
        controller.stop()


@pytest.fixture
def tls_server(tls_cert) -> Iterator[SmtpServer]:
    cert, key = tls_cert
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=ctx,
                            authenticator=_authenticator, auth_require_tls=False)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, inbox, cert)
    finally:
        controller.stop()


# ---------------------------------------------------------------------------
# Webhook receiver


@dataclass
class Receiver:
    url: str
    secret: str
    # responses to give, in order (status, headers); when empty: 204
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)  # verified deliveries
    rejected: list[dict] = field(default_factory=list)  # bad signature
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def ids(self) -> list[str]:
        return [r["headers"]["webhook-id"] for r in self.received]


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            # Verify exactly as a receiver would: raw body, headers, 5-minute tolerance.
            try:
                payload = Webhook(receiver.secret).verify(body, headers)
            except WebhookVerificationError as exc:
                with receiver.lock:
                    receiver.rejected.append({"headers": headers, "body": body, "error": str(exc)})
                self.send_response(401)
                self.end_headers()
                self.wfile.write(b"bad signature")
                return
            with receiver.lock:
                status, extra = receiver.script.pop(0) if receiver.script else (204, {})
                if 200 <= status < 300:
                    receiver.received.append({"headers": headers, "body": body, "payload": payload})
            self.send_response(status)
            for k, v in extra.items():
                self.send_header(k, v)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver(url="", secret=SECRET)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rec))
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/newsradar"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def loopback_policy():
    from worker.sources import NetworkPolicy

    return NetworkPolicy(allowlist=("127.0.0.1/32",))


@pytest.fixture
def secret_env(monkeypatch) -> str:
    monkeypatch.setenv("NR_TEST_WEBHOOK_SECRET", SECRET)
    return "NR_TEST_WEBHOOK_SECRET"


def payload_json(body: bytes) -> dict:
    return json.loads(body.decode("utf-8"))


os.environ.setdefault("TZ", "UTC")

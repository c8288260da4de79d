"""Secrets stay out of logs, errors and JSON output."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from tests.seedsite import ROOT
from worker.config import read_secret
from worker.redact import MASK, RedactingFilter, redact


def test_url_credentials_are_masked() -> None:
    assert redact("postgresql://nr:s3cr3t-pw@db:5432/nr") == f"postgresql://nr:{MASK}@db:5432/nr"
    assert redact("redis://:p4ss@127.0.0.1:6379/0 and https://u:x@h/") == \
        f"redis://:{MASK}@127.0.0.1:6379/0 and https://u:{MASK}@h/"
    assert redact("https://example.org/a@b") == "https://example.org/a@b"


def test_a_secret_read_from_the_environment_is_masked_in_logs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("NR_REDACT_TEST", "whsec_c2VjcmV0LXZhbHVlLWZvci10ZXN0cw==")
    secret = read_secret("NR_REDACT_TEST", None, what="channels.hook")
    logger = logging.getLogger("newsradar.test.redact")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="newsradar.test.redact"):
        logger.info("signing with %s", secret.get())
        try:
            raise RuntimeError(f"bad secret {secret.get()}")
        except RuntimeError:
            logger.exception("failed")
    text = caplog.text
    assert "c2VjcmV0LXZhbHVlLWZvci10ZXN0cw" not in text
    assert f"signing with {MASK}" in text


def test_database_password_never_reaches_the_terminal(tmp_path) -> None:
    env = {**os.environ, "NEWSRADAR_DATABASE_URL": "postgresql://nr:TopSecretPw@127.0.0.1:1/nr"}
    cfg = tmp_path / "c.yaml"
    cfg.write_text("feeds: []\n")
    res = subprocess.run([sys.executable, "-m", "worker.cli", "run", "--once", "--config", str(cfg)],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert res.returncode == 3  # the exit code of an unreachable database (issue 15)
    assert "cannot open the database" in res.stderr
    assert "TopSecretPw" not in res.stderr + res.stdout


# ---- issue 12: every URL form, secret parameters, the database password, stored errors


@pytest.mark.parametrize(("text", "leak"), [
    ("postgresql://u:Pa/ss@h/db", "Pa/ss"),
    ("postgresql+psycopg://u:p@ss@h:5432/db", "p@ss"),
    ("postgresql://u:p%40ss%2Fx@h/db", "p%40ss"),
    ("https://user:pass@host/path", "pass"),
    ("https://h.example/feed?password=hunter2&x=1", "hunter2"),
    ("https://h.example/x?api_key=abc123&page=2", "abc123"),
    ("https://h.example/x?access_token=t0k3n", "t0k3n"),
    ("https://h.example/x?client_secret=s3cr3t#frag", "s3cr3t"),
    ("https://h.example/x?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA1", "deadbeef"),
    ("https://hooks.example/in?sig=abcdef", "abcdef"),
    ("host=db user=nr password=s3cret dbname=nr", "s3cret"),
])
def test_every_url_form_and_secret_parameter_is_masked(text: str, leak: str) -> None:
    out = redact(text)
    assert leak not in out and MASK in out


def test_ordinary_parameters_and_paths_survive() -> None:
    assert redact("https://h.example/feed?page=2&x=1") == "https://h.example/feed?page=2&x=1"
    assert redact("https://h.example/feed?password=p&x=1").endswith("&x=1")
    assert redact("https://example.org/a@b") == "https://example.org/a@b"


@pytest.mark.parametrize("url", [
    "postgresql://nr:Zq9-pw/with@at@db:5432/nr",
    "postgresql+psycopg://nr:Zq9%2Fpw%40enc@db/nr",
    "postgresql://nr@db/nr?password=Zq9qpw-query",
    "host=db user=nr password=Zq9dsn-pw dbname=nr",
])
def test_the_database_password_is_registered_in_every_form(url: str) -> None:
    from urllib.parse import unquote

    from worker.redact import register_url_secrets

    register_url_secrets(url)
    pw = {"Z": None}
    for token in ("Zq9-pw/with@at", "Zq9/pw@enc", "Zq9qpw-query", "Zq9dsn-pw"):
        if token in unquote(url):
            pw["Z"] = token
    secret = pw["Z"]
    assert secret
    # what a driver might print: the whole password, or the part after its first "@"
    for shown in (secret, secret.split("@", 1)[-1] + "@db", unquote(secret)):
        message = f'connection to server failed: host "{shown}" password {secret}'
        assert secret not in redact(message)
        if len(shown.split("@")[0]) >= 4:
            assert shown.split("@")[0] not in redact(message)


def test_get_settings_registers_the_database_password(monkeypatch: pytest.MonkeyPatch) -> None:
    from worker.config import get_settings

    monkeypatch.setenv("NEWSRADAR_DATABASE_URL", "postgresql://nr:Gx7@raw-at-pw@db/nr")
    get_settings()
    assert "raw-at-pw" not in redact('could not translate host name "raw-at-pw@db"')
    assert "Gx7@raw-at-pw" not in redact("password Gx7@raw-at-pw")


def test_stored_error_redacts_before_cutting_and_strips_controls() -> None:
    from worker.redact import stored_error

    err = RuntimeError("x" * 985 + " https://u:LongSecretValue@h/ \x1b]0;pwned\x07 \x1b[2J")
    out = stored_error(err)
    assert len(out) <= 1000 and "LongSec" not in out and "\x1b" not in out
    assert stored_error(RuntimeError()) == "RuntimeError"
    assert stored_error("line one\nline two") == "line one\nline two"


def test_a_fetch_error_with_url_credentials_is_stored_without_them() -> None:
    import socket

    from worker.errors import FetchError
    from worker.redact import stored_error
    from worker.sources import NetworkPolicy, fetch

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://feeduser:Fe3dPassw0rd@127.0.0.1:{port}/feed?token=T0kenValue&page=1"
    with pytest.raises(FetchError) as info:
        fetch(url, policy=NetworkPolicy(allow_private=True))
    stored = stored_error(info.value)
    assert "Fe3dPassw0rd" not in stored and "T0kenValue" not in stored
    assert "127.0.0.1" in stored and "page=1" in stored


def test_short_message_the_stored_error_of_every_stage_is_redacted() -> None:
    from worker.errors import DeliveryError, FetchError, short_message

    for exc in (FetchError("network error fetching https://u:HookPw99@hooks.example/x"),
                DeliveryError("webhook https://hooks.example/in?sig=S1gnatureV POST: 500"),
                RuntimeError("smtp login failed for user:MailPw77@smtp.example")):
        text = short_message(exc)
        assert not any(s in text for s in ("HookPw99", "S1gnatureV")), text
    assert short_message(RuntimeError("x" * 2000)).endswith("…")
    assert len(short_message(RuntimeError("x" * 2000))) == 1000


def test_authorization_credentials_quoted_back_are_masked() -> None:
    """A target's error page (logged by Apprise at debug level) may echo the request's
    Authorization header: Basic credentials decode to "user:password"."""
    import base64

    basic = base64.b64encode(b"chatuser:Chat-Env-Pw74").decode()
    assert basic not in redact(f"b'denied authorization=Basic {basic}'")
    assert redact(f"Authorization: Basic {basic}") == f"Authorization: Basic {MASK}"
    assert redact(f"Basic {basic.rstrip('=')}") == f"Basic {MASK}"  # padding dropped
    assert redact("Authorization: Bearer eyJhbGciOi.J9x4Qz7Ab1") == f"Authorization: Bearer {MASK}"
    # words that only follow "Basic"/"Bearer" stay
    for text in ("Basic information about Basic authentication", "Bearer token missing",
                 "Basic Zm9vYmFyYmF6"):  # base64 of "foobarbaz": no "user:password"
        assert redact(text) == text

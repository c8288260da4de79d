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
    assert res.returncode == 1
    assert "cannot open the database" in res.stderr
    assert "TopSecretPw" not in res.stderr + res.stdout

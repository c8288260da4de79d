"""``newsradar channels test NAME`` against a real local HTTP receiver (an Apprise json://
target on 127.0.0.1): sent (exit 0, the receiver got the test message), a permanent
failure (exit 1, says the outbox would mark it dead), an unknown channel (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.alerts.test_apprise import ChatServer, chat_server  # noqa: F401 - the fixture
from worker.cli.app import app


def _config(tmp_path: Path, server: ChatServer) -> Path:
    path = tmp_path / "newsradar.yaml"
    path.write_text(
        "network: {allow_private: true}\n"
        "channels:\n"
        f"  chat: {{type: apprise, urls: ['json://{server.url}/hook']}}\n"
        "  screen: {type: console}\n",
        encoding="utf-8")
    return path


def test_channels_test_sends_a_test_message(tmp_path: Path, chat_server: ChatServer) -> None:  # noqa: F811
    res = CliRunner().invoke(app, ["channels", "test", "chat", "--config", str(_config(tmp_path, chat_server))])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == "chat: sent"
    [req] = chat_server.accepted
    assert req["path"] == "/hook"
    assert "Test message from newsradar: channel chat works" in json.loads(req["body"])["title"]


def test_channels_test_reports_a_permanent_failure(tmp_path: Path, chat_server: ChatServer) -> None:  # noqa: F811
    chat_server.script = [401]
    res = CliRunner().invoke(app, ["channels", "test", "chat", "--config", str(_config(tmp_path, chat_server))])
    assert res.exit_code == 1, res.output
    assert "chat: FAILED" in res.stdout and "HTTP 401" in res.stdout and "dead" in res.stdout
    assert len(chat_server.requests) == 1 and not chat_server.accepted  # one try, no retry


def test_channels_test_unknown_channel(tmp_path: Path, chat_server: ChatServer) -> None:  # noqa: F811
    res = CliRunner().invoke(app, ["channels", "test", "nope", "--config", str(_config(tmp_path, chat_server))])
    assert res.exit_code == 2
    assert "unknown channel 'nope'" in res.stderr and "chat, screen" in res.stderr
    assert not chat_server.requests

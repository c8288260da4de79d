"""The console's commands as the CLI will mount them: `web token create`, `web` refusing a
public address without a password, and `config export`."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from worker.cli.web import config_export, web_app
from worker.config import parse_config

from .conftest import write_config


def test_token_create_refuse_public_address_and_config_export(tmp_path: Path, sqlite_url: str, monkeypatch) -> None:
    monkeypatch.delenv("NEWSRADAR_WEB_PASSWORD", raising=False)
    monkeypatch.delenv("NEWSRADAR_WEB_PASSWORD_FILE", raising=False)
    runner = CliRunner()
    res = runner.invoke(web_app, ["token", "create", "ci", "--database-url", sqlite_url])
    assert res.exit_code == 0 and res.stdout.strip().startswith("nr_")
    res = runner.invoke(web_app, ["--host", "0.0.0.0", "--database-url", sqlite_url])
    assert res.exit_code == 2 and "without a password" in res.output
    app = typer.Typer()
    app.command()(config_export)
    config = write_config(tmp_path)
    out = tmp_path / "all.yaml"
    res = runner.invoke(app, ["--config", str(config), "--database-url", sqlite_url, "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert parse_config(out.read_text(encoding="utf-8")).topic("armistice") is not None

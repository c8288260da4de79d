from __future__ import annotations

import json

from typer.testing import CliRunner

from tests.helpers.corpus import DATA
from tests.helpers.httpserver import LocalServer, Route
from worker.cli.sources import app

runner = CliRunner()


def test_check_shows_entries_and_problems(server: LocalServer) -> None:
    url = server.route("/f", Route.file(DATA / "feeds/truncated.xml", "application/rss+xml"))
    res = runner.invoke(app, ["check", url, "--allow", "127.0.0.1/32", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["format"] == "rss20" and len(out["entries"]) == 3
    assert any("truncated XML" in p for p in out["problems"])


def test_check_reports_errors_with_code(server: LocalServer) -> None:
    url = server.route("/f", Route.file(DATA / "feeds/good_rss20.xml"))
    res = runner.invoke(app, ["check", url])  # 127.0.0.1 not allowed
    assert res.exit_code == 1 and "blocked_address" in res.output
    url = server.route("/g", Route(status=410))
    res = runner.invoke(app, ["check", url, "--allow-private", "--json"])
    assert res.exit_code == 1 and json.loads(res.output)["code"] == "gone"


def test_canonical_command() -> None:
    res = runner.invoke(app, ["canonical", "HTTP://Ex.com/a?utm_source=x&b=1#top"])
    assert res.output.strip() == "http://ex.com/a?b=1"

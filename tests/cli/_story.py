"""What the CLI's secrets tests share: the `newsradar` command run as a user runs it, and
a site with one good feed whose one story matches."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers.httpserver import LocalServer, Route
from tests.seedsite import ROOT

TEXT = ("The harbour authority opened the new ferry terminal on Monday. Officials said the "
        "route would carry twelve thousand passengers a day.")


def newsradar(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "worker.cli", *args], capture_output=True, text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200", **(env or {})},
        cwd=ROOT, timeout=300, encoding="utf-8", errors="surrogateescape",
    )


def route_good_feed(srv: LocalServer) -> None:
    """``/good.xml``: one item, its story at ``/story.html`` (a ferry terminal opens)."""
    srv.route("/story.html", Route(
        body=f"<html><head><title>Ferry terminal opens</title></head><body><article>"
             f"<h1>Ferry terminal opens</h1><p>{TEXT}</p><p>{TEXT}</p></article></body></html>",
        content_type="text/html; charset=utf-8"))
    srv.route("/good.xml", Route(
        body=f"<rss version='2.0'><channel><title>Good</title><item><guid>g1</guid>"
             f"<link>{srv.url('/story.html')}</link><title>Ferry terminal opens</title>"
             f"</item></channel></rss>", content_type="application/rss+xml"))

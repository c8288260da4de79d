"""Fixtures for the console: a local news site (seed pages, an RSS feed with recent dates,
a home page that links to the feed), a config that allows fetching it, a pass of the
embedded runner, and the console app over a real SQLite (or PostgreSQL) database.

The browser tests need Debian's ``chromium`` and ``chromium-driver``: the ``browser``
fixture installs them with apt-get when missing and running as root, and skips with the
reason when they cannot be had."""

from __future__ import annotations

import html
import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session

from tests.conftest import free_port
from tests.helpers.debian import ensure_packages
from tests.helpers.httpserver import LocalServer, Route
from tests.seedsite import ROOT, page_html, seed_pages
from worker.config import Settings, load_config
from worker.store import make_engine, make_sessionmaker
from worker.web import WebSettings, create_app

PASSWORD = "correct horse battery staple"
NO_SECRET = "NEWSRADAR_TEST_WEB_UNSET_SECRET"


def recent_rss(items: list[tuple[str, str, str]], now: datetime) -> bytes:
    """RSS 2.0 whose items (guid, link, title) were published in the last hours, so that
    a 30-day backtest counts them."""
    parts = [
        f"<item><guid isPermaLink=\"false\">{html.escape(g)}</guid><link>{html.escape(link)}</link>"
        f"<title>{html.escape(t)}</title><pubDate>{format_datetime(now - timedelta(hours=3 * i + 1))}</pubDate></item>"
        for i, (g, link, t) in enumerate(items)
    ]
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>"
            "<title>Seed News</title><link>http://news.test/</link><description>test</description>"
            + "".join(parts) + "</channel></rss>\n").encode()


@dataclass
class Site:
    server: LocalServer
    home: str  # an HTML page that links to the feed (<link rel="alternate">)
    feed: str


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with LocalServer() as srv:
        items = []
        for p in seed_pages():
            url = srv.route(f"/news/{p.key}.html", Route(body=page_html(p), content_type="text/html"))
            items.append((p.key, url, p.title))
        feed = srv.route("/feed.xml", Route(body=recent_rss(items, datetime.now(UTC)),
                                            content_type="application/rss+xml"))
        home = srv.route("/", Route(body=(
            b'<!DOCTYPE html><html><head><title>Seed News</title>'
            b'<link rel="alternate" type="application/rss+xml" title="Seed News" href="/feed.xml">'
            b"</head><body><h1>Seed News</h1></body></html>"), content_type="text/html"))
        yield Site(srv, home, feed)


def write_config(directory: Path, *, feeds: list[dict] | None = None) -> Path:
    """The example topics; a jsonl channel for all, and for `armistice` also a webhook
    that cannot be reached (so that some deliveries fail); loopback allowed."""
    cfg = yaml.safe_load((ROOT / "config" / "newsradar.yaml").read_text(encoding="utf-8"))
    cfg["feeds"] = feeds or []
    cfg["channels"] = {"jsonl": {"type": "jsonl", "path": str(directory / "alerts.jsonl")},
                       "hook": {"type": "webhook", "url": "http://127.0.0.1:9/hook"}}
    for t in cfg["topics"]:
        t["channels"] = ["jsonl", "hook"] if t["id"] == "armistice" else ["jsonl"]
    cfg["network"] = {"allowlist": ["127.0.0.1/32"]}
    path = directory / "newsradar.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def run_pass(settings: Settings) -> object:
    """One pass of the embedded runner as `newsradar run --once` makes it: a context from
    the config file, seen through ``with_console`` (the console's feeds and topics)."""
    from worker.pipeline import build_context, run_once, with_console  # noqa: PLC0415

    config = load_config(settings.config)
    base = build_context(config, settings)
    try:
        ctx, _ = with_console(base, config, None)
        return run_once(ctx)
    finally:
        base.close()


def settings_for(database_url: str, config: Path) -> Settings:
    return Settings(database_url=database_url, config=config)


def session_for(settings: Settings) -> Session:
    return make_sessionmaker(make_engine(settings.database_url))()


def csrf_of(page_html_text: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', page_html_text)
    assert m, "no CSRF token on the page"
    return m.group(1)


def login(client, password: str = PASSWORD) -> str:  # type: ignore[no-untyped-def]
    """Log ``client`` in through the form; returns the session's CSRF token."""
    r = client.get("/login")
    r = client.post("/login", data={"csrf_token": csrf_of(r.text), "password": password, "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/settings").text)


@dataclass
class Console:
    url: str
    settings: Settings


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """The console served over HTTP by uvicorn (in a thread) on a fresh SQLite database."""
    import uvicorn  # noqa: PLC0415

    tmp = tmp_path_factory.mktemp("web-browser")
    settings = settings_for(f"sqlite:///{tmp / 'nr.db'}", write_config(tmp))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, WebSettings(password=PASSWORD)),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the console did not start")
        time.sleep(0.05)
    yield Console(f"http://127.0.0.1:{port}", settings)
    server.should_exit = True
    thread.join(20)


# ---------------------------------------------------------------------------
# the browser


def _chromium_paths() -> tuple[str | None, str | None]:
    return (shutil.which("chromium") or shutil.which("chromium-browser"),
            shutil.which("chromedriver"))


def ensure_chromium() -> tuple[str, str]:
    """Debian's chromium and chromium-driver, installed with apt-get when missing (as root)."""
    browser, driver = _chromium_paths()
    if browser and driver:
        return browser, driver
    ensure_packages(["chromium", "chromedriver"], ["chromium", "chromium-driver"])
    browser, driver = _chromium_paths()
    if not (browser and driver):
        pytest.skip("chromium installed but chromium/chromedriver not on PATH")
    return browser, driver


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    browser_path, driver_path = ensure_chromium()
    try:
        from selenium import webdriver  # noqa: PLC0415
        from selenium.webdriver.chrome.service import Service  # noqa: PLC0415
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[dev]')")
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser_path
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--force-device-scale-factor=1", "--lang=en-US"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()

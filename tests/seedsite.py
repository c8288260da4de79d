"""The seed pages as a small news site: an RSS feed whose items link to HTML pages
built from the seed text dumps (each visible line a paragraph, boilerplate included),
for end-to-end tests of the pipeline."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
META = json.loads((SEEDS / "gold" / "meta.json").read_text(encoding="utf-8"))

# What the example topics must report for each seed page (the skeleton issue).
EXPECTED_TOPICS = {
    "000_906bbe40c4e300f6": {"armistice", "russia-ties"},
    "001_4d51cc0ad54e874f": {"armistice"},
    "002_0fcbd66dd195d702": {"russia-ties"},
    "003_caf3896bf0f883f3": {"russia-ties"},
    "004_b5c213eedd789ad2": {"kim-diplomacy"},
}


@dataclass(frozen=True)
class SeedPage:
    key: str
    title: str
    text: str


def seed_pages() -> list[SeedPage]:
    return [
        SeedPage(key=p.stem, title=META[p.stem]["title"], text=p.read_text(encoding="utf-8"))
        for p in sorted(SEEDS.glob("*.txt"))
    ]


def page_html(page: SeedPage) -> bytes:
    """An HTML page whose body is the seed's visible lines, one paragraph each."""
    paras = "\n".join(f"<p>{html.escape(line.strip())}</p>" for line in page.text.splitlines() if line.strip())
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(page.title)}</title></head>\n<body>\n{paras}\n</body></html>\n"
    ).encode()


def rss(items: list[tuple[str, str, str]], *, title: str = "Seed News") -> bytes:
    """An RSS 2.0 feed; items are (guid, link, title), newest first."""
    now = datetime(2025, 8, 28, 12, 0, tzinfo=UTC)
    parts = []
    for i, (guid, link, item_title) in enumerate(items):
        parts.append(
            f"<item><guid isPermaLink=\"false\">{html.escape(guid)}</guid>"
            f"<link>{html.escape(link)}</link><title>{html.escape(item_title)}</title>"
            f"<pubDate>{format_datetime(now - timedelta(hours=i))}</pubDate></item>"
        )
    return (
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>"
        f"<title>{html.escape(title)}</title><link>http://news.test/</link>"
        f"<description>test feed</description>{''.join(parts)}</channel></rss>\n"
    ).encode()


def serve_one_article(server: Any, seed: int = 2) -> tuple[str, str]:
    """Serve seed page ``seed`` at /a.html behind an RSS feed at /feed.xml on a
    LocalServer; returns (page URL, feed URL). Seed 2: North Korea admits sending troops."""
    from tests.helpers.httpserver import Route

    page = seed_pages()[seed]
    link = server.route("/a.html", Route(body=page_html(page), content_type="text/html"))
    feed = server.route("/feed.xml", Route(body=rss([("g1", link, page.title)]),
                                           content_type="application/rss+xml"))
    return link, feed

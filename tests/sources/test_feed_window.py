"""parse_feed(window=N) / (max_entries=N): the newest N entries of a large feed parsed
alone, chosen by the dates read before parsing, give exactly what a whole parse gives
(issue 12: feed_xml_50k_items spent ~0.8 s of a poll in feedparser for entries the
poll's cap never takes). A feed whose dates or ids cannot be read first is parsed whole."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from worker.sources import parse_feed

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
DATES = ["Mon, 01 Jan 2024 00:00:00 GMT", "Tue, 02 Jan 2024 00:00:00 GMT",
         "Wed, 03 Jan 2024 09:30:00 +0200", "Fri, 01 Jan 2100 00:00:00 GMT"]  # a future one


def rss(n: int, *, extra: str = "", seed: int = 3) -> bytes:
    rng = random.Random(seed)
    items = "".join(
        f"<item><title>Story {i}</title><link>https://news.example/{i}</link><guid>g-{i}</guid>"
        f"<pubDate>{rng.choice(DATES)}</pubDate>"
        # a tag inside CDATA is text, not a second date
        f"<description><![CDATA[<p>body {i}</p><pubDate>not a date</pubDate>]]></description>"
        f"{extra if i == n // 2 else ''}</item>" for i in range(n))
    return f"<rss version='2.0'><channel><title>Big</title>{items}</channel></rss>".encode()


def atom(n: int) -> bytes:
    entries = "".join(f"<entry><id>urn:e:{i}</id><title>E{i}</title>"
                      f"<link href='https://news.example/a{i}'/>"
                      f"<updated>2025-{1 + i % 12:02d}-0{1 + i % 9}T00:00:00Z</updated></entry>"
                      for i in range(n))
    return f"<feed xmlns='http://www.w3.org/2005/Atom'><title>A</title>{entries}</feed>".encode()


def parse(data: bytes, **kw):
    return parse_feed(data, url="https://news.example/feed", fetched_at=NOW, **kw)


@pytest.mark.parametrize("data", [rss(700), atom(400)], ids=["rss", "atom"])
@pytest.mark.parametrize("n", [1, 7, 100])
def test_the_window_and_the_older_entries_are_the_whole_parse(data: bytes, n: int) -> None:
    whole = parse(data)
    windowed = parse(data, window=n)
    assert windowed.older is not None  # the window was used
    assert windowed.entries == whole.entries[:n]  # same entries, same order (ties, clamp)
    assert windowed.entries + windowed.older().entries == whole.entries
    assert (windowed.title, windowed.format) == (whole.title, whole.format)
    capped = parse(data, max_entries=n)
    assert capped.entries == whole.entries[:n] and capped.older is None
    assert f"kept the newest {n} of {len(whole.entries)} entries" in capped.problems


def test_future_dates_are_clamped_before_choosing() -> None:
    whole = parse(rss(300))
    windowed = parse(rss(300), window=20)
    assert windowed.entries[0].published == NOW  # "2100" sorts as the fetch time
    assert windowed.entries == whole.entries[:20]


@pytest.mark.parametrize("extra", [
    "<updated>2030-01-01T00:00:00Z</updated>",  # a second date in one entry
    "<guid>g-1</guid>",  # a second id (and a duplicate one)
    "<!-- <pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate>",  # an unterminated comment
])
def test_a_feed_whose_order_cannot_be_read_first_is_parsed_whole(extra: str) -> None:
    data = rss(300, extra=extra)
    windowed = parse(data, window=10)
    assert windowed.older is None
    assert windowed.entries == parse(data).entries


def test_a_guid_feedparser_reads_otherwise_falls_back_to_the_whole_parse() -> None:
    # xml:base makes feedparser resolve the ids ("g-3" -> "https://base.example/x/g-3"):
    # the window's check sees other ids than the raw text promised
    data = rss(300).replace(b"<channel>", b"<channel xml:base='https://base.example/x/'>")
    windowed = parse(data, window=10)
    assert windowed.older is None
    assert windowed.entries == parse(data).entries
    assert windowed.entries[0].guid.startswith("https://base.example/x/g-")


def test_small_feeds_are_parsed_whole() -> None:
    windowed = parse(rss(50), window=100)
    assert windowed.older is None and len(windowed.entries) == 50

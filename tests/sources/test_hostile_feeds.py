"""The feed edge cases of issue 12, each with its expected result."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from worker.sources import parse_feed
from worker.sources._normalize import entry_key
from worker.terminal import escape_markup, safe_terminal_text

URL = "https://news.example/feed.xml"
FETCHED = datetime(2026, 9, 2, 12, 0, tzinfo=UTC)


def rss(items: str, title: str = "News") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{title}</title><link>https://news.example/</link>{items}"
            "</channel></rss>").encode()


def item(guid: str, link: str | None = None, title: str = "t", date: str | None = None) -> str:
    parts = [f"<title>{title}</title>", f"<guid>{guid}</guid>"]
    if link is not None:
        parts.append(f"<link>{link}</link>")
    if date is not None:
        parts.append(f"<pubDate>{date}</pubDate>")
    return "<item>" + "".join(parts) + "</item>"


def one(body: bytes, **kw: object):  # type: ignore[no-untyped-def]
    return parse_feed(body, url=URL, fetched_at=FETCHED, **kw)  # type: ignore[arg-type]


def test_links_to_the_feed_itself_are_dropped() -> None:
    feed = one(rss(item("a", "?page=2") + item("b", "#top") + item("c", URL)
                   + item("d", "https://news.example/?p=123")))
    links = {e.guid: e.link for e in feed.entries}
    assert links == {"a": None, "b": None, "c": None, "d": "https://news.example/?p=123"}
    assert any("to the feed itself" in p for p in feed.problems)


def test_spaces_in_paths_are_percent_encoded() -> None:
    feed = one(rss(item("a", "/news/a story here.html")))
    assert feed.entries[0].link == "https://news.example/news/a%20story%20here.html"


@pytest.mark.parametrize(("raw", "want"), [
    ("Tue, 01 Sep 2026 09:00:00 KST", datetime(2026, 9, 1, 0, 0, tzinfo=UTC)),
    ("Tue, 01 Sep 2026 09:00:00 +0900", datetime(2026, 9, 1, 0, 0, tzinfo=UTC)),
    ("Tue, 01 Sep 2026 09:00:00 JST", datetime(2026, 9, 1, 0, 0, tzinfo=UTC)),
    ("1788000000", datetime(2026, 8, 29, 10, 40, tzinfo=UTC)),
    ("Tue, 01 Sep 2026 09:00:00", datetime(2026, 9, 1, 9, 0, tzinfo=UTC)),  # no zone: UTC
    ("2026-09-01T09:00:00", datetime(2026, 9, 1, 9, 0, tzinfo=UTC)),
    ("Fri, 01 Jan 2100 00:00:00 GMT", FETCHED),  # the future is clamped to the fetch time
    ("2026-13-45T99:99:99Z", None),
    ("Tue, 01 Sep 2026 99:00:00 GMT", None),
    ("2026-09-31T10:00:00Z", None),
])
def test_dates(raw: str, want: datetime | None) -> None:
    feed = one(rss(item("a", "/a", date=raw)))
    assert feed.entries[0].published == want
    if want is None:
        assert any("unreadable date" in p for p in feed.problems)


def test_atom_dates_with_named_zones_and_no_zone() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>A</title><id>urn:a</id><updated>2026-09-01T00:00:00Z</updated>
<entry><id>urn:1</id><title>one</title><link href="https://a.example/1"/>
<updated>2026-09-01T09:00:00</updated></entry>
<entry><id>urn:2</id><title>two</title><link href="https://a.example/2"/>
<updated>2026-09-01T09:00:00+09:00</updated></entry></feed>"""
    got = {e.guid: e.published for e in one(body).entries}
    assert got == {"urn:1": datetime(2026, 9, 1, 9, 0, tzinfo=UTC),
                   "urn:2": datetime(2026, 9, 1, 0, 0, tzinfo=UTC)}


def test_a_10000_character_title_is_cut_near_300_on_a_word() -> None:
    title = " ".join(f"word{i}" for i in range(2000))[:10_000]
    t = one(rss(item("a", "/a", title=title))).entries[0].title
    assert 250 <= len(t) <= 300 and t.endswith("…")
    assert title.startswith(t[:-1]) and title[len(t) - 1] == " "  # cut on a word boundary


def test_html_entities_in_titles_are_decoded() -> None:
    feed = one(rss(item("a", "/a", title="Kim&amp;#8217;s visit &amp;amp; Putin&amp;#x2019;s")))
    assert feed.entries[0].title == "Kim\u2019s visit & Putin\u2019s"


def test_escape_sequences_are_removed_from_feed_and_entry_titles() -> None:
    # raw ESC/BEL bytes (not XML, so feedparser's loose parser keeps them): whole
    # sequences go
    raw = "Hi\x1b[31mred\x1b[0m \x1b]8;;http://evil\x07link\x1b]8;;\x07 \u202ex"
    feed = one(rss(item("a", "/a", title=raw), title="Feed\x1b]0;pwned\x07 name"))
    assert feed.title == "Feed name" and feed.entries[0].title == "Hired link x"
    # as character references: the control characters go, the rest is plain text
    refs = "Hi&#27;[31mred&#27;[0m &#27;]8;;http://evil&#7;link &#x202e;x"
    feed = one(rss(item("a", "/a", title=refs), title="Feed&#27;]0;pwned&#7; name"))
    for text in (feed.title, feed.entries[0].title):
        assert text is not None and not any(c in text for c in "\x1b\x07\u202e")


def test_rich_markup_in_a_title_prints_as_itself() -> None:
    from rich.console import Console

    feed = one(rss(item("a", "/a", title="[/bold] and [red]x[/red]"), title="[/bold]"))
    console = Console(record=True, width=200)
    console.print(escape_markup(feed.title))
    console.print(f"feed: {escape_markup(feed.entries[0].title)}")
    text = console.export_text()
    assert "[/bold]" in text and "[red]x[/red]" in text
    assert safe_terminal_text("a\x1b[2Jb") == "ab"


def _jsonfeed(items: list[dict], title: str = "J") -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": title,
                       "items": items}).encode()


def test_a_json_feed_item_without_a_title_gets_the_start_of_its_text() -> None:
    text = "Breaking: " + "a rather long microblog post " * 10
    feed = one(_jsonfeed([{"id": "1", "url": "https://j.example/1", "content_text": text},
                          {"id": "2", "url": "https://j.example/2",
                           "content_html": "<p>Short <b>post</b> &amp; more</p>"}]))
    titles = {e.guid: e.title for e in feed.entries}
    assert titles["1"].startswith("Breaking: a rather long") and titles["1"].endswith("…")
    assert len(titles["1"]) <= 121
    assert titles["2"] == "Short post & more"


def test_a_lone_surrogate_in_a_json_feed_is_replaced_at_parse_time() -> None:
    body = (b'{"version":"https://jsonfeed.org/version/1.1","title":"T\\ud800",'
            b'"items":[{"id":"1","url":"https://j.example/1","title":"x\\udfffy",'
            b'"content_text":"a\\ud83d"}]}')
    feed = one(body)
    out = json.dumps({"title": feed.title, "entries": [e.__dict__ for e in feed.entries]},
                     ensure_ascii=False, default=str)
    out.encode("utf-8")  # raised UnicodeEncodeError before
    assert feed.entries[0].title == "x\ufffdy"


def test_the_per_poll_cap_applies_to_json_feed_items() -> None:
    items = [{"id": str(i), "url": f"https://j.example/{i}", "title": f"t{i}"}
             for i in range(3000)]
    feed = one(_jsonfeed(items), max_entries=100)
    assert len(feed.entries) == 100
    assert any("more than 2500 items" in p for p in feed.problems)


def test_entry_key_keys_on_guid_and_link_only_when_the_links_differ() -> None:
    assert entry_key("g", "https://a.example/1", None) == "g"
    assert entry_key("g", "https://a.example/1?utm_source=x", "https://a.example/1") == "g"
    assert entry_key("g", "https://a.example/2", "https://a.example/1") == \
        "g https://a.example/2"


def test_character_references_to_surrogates_and_controls_do_not_break_an_xml_feed() -> None:
    feed = one(rss(item("a", "/a", title="a&#55296;b&#x2019;c&#27;[31m"), title="T&#xDFFF;x"))
    assert feed.title == "T\ufffdx" and feed.entries[0].title == "a\ufffdb\u2019c[31m"
    json.dumps({"t": feed.entries[0].title}, ensure_ascii=False).encode("utf-8")

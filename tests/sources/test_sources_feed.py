"""parse_feed(): formats, normalisation and refusals, table by table."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from worker.errors import FeedParseError
from worker.sources import parse_feed

URL = "https://news.example/feeds/main.xml"


def rss(items: str, extra: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"{extra}><channel>'
            f"<title>News</title><link>https://news.example/</link>{items}</channel></rss>").encode()


def item(guid: str | None = None, link: str | None = None, title: str = "t",
         date: str | None = "Mon, 02 Nov 2026 10:00:00 GMT") -> str:
    parts = [f"<title>{title}</title>"]
    if guid is not None:
        parts.append(f"<guid>{guid}</guid>")
    if link is not None:
        parts.append(f"<link>{link}</link>")
    if date is not None:
        parts.append(f"<pubDate>{date}</pubDate>")
    return "<item>" + "".join(parts) + "</item>"


def test_rss20_basic_fields() -> None:
    feed = parse_feed(rss(item("g1", "/a/1", "One", "Mon, 02 Nov 2026 11:00:00 +0100")
                          .replace("</item>", "<description>sum</description>"
                                   "<author>a@x (Ann)</author></item>")), url=URL)
    assert feed.format == "rss20" and feed.title == "News" and feed.site_url == "https://news.example/"
    (e,) = feed.entries
    assert e.link == "https://news.example/a/1" and e.title == "One" and e.summary == "sum"
    assert e.published == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    assert feed.problems == []


def test_newest_first_and_cap() -> None:
    days = [f"Mon, 0{d} Nov 2026 10:00:00 GMT" for d in (2, 5, 3, 4)]
    body = rss("".join(item(f"g{i}", f"/a/{i}", date=d) for i, d in enumerate(days)))
    feed = parse_feed(body, url=URL, max_entries=2)
    assert [e.guid for e in feed.entries] == ["g1", "g3"]
    assert any("newest 2 of 4" in p for p in feed.problems)


def test_duplicate_guids_collapse_when_the_links_agree() -> None:
    feed = parse_feed(rss(item("same", "/a") + item("same", "/a?utm_source=x")
                          + item("other", "/c")), url=URL)
    assert [e.link for e in feed.entries] == ["https://news.example/a", "https://news.example/c"]
    assert any("duplicate GUID" in p for p in feed.problems)


def test_a_guid_shared_by_two_links_keys_the_second_on_guid_and_link() -> None:
    feed = parse_feed(rss(item("same", "/a") + item("same", "/b") + item("other", "/c")), url=URL)
    assert [(e.guid, e.link) for e in feed.entries] == [
        ("same", "https://news.example/a"),
        ("same https://news.example/b", "https://news.example/b"),
        ("other", "https://news.example/c")]
    assert any("keyed on GUID + link" in p for p in feed.problems)


def test_guid_fallbacks() -> None:
    feed = parse_feed(rss(item(None, "/x?utm_source=rss", "L") + item(None, None, "Only title")),
                      url=URL)
    by_title = {e.title: e for e in feed.entries}
    assert by_title["L"].guid == "https://news.example/x"
    assert by_title["Only title"].guid.startswith("sha256:") and by_title["Only title"].link is None


def test_missing_and_invalid_dates() -> None:
    feed = parse_feed(rss(item("a", "/a", date=None) + item("b", "/b", date="yesterday-ish")), url=URL)
    assert all(e.published is None for e in feed.entries) and len(feed.entries) == 2
    assert any("unreadable date" in p for p in feed.problems)


def test_long_title_is_truncated_not_rejected() -> None:
    feed = parse_feed(rss(item("a", "/a", "x" * 10_000)), url=URL)
    assert len(feed.entries[0].title) == 300 and feed.entries[0].title.endswith("…")
    assert any("truncated 1 title" in p for p in feed.problems)


def test_atom_with_xml_base() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://other.example/blog/">
  <title>Atom</title><link href="/" rel="alternate"/><id>urn:x</id><updated>2026-11-02T10:00:00Z</updated>
  <entry><id>urn:e1</id><title>E1</title><link href="posts/1"/><updated>2026-11-02T10:00:00+02:00</updated>
    <content type="html">&lt;p&gt;Body &lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;</content></entry>
  <entry xml:base="https://third.example/"><id>urn:e2</id><title>E2</title><link href="p/2"/></entry>
</feed>"""
    feed = parse_feed(body, url=URL)
    assert feed.format == "atom10" and feed.site_url == "https://other.example/"
    links = {e.guid: e.link for e in feed.entries}
    assert links == {"urn:e1": "https://other.example/blog/posts/1", "urn:e2": "https://third.example/p/2"}
    e1 = next(e for e in feed.entries if e.guid == "urn:e1")
    assert e1.published == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    assert "Body" in e1.content and "script" not in e1.content


def test_rss10_rdf() -> None:
    body = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/">
 <channel rdf:about="https://rdf.example/"><title>RDF</title><link>https://rdf.example/</link></channel>
 <item rdf:about="https://rdf.example/1"><title>One</title><link>https://rdf.example/1</link>
   <dc:date>2026-11-02T10:00:00Z</dc:date></item>
</rdf:RDF>"""
    feed = parse_feed(body, url=URL)
    assert feed.format == "rss10" and feed.entries[0].link == "https://rdf.example/1"
    assert feed.entries[0].published == datetime(2026, 11, 2, 10, tzinfo=UTC)


def test_json_feed_11() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1", "title": "JF",
        "home_page_url": "https://jf.example/", "feed_url": "https://jf.example/feed.json",
        "items": [
            {"id": "1", "url": "/p/1", "title": "One", "content_html": "<p>Hi<script>x</script></p>",
             "date_published": "2026-11-02T10:00:00+01:00", "authors": [{"name": "Ann"}]},
            {"id": 2, "content_text": "text only", "date_published": "not a date"},
            {"id": "1", "title": "dup"},
            "garbage",
        ],
    }
    feed = parse_feed(json.dumps(doc).encode(), url=URL, content_type="application/feed+json")
    assert feed.format == "jsonfeed" and feed.title == "JF" and feed.site_url == "https://jf.example/"
    one = feed.entries[0]
    assert (one.guid, one.link, one.author) == ("1", "https://jf.example/p/1", "Ann")
    assert one.published == datetime(2026, 11, 2, 9, tzinfo=UTC)
    assert "Hi" in one.content and "script" not in one.content
    assert feed.entries[1].guid == "2" and feed.entries[1].content == "text only"
    assert len(feed.entries) == 2 and len(feed.problems) == 3


@pytest.mark.parametrize(("body", "code", "fragment"), [
    (b"", "empty", "empty"),
    (b"   \n\t ", "empty", "empty"),
    (b"{not json", "bad_json", "invalid JSON"),
    (b'{"hello": "world"}', "not_a_feed", "not a feed"),
    (b"<note><to>x</to></note>", "not_a_feed", "<note>"),
    (b"<?xml version='1.0'?><rss version='2.0'><channel><title>x", "truncated", "never closed"),
])
def test_refusals(body: bytes, code: str, fragment: str) -> None:
    with pytest.raises(FeedParseError) as info:
        parse_feed(body, url=URL)
    assert info.value.code == code and fragment in str(info.value) and URL in str(info.value)


def test_html_page_offers_its_feeds() -> None:
    page = b"""<!DOCTYPE html><html><head><title>Site</title>
<link rel="alternate" type="application/rss+xml" href="/rss.xml">
<link rel="alternate" type="application/atom+xml" href="https://cdn.example/atom">
<link rel="stylesheet" href="/s.css"></head><body>hi</body></html>"""
    with pytest.raises(FeedParseError) as info:
        parse_feed(page, url=URL, content_type="text/html")
    assert info.value.code == "not_a_feed"
    assert "https://news.example/rss.xml" in str(info.value)
    assert "https://cdn.example/atom" in str(info.value)


def test_entity_bomb_is_refused_quickly() -> None:
    body = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + b"A" * 10_000 + b'">]>'
            b"<rss version='2.0'><channel><title>" + b"&a;" * 50_000 + b"</title></channel></rss>")
    start = time.process_time()
    with pytest.raises(FeedParseError) as info:
        parse_feed(body, url=URL)
    assert info.value.code == "entity_bomb"
    assert time.process_time() - start < 30  # a guard against hanging, not a timing assert


def test_billion_laughs_refused() -> None:
    body = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rss version="2.0"><channel><title>&lol2;</title></channel></rss>"""
    with pytest.raises(FeedParseError) as info:
        parse_feed(body, url=URL)
    assert info.value.code == "entity_bomb"


def test_external_entity_refused() -> None:
    body = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&xxe;</title></channel></rss>"""
    with pytest.raises(FeedParseError) as info:
        parse_feed(body, url=URL)
    assert info.value.code == "doctype_refused" and "XXE" in str(info.value)


def test_harmless_doctype_is_stripped() -> None:
    body = (b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
            b'"http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91"><channel>'
            b"<title>Old</title><link>https://old.example/</link><item><title>x</title>"
            b"<link>https://old.example/x</link></item></channel></rss>")
    feed = parse_feed(body, url=URL)
    assert feed.entries[0].link == "https://old.example/x" and feed.format.startswith("rss09")


def test_simple_entities_are_expanded() -> None:
    body = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY nbsp "&#160;"><!ENTITY co "Acme">]>
<rss version="2.0"><channel><title>&co;&nbsp;News</title><item><title>&co; item</title>
<link>https://a.example/1</link></item></channel></rss>"""
    feed = parse_feed(body, url=URL)
    assert feed.title == "Acme\xa0News" and feed.entries[0].title == "Acme item"


def test_truncated_keeps_complete_entries() -> None:
    body = rss("".join(item(f"g{i}", f"/a/{i}") for i in range(3)))
    cut = body[: body.index(b"<item>", body.index(b"g2") - 30) + 30]
    feed = parse_feed(cut, url=URL)
    assert sorted(e.guid for e in feed.entries) == ["g0", "g1"]
    assert any("truncated" in p for p in feed.problems)


def test_latin1_declared_utf8_still_parses() -> None:
    body = rss(item("g", "/a", "Caf\u00e9 cr\u00e8me")).decode().encode("latin-1")
    feed = parse_feed(body, url=URL, content_type="application/rss+xml; charset=utf-8")
    assert feed.entries[0].title == "Caf\u00e9 cr\u00e8me"
    assert any("not valid utf-8" in p for p in feed.problems)


def test_utf16_feed() -> None:
    body = rss(item("g", "/a", "Ünïcode")).decode().replace('encoding="utf-8"', 'encoding="utf-16"')
    feed = parse_feed(body.encode("utf-16"), url=URL)
    assert feed.entries[0].title == "Ünïcode"


def test_bozo_feed_yields_what_parsed() -> None:
    body = rss(item("g1", "/a") + "<item><title>bad & worse</title><guid>g2</guid></item>")
    feed = parse_feed(body, url=URL)
    assert {e.guid for e in feed.entries} == {"g1", "g2"}
    assert any("not well-formed" in p for p in feed.problems)


def test_items_without_links_and_javascript_links() -> None:
    feed = parse_feed(rss(item("g1", None) + item("g2", "javascript:alert(1)")), url=URL)
    assert [e.link for e in feed.entries] == [None, None]
    assert any("not http(s)" in p for p in feed.problems)


def test_thousands_of_items_capped_newest_first() -> None:
    items = "".join(item(f"g{i}", f"/a/{i}", date=f"Mon, 02 Nov 2026 {i // 60 % 24:02d}:{i % 60:02d}:00 GMT")
                    for i in range(1440))
    feed = parse_feed(rss(items), url=URL, max_entries=100)
    assert len(feed.entries) == 100 and feed.entries[0].guid == "g1439"
    assert feed.entries == sorted(feed.entries, key=lambda e: e.published, reverse=True)


def test_take_new_caps_per_poll_and_leaves_the_rest() -> None:
    from worker.sources import take_new

    items = "".join(item(f"g{i}", f"/a/{i}", date=f"Mon, 02 Nov 2026 10:{i:02d}:00 GMT")
                    for i in range(10))
    entries = parse_feed(rss(items), url=URL).entries
    known: set[str] = set()
    first, left = take_new(entries, lambda e: e.guid in known, 4)
    assert [e.guid for e in first] == ["g9", "g8", "g7", "g6"] and left == 6
    known.update(e.guid for e in first)
    second, left = take_new(entries, lambda e: e.guid in known, 4)
    assert [e.guid for e in second] == ["g5", "g4", "g3", "g2"] and left == 2


def test_canonical_link_survives_changing_guid_and_title() -> None:
    one = parse_feed(rss(item("r1", "/s?utm_source=rss", "Headline")), url=URL).entries[0]
    two = parse_feed(rss(item("r2", "/s?utm_medium=x", "New headline")), url=URL).entries[0]
    assert one.guid != two.guid and one.canonical_link == two.canonical_link

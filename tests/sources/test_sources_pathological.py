"""Inputs that once cost seconds to minutes of CPU in feedparser or in our own scanners.
Each must finish (pytest-timeout stops a regression) with a bounded, recorded outcome.
No timing is asserted; the cases are sized so that a quadratic path would hang."""

from __future__ import annotations

import pytest

from worker.errors import FeedParseError
from worker.sources import parse_feed
from worker.sources._discover import looks_like_html
from worker.sources._sanitize import sanitize_html, strip_tags

N = 250_000
RSS_ITEM = b"<rss><channel><item><guid>1</guid><description>%s</description></item></channel></rss>"


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("name", "body", "code"), [
    ("html-start comments", b"<!---->" * 600 + b"x", "not_a_feed"),
    ("unterminated DOCTYPE", b"<?xml version='1.0'?><!DOCTYPE x [" + b"a" * 5_000_000, "doctype_refused"),
    ("unterminated CDATA", b"<rss><channel>" + b"<![CDATA[" * 500_000, "truncated"),
    ("tiny elements", b"<rss><channel>" + b"<a/>" * 500_000 + b"</channel></rss>", "too_large"),
    ("nested elements", b"<rss><channel>" + b"<a>" * 500_000 + b"</channel></rss>", "too_large"),
])
def test_refused_quickly(name: str, body: bytes, code: str) -> None:
    with pytest.raises(FeedParseError) as info:
        parse_feed(body, url="https://x.example/f")
    assert info.value.code == code, name


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("name", "body"), [
    ("comments in CDATA", RSS_ITEM % (b"<![CDATA[" + b"<!--" * N + b"]]>")),
    ("escaped comments", RSS_ITEM % (b"&lt;!--" * N)),
    ("dense markup in CDATA", RSS_ITEM % (b"<![CDATA[" + b"<p>x</p>" * N + b"]]>")),
    ("bozo + raw comments", RSS_ITEM.replace(b"<channel>", b"<channel>&") % (b"<!--" * N)),
    ("many items", b"<rss><channel>" + b"<item><title>x</title></item>" * 100_000 + b"</channel></rss>"),
    ("entity references", b"<?xml version='1.0'?><!DOCTYPE rss [<!ENTITY a 'b'>]><rss><channel>"
                          b"<item><title>" + b"&a;" * 1_000_000 + b"</title></item></channel></rss>"),
])
def test_parsed_in_bounded_time(name: str, body: bytes) -> None:
    feed = parse_feed(body, url="https://x.example/f", max_entries=10)
    assert len(feed.entries) >= 1, name
    for e in feed.entries:
        assert e.content is None or len(e.content) <= 2_000_000
        assert e.summary is None or len(e.summary) <= 2_000_000


@pytest.mark.timeout(60)
def test_sanitizer_and_stripper_are_linear() -> None:
    assert "<!--" not in sanitize_html("<!--" * N)
    assert strip_tags("<!--" * N).strip() == ""
    assert not looks_like_html("<!-- " * 20_000)


def test_sanitizer_removes_active_content() -> None:
    out = sanitize_html('<p onclick="x">Hi<script>alert(1)</script><a href="javascript:alert(2)">l</a>'
                        '<iframe src="https://evil"></iframe><img src="a.png" onerror="e()"></p>')
    for bad in ("onclick", "script", "javascript:", "iframe", "onerror"):
        assert bad not in out
    assert "Hi" in out and "a.png" in out

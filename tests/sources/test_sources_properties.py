"""Property tests: the URL canonicaliser and the feed normaliser never raise on arbitrary
input (bar the documented FeedParseError), and canonicalisation is idempotent."""

from __future__ import annotations

import json
import random
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from worker.errors import FeedParseError
from worker.retry import RetryPolicy, feed_backoff, should_retry
from worker.sources import address_problem, parse_feed
from worker.urls import canonical_url, host_of, is_tracking_param

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

url_chars = st.sampled_from(list("abcXYZ019-._~:/?#[]@!$&'()*+,;=% \t\nüé中\x00\x7f"))
url_text = st.text(url_chars, max_size=60)
schemes = st.sampled_from(["http", "https", "HTTP", "HtTpS", "ftp", "", "javascript"])
hosts = st.one_of(
    st.sampled_from(["example.com", "EXAMPLE.com.", "127.0.0.1", "[::1]", "[2001:DB8::1]",
                     "bücher.example", "xn--bcher-kva.example", "a..b", "", "[", "ex ample"]),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=15),
)
ports = st.one_of(st.just(""), st.sampled_from([":80", ":443", ":8080", ":", ":99999", ":x"]))
params = st.lists(
    st.tuples(st.sampled_from(["utm_source", "UTM_Medium", "fbclid", "gclid", "id", "q", "a",
                               "b", "", "ref_src", "%75tm_x"]),
              st.text(url_chars, max_size=8)),
    max_size=5,
)


@st.composite
def urls(draw: st.DrawFn) -> str:
    query = "&".join(f"{k}={v}" for k, v in draw(params))
    return (f"{draw(schemes)}://{draw(hosts)}{draw(ports)}/{draw(url_text)}"
            f"{'?' + query if query else ''}{draw(st.sampled_from(['', '#frag', '#']))}")


@SETTINGS
@given(st.one_of(urls(), st.text(max_size=80)))
def test_canonical_url_never_raises_and_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert isinstance(once, str)
    assert canonical_url(once) == once
    host_of(url)  # never raises either


@SETTINGS
@given(urls())
def test_canonical_http_urls_have_no_fragment_or_tracking(url: str) -> None:
    out = canonical_url(url)
    if not out.startswith(("http://", "https://")) or out == url.strip():
        return
    parts = urlsplit(out)
    assert parts.fragment == ""
    assert parts.scheme == parts.scheme.lower()
    assert all(not is_tracking_param(p.split("=", 1)[0]) for p in parts.query.split("&") if p)
    assert parts.query.split("&") == sorted(parts.query.split("&"))


@SETTINGS
@given(st.binary(max_size=2000))
def test_parse_feed_never_raises_on_bytes(data: bytes) -> None:
    try:
        parse_feed(data, url="https://feed.example/x.xml")
    except FeedParseError as exc:
        assert exc.code and "https://feed.example/x.xml" in str(exc)


xml_bits = st.sampled_from([
    "<item>", "</item>", "<entry>", "</entry>", "<title>", "</title>", "<link>", "</link>",
    "<guid>", "</guid>", "<pubDate>", "</pubDate>", "<![CDATA[", "]]>", "&amp;", "&", "&x;",
    "<!DOCTYPE x>", "<!ENTITY e 'v'>", "<?xml?>", "<!--", "-->", "http://a/", "/rel", "2026",
    "Mon, 02 Nov 2026 10:00:00 GMT", "\u00e9", "\x00", "<", ">", "\"", "'", " xml:base='../'",
])


@st.composite
def feedish(draw: st.DrawFn) -> bytes:
    inner = "".join(draw(st.lists(st.one_of(xml_bits, st.text(max_size=10)), max_size=40)))
    wrapper = draw(st.sampled_from([
        '<?xml version="1.0"?><rss version="2.0"><channel>{}</channel></rss>',
        '<feed xmlns="http://www.w3.org/2005/Atom">{}</feed>',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">{}</rdf:RDF>',
        "<rss>{}", "{}", "<html><head>{}</head></html>",
    ]))
    encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-16"]))
    return wrapper.format(inner).encode(encoding, "replace")


@SETTINGS
@given(feedish(), st.sampled_from([None, "application/rss+xml", "text/html; charset=latin-1",
                                   "application/json", "text/xml; charset=bogus"]),
       st.one_of(st.none(), st.integers(0, 5)))
def test_feed_normaliser_never_raises_on_feed_like_input(
    data: bytes, content_type: str | None, max_entries: int | None
) -> None:
    try:
        feed = parse_feed(data, url="https://feed.example/f", content_type=content_type,
                          max_entries=max_entries)
    except FeedParseError:
        return
    guids = [e.guid for e in feed.entries]
    assert len(guids) == len(set(guids)) and all(guids)
    if max_entries is not None:
        assert len(feed.entries) <= max_entries
    for e in feed.entries:
        assert e.link is None or e.link.startswith(("http://", "https://"))
        assert e.title is None or len(e.title) <= 1000
        assert e.published is None or e.published.tzinfo is not None
    dated = [e.published for e in feed.entries if e.published]
    assert dated == sorted(dated, reverse=True)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
item_dicts = st.fixed_dictionaries({}, optional={
    "id": json_values, "url": json_values, "title": json_values, "content_html": json_values,
    "content_text": json_values, "summary": json_values, "date_published": json_values,
    "authors": json_values, "author": json_values, "external_url": json_values,
})


@SETTINGS
@given(st.lists(st.one_of(item_dicts, json_values), max_size=6), json_values)
def test_json_feed_never_raises(items: list[object], title: object) -> None:
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": title, "items": items}
    try:
        feed = parse_feed(json.dumps(doc).encode(), url="https://feed.example/f.json")
    except FeedParseError:
        return
    assert feed.format == "jsonfeed"


@SETTINGS
@given(st.text(max_size=45))
def test_address_problem_never_raises(text: str) -> None:
    address_problem(text)


@SETTINGS
@given(st.integers(min_value=-5, max_value=10_000), st.floats(0, 1e6), st.floats(0.01, 1e6),
       st.integers(1, 20), st.one_of(st.none(), st.floats(0, 1e6)))
def test_retry_delays_are_bounded(attempt: int, base: float, cap: float, max_attempts: int,
                                  retry_after: float | None) -> None:
    from worker.errors import FetchError

    err = FetchError("x", code="http_5xx", retry_after=retry_after)
    delay = should_retry(err, attempt, policy=RetryPolicy(base=base, cap=cap,
                                                         max_attempts=max_attempts),
                         rng=random.Random(attempt))
    if attempt >= max_attempts:
        assert delay is None
    elif retry_after is not None:
        assert delay == min(retry_after, 86_400)  # honoured up to a day
    else:
        assert delay is not None and 0 <= delay <= cap
    backoff = feed_backoff(base, attempt, cap)
    assert 0 <= backoff <= max(cap, base)

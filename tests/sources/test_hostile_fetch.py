"""fetch() edge cases of issue 12: multi-member gzip, malformed Location, Retry-After."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from tests.helpers.httpserver import LocalServer, Route
from tests.sources.conftest import FAST, LOCAL
from worker.errors import FetchError
from worker.retry import should_retry
from worker.sources import fetch, parse_retry_after
from worker.sources._fetch import MAX_RETRY_AFTER

RSS = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"


def test_multi_member_gzip_is_decoded_whole(server: LocalServer) -> None:
    body = gzip.compress(RSS[:30]) + gzip.compress(RSS[30:60]) + gzip.compress(RSS[60:])
    url = server.route("/m", Route(body=body, headers={"Content-Encoding": "gzip"},
                                   content_type="application/rss+xml"))
    assert fetch(url, policy=LOCAL, limits=FAST).content == RSS


def test_multi_member_gzip_bomb_still_stops_at_the_cap(server: LocalServer) -> None:
    from worker.sources import FetchLimits

    member = gzip.compress(b"\0" * 1_000_000)
    url = server.route("/b", Route(body=member * 40, headers={"Content-Encoding": "gzip"},
                                   content_type="application/rss+xml"))
    limits = FetchLimits(connect_timeout=2, read_timeout=2, total_timeout=5, max_bytes=5_000_000)
    with pytest.raises(FetchError) as info:
        fetch(url, policy=LOCAL, limits=limits)
    assert info.value.code == "too_large"


@pytest.mark.parametrize("location", ["http://[bad", "http://exa mple.example/x",
                                      "https://a.example:99999/", "http://%zz/"])
def test_malformed_location_is_permanent(server: LocalServer, location: str) -> None:
    url = server.route("/r", Route.redirect(location))
    with pytest.raises(FetchError) as info:
        fetch(url, policy=LOCAL, limits=FAST)
    err = info.value
    assert err.permanent and err.code == "bad_url", (err.code, str(err))
    assert should_retry(err, 1) is None


def test_retry_after_is_capped() -> None:
    assert parse_retry_after("120") == 120
    assert parse_retry_after(str(31 * 365 * 86400)) == MAX_RETRY_AFTER == 86400
    far = "Fri, 01 Jan 2100 00:00:00 GMT"
    assert parse_retry_after(far, now=datetime(2026, 9, 1, tzinfo=UTC)) == MAX_RETRY_AFTER
    err = FetchError("x", code="rate_limited", retry_after=10**9)
    assert should_retry(err, 1) == MAX_RETRY_AFTER

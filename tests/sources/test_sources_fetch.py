"""fetch() against a real local server: limits, conditional GET, statuses, redirects."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers.httpserver import LocalServer, Reply, Route, gzip_bomb
from tests.sources.conftest import FAST, LOCAL
from worker.errors import FetchError
from worker.sources import PAGE_TYPES, FetchLimits, fetch, make_client

RSS = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"


def fetch_error(url: str, **kw: object) -> FetchError:
    kw.setdefault("policy", LOCAL)
    kw.setdefault("limits", FAST)
    with pytest.raises(FetchError) as info:
        fetch(url, **kw)  # type: ignore[arg-type]
    assert url in str(info.value), "the message names the URL"
    return info.value


def test_ok_sends_user_agent_and_reports_validators(server: LocalServer) -> None:
    url = server.route("/feed", Route(body=RSS, content_type="application/rss+xml; charset=UTF-8",
                                      headers={"ETag": '"abc"', "Last-Modified": "Mon, 02 Nov 2026 10:00:00 GMT"}))
    result = fetch(url, policy=LOCAL, limits=FAST)
    assert result.status_code == 200 and result.content == RSS
    assert result.content_type == "application/rss+xml" and result.charset == "utf-8"
    assert result.etag == '"abc"' and result.last_modified.startswith("Mon, 02 Nov")
    assert not result.not_modified and result.final_url == url
    ua = server.requests[0].headers["user-agent"]
    assert "newsradar" in ua and "https://github.com/newsradar/newsradar" in ua


def test_conditional_get_returns_not_modified(server: LocalServer) -> None:
    url = server.route("/feed", Route(body=RSS, not_modified_etag='"v1"'))
    first = fetch(url, policy=LOCAL, limits=FAST)
    second = fetch(url, policy=LOCAL, limits=FAST, etag=first.etag,
                   last_modified="Mon, 02 Nov 2026 10:00:00 GMT")
    assert second.not_modified and second.status_code == 304 and second.content == b""
    assert server.requests[1].headers["if-none-match"] == '"v1"'
    assert server.requests[1].headers["if-modified-since"].startswith("Mon, 02 Nov")


def test_gzip_body_is_decompressed(server: LocalServer) -> None:
    url = server.route("/gz", Route(body=RSS * 100, gzip=True))
    assert fetch(url, policy=LOCAL, limits=FAST).content == RSS * 100


def test_gzip_bomb_stops_at_the_cap(server: LocalServer) -> None:
    bomb = gzip_bomb(50 * 1024 * 1024)  # ~50 KB on the wire, 50 MB inflated
    url = server.route("/bomb", Route(body=bomb, raw_body=True, headers={"Content-Encoding": "gzip"}))
    err = fetch_error(url, limits=FetchLimits(max_bytes=1024 * 1024, total_timeout=10))
    assert err.code == "too_large" and "decompression" in str(err)


def test_declared_length_over_cap(server: LocalServer) -> None:
    url = server.route("/big", Route(body=b"x" * 5000))
    err = fetch_error(url, limits=FetchLimits(max_bytes=1000))
    assert err.code == "too_large" and "Content-Length" in str(err)


def test_undeclared_length_over_cap(server: LocalServer) -> None:
    url = server.route("/big", Route(body=b"x" * 50_000, content_length=False))
    err = fetch_error(url, limits=FetchLimits(max_bytes=1000))
    assert err.code == "too_large"


def test_drip_server_is_cut_by_total_deadline(server: LocalServer) -> None:
    # One byte every 0.2 s for 200 bytes: each read is quick, the whole would take 40 s.
    url = server.route("/drip", Route(body=b"x" * 200, drip=0.2))
    err = fetch_error(url, limits=FetchLimits(read_timeout=5, total_timeout=1))
    assert err.code == "timeout" and "total deadline" in str(err)


def test_drip_in_headers_is_cut_by_total_deadline(server: LocalServer) -> None:
    url = server.route("/drip", Route(body=b"x", drip=0.2, drip_headers=True))
    err = fetch_error(url, limits=FetchLimits(read_timeout=5, total_timeout=1))
    assert err.code == "timeout"


def test_silent_server_hits_read_timeout(server: LocalServer) -> None:
    url = server.route("/slow", Route(body=b"x", delay=3))
    err = fetch_error(url, limits=FetchLimits(read_timeout=0.5, total_timeout=10))
    assert err.code == "timeout" and "no data" in str(err)


@pytest.mark.parametrize(
    ("status", "headers", "code", "permanent", "retry_after"),
    [
        (404, {}, "not_found", True, None),
        (410, {}, "gone", True, None),
        (403, {}, "http_4xx", True, None),
        (429, {"Retry-After": "120"}, "rate_limited", False, 120.0),
        (503, {"Retry-After": "30"}, "http_5xx", False, 30.0),
        (500, {}, "http_5xx", False, None),
    ],
)
def test_status_codes(server: LocalServer, status: int, headers: dict[str, str], code: str,
                      permanent: bool, retry_after: float | None) -> None:
    url = server.route("/s", Route(status=status, headers=headers, body=b"nope"))
    err = fetch_error(url)
    assert (err.code, err.permanent, err.retry_after, err.status_code) == (
        code, permanent, retry_after, status)
    assert str(status) in str(err)


def test_retry_after_http_date(server: LocalServer) -> None:
    url = server.route("/s", Route(status=503, headers={"Retry-After": "Fri, 31 Dec 2100 23:59:59 GMT"}))
    err = fetch_error(url)
    assert err.code == "http_5xx" and err.retry_after == 86400  # capped at a day (issue 12)


def test_redirects_are_followed_and_reported(server: LocalServer) -> None:
    server.route("/new", Route(body=RSS))
    server.route("/mid", Route.redirect("/new", 302))
    url = server.route("/old", Route.redirect(server.url("/mid"), 301))
    result = fetch(url, policy=LOCAL, limits=FAST)
    assert result.content == RSS and result.final_url == server.url("/new") and result.url == url


def test_redirect_loop(server: LocalServer) -> None:
    server.route("/a", Route.redirect("/b"))
    url = server.route("/b", Route.redirect("/a"))
    err = fetch_error(url)
    assert err.code == "too_many_redirects" and "loop" in str(err)


def test_redirect_cap(server: LocalServer) -> None:
    for i in range(10):
        server.route(f"/r{i}", Route.redirect(f"/r{i + 1}"))
    server.route("/r10", Route(body=RSS))
    err = fetch_error(server.url("/r0"), limits=FetchLimits(max_redirects=3))
    assert err.code == "too_many_redirects"
    assert fetch(server.url("/r0"), policy=LOCAL, limits=FetchLimits(max_redirects=10)).content == RSS


def test_empty_200(server: LocalServer) -> None:
    err = fetch_error(server.route("/empty", Route(body=b"")))
    assert err.code == "empty"


def test_unexpected_content_type_for_pages(server: LocalServer) -> None:
    url = server.route("/pdf", Route(body=b"%PDF-1.4", content_type="application/pdf"))
    err = fetch_error(url, content_types=PAGE_TYPES)
    assert err.code == "bad_content_type" and "application/pdf" in str(err)


@pytest.mark.parametrize(("url", "code"), [
    ("ftp://127.0.0.1/feed", "bad_scheme"),
    ("file:///etc/passwd", "bad_scheme"),
    ("gopher://127.0.0.1:70/", "bad_scheme"),
    ("http://", "bad_url"),
    ("http://exa mple.com/", "bad_url"),
])
def test_bad_urls(url: str, code: str) -> None:
    with pytest.raises(FetchError) as info:
        fetch(url, policy=LOCAL, limits=FAST)
    assert info.value.code == code and info.value.permanent


def test_redirect_to_other_scheme_is_refused(server: LocalServer) -> None:
    url = server.route("/r", Route.redirect("file:///etc/passwd"))
    assert fetch_error(url).code == "bad_scheme"


def test_connection_refused_is_network() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    err = fetch_error(f"http://127.0.0.1:{port}/feed")
    assert err.code == "network" and not err.permanent


def test_tls_to_a_plain_http_server(server: LocalServer) -> None:
    server.route("/feed", Route(body=RSS))
    err = fetch_error(server.url("/feed").replace("http://", "https://"))
    assert err.code == "tls"


def test_tls_self_signed_certificate() -> None:
    with LocalServer(https=True) as srv:
        url = srv.route("/feed", Route(body=RSS))
        err = fetch_error(url)
        assert err.code == "tls" and "certificate" in str(err).lower()


def test_prebuilt_client_is_reused_and_guarded(server: LocalServer) -> None:
    url = server.route("/feed", Route(handler=lambda req: Reply(body=RSS)))
    with make_client(FAST, LOCAL) as client:
        for _ in range(3):
            assert fetch(url, policy=LOCAL, limits=FAST, client=client).content == RSS
        # The fetch's policy is the one enforced, even through a client built with another.
        with pytest.raises(FetchError) as info:
            fetch(url, limits=FAST, client=client)
        assert info.value.code == "blocked_address"


def test_unguarded_client_is_refused(server: LocalServer) -> None:
    with httpx.Client() as client, pytest.raises(TypeError):
        fetch(server.url("/"), policy=LOCAL, client=client)


def test_cookie_then_redirect_to_self_works_within_one_fetch(server: LocalServer) -> None:
    def gate(req):  # type: ignore[no-untyped-def]
        if "seen=1" in req.headers.get("cookie", ""):
            return Reply(body=RSS)
        return Reply(status=302, headers={"Location": "/gate", "Set-Cookie": "seen=1; Path=/"})

    url = server.route("/gate", Route(handler=gate))
    with make_client(FAST, LOCAL) as client:
        assert fetch(url, policy=LOCAL, limits=FAST, client=client).content == RSS
        # The next fetch starts without the cookie: nothing is kept between fetches.
        fetch(url, policy=LOCAL, limits=FAST, client=client)
    assert [("cookie" in r.headers) for r in server.requests] == [False, True, False, True]


def test_fetch_limits_apply_to_a_prebuilt_client(server: LocalServer) -> None:
    url = server.route("/slow", Route(body=b"x", delay=2))
    with make_client(FetchLimits(read_timeout=30), LOCAL) as client, \
            pytest.raises(FetchError) as info:
        fetch(url, policy=LOCAL, limits=FetchLimits(read_timeout=0.3), client=client)
    assert info.value.code == "timeout"

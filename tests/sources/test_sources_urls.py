from __future__ import annotations

import pytest

from worker.urls import canonical_url, host_of


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Example.COM/Path", "http://example.com/Path"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a?utm_source=rss&utm_medium=feed&id=7", "https://example.com/a?id=7"),
        ("https://example.com/a?fbclid=x&gclid=y&mc_cid=1&mc_eid=2&igshid=3", "https://example.com/a"),
        ("https://example.com/a?yclid=1&msclkid=2&_ga=3&ref_src=twsrc", "https://example.com/a"),
        ("https://example.com/a?UTM_Campaign=x&q=news", "https://example.com/a?q=news"),
        ("https://example.com/a?q=a%20b&p=1", "https://example.com/a?p=1&q=a%20b"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("https://EXAMPLE.com./a", "https://example.com/a"),
        ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"),
        ("https://bücher.example/a", "https://xn--bcher-kva.example/a"),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
        ("/relative/path", "/relative/path"),
        ("http://example.com:99999/", "http://example.com:99999/"),  # bad port: unparseable
        ("", ""),
    ],
)
def test_canonical_url(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected
    assert canonical_url(expected) == expected


def test_tracking_parameters_only_is_bare_path() -> None:
    assert canonical_url("https://ex.com/?utm_source=a") == "https://ex.com/"


@pytest.mark.parametrize(
    ("raw", "host"),
    [("https://Example.com:8443/x", "example.com"), ("http://[::1]/", "::1"), ("nonsense", None),
     ("http://", None)],
)
def test_host_of(raw: str, host: str | None) -> None:
    assert host_of(raw) == host

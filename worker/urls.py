"""Canonical URLs: one spelling per story, so that the same link seen twice is one article.

``canonical_url`` lower-cases scheme and host, drops the default port, the fragment and
tracking parameters (utm_*, fbclid, gclid, ...), and sorts the query. It never raises and
is idempotent: ``canonical_url(canonical_url(u)) == canonical_url(u)``. The query is
split and sorted on its raw text (no decode/re-encode round trip), so a parameter's
escaping survives exactly as the publisher wrote it.
"""

from __future__ import annotations

from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMS", "canonical_url", "host_of", "is_tracking_param"]

# Exact parameter names (compared lower-case) that only say where a click came from.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
        "twclid", "ttclid", "li_fat_id", "igshid", "mc_cid", "mc_eid", "_ga", "_gl",
        "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv",
        "ref_src", "ref_url", "__twitter_impression", "wt.mc_id", "wt_mc_id", "s_cid",
        "ncid", "cmpid", "ocid", "sr_share", "rss_source",
    }
)
# Prefixes of whole families of campaign parameters (Google Analytics, Matomo, Piwik, HubSpot ads).
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "mtm_", "pk_", "hsa_")

_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    """True if the query parameter ``name`` (raw or decoded) is a click-tracking parameter."""
    key = unquote_plus(name).strip().lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The canonical spelling of an http(s) URL; anything else comes back stripped."""
    try:
        text = url.strip()
    except Exception:  # noqa: BLE001 - not a string at all: still never raise
        return str(url)
    try:
        return _canonical(text)
    except Exception:  # noqa: BLE001 - urlsplit/idna/port errors: unparseable, keep it
        return text


def _canonical(text: str) -> str:
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.netloc:
        return text
    host = _canonical_host(parts)
    if not host:
        return text
    port = parts.port  # raises ValueError on a bad port: caught by the caller
    netloc = host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{host}:{port}"
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at:
        netloc = f"{userinfo}@{netloc}"
    path = _escape_unsafe(parts.path) or "/"
    query = _canonical_query(_escape_unsafe(parts.query))
    return urlunsplit((scheme, netloc, path, query, ""))


def _canonical_host(parts: SplitResult) -> str:
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return ""
    if ":" in host:  # IPv6 literal: urlsplit removed the brackets
        return f"[{host.lower()}]"
    host = host.lower()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except (UnicodeError, ValueError):
            pass  # leave an un-encodable name as written (lower-case); still idempotent
    return host


def _escape_unsafe(text: str) -> str:
    # Spaces and control characters are never literal in a URL: percent-encode them as
    # browsers do, so that stripping whitespace can never change a canonical URL again.
    if not any(ord(c) <= 0x20 or ord(c) == 0x7F for c in text):
        return text
    return "".join(f"%{ord(c):02X}" if ord(c) <= 0x20 or ord(c) == 0x7F else c for c in text)


def _canonical_query(query: str) -> str:
    pairs = [p for p in query.split("&") if p and not is_tracking_param(p.split("=", 1)[0])]
    pairs.sort()
    return "&".join(pairs)


def host_of(url: str) -> str | None:
    """The lower-case host name (no port, no brackets) of ``url``, or None if it has none."""
    try:
        host = urlsplit(url.strip()).hostname
    except Exception:  # noqa: BLE001 - never raises, by contract
        return None
    if not host:
        return None
    return host.rstrip(".").lower() or None

"""Getting bytes and feed entries safely.

Two verbs: ``fetch(url)`` gets bytes within limits (timeouts, redirect cap, size cap on
compressed and decompressed bytes, conditional GET) through the SSRF guard (every
connection goes to a vetted public address unless the ``NetworkPolicy`` allows it), and
``parse_feed(bytes, url=...)`` turns RSS/Atom/JSON Feed into normalised ``FeedEntry``s.

Failures are ``worker.errors.FetchError`` / ``FeedParseError`` with a stable ``code``.
"""

from worker.sources._discover import discover_feeds
from worker.sources._feed import MAX_FEED_BYTES, parse_feed
from worker.sources._fetch import (
    FEED_ACCEPT,
    FEED_TYPES,
    PAGE_ACCEPT,
    PAGE_TYPES,
    FetchResult,
    fetch,
    parse_retry_after,
)
from worker.sources._guard import GuardedTransport, guarded, make_client
from worker.sources._models import FeedEntry, ParsedFeed
from worker.sources._normalize import entry_key
from worker.sources._policy import (
    DEFAULT_LIMITS,
    DEFAULT_POLICY,
    FetchLimits,
    NetworkPolicy,
    Resolver,
    address_problem,
    check_address,
    system_resolver,
)
from worker.sources._select import take_new

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_POLICY",
    "FEED_ACCEPT",
    "FEED_TYPES",
    "MAX_FEED_BYTES",
    "PAGE_ACCEPT",
    "PAGE_TYPES",
    "FeedEntry",
    "FetchLimits",
    "FetchResult",
    "GuardedTransport",
    "NetworkPolicy",
    "ParsedFeed",
    "Resolver",
    "address_problem",
    "check_address",
    "discover_feeds",
    "entry_key",
    "fetch",
    "guarded",
    "make_client",
    "parse_feed",
    "parse_retry_after",
    "system_resolver",
    "take_new",
]

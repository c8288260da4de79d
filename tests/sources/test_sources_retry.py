"""should_retry / feed_backoff: one pure policy for polling, fetching and delivery."""

from __future__ import annotations

import random

import httpx
import pytest

from worker.errors import DeliveryError, FeedParseError, FetchError
from worker.retry import RetryPolicy, feed_backoff, should_retry

POLICY = RetryPolicy(base=2.0, cap=60.0, max_attempts=5)


@pytest.mark.parametrize(("error", "retried"), [
    (FetchError("x", code="gone", permanent=True), False),
    (FetchError("x", code="not_found", permanent=True), False),
    (FetchError("x", code="blocked_address", permanent=True), False),
    (FeedParseError("x", code="entity_bomb"), False),
    (FetchError("x", code="timeout"), True),
    (FetchError("x", code="network"), True),
    (FetchError("x", code="http_5xx"), True),
    (DeliveryError("x", code="smtp"), True),
    (httpx.ConnectError("refused"), True),
    (TimeoutError(), True),
    (KeyError("bug"), False),
])
def test_permanent_errors_are_not_retried(error: BaseException, retried: bool) -> None:
    assert (should_retry(error, 1, policy=POLICY) is not None) == retried


def test_retry_after_wins() -> None:
    err = FetchError("x", code="rate_limited", retry_after=3600)
    assert should_retry(err, 1, policy=POLICY) == 3600
    assert should_retry(err, 5, policy=POLICY) is None  # still bounded by attempts


def test_full_jitter_exponential_with_cap() -> None:
    rng = random.Random(7)
    err = FetchError("x", code="timeout")
    for attempt, ceiling in [(1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0)]:
        delays = [should_retry(err, attempt, policy=POLICY, rng=rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # jitter spreads over the whole window
    capped = RetryPolicy(base=10, cap=15, max_attempts=100)
    assert all(should_retry(err, 50, policy=capped, rng=rng) <= 15 for _ in range(50))


def test_attempts_exhausted() -> None:
    assert should_retry(FetchError("x", code="timeout"), 5, policy=POLICY) is None


def test_feed_backoff_doubles_to_a_cap() -> None:
    assert feed_backoff(600, 0) == 600
    assert feed_backoff(600, 1) == 1200
    assert feed_backoff(600, 3) == 4800
    assert feed_backoff(600, 10) == 86400
    assert feed_backoff(600, 10_000, cap_s=3600) == 3600
    assert feed_backoff(100_000, 2) == 100_000  # an interval longer than the cap is kept

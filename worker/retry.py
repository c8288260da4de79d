"""When to try again: one pure policy used by polling, fetching and delivery alike.

``should_retry(error, attempt)`` returns a delay in seconds, or None when trying again
cannot help (a permanent error) or the attempts are used up. The delay is exponential
backoff with full jitter and a cap (``uniform(0, min(cap, base * 2**(attempt-1)))``);
a server's ``Retry-After`` (carried on the error as ``retry_after``) wins over it.

``feed_backoff`` is the slower rhythm for a feed that keeps failing: its poll interval
doubles per consecutive error, up to a cap (a day by default), and resets on success.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import httpx

from worker.errors import NewsradarError

__all__ = ["DEFAULT_RETRY_POLICY", "MAX_RETRY_AFTER", "RetryPolicy", "feed_backoff",
           "should_retry"]


@dataclass(frozen=True)
class RetryPolicy:
    """``base`` first delay (s), ``cap`` longest computed delay (s), ``max_attempts`` in all."""

    base: float = 1.0
    cap: float = 300.0
    max_attempts: int = 5


DEFAULT_RETRY_POLICY = RetryPolicy()
MAX_RETRY_AFTER = 86_400.0  # the longest server-requested pause honoured (seconds)

# Errors outside our tree that are worth another go: the network and the OS, not bugs.
_TRANSIENT = (httpx.TransportError, ConnectionError, TimeoutError, OSError)


def should_retry(
    error: BaseException,
    attempt: int,
    *,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    rng: random.Random | None = None,
) -> float | None:
    """Delay in seconds before attempt ``attempt + 1``, or None to give up.

    ``attempt`` counts the attempts made so far (1 after the first failure).
    """
    if isinstance(error, NewsradarError):
        if error.permanent:
            return None
    elif not isinstance(error, _TRANSIENT):
        return None  # a programming error is not fixed by waiting
    if attempt >= policy.max_attempts:
        return None
    retry_after = getattr(error, "retry_after", None)
    if isinstance(retry_after, (int, float)) and retry_after >= 0:
        # honoured, up to a day: "Retry-After: 999999999" must not park a feed for decades
        return min(float(retry_after), MAX_RETRY_AFTER)
    exponent = min(max(attempt - 1, 0), 60)  # 2**60 already dwarfs any cap
    ceiling = min(policy.cap, policy.base * (2.0**exponent))
    return (rng or random).uniform(0.0, max(ceiling, 0.0))


def feed_backoff(interval_s: float, consecutive_errors: int, cap_s: float = 86400) -> float:
    """Seconds until the next poll of a feed after ``consecutive_errors`` failures in a row."""
    interval = max(float(interval_s), 0.0)
    errors = min(max(int(consecutive_errors), 0), 60)
    return min(interval * (2.0**errors), max(float(cap_s), interval))

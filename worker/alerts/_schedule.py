"""When to try a failed delivery again: the Standard Webhooks schedule, in the database.

Attempt 1 goes at once; after each failure the next waits 5 s, 5 min, 30 min, 2 h,
5 h, 10 h, 14 h, 20 h, 24 h (about three days and a half in all). From the 5-minute
step on, each wait is stretched or shrunk by up to 20 % of jitter so that the many
deliveries that piled up while a receiver was down do not all return at the same
second; the 5-second step stays exact (it only rides out a blip). A server's ``Retry-After`` is honoured: the next try is
never earlier than it asks (capped at a day). After the tenth failure, or at once for
a permanent error (410, a rejected recipient), the delivery is ``dead`` with its last
error, and stays visible in ``newsradar alerts list --status dead``.

These delays are stored as ``deliveries.next_attempt_at`` and picked up by a periodic
sweep: never a broker countdown (an ETA beyond Redis's visibility timeout is redelivered).
"""

from __future__ import annotations

import random
from datetime import timedelta

from worker.errors import NewsradarError

__all__ = ["MAX_ATTEMPTS", "RETRY_SCHEDULE", "retry_delay"]

# Wait before attempt n+1 after n failures (index n-1); attempt 1 is immediate.
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
JITTER = 0.2
MAX_RETRY_AFTER = timedelta(days=1)


def retry_delay(
    attempts: int,
    error: BaseException | None = None,
    *,
    rng: random.Random | None = None,
) -> timedelta | None:
    """Wait before the next try after ``attempts`` failed tries, or None to give up
    (the delivery is then dead). ``error`` may carry ``permanent`` and ``retry_after``."""
    if isinstance(error, NewsradarError) and error.permanent:
        return None
    if attempts < 1:
        return timedelta(0)
    if attempts > len(RETRY_SCHEDULE):
        return None
    base = RETRY_SCHEDULE[attempts - 1].total_seconds()
    delay = base if base < 60 else base * (rng or random).uniform(1.0 - JITTER, 1.0 + JITTER)
    retry_after = getattr(error, "retry_after", None)
    if isinstance(retry_after, (int, float)) and retry_after > 0:
        delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER.total_seconds()))
    return timedelta(seconds=delay)

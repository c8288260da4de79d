from __future__ import annotations

import random
from datetime import timedelta

from worker.alerts import MAX_ATTEMPTS, RETRY_SCHEDULE, retry_delay
from worker.errors import DeliveryError

STANDARD = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]


def test_schedule_is_the_standard_webhooks_one():
    assert [d.total_seconds() for d in RETRY_SCHEDULE] == STANDARD
    assert MAX_ATTEMPTS == 10
    total = sum(STANDARD)
    assert 3 * 86400 <= total <= 4 * 86400  # "about three days"


def test_delays_follow_the_schedule_with_jitter_then_give_up():
    rng = random.Random(1)
    err = DeliveryError("503", code="http_5xx")
    for attempts, base in enumerate(STANDARD, start=1):
        d = retry_delay(attempts, err, rng=rng).total_seconds()
        assert 0.8 * base <= d <= 1.2 * base
        if base < 60:
            assert d == base
    assert retry_delay(len(STANDARD) + 1, err) is None


def test_permanent_error_gives_up_at_once():
    assert retry_delay(1, DeliveryError("410", code="gone", permanent=True)) is None


def test_retry_after_is_honoured_never_earlier():
    rng = random.Random(2)
    err = DeliveryError("429", code="rate_limited", retry_after=600)
    assert retry_delay(1, err, rng=rng) == timedelta(seconds=600)  # 5 s by schedule
    small = DeliveryError("429", code="rate_limited", retry_after=1)
    assert retry_delay(3, small, rng=rng).total_seconds() >= 0.8 * 1800
    huge = DeliveryError("503", code="http_5xx", retry_after=10 * 86400)
    assert retry_delay(2, huge, rng=rng) == timedelta(days=1)

"""Pure policy: instant, digest schedule, throttle, quiet hours (time passed in, no clock)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.alerts import (
    Policy,
    decide,
    digest_period_key,
    effective_policy,
    next_digest_at,
    quiet_until,
)
from worker.config import ChannelPolicy, DigestSchedule, QuietHours, TopicConfig


def T(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def test_instant_sends():
    d = decide(Policy(), now=T(2026, 1, 5, 12), score=1, released_last_hour=100)
    assert (d.action, d.reason) == ("send", "instant")


def test_digest_mode_daily_in_time_zone():
    p = Policy(mode="digest", digest=DigestSchedule(every="daily", at="08:00", timezone="Europe/Paris"))
    d = decide(p, now=T(2026, 1, 5, 12), score=9, released_last_hour=0)
    assert d.action == "digest" and d.until == T(2026, 1, 6, 7)  # 08:00 CET = 07:00 UTC
    # before today's time: today
    assert next_digest_at(p.digest, T(2026, 1, 5, 6, 59)) == T(2026, 1, 5, 7)
    # summer time: 08:00 CEST = 06:00 UTC
    assert next_digest_at(p.digest, T(2026, 7, 5, 12)) == T(2026, 7, 6, 6)


def test_hourly_digest():
    s = DigestSchedule(every="hourly", at="00:15", timezone="Asia/Kolkata")  # +05:30
    # local minute 15 = UTC minute 45
    assert next_digest_at(s, T(2026, 1, 5, 12, 0)) == T(2026, 1, 5, 12, 45)
    assert next_digest_at(s, T(2026, 1, 5, 12, 45)) == T(2026, 1, 5, 13, 45)
    assert digest_period_key(s, T(2026, 1, 5, 12, 45)) == "hourly:2026-01-05T12:45Z"


def test_throttle_rolls_into_next_digest():
    p = Policy(max_per_hour=3)
    now = T(2026, 1, 5, 12, 10)
    assert decide(p, now=now, score=1, released_last_hour=2).action == "send"
    d = decide(p, now=now, score=1, released_last_hour=3)
    assert (d.action, d.reason, d.until) == ("digest", "throttle", T(2026, 1, 5, 13, 0))


def test_quiet_hours_span_midnight_and_urgent_bypass():
    q = QuietHours(start="22:00", end="07:00", timezone="Asia/Seoul")  # +09:00, no DST
    p = Policy(quiet_hours=q, urgent_min_score=10)
    late = T(2026, 1, 5, 14, 30)  # 23:30 KST
    d = decide(p, now=late, score=3, released_last_hour=0)
    assert (d.action, d.reason, d.until) == ("hold", "quiet", T(2026, 1, 5, 22))  # 07:00 KST next day
    early = T(2026, 1, 5, 20)  # 05:00 KST
    assert quiet_until(q, early) == T(2026, 1, 5, 22)
    assert quiet_until(q, T(2026, 1, 5, 3)) is None  # 12:00 KST
    urgent = decide(p, now=late, score=10, released_last_hour=0)
    assert (urgent.action, urgent.reason) == ("send", "urgent")


def test_quiet_hours_same_day_window_and_empty_window():
    q = QuietHours(start="09:00", end="17:00")
    assert quiet_until(q, T(2026, 1, 5, 9)) == T(2026, 1, 5, 17)
    assert quiet_until(q, T(2026, 1, 5, 17)) is None
    assert quiet_until(QuietHours(start="09:00", end="9:00"), T(2026, 1, 5, 9)) is None


@settings(max_examples=200, deadline=None)
@given(
    now=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)),
    start=st.tuples(st.integers(0, 23), st.integers(0, 59)),
    end=st.tuples(st.integers(0, 23), st.integers(0, 59)),
    tz=st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]),
)
def test_quiet_until_is_in_the_future_and_within_a_day(now, start, end, tz):
    q = QuietHours(start=f"{start[0]:02d}:{start[1]:02d}", end=f"{end[0]:02d}:{end[1]:02d}", timezone=tz)
    until = quiet_until(q, now)
    if until is not None:
        assert now < until <= now + __import__("datetime").timedelta(hours=25)
        # once it ends, we are out of these quiet hours
        assert quiet_until(q, until) is None or quiet_until(q, until) > until


@settings(max_examples=200, deadline=None)
@given(
    now=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)),
    every=st.sampled_from(["hourly", "daily"]),
    at=st.tuples(st.integers(0, 23), st.integers(0, 59)),
    tz=st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]),
)
def test_next_digest_is_soon_and_strictly_after(now, every, at, tz):
    s = DigestSchedule(every=every, at=f"{at[0]:02d}:{at[1]:02d}", timezone=tz)
    nxt = next_digest_at(s, now)
    limit = 3600 if every == "hourly" else 25 * 3600
    assert 0 < (nxt - now).total_seconds() <= limit


def test_effective_policy_applies_channel_overrides():
    t = TopicConfig(id="k", query="korea", channels=["mail", "hook"], max_per_hour=5,
                    quiet_hours=QuietHours(start="22:00", end="07:00"),
                    channel_policy={"hook": ChannelPolicy(mode="digest", max_per_hour=1)})
    mail, hook = effective_policy(t, "mail"), effective_policy(t, "hook")
    assert (mail.mode, mail.max_per_hour) == ("instant", 5)
    assert (hook.mode, hook.max_per_hour) == ("digest", 1)
    assert hook.quiet_hours == t.quiet_hours
    assert effective_policy(None, "x") == Policy()


def test_naive_time_refused():
    with pytest.raises(ValueError):
        decide(Policy(), now=datetime(2026, 1, 1), score=0, released_last_hour=0)

"""Delivery policy: given a topic's policy on a channel, the time, the alert's score and
how many alerts this (topic, channel) released in the last hour, decide whether the
alert goes now, waits for quiet hours to end, or goes into the next digest.

Pure functions of their arguments (time is passed in), so tests need no clock.

    mode: digest                 -> digest at the next scheduled time
    inside quiet hours           -> hold until they end, unless score >= urgent_min_score
    max_per_hour reached         -> into the next digest (throttled: delayed, never dropped)
    otherwise                    -> send now

A held alert is decided again when its time comes, so alerts held overnight still
respect ``max_per_hour`` in the morning (the excess goes into the next digest).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from worker.config import DigestSchedule, QuietHours, TopicConfig

__all__ = [
    "Decision",
    "Policy",
    "decide",
    "digest_period_key",
    "effective_policy",
    "next_digest_at",
    "quiet_until",
]


@dataclass(frozen=True)
class Policy:
    """The delivery policy of one topic on one channel (topic values with the channel's
    overrides applied)."""

    mode: Literal["instant", "digest"] = "instant"
    digest: DigestSchedule = DigestSchedule()  # noqa: RUF009 - frozen, immutable
    max_per_hour: int | None = None
    quiet_hours: QuietHours | None = None
    urgent_min_score: float | None = None


@dataclass(frozen=True)
class Decision:
    """``send`` now; ``hold`` until ``until`` (quiet hours); ``digest`` at ``until``.
    ``reason``: instant | urgent | quiet | digest | throttle."""

    action: Literal["send", "hold", "digest"]
    reason: str
    until: datetime | None = None


def effective_policy(topic: TopicConfig | None, channel: str) -> Policy:
    if topic is None:  # a topic removed from the config: its alerts still go out
        return Policy()
    base = Policy(
        mode=topic.mode,
        digest=topic.digest,
        max_per_hour=topic.max_per_hour,
        quiet_hours=topic.quiet_hours,
        urgent_min_score=topic.urgent_min_score,
    )
    over = topic.channel_policy.get(channel)
    if over is None:
        return base
    return Policy(
        mode=over.mode or base.mode,
        digest=over.digest or base.digest,
        max_per_hour=over.max_per_hour if over.max_per_hour is not None else base.max_per_hour,
        quiet_hours=over.quiet_hours if over.quiet_hours is not None else base.quiet_hours,
        urgent_min_score=(over.urgent_min_score if over.urgent_min_score is not None
                          else base.urgent_min_score),
    )


def decide(policy: Policy, *, now: datetime, score: float, released_last_hour: int) -> Decision:
    """What to do with one alert on one channel at ``now`` (aware)."""
    _aware(now)
    if policy.mode == "digest":
        return Decision("digest", "digest", next_digest_at(policy.digest, now))
    urgent = policy.urgent_min_score is not None and score >= policy.urgent_min_score
    if policy.quiet_hours is not None and not urgent:
        end = quiet_until(policy.quiet_hours, now)
        if end is not None:
            return Decision("hold", "quiet", end)
    if policy.max_per_hour is not None and released_last_hour >= policy.max_per_hour:
        return Decision("digest", "throttle", next_digest_at(policy.digest, now))
    return Decision("send", "urgent" if urgent and policy.quiet_hours else "instant")


def _aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("policy times must be timezone-aware")


def _clock(text: str) -> time:
    hh, mm = (int(x) for x in text.split(":"))
    return time(hh, mm)


def _at(day: date, clock: str, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, _clock(clock), tzinfo=tz)


def quiet_until(quiet: QuietHours, now: datetime) -> datetime | None:
    """When the quiet hours around ``now`` end (UTC), or None if ``now`` is not in them.
    ``start == end`` means no quiet hours. A window may span midnight (22:00-07:00)."""
    _aware(now)
    if _clock(quiet.start) == _clock(quiet.end):
        return None
    tz = ZoneInfo(quiet.timezone)
    local = now.astimezone(tz)
    today = local.date()
    # The candidate windows that can contain `now`: the one starting yesterday and the
    # one starting today (a window is at most 24 h long).
    for start_day in (today - timedelta(days=1), today):
        start = _at(start_day, quiet.start, tz)
        end_day = start_day if _clock(quiet.end) > _clock(quiet.start) else start_day + timedelta(days=1)
        end = _at(end_day, quiet.end, tz)
        if start <= now < end:
            return end.astimezone(UTC)
    return None


def next_digest_at(schedule: DigestSchedule, now: datetime) -> datetime:
    """The first scheduled digest time strictly after ``now`` (UTC)."""
    _aware(now)
    tz = ZoneInfo(schedule.timezone)
    local = now.astimezone(tz)
    if schedule.every == "hourly":
        # minute `at.minute` of each hour; stepping in UTC keeps DST changes harmless
        candidate = local.replace(minute=_clock(schedule.at).minute, second=0, microsecond=0).astimezone(UTC)
        while candidate <= now:
            candidate += timedelta(hours=1)
        return candidate
    day = local.date()
    while True:
        candidate = _at(day, schedule.at, tz).astimezone(UTC)
        if candidate > now:
            return candidate
        day += timedelta(days=1)


def digest_period_key(schedule: DigestSchedule, digest_at: datetime) -> str:
    """A stable name for the digest sent at ``digest_at`` (unique per channel and topic)."""
    return f"{schedule.every}:{digest_at.astimezone(UTC):%Y-%m-%dT%H:%MZ}"

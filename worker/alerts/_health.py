"""Feed health: is a feed failing or silent, and does that start or end an incident?

Pure functions; ``check_feed_health`` in the pipeline feeds them the rows.

- failing: ``failures`` polls in a row failed (``feeds.consecutive_errors``);
- silent: no new entry for ``silence_factor`` times the feed's usual interval between
  entries (the median gap of its recent articles), never less than ``min_silence`` nor
  than ``silence_factor`` poll intervals. A feed with fewer than ``MIN_HISTORY``
  entries has no usual interval yet and is never called silent.

An incident raises one system alert; while it lasts nothing more is sent (a failing
feed that also goes silent is still the same incident); when the feed is healthy
again a recovery notice goes out.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Literal

from worker.config import FeedHealthConfig

__all__ = ["FeedSnapshot", "HealthChange", "assess_feed", "health_change", "usual_interval"]

MIN_HISTORY = 4
Incident = Literal["failing", "silent"]


@dataclass(frozen=True)
class FeedSnapshot:
    consecutive_errors: int
    poll_interval_s: float
    last_new_entry_at: datetime | None
    usual_interval_s: float | None
    status: str = "ok"


@dataclass(frozen=True)
class HealthChange:
    """``raise`` a new incident or ``recover`` from one; ``detail`` says why, for people."""

    action: Literal["raise", "recover"]
    incident: str
    detail: str


def usual_interval(entry_times: list[datetime]) -> float | None:
    """Median gap (s) between consecutive entries, or None with too little history."""
    times = sorted(entry_times)
    if len(times) < MIN_HISTORY:
        return None
    gaps = [(b - a).total_seconds() for a, b in pairwise(times)]
    gaps = [g for g in gaps if g > 0] or [0.0]
    return statistics.median(gaps)


def silence_limit(feed: FeedSnapshot, policy: FeedHealthConfig) -> float | None:
    if feed.usual_interval_s is None:
        return None
    return max(
        policy.silence_factor * feed.usual_interval_s,
        policy.silence_factor * feed.poll_interval_s,
        policy.min_silence,
    )


def assess_feed(feed: FeedSnapshot, policy: FeedHealthConfig, now: datetime) -> tuple[Incident | None, str]:
    """The feed's current incident (or None) and a one-line reason."""
    if feed.consecutive_errors >= policy.failures or feed.status == "gone":
        return "failing", f"{feed.consecutive_errors} polls in a row failed"
    limit = silence_limit(feed, policy)
    if limit is not None and feed.last_new_entry_at is not None:
        quiet_for = (now - feed.last_new_entry_at).total_seconds()
        if quiet_for > limit:
            return "silent", (
                f"no new entry for {_human(quiet_for)} (usually one every "
                f"{_human(feed.usual_interval_s or 0)})"
            )
    return None, "healthy"


def health_change(previous: str | None, current: Incident | None, reason: str) -> HealthChange | None:
    """What to announce when the recorded incident is ``previous`` and the feed is now
    ``current``: a new incident, a recovery, or nothing (once per incident)."""
    if previous is None and current is not None:
        return HealthChange("raise", current, reason)
    if previous is not None and current is None:
        return HealthChange("recover", previous, reason)
    return None


def _human(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{max(seconds, 0) / 60:.0f} minutes"

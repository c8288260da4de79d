from __future__ import annotations

from datetime import UTC, datetime, timedelta

from worker.alerts import FeedSnapshot, assess_feed, health_change, usual_interval
from worker.config import FeedHealthConfig

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
POLICY = FeedHealthConfig(channels=["ops"], failures=3, silence_factor=4, min_silence=3600)


def snap(errors=0, last_new=NOW, usual=1800.0, poll=300.0) -> FeedSnapshot:
    return FeedSnapshot(consecutive_errors=errors, poll_interval_s=poll, last_new_entry_at=last_new,
                        usual_interval_s=usual)


def test_failing_after_n_polls_in_a_row():
    assert assess_feed(snap(errors=2), POLICY, NOW)[0] is None
    incident, why = assess_feed(snap(errors=3), POLICY, NOW)
    assert incident == "failing" and "3 polls" in why


def test_silent_after_k_times_usual_interval():
    assert assess_feed(snap(last_new=NOW - timedelta(hours=1, minutes=59)), POLICY, NOW)[0] is None
    incident, why = assess_feed(snap(last_new=NOW - timedelta(hours=2, minutes=1)), POLICY, NOW)
    assert incident == "silent" and "usually one every 30 minutes" in why
    # no history: never silent
    assert assess_feed(snap(usual=None, last_new=NOW - timedelta(days=30)), POLICY, NOW)[0] is None


def test_usual_interval_is_the_median_gap():
    times = [NOW - timedelta(minutes=m) for m in (0, 30, 60, 90, 600)]
    assert usual_interval(times) == 1800
    assert usual_interval(times[:3]) is None


def test_once_per_incident_then_recovery():
    assert health_change(None, "failing", "x").action == "raise"
    assert health_change("failing", "failing", "x") is None
    assert health_change("failing", "silent", "x") is None  # same incident goes on
    rec = health_change("failing", None, "healthy")
    assert (rec.action, rec.incident) == ("recover", "failing")
    assert health_change(None, None, "healthy") is None

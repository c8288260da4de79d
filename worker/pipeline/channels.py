"""Channel state: a channel whose endpoint asked us to stop (410) is disabled until
``newsradar alerts enable``. The only module that changes the channel_state table."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from worker.store import ChannelState

log = logging.getLogger(__name__)


def disabled_reason(session: Session, channel: str) -> str | None:
    """Why the channel is disabled, or None when it is not."""
    return reason_of(session.get(ChannelState, channel))


def reason_of(state: ChannelState | None) -> str | None:
    """``disabled_reason`` of a channel state already read (None: no row, not disabled)."""
    if state is not None and state.disabled:
        return f"{state.disabled_reason}"
    return None


def disable_channel(session: Session, channel: str, reason: str, now: datetime) -> None:
    """Record that a channel's endpoint asked us to stop (410): nothing more is sent on
    it until ``newsradar alerts enable CHANNEL``."""
    state = session.get(ChannelState, channel)
    if state is None:
        state = ChannelState(channel=channel)
        session.add(state)
    state.disabled = True
    state.disabled_reason = reason
    state.disabled_at = now
    log.error("channel %s disabled: %s", channel, reason)


def enable_channel(session: Session, channel: str) -> bool:
    """Re-enable a disabled channel; False if it was not disabled."""
    state = session.get(ChannelState, channel)
    if state is None or not state.disabled:
        return False
    state.disabled = False
    state.disabled_reason = None
    state.disabled_at = None
    return True

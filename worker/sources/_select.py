"""Per-poll item cap: take the newest unseen entries now, leave the rest for next poll."""

from __future__ import annotations

from collections.abc import Callable

from worker.sources._models import FeedEntry

__all__ = ["take_new"]


def take_new(
    entries: list[FeedEntry], is_known: Callable[[FeedEntry], bool], limit: int | None
) -> tuple[list[FeedEntry], int]:
    """The newest ``limit`` entries for which ``is_known`` is false, and how many unseen
    entries were left for a later poll. ``entries`` must be newest first (as parse_feed
    returns them). The pipeline should skip the conditional GET while entries are left
    over, or a 304 would hide them."""
    fresh = [e for e in entries if not is_known(e)]
    if limit is None or limit < 0 or len(fresh) <= limit:
        return fresh, 0
    return fresh[:limit], len(fresh) - limit

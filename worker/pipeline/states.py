"""The status columns: one ``StrEnum`` each (stored values unchanged) and the moves
each allows, checked in one place, ``move(row, status)``.

    feeds.status        new → ok | error | gone; any poll outcome after that; any → removed
                        (dropped from the config); gone | removed → new (refreshed, re-added)
    articles.status     new | retry → processing → done | retry | failed
    deliveries.status   pending → sending → sent | failed (→ sending …) | dead | disabled;
                        held (quiet, digest, throttle) → sending | digested | dead | disabled;
                        dead | failed | disabled | held → pending | held (a retry, an enable)
    digests.status      pending → sending → sent | failed (→ sending …) | dead | disabled | empty

Every module that changes a status calls ``move``; UPDATEs that claim a row
(``pending → sending`` for digests, ``new | retry → processing`` for articles) and the
article's conditional ``processing → done`` (its WHERE is ``sources_of(DONE)``) are the
only writes that bypass it, and they name their statuses with these enums too.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class FeedStatus(StrEnum):
    NEW = "new"
    OK = "ok"
    ERROR = "error"
    GONE = "gone"  # 410: the publisher removed it; not polled again until refreshed
    REMOVED = "removed"  # no longer in the config (YAML or console): kept for its articles


class ArticleStatus(StrEnum):
    NEW = "new"
    PROCESSING = "processing"
    RETRY = "retry"
    DONE = "done"
    FAILED = "failed"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # waiting for its next try
    DEAD = "dead"  # gave up: visible in `alerts list`, retried only by hand
    HELD = "held"  # quiet hours, digest or throttle (``hold_reason``)
    DIGESTED = "digested"  # sent as part of a digest
    DISABLED = "disabled"  # its channel is disabled (410)


class DigestStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"
    DISABLED = "disabled"
    EMPTY = "empty"


class HoldReason(StrEnum):
    QUIET = "quiet"
    DIGEST = "digest"
    THROTTLE = "throttle"


class AlertKind(StrEnum):
    ARTICLE = "article"
    SYSTEM = "system"  # feed health: no article, the message in the delivery's payload


_F, _A, _D, _G = FeedStatus, ArticleStatus, DeliveryStatus, DigestStatus

# Keyed by enum, then status: equal strings of different enums ("new", "failed") are
# equal keys, so one flat dict would mix the tables up.
TRANSITIONS: dict[type[StrEnum], dict[Any, frozenset[Any]]] = {
    FeedStatus: {
        # feeds: every poll ends ok, error or gone; a refresh makes a gone feed new again
        _F.NEW: frozenset({_F.OK, _F.ERROR, _F.GONE, _F.REMOVED}),
        _F.OK: frozenset({_F.ERROR, _F.GONE, _F.REMOVED}),
        _F.ERROR: frozenset({_F.OK, _F.GONE, _F.REMOVED}),
        _F.GONE: frozenset({_F.OK, _F.ERROR, _F.NEW, _F.REMOVED}),
        _F.REMOVED: frozenset({_F.NEW}),
    },
    ArticleStatus: {
        # articles. done | failed → the others: a worker whose claim expired while it was
        # slow, finishing after another (its outcome is recorded last, as it always was);
        # never back to processing, which only a claim of a new or due row starts
        _A.NEW: frozenset({_A.PROCESSING}),
        _A.RETRY: frozenset({_A.PROCESSING}),
        _A.PROCESSING: frozenset({_A.DONE, _A.RETRY, _A.FAILED}),
        _A.DONE: frozenset({_A.RETRY, _A.FAILED}),
        _A.FAILED: frozenset({_A.RETRY, _A.DONE}),
    },
    DeliveryStatus: {
        _D.PENDING: frozenset({_D.SENDING, _D.HELD, _D.DISABLED}),
        _D.FAILED: frozenset({_D.SENDING, _D.HELD, _D.DISABLED, _D.PENDING}),
        _D.SENDING: frozenset({_D.SENT, _D.FAILED, _D.DEAD, _D.DISABLED, _D.HELD, _D.PENDING}),
        _D.HELD: frozenset({_D.SENDING, _D.DIGESTED, _D.DEAD, _D.DISABLED, _D.PENDING}),
        _D.DEAD: frozenset({_D.PENDING, _D.HELD, _D.DISABLED}),
        _D.DISABLED: frozenset({_D.PENDING, _D.HELD}),
        _D.SENT: frozenset(),
        _D.DIGESTED: frozenset(),
    },
    DigestStatus: {
        _G.PENDING: frozenset({_G.SENDING}),
        _G.FAILED: frozenset({_G.SENDING}),
        _G.SENDING: frozenset({_G.SENT, _G.FAILED, _G.DEAD, _G.DISABLED, _G.EMPTY}),
        _G.SENT: frozenset(),
        _G.DEAD: frozenset(),
        _G.DISABLED: frozenset(),
        _G.EMPTY: frozenset(),
    },
}

STATUS_OF_TABLE: dict[str, type[StrEnum]] = {
    "feeds": FeedStatus,
    "articles": ArticleStatus,
    "deliveries": DeliveryStatus,
    "digests": DigestStatus,
}


class IllegalTransition(RuntimeError):
    """A status change the table does not allow: a bug in the pipeline."""


def can_move(table: str, old: str | None, new: StrEnum) -> bool:
    enum = STATUS_OF_TABLE[table]
    if not isinstance(new, enum):
        return False
    if old is None or old == new:
        return True
    return new in TRANSITIONS[enum][enum(old)]


def sources_of(new: StrEnum) -> frozenset[Any]:
    """Every status of ``new``'s table that may move to ``new`` (itself included): the
    WHERE of a conditional UPDATE that makes the move without reading the row first."""
    enum = type(new)
    return frozenset({new} | {old for old, targets in TRANSITIONS[enum].items() if new in targets})


def move(row: Any, new: StrEnum) -> None:
    """Set ``row.status`` to ``new`` if the row's table allows that move, else raise."""
    table = row.__tablename__
    old = row.status
    if not can_move(table, old, new):
        raise IllegalTransition(f"{table} {getattr(row, 'id', '?')}: {old} → {new} is not allowed")
    row.status = new.value


class MatchStatus(StrEnum):
    """matches.status: what relevance decided for a (story, topic) the gate passed.
    Written once with the match; a held-back match is never alerted later (feedback on
    it teaches the topic instead)."""

    ALERTED = "alerted"      # relevant (or relevance off): the alert went to the outbox
    HELD_BACK = "held_back"  # the gate passed it, relevance held it back: no alert

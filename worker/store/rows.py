"""Row-level primitives the stages share: inserts that let unique keys decide, and
row claims with a lease (so any stage may run twice, and a dead worker's claim expires)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

# How long a claimed row stays claimed if its worker dies. Longer than any stage's hard
# time limit, so that a live worker never loses its claim; the service sets its own.
DEFAULT_CLAIM_LEASE = timedelta(minutes=10)


def insert_or_skip(session: Session, model: type) -> Any:
    """An INSERT whose ``.on_conflict_do_nothing()`` skips rows a unique key already
    holds (SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def claim(
    session: Session, model: Any, row_id: int, now: datetime, lease: timedelta, *conditions: Any
) -> bool:
    """Atomically claim a row (``claimed_until = now + lease``); False if another
    worker holds it or the conditions (status, due time) no longer hold."""
    stmt = (
        update(model)
        .where(
            model.id == row_id,
            or_(model.claimed_until.is_(None), model.claimed_until < now),
            *conditions,
        )
        .values(claimed_until=now + lease)
    )
    return session.execute(stmt).rowcount == 1

"""Row-level primitives the stages share: inserts that let unique keys decide, and
row claims with a lease (so any stage may run twice, and a dead worker's claim expires)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, Row, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

M = TypeVar("M")

# How long a claimed row stays claimed if its worker dies. Longer than any stage's hard
# time limit, so that a live worker never loses its claim; the service sets its own.
DEFAULT_CLAIM_LEASE = timedelta(minutes=10)

# The database itself failing (connection lost, deadlock): retried, or raised for the
# task to retry, never recorded as a row's own error.
DB_ERRORS = (OperationalError, InterfaceError)


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
    return rowcount(session.execute(stmt)) == 1


def claim_row(
    session: Session, model: type[M], row_id: int, now: datetime, lease: timedelta, *conditions: Any,
    values: dict[str, Any] | None = None, lazy_commit: bool = False,
) -> M | None:
    """``claim`` in one round trip: an ``UPDATE ... RETURNING`` that hands back the row
    as claimed (loaded into the session afresh), or None if another worker holds it or
    the conditions no longer hold. ``values`` are set by the same statement (a status
    move the claim starts). ``lazy_commit`` (PostgreSQL): the transaction commits
    without waiting for its WAL flush, for a claim whose loss in a database crash only
    means the row is done again (the next durable commit flushes it anyway)."""
    stmt = (
        update(model)
        .where(
            model.id == row_id,  # type: ignore[attr-defined]
            or_(model.claimed_until.is_(None), model.claimed_until < now),  # type: ignore[attr-defined]
            *conditions,
        )
        .values(claimed_until=now + lease, **(values or {}))
    )
    if lazy_commit and session.get_bind().dialect.name == "postgresql":
        # in the RETURNING list: evaluated only when the row was claimed, no extra round trip
        lazy = func.set_config("synchronous_commit", "off", True)
        row = session.execute(stmt.returning(model, lazy),
                              execution_options={"populate_existing": True}).first()
        return None if row is None else cast(M, row[0])
    return session.scalars(stmt.returning(model), execution_options={"populate_existing": True}).first()


def claim_columns(
    engine: Engine, model: Any, row_id: int, now: datetime, lease: timedelta, *conditions: Any,
    columns: Sequence[Any], values: dict[str, Any] | None = None, lazy_commit: bool = False,
) -> Row[Any] | None:
    """``claim_row`` as one statement that commits itself (PostgreSQL: autocommit, so
    the claim costs one round trip, not an UPDATE and a COMMIT), handing back
    ``columns`` of the claimed row, or None. ``lazy_commit`` as in ``claim_row``."""
    stmt = (
        update(model)
        .where(model.id == row_id, or_(model.claimed_until.is_(None), model.claimed_until < now), *conditions)
        .values(claimed_until=now + lease, **(values or {}))
    )
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            return conn.execute(stmt.returning(*columns)).first()
    if lazy_commit:
        # in the RETURNING list: evaluated only when the row was claimed; the implicit
        # transaction of the statement commits without waiting for its WAL flush
        columns = [*columns, func.set_config("synchronous_commit", "off", True)]
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        return conn.execute(stmt.returning(*columns)).first()


def renew_claims(session: Session, model: Any, ids: list[int], now: datetime, lease: timedelta) -> int:
    """Extend the live claims on ``ids`` to ``now + lease`` (a worker's heartbeat for the
    rows its tasks hold). A claim that has already expired is left alone: another
    worker may have claimed the row since, and an expired claim is never revived."""
    if not ids:
        return 0
    stmt = (
        update(model)
        .where(model.id.in_(ids), model.claimed_until.is_not(None), model.claimed_until > now)
        .values(claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return rowcount(session.execute(stmt))


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched (SQLAlchemy types ``execute`` as a plain
    ``Result``; for these statements it is a ``CursorResult``)."""
    return cast(CursorResult[Any], result).rowcount


T = TypeVar("T")
# Waits between tries of a write that must not be lost: about 6 s in all.
_DB_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 2.5)


def with_db_retries(write: Callable[[], T], *, what: str) -> T:
    """Run ``write`` (a whole transaction) again when the database connection fails
    under it. For the writes after a side effect (an alert sent): losing them means
    sending again, so a dropped connection is retried on a fresh one (a disconnect
    invalidates the pool's connections, so the next checkout opens a new one) before the error is allowed through. ``write`` must be a transaction of
    its own, so a failed try left nothing behind."""
    for delay in _DB_RETRY_DELAYS:
        try:
            return write()
        except DB_ERRORS as exc:
            log.warning("%s: database connection failed (%s); trying again in %.1fs",
                        what, exc.__class__.__name__, delay)
            time.sleep(delay)
    return write()

"""The status enums keep their stored strings, and ``move`` allows only the listed moves."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from worker.errors import ErrorCode, FetchError, NewsradarError, error_code
from worker.pipeline.states import (
    TRANSITIONS,
    ArticleStatus,
    DeliveryStatus,
    DigestStatus,
    FeedStatus,
    IllegalTransition,
    move,
)


def _row(table: str, status: str | None) -> SimpleNamespace:
    return SimpleNamespace(__tablename__=table, status=status, id=1)


def test_stored_values_are_the_strings_they_always_were() -> None:
    assert [s.value for s in DeliveryStatus] == [
        "pending", "sending", "sent", "failed", "dead", "held", "digested", "disabled"]
    assert [s.value for s in ArticleStatus] == ["new", "processing", "retry", "done", "failed"]
    assert [s.value for s in FeedStatus] == ["new", "ok", "error", "gone", "removed"]  # removed: issue 15
    assert DigestStatus.EMPTY == "empty"


def test_every_status_has_its_moves_listed() -> None:
    for enum, moves in TRANSITIONS.items():
        assert set(moves) == set(enum), enum


@pytest.mark.parametrize(("table", "old", "new"), [
    ("articles", "new", ArticleStatus.PROCESSING),
    ("articles", "processing", ArticleStatus.DONE),
    ("deliveries", "pending", DeliveryStatus.SENDING),
    ("deliveries", "dead", DeliveryStatus.PENDING),  # alerts retry
    ("deliveries", "disabled", DeliveryStatus.HELD),  # alerts enable, a digest member
    ("digests", "sending", DigestStatus.SENT),
    ("feeds", None, FeedStatus.OK),
    ("feeds", "ok", FeedStatus.OK),  # staying put is always allowed
])
def test_allowed_moves(table: str, old: str | None, new) -> None:
    row = _row(table, old)
    move(row, new)
    assert row.status == new and type(row.status) is str  # the plain string is stored


@pytest.mark.parametrize(("table", "old", "new"), [
    ("deliveries", "sent", DeliveryStatus.PENDING),  # a sent delivery is never sent again
    ("deliveries", "digested", DeliveryStatus.SENDING),
    ("articles", "failed", ArticleStatus.PROCESSING),
    ("articles", "done", ArticleStatus.PROCESSING),
    ("digests", "sent", DigestStatus.SENDING),
    ("articles", "new", DeliveryStatus.PENDING),  # another table's status
])
def test_refused_moves(table: str, old: str, new) -> None:
    row = _row(table, old)
    with pytest.raises(IllegalTransition):
        move(row, new)
    assert row.status == old


def test_error_codes_map_in_one_place() -> None:
    assert error_code(FetchError("x", code="gone")) is ErrorCode.GONE
    assert error_code(ValueError("a bug")) is ErrorCode.INTERNAL
    assert FetchError("x").code == "network"  # the stored string
    with pytest.raises(ValueError):
        NewsradarError("x", code="no_such_code")

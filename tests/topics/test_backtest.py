"""The backtest core: a topic run over stored articles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from worker.errors import QueryError
from worker.topics import Topic, backtest


@dataclass
class Art:
    title: str
    text: str
    url: str | None
    published: datetime | None


def _at(day: int) -> datetime:
    return datetime(2025, 7, day, 9, 0, tzinfo=UTC)


def test_backtest_core_counts_per_day():
    arts = [
        Art("Korean War armistice marked", "Rallies for the armistice.", "https://a.example/1", _at(27)),
        Art("Armistice anniversary", "The Korean War armistice, 72 years on.", "https://a.example/2", _at(27)),
        Art("Weather", "Sunny.", "https://a.example/3", _at(27)),
        Art("Korean War veterans", "An armistice story.", None, _at(28)),
        Art("Old Korean War armistice story", "Korean War armistice.", None, _at(1)),
        Art("Undated Korean War armistice", "x", None, None),
    ]
    topic = Topic("armistice", "a", '"Korean War" NEAR/5 armistice')
    result = backtest(topic, arts, since=_at(20))
    assert result.scanned == 5
    assert result.per_day == {"2025-07-27": 2, "2025-07-28": 0, "unknown": 1} or \
        result.per_day == {"2025-07-27": 2, "unknown": 1}
    assert [h.url for h in result.hits] == ["https://a.example/1", "https://a.example/2", None]
    assert all(h.highlights for h in result.hits)
    d = result.to_dict()
    assert d["alerts"] == 3 and d["hits"][0]["published"] == "2025-07-27T09:00:00+00:00"


def test_backtest_site_from_url():
    arts = [Art("Korea", "korea", "https://edition.newsx.com/a", None),
            Art("Korea", "korea", "https://other.org/a", None)]
    result = backtest(Topic("t", "t", "korea site:newsx.com"), arts)
    assert [h.url for h in result.hits] == ["https://edition.newsx.com/a"]


def test_backtest_bad_query_names_topic():
    with pytest.raises(QueryError, match="topic t: expected '\\)' at column 3"):
        backtest(Topic("t", "t", "(a"), [])

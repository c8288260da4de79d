"""Run one topic over stored articles: the alerts it would have sent, and when."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from ._index import compile_topic, evaluate
from ._model import Topic
from ._text import PreparedDoc


@dataclass(frozen=True)
class BacktestHit:
    url: str | None
    title: str
    published: datetime | None
    score: float
    highlights: list[str]


@dataclass
class BacktestResult:
    topic_id: str
    scanned: int = 0
    hits: list[BacktestHit] = field(default_factory=list)
    per_day: dict[str, int] = field(default_factory=dict)  # "YYYY-MM-DD" (or "unknown") → count

    def to_dict(self) -> dict:
        return {
            "topic_id": self.topic_id,
            "scanned": self.scanned,
            "alerts": len(self.hits),
            "per_day": dict(self.per_day),
            "hits": [
                {"url": h.url, "title": h.title, "score": h.score, "highlights": h.highlights,
                 "published": h.published.isoformat() if h.published else None}
                for h in self.hits
            ],
        }


def _day(published: Any) -> str:
    if isinstance(published, (datetime, date)):
        return published.strftime("%Y-%m-%d")
    return "unknown"


def backtest(topic: Topic, articles: Iterable[Any],
             lists: Mapping[str, Sequence[str]] | None = None,
             *, since: datetime | None = None) -> BacktestResult:
    """Evaluate ``topic`` on each article (``.title``, ``.text``, ``.url``, ``.published``;
    optional ``.site``/``.lang``). Raises QueryError (naming the topic) for a bad query.
    Articles published before ``since`` are skipped (undated ones are kept)."""
    ct = compile_topic(topic, lists)
    result = BacktestResult(topic.id)
    days: Counter[str] = Counter()
    for art in articles:
        published = getattr(art, "published", None)
        if since is not None and isinstance(published, datetime):
            p, s = published, since
            if (p.tzinfo is None) != (s.tzinfo is None):
                p, s = p.replace(tzinfo=None), s.replace(tzinfo=None)
            if p < s:
                continue
        result.scanned += 1
        url = getattr(art, "url", None)
        site = getattr(art, "site", None) or (urlsplit(url).hostname if url else None)
        d = PreparedDoc(getattr(art, "title", "") or "", getattr(art, "text", "") or "",
                        site, getattr(art, "lang", None))
        m = evaluate(ct, d)
        if m is None:
            continue
        result.hits.append(BacktestHit(url, d.title, published, m.score, m.highlights))
        days[_day(published)] += 1
    result.per_day = dict(sorted(days.items()))
    return result

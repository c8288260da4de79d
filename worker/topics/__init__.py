"""Watch topics: the boolean query language, explained matches, and a many-topic index.

    parse_query(text, lists)        text → Query (raises QueryError naming the column)
    validate_topics(topics, lists)  every problem of a topic configuration
    match_topic(topic, doc, lists)  one topic against one cleaned story (the reference)
    TopicIndex(lists)               add/remove topics; match(doc) → [TopicMatch] best first
    backtest(topic, articles, lists) would-be alerts over stored articles, per day

The language, the score formula and the presearcher are described in docs/topics.md.
"""

from __future__ import annotations

from ._backtest import BacktestHit, BacktestResult, backtest
from ._index import TopicIndex, match_topic, prepare
from ._model import Document, Topic, TopicMatch
from ._parser import Query, parse_query
from ._validate import validate_topics

__all__ = [
    "BacktestHit",
    "BacktestResult",
    "Document",
    "TopicMatch",
    "Query",
    "Topic",
    "TopicIndex",
    "backtest",
    "match_topic",
    "parse_query",
    "prepare",
    "validate_topics",
]

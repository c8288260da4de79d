"""Watch topics: the boolean query language, explained matches, and a many-topic index.

    parse_query(text, lists)        text → Query (raises QueryError naming the column)
    validate_topics(topics, lists)  every problem of a topic configuration
    match_topic(topic, doc, lists)  one topic against one cleaned story (the reference)
    TopicIndex(lists)               add/remove topics; match(doc) → [TopicMatch] best first
    backtest(topic, articles, lists) would-be alerts over stored articles, per day
    bounded_document(doc)           the title, the lead and a bounded body, + a note if cut

The language, the score formula and the presearcher are described in docs/topics.md.
"""

from __future__ import annotations

from ._backtest import BacktestHit, BacktestResult, backtest
from ._bounds import MATCH_BODY_CHARS, Bounded, bounded_document, note_bounded
from ._index import TopicIndex, match_topic, prepare
from ._model import Document, Topic, TopicMatch
from ._parser import Query, parse_query
from ._validate import validate_topics

__all__ = [
    "BacktestHit",
    "BacktestResult",
    "Bounded",
    "Document",
    "MATCH_BODY_CHARS",
    "TopicMatch",
    "Query",
    "Topic",
    "TopicIndex",
    "backtest",
    "bounded_document",
    "match_topic",
    "note_bounded",
    "parse_query",
    "prepare",
    "validate_topics",
]

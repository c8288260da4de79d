"""Watch topics: the boolean query language, explained matches, and a many-topic index.

    parse_query(text, lists)        text → Query (raises QueryError naming the column)
    validate_topics(topics, lists)  every problem of a topic configuration
    match_topic(topic, doc, lists)  one topic against one cleaned story (the reference)
    TopicIndex(lists)               add/remove topics; match(doc) → [Match] best first
    backtest(topic, articles, lists) would-be alerts over stored articles, per day
    required_branches(query)        the AND-branches that must all hold (for relevance)
    branch_hits(branches, doc)      where the story hits each branch (zone, paragraph, sentence)

The language, the score formula and the presearcher are described in docs/topics.md.
"""

from __future__ import annotations

from ._backtest import BacktestHit, BacktestResult, backtest
from ._branches import (
    BranchHit,
    BranchHits,
    branch_hits,
    paragraph_starts,
    query_branch_hits,
    required_branches,
)
from ._index import TopicIndex, match_topic, prepare
from ._model import Document, Match, Topic
from ._parser import Query, parse_query
from ._validate import validate_topics

__all__ = [
    "BacktestHit",
    "BacktestResult",
    "BranchHit",
    "BranchHits",
    "Document",
    "Match",
    "Query",
    "Topic",
    "TopicIndex",
    "backtest",
    "branch_hits",
    "match_topic",
    "paragraph_starts",
    "parse_query",
    "prepare",
    "query_branch_hits",
    "required_branches",
    "validate_topics",
]

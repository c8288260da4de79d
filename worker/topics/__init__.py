"""Watch topics: the boolean query language, explained matches, and a many-topic index.

    parse_query(text, lists)        text → Query (raises QueryError naming the column)
    validate_topics(topics, lists)  every problem of a topic configuration
    match_topic(topic, doc, lists)  one topic against one cleaned story (the reference)
    TopicIndex(lists)               add/remove topics; match(doc) → [TopicMatch] best first
    backtest(topic, articles, lists) would-be alerts over stored articles, per day
    bounded_document(doc)           the title, the lead and a bounded body, + a note if cut
    required_branches(query)        the AND-branches that must all hold (for relevance)
    branch_hits(branches, doc)      where the story hits each branch (zone, paragraph, sentence)

The language, the score formula and the presearcher are described in docs/topics.md.
"""

from __future__ import annotations

from ._backtest import BacktestHit, BacktestResult, backtest
from ._bounds import MATCH_BODY_CHARS, Bounded, bounded_document, note_bounded
from ._branches import (
    BranchHit,
    BranchHits,
    branch_hits,
    paragraph_starts,
    query_branch_hits,
    required_branches,
)
from ._index import TopicIndex, match_topic, prepare
from ._model import Document, Topic, TopicMatch
from ._parser import Query, parse_query
from ._validate import validate_topics

__all__ = [
    "BacktestHit",
    "BacktestResult",
    "Bounded",
    "BranchHit",
    "BranchHits",
    "Document",
    "MATCH_BODY_CHARS",
    "TopicMatch",
    "Query",
    "Topic",
    "TopicIndex",
    "backtest",
    "bounded_document",
    "branch_hits",
    "match_topic",
    "note_bounded",
    "paragraph_starts",
    "parse_query",
    "prepare",
    "query_branch_hits",
    "required_branches",
    "validate_topics",
]

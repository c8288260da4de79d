"""Check a whole topic configuration at once, reporting every problem."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from worker.errors import QueryError

from ._ast import Node
from ._index import compile_topic
from ._model import Topic
from ._parser import parse_query


def validate_topics(topics: Sequence[Topic],
                    lists: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """Every problem, each ``topic <id>: <reason> at column N`` (no column when the
    problem is not in the query text), then ``list <name>: …`` for a bad list that no
    topic uses (a used one is reported on each topic using it)."""
    problems: list[str] = []
    seen: set[str] = set()
    cache: dict[str, Node] = {}
    for i, topic in enumerate(topics, 1):
        tid = topic.id if isinstance(topic.id, str) and topic.id.strip() else f"#{i}"
        if tid != topic.id:
            problems.append(f"topic {tid}: missing id")
        elif tid in seen:
            problems.append(f"topic {tid}: duplicate id")
        seen.add(tid)
        if isinstance(topic.min_score, (int, float)) and topic.min_score < 0:
            problems.append(f"topic {tid}: min_score must be >= 0, not {topic.min_score}")
        if not isinstance(topic.query, str):
            problems.append(f"topic {tid}: query must be text")
            continue
        try:
            compile_topic(Topic(tid, topic.name, topic.query, topic.min_score), lists,
                          _list_cache=cache)
        except QueryError as exc:
            problems.append(str(exc))
    for name in lists or {}:
        if name in cache:
            continue
        try:
            parse_query(f"@{name}", lists)
        except QueryError as exc:
            reason = exc.reason.removeprefix(f"list @{name} ")
            problems.append(f"list {name}: {reason}")
    return problems

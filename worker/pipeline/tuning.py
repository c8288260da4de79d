"""Tuning a topic's relevance from its labels: the examples and counter-examples in the
config and the users' feedback. Fits the threshold (and, with enough labels of both
kinds, the per-topic model) with ``worker.relevance.tune`` and stores it. The only
module that writes ``topic_relevance_models``; ``pipeline/relevance.py`` reads it, so
the pipeline uses the fitted model from the next article on (every process notices the
new fit time and re-prepares the topic).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy.orm import Session

from worker.config import Config
from worker.pipeline.feedback import feedback_for_topic
from worker.pipeline.relevance import (
    RelevanceCache,
    example_texts,
    story_for,
    topic_relevance,
)
from worker.relevance import FEATURES_VERSION, Labelled, TuneResult, tune
from worker.store import Article, TopicRelevanceModel, utcnow
from worker.topics import Document, branch_hits


class TuneError(ValueError):
    """A topic that cannot be tuned: unknown, relevance off, or no labels."""


@dataclass(frozen=True)
class TuneReport:
    topic_id: str
    result: TuneResult
    n_feedback: int
    n_examples: int
    stored: bool


def _labelled(text_title: str, body: str, branches: tuple, good: bool) -> Labelled:
    doc = Document(title=text_title, body=body)
    return Labelled(story_for(doc), cast(Sequence[Any], branch_hits(branches, doc)), good)


def tune_topic(session: Session, config: Config, topic_id: str, *, store: bool = True,
               now: datetime | None = None) -> TuneReport:
    """Fit the topic's threshold and model from its labels and (with ``store``) save it."""
    t = config.topic(topic_id)
    if t is None:
        raise TuneError(f"no topic {topic_id!r} in the config")
    if not t.relevance:
        raise TuneError(f"topic {topic_id!r} has relevance: off")
    # prepared afresh, without the stored model: the fit starts from the description
    tr = topic_relevance(config, RelevanceCache(), topic_id, session, use_stored=False)
    assert tr is not None
    items: list[Labelled] = []
    marks = feedback_for_topic(session, topic_id)
    for fb in marks:
        art = session.get(Article, fb.article_id)
        if art is None or not (art.text or art.title):
            continue
        items.append(_labelled(art.title or "", art.text or "", tr.branches, fb.label == "good"))
    n_examples = 0
    for entries, good in ((t.examples, True), (t.counter_examples, False)):
        for text in example_texts(config, session, entries):
            title, _, body = text.partition("\n")
            items.append(_labelled(title, body, tr.branches, good))
            n_examples += 1
    if not items:
        raise TuneError(f"topic {topic_id!r} has no labels: give examples/counter_examples in "
                        "the config or mark alerts with `newsradar alerts feedback`")
    result = tune(items, tr.prepared)
    if store:
        now = now or utcnow()
        row = session.get(TopicRelevanceModel, topic_id)
        if row is None:
            row = TopicRelevanceModel(topic_id=topic_id)
            session.add(row)
        row.min_relevance = float(result.min_relevance)
        row.model = result.model.to_dict() if result.model is not None else None
        row.n_labels = result.n_labels
        row.report = {
            "before": _pr(result.before), "after": _pr(result.after),
            "folds": result.folds, "n_feedback": len(marks), "n_examples": n_examples,
            "features_version": FEATURES_VERSION,
        }
        row.fitted_at = now
        session.flush()
    return TuneReport(topic_id, result, len(marks), n_examples, store)


def _pr(pr) -> dict[str, float | int]:
    return {"precision": round(pr.precision, 4), "recall": round(pr.recall, 4),
            "f1": round(pr.f1, 4), "tp": pr.tp, "fp": pr.fp, "fn": pr.fn}


def stored_model(session: Session, topic_id: str) -> TopicRelevanceModel | None:
    return session.get(TopicRelevanceModel, topic_id)

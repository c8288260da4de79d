"""Relevance: is a story ABOUT a topic, or does it only mention the query's words?

Runs after the boolean gate (worker.topics), per (story, topic) the gate passed:

    story = prepare_story(Story.from_text(title, body))        once per story
    topic = prepare_topic(TopicProfile(description, ...))      once per topic (cache it)
    r = relevance(story, topic, evidence)                      evidence: the query's
                                                               required branches + hits
    r.score, r.parts (salience, similarity, model), r.relevant, r.reason

    fit_topic_model(labelled, topic)   a per-topic model from feedback
    tune(labelled, topic)              threshold (and model), P/R before/after, cross-validated

How the parts are built and weighed: docs/relevance.md.
"""

from __future__ import annotations

from ._embed import Embedder, ModelUnavailable, load_embedder
from ._learn import (
    PR,
    Labelled,
    TuneResult,
    best_threshold,
    fit_logistic,
    fit_topic_model,
    tune,
)
from ._model import (
    BranchEvidence,
    HitPosition,
    Parts,
    Relevance,
    Story,
    TopicModel,
    TopicProfile,
)
from ._salience import BranchSalience, branch_saliences
from ._score import DEFAULT_MIN_RELEVANCE, FEATURES, FEATURES_VERSION, features, relevance
from ._similarity import (
    PreparedStory,
    PreparedTopic,
    prepare_story,
    prepare_topic,
    split_description,
)

__all__ = [
    "DEFAULT_MIN_RELEVANCE",
    "FEATURES",
    "FEATURES_VERSION",
    "PR",
    "BranchEvidence",
    "BranchSalience",
    "Embedder",
    "HitPosition",
    "Labelled",
    "ModelUnavailable",
    "Parts",
    "PreparedStory",
    "PreparedTopic",
    "Relevance",
    "Story",
    "TopicModel",
    "TopicProfile",
    "TuneResult",
    "best_threshold",
    "branch_saliences",
    "features",
    "fit_logistic",
    "fit_topic_model",
    "load_embedder",
    "prepare_story",
    "prepare_topic",
    "relevance",
    "split_description",
    "tune",
]

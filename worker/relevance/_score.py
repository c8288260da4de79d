"""One (story, topic) pair → a Relevance: features, the combination, the reason in words.

Features (FEATURES order), each meaningful without any labels:
  salience     logit of the weakest required branch's strength (see _salience)
  description  10 × the mean over required branches of cos(the sentences that hit the
               branch, the description's wanted sentences) − cos(the branch's matched
               words, the same sentences): the topic's passages beyond a mere mention
  examples     10 × (cos(story, examples' centroid) − cos(story, counter-examples' centroid))

The score is a logistic combination of what is available: salience alone for a bare
query; salience + description; + examples; or the topic's own model once it has been
fitted on feedback. The default weights are shared by all topics and were chosen by
cross-validation across topics (docs/relevance.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ._model import BranchLike, Parts, Relevance
from ._salience import BranchSalience, branch_saliences, describe
from ._similarity import PreparedStory, PreparedTopic, contrast, description_similarity

FEATURES = ("salience", "description", "examples")
# What the features mean, in a number: a topic's threshold and model fitted (``topics
# tune``) under another version were fitted on other scores and are not used until the
# topic is tuned again. 1: salience (7 branch features), description, examples.
FEATURES_VERSION = 1
SIM_SCALE = 10.0
# The description feature (see description_similarity): median 0.18 for relevant dev
# pairs, -0.01 for the others; 0.09 is shown as similarity 0.5.
SIM_CENTER = 0.09
DEFAULT_MIN_RELEVANCE = 0.5
# Shared weights over FEATURES (bench/relevance.py --fit; leave-one-topic-out checked).
# The biases are shifted so that min_relevance 0.5 is the median of the thresholds
# chosen leave-one-topic-out.
DESCRIPTION_WEIGHTS = (0.962, 1.688, 0.0)
DESCRIPTION_BIAS = -1.779
EXAMPLE_WEIGHTS = (0.945, 1.522, 0.249)
EXAMPLE_BIAS = -1.288


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def features(story: PreparedStory, topic: PreparedTopic, evidence: Sequence[BranchLike],
             good: np.ndarray | None = None, bad: np.ndarray | None = None
             ) -> tuple[tuple[float, float, float], list[BranchSalience], dict]:
    """The feature row, the branches weakest first, and which similarities exist.

    ``good``/``bad`` override the topic's example centroids (a fitted model's)."""
    branches = branch_saliences(evidence, story.story, story.vector, story.passage_vector)
    # A query with no words to weigh (only site:, lang:, NOT) leaves it to the gate.
    sal = branches[0].strength if branches else 1.0
    d = description_similarity(story, topic.want, evidence)
    g = topic.good if good is None else good
    b = topic.bad if bad is None else bad
    e = contrast(story.vector, g, b)
    row = (logit(sal), 0.0 if d is None else SIM_SCALE * d, 0.0 if e is None else SIM_SCALE * e)
    return row, branches, {"description": d, "examples": e, "salience": sal}


def combine(row: Sequence[float], weights: Sequence[float], bias: float) -> float:
    return sigmoid(bias + sum(w * x for w, x in zip(weights, row)))


def relevance(story: PreparedStory, topic: PreparedTopic,
              evidence: Sequence[BranchLike]) -> Relevance:
    """Is the story about the topic? ``evidence``: the required branches and their hits
    (``worker.topics.branch_hits`` output fits as it is)."""
    prof = topic.profile
    model = prof.model
    good = bad = None
    if model is not None and model.good:
        good = np.asarray(model.good, dtype=np.float32)
        bad = np.asarray(model.bad, dtype=np.float32) if model.bad else None
    row, branches, sims = features(story, topic, evidence, good, bad)
    sal = sims["salience"]
    d, e = sims["description"], sims["examples"]
    if model is not None:
        score = combine(row, model.weights, model.bias)
        model_part: float | None = score
    elif e is not None:
        score = combine(row, EXAMPLE_WEIGHTS, EXAMPLE_BIAS)
        model_part = None
    elif d is not None:
        score = combine(row, DESCRIPTION_WEIGHTS, DESCRIPTION_BIAS)
        model_part = None
    else:
        score = sal
        model_part = None
    # Shown as a part in [0, 1]: the description feature around SIM_CENTER, the
    # examples' contrast around 0, each through a logistic, averaged.
    avail = ([] if d is None else [sigmoid(SIM_SCALE * (d - SIM_CENTER))]) + (
        [] if e is None else [sigmoid(SIM_SCALE * e)])
    similarity = None if not avail else sum(avail) / len(avail)
    threshold = DEFAULT_MIN_RELEVANCE if prof.min_relevance is None else float(prof.min_relevance)
    ok = score >= threshold
    n_par = len(story.story.paragraphs)
    weakest = branches[0] if branches else None
    where = describe(weakest, n_par) if weakest else "the query has no words to weigh"
    if similarity is None:
        reason = where
    elif ok and similarity >= 0.5:
        reason = f"{where}; the story reads like the topic (similarity {similarity:.2f})"
    elif not ok and sal >= 0.5:
        reason = (f"the story reads like another subject (similarity {similarity:.2f}); "
                  f"{where}")
    else:
        reason = f"{where}; similarity {similarity:.2f}"
    return Relevance(
        score=score,
        parts=Parts(salience=sal, similarity=similarity, model=model_part),
        relevant=ok,
        min_relevance=threshold,
        reason=reason,
        weakest=weakest.clause if weakest else "",
        details={"features": dict(zip(FEATURES, row)),
                 "branches": [{"clause": b.clause, "strength": round(b.strength, 4),
                               "hits": b.n_hits, "paragraphs": [p + 1 for p in b.paragraphs],
                               "title": b.title} for b in branches]},
    )

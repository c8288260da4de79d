"""Per-topic models and threshold tuning, on synthetic labels."""

from __future__ import annotations

import random

import numpy as np

from worker.relevance import (
    PR,
    Labelled,
    Story,
    TopicProfile,
    best_threshold,
    fit_logistic,
    fit_topic_model,
    prepare_story,
    prepare_topic,
    relevance,
    tune,
)
from worker.relevance._similarity import PreparedStory

from .conftest import branch


def test_fit_logistic_recovers_the_direction():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2))
    y = (X[:, 0] - 2 * X[:, 1] + rng.normal(scale=0.3, size=400) > 0).astype(float)
    w, b = fit_logistic(X, y, l2=0.01)
    assert w[0] > 0 > w[1] and abs(w[1] / w[0] + 2) < 0.4 and abs(b) < 0.5


def test_fit_logistic_stays_near_the_prior_with_few_labels():
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    y = np.array([1.0, 0.0])
    w, _ = fit_logistic(X, y, l2=100.0, prior=[1.0, 1.0])
    assert np.allclose(w, [1.0, 1.0], atol=0.05)


def test_best_threshold_separates():
    t = best_threshold([0.1, 0.2, 0.35, 0.6, 0.7, 0.9], [False, False, False, True, True, True])
    assert 0.35 < t < 0.6
    assert PR.of([True, True, False], [True, False, True]) == PR(0.5, 0.5, 0.5, 1, 1, 1)


def _synthetic(embedder, n: int, seed: int) -> list[Labelled]:
    """Stories about missiles (good) and about markets (bad), all mentioning both words
    once in the lead, so that salience alone cannot tell them apart."""
    rng = random.Random(seed)
    good_lines = ["The missile flew 600 km, the military said.",
                  "Analysts said the launch tested a new solid-fuel engine.",
                  "Japan said the warhead landed outside its waters.",
                  "It was the fourth ballistic missile test this year."]
    bad_lines = ["The benchmark index rose 1.2 percent in Seoul.",
                 "Chipmakers led the gains as foreign investors bought shares.",
                 "The won strengthened against the dollar.",
                 "Bond yields eased after the central bank's decision."]
    out = []
    for i in range(n):
        good = i % 2 == 0
        lines = rng.sample(good_lines if good else bad_lines, 3)
        body = "\n".join(["North Korea's missile launch came as markets opened.", *lines])
        ev = [branch("@dprk", [("lead", 0, 0)]), branch("missile*", [("lead", 0, 0)])]
        out.append(Labelled(prepare_story(Story.from_text("News", body), embedder), ev, good))
    return out


def test_topic_model_learns_from_feedback(embedder):
    items = _synthetic(embedder, 12, seed=1)
    topic = prepare_topic(TopicProfile(), embedder)
    model = fit_topic_model(items, topic)
    assert model.n_labels == 12 and len(model.good) == embedder.dim
    fitted = prepare_topic(TopicProfile(model=model), embedder)
    held_out = _synthetic(embedder, 10, seed=2)
    scores = [(relevance(it.story, fitted, it.evidence).score, it.good) for it in held_out]
    good = [s for s, g in scores if g]
    bad = [s for s, g in scores if not g]
    assert min(good) > max(bad)
    r = relevance(held_out[0].story, fitted, held_out[0].evidence)
    assert r.parts.model is not None and r.parts.model == r.score


def test_tune_reports_before_and_after_cross_validated(embedder):
    items = _synthetic(embedder, 20, seed=3)
    result = tune(items, prepare_topic(TopicProfile(), embedder), folds=4)
    assert result.folds == 4 and result.n_labels == 20
    assert result.after.f1 > result.before.f1
    assert result.after.precision >= 0.9 and result.after.recall >= 0.9
    assert result.model is not None and 0.0 <= result.min_relevance <= 1.0


def test_topic_model_round_trips_through_a_dict(embedder):
    items = _synthetic(embedder, 8, seed=4)
    model = fit_topic_model(items, prepare_topic(TopicProfile(), embedder))
    from worker.relevance import TopicModel
    assert TopicModel.from_dict(model.to_dict()) == model


def test_no_model_means_no_similarity():
    st = PreparedStory(Story("t", ("p",)), None)
    topic = prepare_topic(TopicProfile(description="anything"), embedder=None)
    r = relevance(st, topic, [branch("x", [("lead", 0, 0)])])
    assert r.parts.similarity is None and 0.0 <= r.score <= 1.0


def test_topic_model_is_pulled_toward_the_weights_the_topic_had(embedder):
    # A description-only topic scored with the description weights before feedback; a few
    # labels start from those (not from the examples' weights and bias).
    from worker.relevance._score import DESCRIPTION_BIAS, DESCRIPTION_WEIGHTS, EXAMPLE_BIAS
    items = _synthetic(embedder, 6, seed=5)
    topic = prepare_topic(TopicProfile(description="North Korea's missile tests."), embedder)
    model = fit_topic_model(items, topic)
    assert abs(model.bias - DESCRIPTION_BIAS) < abs(model.bias - EXAMPLE_BIAS)
    assert abs(model.weights[1] - DESCRIPTION_WEIGHTS[1]) < 0.5

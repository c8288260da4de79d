"""Fitting from labels: logistic regression (numpy), a per-topic model, a threshold.

``fit_topic_model`` fits a topic's own weights over FEATURES with an L2 penalty that
pulls them toward the shared weights the topic scored with before it had labels (the
description's, or the examples' when it has examples), so a handful of labels moves the
model a little and fifty move it a lot; the ``examples`` feature then uses the centroids
of the labelled good and bad stories. ``tune`` fits the threshold (and the model when there are enough
labels of both kinds) and reports precision and recall before and after, with k-fold
cross-validation: no story is scored by a model or threshold that saw its label.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ._model import BranchLike, TopicModel
from ._score import (
    DEFAULT_MIN_RELEVANCE,
    DESCRIPTION_BIAS,
    DESCRIPTION_WEIGHTS,
    EXAMPLE_BIAS,
    EXAMPLE_WEIGHTS,
    combine,
    features,
    relevance,
)
from ._similarity import PreparedStory, PreparedTopic

MIN_LABELS_FOR_MODEL = 4   # and at least one good and one bad
# L2 pull toward the shared weights. Held-out pairs, 5 or 10 labels per topic: a weaker
# pull (5) let a few labels flip pairs the shared weights had right; 10-50 gave the same
# figures (docs/relevance.md).
PRIOR_STRENGTH = 20.0


@dataclass(frozen=True)
class Labelled:
    """One judged (story, topic) pair: the prepared story, its branch evidence, good/bad."""

    story: PreparedStory
    evidence: Sequence[BranchLike]
    good: bool


@dataclass(frozen=True)
class PR:
    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int

    @classmethod
    def of(cls, predicted: Sequence[bool], actual: Sequence[bool]) -> PR:
        tp = sum(p and a for p, a in zip(predicted, actual))
        fp = sum(p and not a for p, a in zip(predicted, actual))
        fn = sum(a and not p for p, a in zip(predicted, actual))
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return cls(p, r, f, tp, fp, fn)


@dataclass(frozen=True)
class TuneResult:
    before: PR
    after: PR                  # cross-validated
    min_relevance: float       # fitted on all labels
    model: TopicModel | None   # fitted on all labels (None: too few)
    folds: int
    n_labels: int


def fit_logistic(X: np.ndarray, y: np.ndarray, *, l2: float = 1.0,
                 prior: Sequence[float] | None = None, prior_bias: float = 0.0,
                 iters: int = 50) -> tuple[np.ndarray, float]:
    """Weights and bias by Newton's method, L2 toward ``prior`` (the bias too, lightly)."""
    n, k = X.shape
    A = np.hstack([X, np.ones((n, 1))])
    p0 = np.zeros(k + 1) if prior is None else np.append(np.asarray(prior, float), prior_bias)
    w = p0.copy()
    reg = np.full(k + 1, l2)
    for _ in range(iters):
        z = np.clip(A @ w, -30, 30)
        p = 1 / (1 + np.exp(-z))
        g = A.T @ (p - y) + reg * (w - p0)
        H = (A * (p * (1 - p))[:, None]).T @ A + np.diag(reg)
        step = np.linalg.solve(H, g)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return w[:-1], float(w[-1])


def _unit(v: np.ndarray | None) -> np.ndarray | None:
    if v is None:
        return None
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else None


def _centroids(items: Sequence[Labelled], topic: PreparedTopic, skip: int | None = None
               ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Centroids of the good and bad labelled stories (and the topic's examples)."""
    goods: list[np.ndarray] = []
    bads: list[np.ndarray] = []
    for i, it in enumerate(items):
        if i == skip or it.story.vector is None:
            continue
        (goods if it.good else bads).append(it.story.vector)
    g = np.sum(goods, axis=0) if goods else None
    b = np.sum(bads, axis=0) if bads else None
    if topic.good is not None:
        g = topic.good if g is None else g + topic.good
    if topic.bad is not None:
        b = topic.bad if b is None else b + topic.bad
    return _unit(g), _unit(b)


def _default(topic: PreparedTopic) -> tuple[tuple[float, ...], float]:
    if topic.good is not None or topic.profile.description == "":
        return EXAMPLE_WEIGHTS, EXAMPLE_BIAS
    return DESCRIPTION_WEIGHTS, DESCRIPTION_BIAS


def fit_topic_model(items: Sequence[Labelled], topic: PreparedTopic) -> TopicModel:
    """A topic's own model from its labels (see module doc)."""
    rows = []
    for i, it in enumerate(items):
        g, b = _centroids(items, topic, skip=i)   # an item never sees itself
        row, _, _ = features(it.story, topic, it.evidence, g, b)
        rows.append(row)
    X = np.asarray(rows, float)
    y = np.asarray([it.good for it in items], float)
    # The prior is what the topic scored with before feedback: fitting labels that agree
    # with it changes nothing.
    prior, prior_bias = _default(topic)
    w, bias = fit_logistic(X, y, l2=PRIOR_STRENGTH, prior=prior, prior_bias=prior_bias)
    g, b = _centroids(items, topic)
    return TopicModel(tuple(float(x) for x in w), bias,
                      () if g is None else tuple(float(x) for x in g),
                      () if b is None else tuple(float(x) for x in b), len(items))


def best_threshold(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """The threshold with the best F1 on these scores (midway between neighbours)."""
    pairs = sorted(zip(scores, labels))
    if not any(labels):
        return DEFAULT_MIN_RELEVANCE
    best, best_t = -1.0, DEFAULT_MIN_RELEVANCE
    cands = [pairs[0][0] - 1e-6] + [(a[0] + b[0]) / 2 for a, b in zip(pairs, pairs[1:])]
    for t in cands:
        f = PR.of([s >= t for s in scores], labels).f1
        if f > best + 1e-12:
            best, best_t = f, t
    return float(min(max(best_t, 0.0), 1.0))


def _scores(items: Sequence[Labelled], topic: PreparedTopic) -> list[float]:
    return [relevance(it.story, topic, it.evidence).score for it in items]


def _fit(train: Sequence[Labelled], topic: PreparedTopic) -> tuple[PreparedTopic, float]:
    n_good = sum(it.good for it in train)
    if len(train) >= MIN_LABELS_FOR_MODEL and 0 < n_good < len(train):
        model = fit_topic_model(train, topic)
        topic = replace(topic, profile=replace(topic.profile, model=model))
    return topic, best_threshold(_scores(train, topic), [it.good for it in train])


def tune(items: Sequence[Labelled], topic: PreparedTopic, *, folds: int = 5,
         seed: int = 0) -> TuneResult:
    """Fit the topic's threshold (and model) on labels; report P/R before and after
    (after: k-fold cross-validated)."""
    labels = [it.good for it in items]
    t0 = topic.profile.min_relevance
    t0 = DEFAULT_MIN_RELEVANCE if t0 is None else t0
    before = PR.of([s >= t0 for s in _scores(items, topic)], labels)
    k = max(2, min(folds, len(items)))
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    predicted = [False] * len(items)
    for f in range(k):
        test = [i for j, i in enumerate(order) if j % k == f]
        train = [items[i] for j, i in enumerate(order) if j % k != f]
        fitted, t = _fit(train, topic)
        for i in test:
            predicted[i] = relevance(items[i].story, fitted, items[i].evidence).score >= t
    after = PR.of(predicted, labels)
    fitted, t = _fit(items, topic)
    return TuneResult(before, after, t, fitted.profile.model, k, len(items))


def default_score(row: Sequence[float], topic: PreparedTopic) -> float:
    w, b = _default(topic)
    return combine(row, w, b)

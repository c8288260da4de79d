"""Salience: how central each required branch of the query is to the story.

Each branch is described by where its hits fall — in the title, in the lead, in how
many of the body's paragraphs and sentences, how early the first body hit comes — and
a branch's strength is a logistic function of those features. A match is only as
strong as its weakest required branch: a story about money laundering that names a
missile programme once, in one clause of paragraph 5, is weak on the missile branch
however often it says "North Korea".

The weights are shared by all topics (chosen by cross-validation across topics on the
development set, see docs/relevance.md); they need nothing but the query.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ._model import BranchLike, Story

BRANCH_FEATURES = ("title", "lead", "paragraphs", "share", "sentences", "early", "central")
# Without an embedding model the centrality takes a middling value: halfway between the
# mean weakest-branch centrality of relevant (0.88) and irrelevant (0.58) dev pairs.
CENTRAL_FALLBACK = 0.73
# Fitted by bench/relevance.py --fit (pooled over the 7 development topics; the
# leave-one-topic-out figures are in docs/relevance.md).
SALIENCE_WEIGHTS = (1.056, 0.804, 0.07, 0.507, 0.577, -0.739, 1.001)
SALIENCE_BIAS = -2.073


@dataclass(frozen=True, slots=True)
class BranchSalience:
    clause: str
    features: tuple[float, ...]
    strength: float
    n_hits: int
    title: bool
    paragraphs: tuple[int, ...]   # distinct body paragraphs hit (0 = lead)
    sentences: int                # distinct body sentences hit


def centrality(branch: BranchLike, vector: np.ndarray | None,
               passage: Callable[[list[str]], np.ndarray | None] | None) -> float:
    """Cosine between the story and the sentences that hit the branch: a thread through
    the story reads like the story; a clause of background reads like something else."""
    if vector is None or passage is None:
        return CENTRAL_FALLBACK
    ctx = list(dict.fromkeys(getattr(h, "context", "") or h.text for h in branch.hits))
    v = passage(ctx)
    return CENTRAL_FALLBACK if v is None else float(v @ vector)


def branch_features(branch: BranchLike, n_paragraphs: int, vector: np.ndarray | None = None,
                    passage: Callable[[list[str]], np.ndarray | None] | None = None) -> BranchSalience:
    n = max(n_paragraphs, 1)
    title = any(h.zone == "title" for h in branch.hits)
    paras = sorted({h.paragraph for h in branch.hits if h.zone != "title" and h.paragraph >= 0})
    sents = len({h.sentence for h in branch.hits if h.zone != "title"})
    lead = bool(paras) and paras[0] == 0
    early = 1.0 - paras[0] / n if paras else 0.0
    f = (float(title), float(lead), math.log1p(len(paras)), len(paras) / n,
         math.log1p(sents), early, 5.0 * (centrality(branch, vector, passage) - 0.5))
    return BranchSalience(branch.clause, f, 0.0, len(branch.hits), title, tuple(paras), sents)


def _logistic(f: Sequence[float], w: Sequence[float], b: float) -> float:
    z = b + sum(x * y for x, y in zip(f, w))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def branch_saliences(evidence: Sequence[BranchLike], story: Story,
                     vector: np.ndarray | None = None,
                     passage: Callable[[list[str]], np.ndarray | None] | None = None,
                     weights: Sequence[float] = SALIENCE_WEIGHTS,
                     bias: float = SALIENCE_BIAS) -> list[BranchSalience]:
    """Every required branch with its features and strength, weakest first."""
    out = []
    for br in evidence:
        bs = branch_features(br, len(story.paragraphs), vector, passage)
        out.append(BranchSalience(bs.clause, bs.features, _logistic(bs.features, weights, bias),
                                  bs.n_hits, bs.title, bs.paragraphs, bs.sentences))
    out.sort(key=lambda b: b.strength)
    return out


def describe(b: BranchSalience, n_paragraphs: int) -> str:
    """The branch's place in the story in words."""
    times = {1: "once", 2: "twice"}.get(b.n_hits, f"{b.n_hits} times")
    clause = b.clause if len(b.clause) <= 60 else b.clause[:57] + "…"
    if not b.paragraphs:
        where = "only in the title" if b.title else "nowhere in the body"
        return f"'{clause}' appears {times}, {where}"
    k = len(b.paragraphs)
    title = " and the title" if b.title else ""
    if k == 1:
        p = b.paragraphs[0]
        place = "the lead" if p == 0 else f"paragraph {p + 1} of {n_paragraphs}"
        if b.title and p == 0:
            kind = "a thread through the story"
        elif p == 0:
            kind = "and nowhere else"
        else:
            kind = "as background" if b.sentences <= 1 and not b.title else "in one passage"
        return f"'{clause}' appears {times}, in {place}{title}, {kind}"
    share = k / max(n_paragraphs, 1)
    kind = "a thread through the story" if share >= 0.4 or b.title else "in a few places"
    return f"'{clause}' appears {times}, in {k} of {n_paragraphs} paragraphs{title}: {kind}"

"""Semantic similarity between a story and what the analyst described or showed.

A description usually says what is wanted and, in a sentence or two, what is not
("I don't want stories that only mention …"). The excluding sentences repeat the topic's
own words, so they are left out: the description's similarity is the story's cosine to
the wanted sentences, taken passage by passage: for each required branch of the query,
the sentences that hit it, less what the matched words alone reach
(``description_similarity``). (Subtracting the cosine to the excluding sentences was measured
and hurt: pooled AUC 0.65 against 0.94.) Examples and counter-examples (texts of
stories) count by their centroids: cosine to the examples minus cosine to the
counter-examples.

Vectors are computed once per story and once per topic (``prepare_story``,
``prepare_topic``); the caller keeps them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ._embed import Embedder, ModelUnavailable, load_embedder
from ._model import Story, TopicProfile

_SENT_RE = re.compile(r"(?<=[.!?])\s+")
_NEGATIVE_RE = re.compile(
    r"\b(?:do(?:n['\u2019]?t| not)|does(?:n['\u2019]?t| not)|not interested|exclud\w*|"
    r"never|no need|ignore|except|rather not)\b", re.IGNORECASE)


def split_description(description: str) -> tuple[str, str]:
    """(wanted, unwanted): the description's sentences, by whether they exclude."""
    want: list[str] = []
    avoid: list[str] = []
    for s in _SENT_RE.split(" ".join(description.split())):
        if s:
            (avoid if _NEGATIVE_RE.search(s) else want).append(s)
    return " ".join(want), " ".join(avoid)


@dataclass(frozen=True)
class PreparedStory:
    story: Story
    vector: np.ndarray | None   # None when no embedding model is available
    embedder: Embedder | None = None
    # sentence text → (sum of its token vectors, token count), filled as topics ask
    sentences: dict[str, tuple[np.ndarray, int]] = field(default_factory=dict)

    def passage_vector(self, texts: list[str]) -> np.ndarray | None:
        """Unit mean vector of the tokens of these sentences (each tokenized once per story)."""
        e = self.embedder
        if e is None or not texts:
            return None
        total, count = None, 0
        for t in texts:
            got = self.sentences.get(t)
            if got is None:
                got = self.sentences[t] = e.token_sum(t)
            total = got[0] if total is None else total + got[0]
            count += got[1]
        if total is None or count == 0:
            return None
        n = float(np.linalg.norm(total))
        return total / n if n > 0 else None


@dataclass(frozen=True)
class PreparedTopic:
    profile: TopicProfile
    want: np.ndarray | None     # description's wanted sentences
    avoid: np.ndarray | None    # description's excluding sentences
    good: np.ndarray | None     # centroid of examples
    bad: np.ndarray | None      # centroid of counter-examples


def _embedder(embedder: Embedder | None) -> Embedder | None:
    if embedder is not None:
        return embedder
    try:
        return load_embedder()
    except ModelUnavailable:
        return None


def _centroid(vs: list[np.ndarray]) -> np.ndarray | None:
    if not vs:
        return None
    c = np.mean(vs, axis=0)
    n = float(np.linalg.norm(c))
    return c / n if n > 0 else None


def prepare_story(story: Story, embedder: Embedder | None = None) -> PreparedStory:
    """Embed the story once (for every topic it is scored against)."""
    e = _embedder(embedder)
    return PreparedStory(story, None if e is None else e.embed(story.text), e)


def prepare_topic(profile: TopicProfile, embedder: Embedder | None = None) -> PreparedTopic:
    """Embed the topic's description and examples once (cache it per topic version)."""
    e = _embedder(embedder)
    if e is None:
        return PreparedTopic(profile, None, None, None, None)
    want, avoid = split_description(profile.description)
    return PreparedTopic(
        profile,
        e.embed(want) if want else None,
        e.embed(avoid) if avoid else None,
        _centroid([e.embed(t) for t in profile.examples]),
        _centroid([e.embed(t) for t in profile.counter_examples]),
    )


def contrast(v: np.ndarray | None, pos: np.ndarray | None, neg: np.ndarray | None) -> float | None:
    """cos(v, pos) − cos(v, neg); cos(v, pos) alone without ``neg``; None without ``pos``."""
    if v is None or pos is None:
        return None
    s = float(v @ pos)
    if neg is not None:
        s -= float(v @ neg)
    return s


def description_similarity(story: PreparedStory, want: np.ndarray | None,
                           evidence) -> float | None:
    """How much more the story's passages on the topic read like the description than
    the words the gate matched in them do.

    For each required branch: cos(the sentences that hit it, wanted sentences) −
    cos(its matched words as they occur, wanted sentences); the mean over branches.
    Two things are at work. The passages, not the whole story: a story about something
    else that mentions the topic has its topic sentences about that something else. And
    the excess over the matched words: the raw cosine's level differs from topic to
    topic (a description that repeats its query's words sits higher for every story);
    the matched words alone give the level a mere mention reaches, which puts every
    topic on one scale. Without hits it is the whole story's cosine."""
    if story.vector is None or want is None:
        return None
    out = []
    for br in evidence:
        hits = list(br.hits)
        if not hits:
            continue
        ctx = list(dict.fromkeys(getattr(h, "context", "") or h.text for h in hits))
        pv = story.passage_vector(ctx)
        wv = story.passage_vector([h.text for h in hits])   # each word tokenized once
        if pv is None or wv is None:
            continue
        out.append(float(pv @ want) - float(wv @ want))
    return float(story.vector @ want) if not out else sum(out) / len(out)

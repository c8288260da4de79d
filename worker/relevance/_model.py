"""The values at the boundary of relevance/: the story, the topic, the evidence, the verdict.

Plain inputs only: the stage never imports the topic matcher. Branch evidence is any
object with ``clause`` and ``hits`` whose hits have ``zone``, ``paragraph``,
``sentence``, ``text`` and ``context`` — ``worker.topics.BranchHits`` fits as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

_LINE_RE = re.compile(r"[^\n]*\S[^\n]*")


class HitLike(Protocol):
    zone: str        # "title", "lead" or "body"
    paragraph: int   # body paragraph index (0 = lead), -1 in the title
    sentence: int
    text: str
    context: str     # the sentence holding the hit


class BranchLike(Protocol):
    clause: str
    hits: Sequence[HitLike]


@dataclass(frozen=True, slots=True)
class HitPosition:
    zone: str
    paragraph: int
    sentence: int
    text: str
    context: str = ""


@dataclass(frozen=True, slots=True)
class BranchEvidence:
    """A required AND-branch of the topic's query and where the story hits it."""

    clause: str
    hits: tuple[HitPosition, ...]


@dataclass(frozen=True)
class Story:
    """A cleaned story: the title and the body's paragraphs; paragraph 0 is the lead
    (a standfirst, when the page has one, goes first)."""

    title: str
    paragraphs: tuple[str, ...]

    @property
    def lead(self) -> str:
        return self.paragraphs[0] if self.paragraphs else ""

    @property
    def text(self) -> str:
        return "\n".join((self.title, *self.paragraphs))

    @classmethod
    def from_text(cls, title: str, body: str) -> Story:
        """Paragraphs are the body's non-blank lines (the topics stage counts the same)."""
        return cls(title.strip(), tuple(m.group().strip() for m in _LINE_RE.finditer(body)))


@dataclass(frozen=True)
class TopicModel:
    """A per-topic model fitted on labels: logistic regression over the features
    (FEATURES order), plus the embedding centroids of the good and bad examples."""

    weights: tuple[float, ...]
    bias: float
    good: tuple[float, ...] = ()   # centroid of the good examples' vectors
    bad: tuple[float, ...] = ()    # centroid of the bad examples' vectors
    n_labels: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"weights": list(self.weights), "bias": self.bias, "good": list(self.good),
                "bad": list(self.bad), "n_labels": self.n_labels}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TopicModel:
        return cls(tuple(d["weights"]), float(d["bias"]), tuple(d.get("good", ())),
                   tuple(d.get("bad", ())), int(d.get("n_labels", 0)))


@dataclass(frozen=True)
class TopicProfile:
    """What the analyst said about a topic, beyond its query."""

    description: str = ""
    examples: tuple[str, ...] = ()           # texts of stories they want
    counter_examples: tuple[str, ...] = ()   # texts of stories they don't want
    min_relevance: float | None = None       # None: DEFAULT_MIN_RELEVANCE
    model: TopicModel | None = None          # fitted from feedback (fit_topic_model)


@dataclass(frozen=True)
class Parts:
    """The parts of a relevance score, each in [0, 1] (None: not available)."""

    salience: float
    similarity: float | None = None
    model: float | None = None


@dataclass(frozen=True)
class Relevance:
    score: float
    parts: Parts
    relevant: bool
    min_relevance: float
    reason: str
    weakest: str = ""   # the clause of the weakest required branch
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "parts": {"salience": _r(self.parts.salience), "similarity": _r(self.parts.similarity),
                      "model": _r(self.parts.model)},
            "relevant": self.relevant,
            "min_relevance": self.min_relevance,
            "reason": self.reason,
            "weakest": self.weakest,
            "branches": list(self.details.get("branches", [])),
        }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)

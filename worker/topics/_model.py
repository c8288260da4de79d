"""The values at the boundary of topics/: what is matched, what is watched, what matched."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """What is matched: the CLEANED story (title + body), never the raw page."""

    title: str
    body: str
    site: str | None = None  # the article's host, e.g. "www.newsx.com"
    lang: str | None = None


@dataclass(frozen=True)
class Topic:
    """A watch topic: a query in the topic language and a relevance threshold."""

    id: str
    name: str
    query: str
    min_score: float = 0.0


@dataclass
class TopicMatch:
    """A topic that matched a story, with why (explanation) and where (highlights)."""

    topic_id: str
    score: float
    explanation: dict = field(default_factory=dict)
    highlights: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "topic_id": self.topic_id,
            "score": self.score,
            "explanation": self.explanation,
            "highlights": list(self.highlights),
        }

from __future__ import annotations

import pytest

from worker.relevance import BranchEvidence, HitPosition, Story


def story(paragraphs: list[str], title: str = "A story") -> Story:
    return Story(title, tuple(paragraphs))


def branch(clause: str, places: list[tuple[str, int, int]], context: str = "") -> BranchEvidence:
    """places: (zone, paragraph, sentence)."""
    return BranchEvidence(clause, tuple(HitPosition(z, p, s, clause, context or clause)
                                        for z, p, s in places))


@pytest.fixture(scope="session")
def embedder():
    from worker.relevance import load_embedder
    return load_embedder()

"""The three example topics on the gold seed stories and on hand-made negatives."""

from __future__ import annotations

from pathlib import Path

import pytest

from worker.topics import TopicIndex, match_topic, validate_topics

from .conftest import DATA, REPO, read_story

SEEDS = {
    "000": {"armistice", "russia-ties"},
    "001": {"armistice"},
    "002": {"russia-ties"},
    "003": {"russia-ties"},
    "004": {"kim-diplomacy"},
}
NEGATIVES = sorted(DATA.glob("neg_*.txt"))


def _gold(prefix: str) -> Path:
    (path,) = (REPO / "seeds" / "gold").glob(f"{prefix}_*.txt")
    return path


def test_example_config_is_valid(example_config, example_topics):
    assert validate_topics(example_topics, example_config["lists"]) == []
    assert {t.id for t in example_topics} == {"armistice", "russia-ties", "kim-diplomacy"}


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_seed_gold_gets_exactly_its_topics(seed, example_config, example_topics):
    index = TopicIndex(example_config["lists"])
    for t in example_topics:
        index.add(t)
    doc = read_story(_gold(seed))
    got = {m.topic_id for m in index.match(doc)}
    assert got == SEEDS[seed]
    # The one-by-one reference agrees with the index.
    ref = {t.id for t in example_topics if match_topic(t, doc, example_config["lists"])}
    assert ref == got


@pytest.mark.parametrize("path", NEGATIVES, ids=lambda p: p.stem)
def test_negatives_get_no_topic(path, example_config, example_topics):
    index = TopicIndex(example_config["lists"])
    for t in example_topics:
        index.add(t)
    assert index.match(read_story(path)) == []


def test_there_are_five_negatives():
    names = {p.stem for p in NEGATIVES}
    assert names == {"neg_armistice_day_1918", "neg_thailand_cambodia_ceasefire",
                     "neg_russia_india_trade", "neg_kursk_submarine", "neg_trending_list"}


def test_passing_mentions_stay_below_min_score(example_config, example_topics):
    """001 and the Russia–India story mention North Korea and Russia together once, late
    in the body: the query matches but the score (1) stays below min_score (2)."""
    ties = next(t for t in example_topics if t.id == "russia-ties")
    for doc in (read_story(_gold("001")), read_story(DATA / "neg_russia_india_trade.txt")):
        m = match_topic(ties.__class__(ties.id, ties.name, ties.query, 0.0), doc,
                        example_config["lists"])
        assert m is not None and m.score == 1.0
        assert match_topic(ties, doc, example_config["lists"]) is None


def test_seed_000_russia_ties_explained(example_config, example_topics):
    ties = next(t for t in example_topics if t.id == "russia-ties")
    m = match_topic(ties, read_story(_gold("000")), example_config["lists"])
    assert m is not None
    assert m.score == 3.0
    assert m.explanation["score"]["body_hits"] == 3
    assert len(m.highlights) == 3
    assert all("«" in h and "»" in h for h in m.highlights)
    assert any("«North Korea» has supplied «Russia»" in h for h in m.highlights)

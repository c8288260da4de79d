"""Salience on small hand-made stories: background clause vs a thread; weakest branch."""

from __future__ import annotations

from tests.helpers.stories import BACKGROUND, THREAD
from worker.relevance import (
    DEFAULT_MIN_RELEVANCE,
    Story,
    TopicProfile,
    branch_saliences,
    prepare_story,
    prepare_topic,
    relevance,
)
from worker.topics import Document, query_branch_hits

from .conftest import branch, story

LISTS = {"dprk": ['"North Korea*"', "DPRK", "Pyongyang", '"Kim Jong Un"']}
QUERY = "@dprk AND (missile* OR launch*)"



def _relevance(title, paragraphs, profile=TopicProfile(), embedder=None):
    body = "\n\n".join(paragraphs)
    ev = query_branch_hits(QUERY, Document(title, body), LISTS)
    st = prepare_story(Story.from_text(title, body), embedder)
    return relevance(st, prepare_topic(profile, embedder), ev)


def test_thread_is_relevant_background_is_not(embedder):
    thread = _relevance(*THREAD, embedder=embedder)
    background = _relevance(*BACKGROUND, embedder=embedder)
    assert thread.relevant and not background.relevant
    assert thread.parts.salience > 0.8 > 0.2 > background.parts.salience
    assert "paragraph 4 of 5" in background.reason and "background" in background.reason
    assert background.weakest in ("@dprk", "missile* OR launch*")  # both one clause
    assert "thread" in thread.reason


def test_weakest_required_branch_decides():
    n = 6
    strong = branch("@dprk", [("title", -1, 0)] + [("body", p, p) for p in range(n)])
    weak = branch("missile*", [("body", 4, 7)])
    st = story(["p"] * n)
    both = branch_saliences([strong, weak], st)
    assert [b.clause for b in both] == ["missile*", "@dprk"]   # weakest first
    alone = branch_saliences([strong], st)
    assert both[0].strength < DEFAULT_MIN_RELEVANCE < 0.8 < alone[0].strength
    # Making the weak branch a thread lifts the whole match.
    thread = branch("missile*", [("title", -1, 0)] + [("body", p, p) for p in range(0, n, 2)])
    assert branch_saliences([strong, thread], st)[0].strength > 0.6


def test_more_paragraphs_and_an_earlier_start_are_stronger():
    st = story(["p"] * 8)
    one = branch_saliences([branch("x", [("body", 6, 9)])], st)[0].strength
    two = branch_saliences([branch("x", [("body", 6, 9), ("body", 7, 11)])], st)[0].strength
    lead = branch_saliences([branch("x", [("lead", 0, 0), ("body", 3, 5)])], st)[0].strength
    assert one < two < lead


def test_without_a_model_salience_still_works():
    thread = _relevance(*THREAD)
    background = _relevance(*BACKGROUND)
    assert thread.parts.similarity is None
    assert thread.parts.salience > background.parts.salience
    assert not background.relevant


def test_story_paragraphs_match_the_topics_stage():
    body = "Lead para.\n\nSecond.\n\n\nThird line\nFourth line"
    assert Story.from_text(" T ", body).paragraphs == ("Lead para.", "Second.", "Third line",
                                                      "Fourth line")
    [b] = query_branch_hits("fourth", Document("T", body))
    assert b.hits[0].paragraph == 3


def test_a_query_without_words_leaves_the_decision_to_the_gate():
    st = prepare_story(Story.from_text("T", "Body."), None)
    r = relevance(st, prepare_topic(TopicProfile(), None), [])
    assert r.parts.salience == 1.0 and r.relevant and "no words" in r.reason


def test_to_dict_carries_parts_reason_and_branches(embedder):
    d = _relevance(*BACKGROUND, embedder=embedder).to_dict()
    assert set(d) == {"score", "parts", "relevant", "min_relevance", "reason", "weakest",
                      "branches"}
    assert set(d["parts"]) == {"salience", "similarity", "model"}
    assert {b["clause"] for b in d["branches"]} == {"@dprk", "missile* OR launch*"}
